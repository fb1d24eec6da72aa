# LandInfo's front door. `make demo` runs the system with demo data; `make test` runs every test.
SHELL := /bin/bash
PY := .venv/bin/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# The demo's witness of the transparency log (manage.py witness): its own key, state
# file and process, on this port. A deployment's witnesses are run by others.
WITNESS_PORT ?= 7380
WITNESS_NAME ?= witness.landinfo.demo/w1
# The demo's mail: one .eml file per message under var/mail/, unless DJANGO_EMAIL_URL is
# set in the environment (an SMTP server's URL, .env.example).
DEMO_EMAIL_URL := $(or $(DJANGO_EMAIL_URL),filemail://)

.PHONY: setup demo serve migrate test test-fast lint format db-stop messages clean-db bench bench-smoke

setup:
	@bash scripts/setup

migrate: setup
	$(MANAGE) migrate --no-input

# Links in the demo's mail lead to where it is served, unless .env or the environment
# names the register's public address (links never take a request's Host).
demo: export LANDINFO_PUBLIC_URL := $(or $(LANDINFO_PUBLIC_URL),$(shell sed -n 's/^LANDINFO_PUBLIC_URL=//p' .env 2>/dev/null),http://$(HOST):$(PORT))
# In the demo, the holders' time to object after an alert is 2 minutes, not a day, so that
# a visitor can register what they filed (unless .env or the environment says otherwise).
demo: export LANDINFO_OBJECTION_MINUTES := $(or $(LANDINFO_OBJECTION_MINUTES),$(shell sed -n 's/^LANDINFO_OBJECTION_MINUTES=//p' .env 2>/dev/null),2)
demo: migrate
	$(MANAGE) compilemessages --ignore=.venv -v0
	$(MANAGE) load_demo
	@# The demo's witness: its key and an empty state are made together, once. A witness
	@# whose key exists but whose state is gone refuses to start (it would cosign a
	@# rolled-back log); make demo does not hide that by making a new state.
	@mkdir -p var/witness
	@if [[ ! -f var/witness/key.pem ]]; then \
	  $(MANAGE) witness --generate-key --name $(WITNESS_NAME) --key var/witness/key.pem >/dev/null && \
	  $(MANAGE) witness --init-state --state var/witness/state.json; fi
	@$(MANAGE) witness --generate-key --if-missing --name $(WITNESS_NAME) --key var/witness/key.pem > var/witness/vkey
	@# Written to .env, so that a checkpoint_ledger or verify_ledger run by hand asks and
	@# knows the same witness (unless .env names other witnesses).
	@vkey="$$(cat var/witness/vkey)"; current="$$(sed -n 's/^LANDINFO_WITNESSES=//p' .env)"; \
	  if [[ -z "$$current" || "$$current" == *"$$vkey"* ]]; then \
	    sed -i '/^LANDINFO_WITNESSES=/d' .env && echo "LANDINFO_WITNESSES=http://$(HOST):$(WITNESS_PORT) $$vkey" >> .env; fi
	@# The journal's first checkpoint (published once the witness, started below, cosigns one).
	$(MANAGE) checkpoint_ledger --if-changed
	@# The journal's tables become the ledger owner's: the app may only read and insert them.
	@if grep -q '^LANDINFO_SUPERUSER_DATABASE_URL=.' .env 2>/dev/null || [[ -n "$$LANDINFO_SUPERUSER_DATABASE_URL" ]]; then \
	  $(MANAGE) harden_journal; fi
	$(MANAGE) collectstatic --no-input -v0
	@echo "LandInfo with the synthetic demo district: http://$(HOST):$(PORT)/  (admin: /admin/, see README)"
	@# Served as production serves it (landinfo/gunicorn_conf.py: 3 processes x 4 threads,
	@# a bounded number of database connections), not by the development server, whose
	@# thread per request and connection per thread one client's flood ran out of.
	@echo "Mail is not sent: every message (alerts, confirmation links) is a file under var/mail/ (set DJANGO_EMAIL_URL for SMTP)."
	@echo "The transparency log: http://$(HOST):$(PORT)/tlog/checkpoint, signed every minute and cosigned by the demo's witness on port $(WITNESS_PORT)."
	@# The export worker (large exports of the planner page), the alert sender (the
	@# outbox), the witness and the checkpoint signer run beside the server and stop with
	@# it: the trap sends them SIGTERM, which gives a running export back to the queue.
	@export DJANGO_EMAIL_URL=$(DEMO_EMAIL_URL); \
	  $(MANAGE) export_worker & worker=$$!; \
	  $(MANAGE) send_alerts & sender=$$!; \
	  $(MANAGE) witness --name $(WITNESS_NAME) --key var/witness/key.pem --state var/witness/state.json \
	    --log "$$($(MANAGE) checkpoint_ledger --vkey)" --listen $(HOST):$(WITNESS_PORT) & witness=$$!; \
	  $(MANAGE) checkpoint_ledger --every 60 & signer=$$!; \
	  trap 'kill $$worker $$sender $$witness $$signer 2>/dev/null; wait $$worker $$sender $$witness $$signer 2>/dev/null' EXIT INT TERM; \
	  LANDINFO_BIND=$(HOST):$(PORT) .venv/bin/gunicorn -c python:landinfo.gunicorn_conf landinfo.wsgi

serve: setup
	$(MANAGE) collectstatic --no-input -v0
	$(MANAGE) runserver $(HOST):$(PORT)

test:
	@LANDINFO_WITH_BROWSER=1 bash scripts/setup
	$(MANAGE) compilemessages --ignore=.venv -v0
	$(PY) -m pytest
	@echo "--- again under the Korea profile (its own storage SRID and identifiers)"
	LANDINFO_PROFILE=kr TEST_DATABASE_NAME=test_landinfo_kr $(PY) -m pytest -m every_profile -q

# Benchmarks (bench/README.md): every measurement beside its floor, in one run.
# bench: 1M parcels (generated once, ~7 min; then reused), writes bench/RESULTS.md.
# bench-smoke: 10k parcels, checks the harness without judging times (CI runs it).
bench:
	@LANDINFO_WITH_BROWSER=1 bash scripts/setup
	$(PY) bench/run.py --parcels 1000000

bench-smoke:
	@LANDINFO_WITH_BROWSER=1 bash scripts/setup
	$(PY) bench/run.py --parcels 10000 --smoke

test-fast:
	$(PY) -m pytest -x -q -m "not slow"

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	.venv/bin/lint-imports --no-cache

format:
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

messages:
	$(MANAGE) makemessages -l vi -l ko -l en --ignore=.venv --ignore=var --ignore=bench
	$(MANAGE) makemessages -d djangojs -l vi -l ko -l en --ignore=.venv --ignore=var \
	  --ignore=node_modules --ignore='parcels/static/vendor/*'

# Stop the project-local PostgreSQL cluster (started again by any target that needs it).
db-stop:
	@if [[ -f .pgdata/data/PG_VERSION ]]; then \
	  if [[ $$EUID -eq 0 ]]; then runuser -u postgres -- /usr/lib/postgresql/*/bin/pg_ctl -D "$$(readlink -f .pgdata)/data" stop -w; \
	  else /usr/lib/postgresql/*/bin/pg_ctl -D .pgdata/data stop -w; fi; fi
