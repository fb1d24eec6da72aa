"""What every benchmark section shares: the run's context, measures, rows and timing helpers.

A section is a module of bench/ with `run(ctx: Context) -> list[Row]`. It measures
LandInfo and, in the same run and on the same data, the floor beside it (bare SQL,
pgbench, ogr2ogr, TiPg), and returns one Row per comparison. `bench/run.py` calls the
sections in turn and writes the rows to RESULTS.md. Timings on a shared 2-core machine
are noisy, so a row states a ratio to its floor measured minutes apart, never a bare time
against a fixed threshold, and a smoke run (`--smoke`) reports without judging.
"""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"


@dataclass(frozen=True)
class Measure:
    """What one side of a comparison did: latencies in ms, a rate, peak memory."""

    count: int = 0  # operations (requests, transfers) or features
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    per_second: float | None = None  # operations or features per second
    seconds: float | None = None  # wall time of the whole batch
    peak_mib: float | None = None  # peak resident memory of the process doing the work
    errors: int = 0  # failed operations (non-2xx, exceptions); a row with errors fails

    @classmethod
    def of_latencies(
        cls, latencies_s: Sequence[float], *, seconds: float, errors: int = 0
    ) -> Measure:
        """Return the measure of `latencies_s` (seconds each) done in `seconds` of wall time."""
        ms = sorted(value * 1000 for value in latencies_s)
        return cls(
            count=len(ms),
            p50_ms=percentile(ms, 50),
            p95_ms=percentile(ms, 95),
            p99_ms=percentile(ms, 99),
            per_second=len(ms) / seconds if seconds > 0 else None,
            seconds=seconds,
            errors=errors,
        )


@dataclass
class Row:
    """One line of RESULTS.md: LandInfo beside its floor, and how the ratio meets the target.

    `ratio` is always "LandInfo ÷ floor" of the quantity named in `ratio_of`:
    for latencies lower is better (target "≤ 1.3"), for rates higher is better
    (target "≥ 0.8"). `meets` is None when there is no target or in a smoke run.
    """

    section: str  # tiles, lookups, transfers, export, import, map
    what: str  # "z16 warm, 4 clients", "GeoPackage, 1,000,000 parcels"
    ours: Measure
    floor_name: str = ""  # "bare ST_AsMVT over psycopg", "TiPg 1.x", "pgbench", "ogr2ogr"
    floor: Measure | None = None
    ratio_of: str = ""  # "p95", "per_second", ...
    ratio: float | None = None
    target: str = ""  # "≤ 1.3", "≥ 0.5", "≤ 5 ms"
    meets: bool | None = None
    note: str = ""  # what limits it, or why a figure is missing

    def judge(self, *, smoke: bool) -> Row:
        """Fill `ratio` and `meets` from the measures and the target; return self."""
        if self.floor is not None and self.ratio_of:
            ours = getattr(self.ours, self.ratio_of)
            floor = getattr(self.floor, self.ratio_of)
            if ours is not None and floor:
                self.ratio = ours / floor
        if smoke or not self.target:
            self.meets = None
            return self
        operator, _, bound_text = self.target.partition(" ")
        bound = float(bound_text.split()[0])
        value = self.ratio
        if bound_text.endswith("ms"):
            value = getattr(self.ours, self.ratio_of or "p95_ms")
        if value is None or (self.ours.errors or (self.floor and self.floor.errors)):
            self.meets = False
        else:
            self.meets = value <= bound if operator == "≤" else value >= bound
        return self


@dataclass
class Context:
    """The run: which register, which server, where to put scratch files."""

    parcels: int  # how many the bench database holds
    smoke: bool  # a harness check: small data, few repetitions, no judging
    database_url: str  # the bench database, as the application's role
    superuser_url: str  # the same database as a superuser (pgbench set-up, VACUUM)
    base_url: str  # the application under gunicorn, e.g. http://127.0.0.1:8765
    env: dict[str, str]  # the environment for manage.py and gunicorn on the bench database
    work: Path  # scratch directory for files (exports, imports); emptied by the run
    python: Path = ROOT / ".venv" / "bin" / "python"
    notes: list[str] = field(default_factory=list)  # lines for RESULTS.md's preamble

    def connect(self, *, superuser: bool = False) -> Any:
        """Return a new psycopg2 connection (autocommit) to the bench database.

        Close it with contextlib.closing: psycopg2's own `with connection` opens a
        transaction block (where VACUUM cannot run) and does not close.
        """
        # As the application's sessions are (landinfo/settings.py): no JIT.
        connection = psycopg2.connect(
            self.superuser_url if superuser else self.database_url, options="-c jit=off"
        )
        connection.autocommit = True
        return connection

    def manage(self, *args: str, check: bool = True, **kwargs: Any) -> subprocess.CompletedProcess:
        """Run `manage.py <args>` on the bench database and return the finished process."""
        return subprocess.run(
            [str(self.python), str(ROOT / "manage.py"), *args],
            env=self.env,
            cwd=ROOT,
            check=check,
            **kwargs,
        )

    def scaled(self, full: int, smoke: int) -> int:
        """Return `full` repetitions in a real run, `smoke` in a smoke run."""
        return smoke if self.smoke else full


def with_database(url: str, name: str) -> str:
    """Return `url` naming database `name` (written by hand: a socket URL has no host part)."""
    parts = urlsplit(url)
    return _url(parts.scheme, parts.netloc, name, parts.query)


def libpq(url: str) -> str:
    """Return a database URL as libpq reads it (postgis:// is Django's scheme only)."""
    parts = urlsplit(url)
    return _url("postgresql", parts.netloc, parts.path.lstrip("/"), parts.query)


def _url(scheme: str, netloc: str, database: str, query: str) -> str:
    return f"{scheme}://{netloc}/{database}" + (f"?{query}" if query else "")


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """Return the q-th percentile (0..100) of sorted values, by linear interpolation."""
    if not sorted_values:
        return None
    if len(sorted_values) == 1:
        return sorted_values[0]
    position = (len(sorted_values) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def run_concurrently(work: Sequence[Any], call: Callable[[Any], bool], *, clients: int) -> Measure:
    """Run `call(item)` for every item of `work` on `clients` threads; time each call.

    `call` returns whether the operation succeeded. Each thread takes the next item, so
    the load is closed-loop: `clients` operations in flight at any time.
    """
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def one(item: Any) -> None:
        nonlocal errors
        start = time.perf_counter()
        try:
            ok = call(item)
        except Exception:
            ok = False
        elapsed = time.perf_counter() - start
        with lock:
            latencies.append(elapsed)
            if not ok:
                errors += 1

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(one, work))
    return Measure.of_latencies(latencies, seconds=time.perf_counter() - start, errors=errors)


def peak_rss_of(command: Sequence[str], **kwargs: Any) -> tuple[float, float, str]:
    """Run `command` under GNU time; return (wall seconds, its peak RSS in MiB, stderr).

    The peak is that of the process GNU time waited for (with its own children:
    ogr2ogr and manage.py are single processes). Debian package `time`.
    """
    start = time.perf_counter()
    finished = subprocess.run(
        ["/usr/bin/time", "-f", "PEAK_KB=%M", *command],
        check=True,
        capture_output=True,
        text=True,
        **kwargs,
    )
    seconds = time.perf_counter() - start
    peak_kb = next(
        int(line.split("=", 1)[1])
        for line in reversed(finished.stderr.splitlines())
        if line.startswith("PEAK_KB=")
    )
    return seconds, peak_kb / 1024, finished.stderr


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def environment(**overrides: str) -> dict[str, str]:
    """Return os.environ with `overrides`."""
    return {**os.environ, **overrides}


# --- where the map is densest --------------------------------------------------------------------

# Half the width of the Web Mercator square, in metres (EPSG:3857).
MERCATOR_HALF = 20037508.342789244


def tile_size_m(zoom: int) -> float:
    return 2 * MERCATOR_HALF / 2**zoom


def densest_tiles(ctx: Context, zoom: int, count: int = 1) -> list[tuple[int, int, int, int]]:
    """Return the `count` tiles (z, x, y, parcels) at `zoom` holding the most current parcels.

    One scan of the parcels' centroids in EPSG:3857 (a few seconds at 1M).
    """
    size = tile_size_m(zoom)
    with closing(ctx.connect()) as connection, connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT floor((ST_X(c) + %(half)s) / %(size)s)::int AS x,
                   floor((%(half)s - ST_Y(c)) / %(size)s)::int AS y,
                   count(*) AS parcels
            FROM (SELECT ST_Centroid(boundary_3857) AS c FROM parcels_parcel
                  WHERE valid_to IS NULL) centroids
            GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT %(count)s
            """,
            {"half": MERCATOR_HALF, "size": size, "count": count},
        )
        return [(zoom, x, y, parcels) for x, y, parcels in cursor.fetchall()]


def tile_centre_lonlat(z: int, x: int, y: int) -> tuple[float, float]:
    """Return the WGS84 longitude and latitude of the centre of tile z/x/y."""
    n = 2**z
    lon = (x + 0.5) / n * 360.0 - 180.0
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + 0.5) / n))))
    return lon, lat
