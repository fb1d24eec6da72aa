"""One client floods the OGC API; how long does a citizen's one lookup take meanwhile?

The floor is the same lookup with nobody else asking, measured in the same run just
before. A client on 127.0.0.2 keeps FLOODERS connections busy asking for the largest
page of parcels it may (`/ogc/collections/parcels/items?limit=10000`, as QGIS and
scrapers do) and asks again at once whatever the answer, Retry-After or not, while a
citizen on 127.0.0.3 asks for one parcel's sheet at a time. Both addresses are on the
loopback, so the server sees two clients, as it would see two households. Target
(issue 14): the citizen's p95 under the flood stays under 10× the idle p95. What keeps
it there: the per-client limits of landinfo/security.py (how many of a client's
requests run at once; the rest are refused at once with 429), the server reading
nothing more from a refused connection for its Retry-After (landinfo/gunicorn_worker.py)
and the page size cap of the OGC API (LANDINFO_OGC_MAX_LIMIT); the row's note says
how the flood was answered.

The flooding client is a process of its own, so that its threads do not share the
bench's interpreter with the citizen's.

    .venv/bin/python bench/run.py --parcels 10000 --only flood
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Context, Measure, Row

SECTION = "flood"
FLOODERS = 30  # the reproduction of issue 14: 30 threads
FLOOD_PATH = "/ogc/collections/parcels/items?limit=10000"
FLOODER_ADDRESS = "127.0.0.2"
CITIZEN_ADDRESS = "127.0.0.3"


def _connection(base_url: str, source: str) -> http.client.HTTPConnection:
    parts = urlsplit(base_url)
    return http.client.HTTPConnection(
        parts.hostname, parts.port, timeout=300, source_address=(source, 0)
    )


def _get(connection: http.client.HTTPConnection, path: str) -> int:
    """Return the status of GET `path`, reading the whole body; reconnect once if dropped."""
    for attempt in (1, 2):
        try:
            connection.request("GET", path, headers={"Accept-Encoding": "identity"})
            response = connection.getresponse()
            response.read()
            return response.status
        except (http.client.HTTPException, ConnectionError):
            connection.close()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _citizen(base_url: str, paths: list[str]) -> Measure:
    """Return the latencies of the citizen's lookups, one at a time, on one connection."""
    latencies: list[float] = []
    errors = 0
    with closing(_connection(base_url, CITIZEN_ADDRESS)) as connection:
        _get(connection, paths[0])  # connected and warm before timing
        started = time.perf_counter()
        for path in paths:
            began = time.perf_counter()
            status = _get(connection, path)
            latencies.append(time.perf_counter() - began)
            errors += status != 200
    return Measure.of_latencies(latencies, seconds=time.perf_counter() - started, errors=errors)


def flood(base_url: str) -> None:
    """Keep FLOODERS connections asking FLOOD_PATH until SIGTERM; print the answers as JSON."""
    answered: Counter[str] = Counter()
    lock = threading.Lock()
    stopping = threading.Event()

    def one() -> None:
        with closing(_connection(base_url, FLOODER_ADDRESS)) as connection:
            while not stopping.is_set():
                try:
                    status = str(_get(connection, FLOOD_PATH))
                except OSError as error:
                    status = type(error).__name__
                with lock:
                    answered[status] += 1

    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    threads = [threading.Thread(target=one, daemon=True) for _ in range(FLOODERS)]
    for thread in threads:
        thread.start()
    while not stopping.is_set():
        time.sleep(0.1)
    for thread in threads:
        thread.join(timeout=300)
    print(json.dumps(answered))


def _parcel_paths(ctx: Context, count: int) -> list[str]:
    with closing(ctx.connect()) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM parcels_parcel WHERE valid_to IS NULL ORDER BY id LIMIT %s", [count]
        )
        return [f"/api/parcels/{pk}" for (pk,) in cursor.fetchall()]


def run(ctx: Context) -> list[Row]:
    """Time the citizen's lookups idle, then under the flood; the ratio of their p95."""
    paths = _parcel_paths(ctx, ctx.scaled(300, 40))
    idle = _citizen(ctx.base_url, paths)
    flooder = subprocess.Popen(
        [str(ctx.python), __file__, "--flood", ctx.base_url],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(2)  # every flooding connection has a request in the server
        busy = _citizen(ctx.base_url, paths)
    finally:
        flooder.send_signal(signal.SIGTERM)
        out, _ = flooder.communicate(timeout=600)
    answered = Counter(json.loads(out.strip().splitlines()[-1]))
    failed = sum(count for status, count in answered.items() if status not in ("200", "429"))
    flood_note = ", ".join(f"{status}: {count}" for status, count in sorted(answered.items()))
    return [
        Row(
            section=SECTION,
            what=f"a citizen's sheet lookup while one client floods with {FLOODERS} "
            f"connections of `{FLOOD_PATH}`, asking again at once whatever the answer",
            ours=dataclasses.replace(busy, errors=busy.errors + failed),
            floor_name="the same lookups, nobody else asking (same run)",
            floor=idle,
            ratio_of="p95_ms",
            target="≤ 10",
            note=f"the flood's answers: {flood_note}",
        )
    ]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--flood"]:
        flood(sys.argv[2])
