"""One client floods the OGC API; how long does a citizen's one lookup take meanwhile?

The floor is the same lookup with nobody else asking, measured in the same run just
before. A client on 127.0.0.2 keeps FLOODERS connections busy asking for the largest
page of parcels it may (`/ogc/collections/parcels/items?limit=10000`, as QGIS and
scrapers do), while a citizen on 127.0.0.3 asks for one parcel's sheet at a time. Both
addresses are on the loopback, so the server sees two clients, as it would see two
households. Target (issue 14): the citizen's p95 under the flood stays under 10× the
idle p95. What keeps it there: the per-client limits of landinfo/security.py (how many
of a client's requests run at once; the rest are refused at once with 429) and the
page size cap of the OGC API; the row's note says how the flood's requests were answered.
"""

from __future__ import annotations

import dataclasses
import http.client
import threading
import time
from collections import Counter
from contextlib import closing
from urllib.parse import urlsplit

from bench.harness import Context, Measure, Row

SECTION = "flood"
FLOODERS = 30  # the reproduction of issue 14: 30 threads
FLOOD_PATH = "/ogc/collections/parcels/items?limit=10000"
FLOODER_ADDRESS = "127.0.0.2"
CITIZEN_ADDRESS = "127.0.0.3"


def _connection(ctx: Context, source: str) -> http.client.HTTPConnection:
    parts = urlsplit(ctx.base_url)
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


def _citizen(ctx: Context, paths: list[str]) -> Measure:
    """Return the latencies of the citizen's lookups, one at a time, on one connection."""
    latencies: list[float] = []
    errors = 0
    with closing(_connection(ctx, CITIZEN_ADDRESS)) as connection:
        _get(connection, paths[0])  # connected and warm before timing
        started = time.perf_counter()
        for path in paths:
            began = time.perf_counter()
            status = _get(connection, path)
            latencies.append(time.perf_counter() - began)
            errors += status != 200
    return Measure.of_latencies(latencies, seconds=time.perf_counter() - started, errors=errors)


def _parcel_paths(ctx: Context, count: int) -> list[str]:
    with closing(ctx.connect()) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM parcels_parcel WHERE valid_to IS NULL ORDER BY id LIMIT %s", [count]
        )
        return [f"/api/parcels/{pk}" for (pk,) in cursor.fetchall()]


def run(ctx: Context) -> list[Row]:
    """Time the citizen's lookups idle, then under the flood; the ratio of their p95."""
    paths = _parcel_paths(ctx, ctx.scaled(300, 40))
    idle = _citizen(ctx, paths)

    answered: Counter[int | str] = Counter()
    lock = threading.Lock()
    flooding = threading.Event()
    flooding.set()

    def flood() -> None:
        with closing(_connection(ctx, FLOODER_ADDRESS)) as connection:
            while flooding.is_set():
                try:
                    status: int | str = _get(connection, FLOOD_PATH)
                except OSError as error:
                    status = type(error).__name__
                with lock:
                    answered[status] += 1

    threads = [threading.Thread(target=flood, daemon=True) for _ in range(FLOODERS)]
    for thread in threads:
        thread.start()
    time.sleep(2)  # every flooding connection has a request in the server
    try:
        busy = _citizen(ctx, paths)
    finally:
        flooding.clear()
        for thread in threads:
            thread.join(timeout=300)
    failed = sum(count for status, count in answered.items() if status not in (200, 429))
    flood_note = ", ".join(
        f"{status}: {count}" for status, count in sorted(answered.items(), key=str)
    )
    return [
        Row(
            section=SECTION,
            what=f"a citizen's sheet lookup while one client floods with {FLOODERS} "
            f"connections of `{FLOOD_PATH}`",
            ours=dataclasses.replace(busy, errors=busy.errors + failed),
            floor_name="the same lookups, nobody else asking (same run)",
            floor=idle,
            ratio_of="p95_ms",
            target="≤ 10",
            note=f"the flood's answers: {flood_note}",
        )
    ]
