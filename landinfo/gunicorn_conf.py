"""How gunicorn serves LandInfo, wherever it runs: `make demo`, docker/ and bench/.

    gunicorn -c python:landinfo.gunicorn_conf landinfo.wsgi

One place for the numbers, so the demo serves as production does and the benchmarks
measure what is deployed. GUNICORN_CMD_ARGS and command-line options override them
(docker/ scales workers with GUNICORN_CMD_ARGS on a larger machine).

Bounded by design: 3 processes of 4 threads answer at most 12 requests at once, and
each thread holds at most two database connections (the request's, kept for
DATABASE_CONN_MAX_AGE, and the rate-limit counters'): 24 in all, far below the
application role's CONNECTION LIMIT (scripts/setup, docker/initdb). A development
server that starts a thread per request, each keeping its own connection, ran the
cluster out of connections under one client's flood; a fixed pool cannot.
"""

import os

# LANDINFO_BIND: where to listen; make demo passes 127.0.0.1:8000 (HOST, PORT).
bind = os.environ.get("LANDINFO_BIND", "127.0.0.1:8000")
# Processes use the cores (2 on the reference machine); threads wait on PostgreSQL.
workers = 3
# gthread, holding the connection of a client refused 429 for its Retry-After
# (landinfo/gunicorn_worker.py), so that a client ignoring it cannot spin on refusals.
worker_class = "landinfo.gunicorn_worker.HoldingThreadWorker"
threads = 4
# Connections wait here while every thread is busy, rather than being refused.
backlog = 2048
# A request still running after this long is an export or a bug: the worker is replaced.
timeout = 120
graceful_timeout = 30
# Long request lines and headers are refused before Django reads them.
limit_request_line = 8190
limit_request_fields = 100
accesslog = "-"
errorlog = "-"
# gunicorn's control socket is one path per user ($HOME/.gunicorn/gunicorn.ctl): two
# servers of one user (a demo and the tests, two checkouts) would take it from each other.
control_socket_disable = True
