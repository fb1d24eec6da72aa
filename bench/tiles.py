"""Parcel tiles over HTTP beside the bare ST_AsMVT statement and beside TiPg.

Floor 1 is the statement `parcels.publishing.tiles.render_tile` runs (`tile_sql(z, dated=False)`,
the same bound z/x/y), executed over psycopg2 from this process at the same
concurrency: what the view, Django and gunicorn add is the ratio's excess. Floor 2 is
TiPg serving the same table and geometry column (`boundary_3857`) with the same
properties, buffer and feature cap, run under uvicorn with 2 workers from its own
venv (bench/.venv-tipg, pinned in bench/tipg-requirements.txt).

The tiles are the densest of each zoom, padded with the neighbours of the densest one
where too few hold parcels. "Warm" is the same tiles again, several passes. "Cold" is a
tile no side has asked for yet in this run: cold tiles are dealt round-robin from the
next densest ones, a disjoint set for each side and concurrency, so that every side
meets tiles of like density, and the sides' requests are shuffled into one queue, so
that none pages in what its neighbours then find cached. The OS page cache is dropped
once before (when root may), but PostgreSQL's shared buffers are not, so "cold" means
cold for the server and the statement, warm-ish for the table.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import mapbox_vector_tile

from bench.harness import BENCH, Context, Measure, Row, densest_tiles, run_concurrently
from bench.lookups import DatabaseClients, HttpClients, interleaved, selectors

SECTION = "tiles"
ZOOMS = (14, 15, 16, 17, 18)
# DESIGN.md's target: z16, the first zoom whose parcels carry every vertex and their
# identifier (z15 has them simplified, without identifiers: parcels/publishing/tiles.py)
TARGET_ZOOM = 16
SEED = 6
# Warm, the sides take turns on slices of their work (bench.lookups.interleaved), so
# that the load of a shared machine falls on each alike; cold, see _shuffled_together.
WARM_ROUNDS = 6

TIPG_VENV = BENCH / ".venv-tipg"
TIPG_REQUIREMENTS = BENCH / "tipg-requirements.txt"
TIPG_STAMP = TIPG_VENV / ".landinfo-installed"
TIPG_WORKERS = 2  # one per core, as uvicorn advises; gunicorn runs 3 × 4 threads
TIPG_COLLECTION = "public.parcels_parcel"

Tile = tuple[int, int, int]


@dataclass(frozen=True)
class _Side:
    """One contender: a name for the rows and how to fetch a tile (True when it succeeded)."""

    name: str
    fetch: Callable[[Tile], bool]


def _clients_at(z: int) -> tuple[int, ...]:
    return (1, 4, 8) if z == TARGET_ZOOM else (1, 4)


def _ring(centre: Tile, radius: int) -> Iterator[Tile]:
    """Yield the tiles at Chebyshev distance `radius` around `centre`, within the world."""
    z, cx, cy = centre
    last = 2**z - 1
    for x in range(cx - radius, cx + radius + 1):
        for y in range(cy - radius, cy + radius + 1):
            if max(abs(x - cx), abs(y - cy)) == radius and 0 <= x <= last and 0 <= y <= last:
                yield (z, x, y)


def _tiles_at(ctx: Context, z: int, count: int) -> list[tuple[Tile, int]]:
    """Return `count` tiles of zoom `z` with their parcels: densest first, then neighbours."""
    found = [((z, x, y), parcels) for z, x, y, parcels in densest_tiles(ctx, z, count)]
    chosen = dict(found)
    radius = 1
    while len(chosen) < count:
        for tile in _ring(found[0][0], radius):
            if len(chosen) < count:
                chosen.setdefault(tile, 0)
        radius += 1
    return list(chosen.items())


# --- TiPg ---------------------------------------------------------------------------------------


def _install_tipg() -> None:
    """Make bench/.venv-tipg hold the pinned TiPg; do nothing when the stamp says it does."""
    want = hashlib.sha256(TIPG_REQUIREMENTS.read_bytes()).hexdigest()
    if TIPG_STAMP.exists() and TIPG_STAMP.read_text().strip() == want:
        return
    subprocess.run([sys.executable, "-m", "venv", str(TIPG_VENV)], check=True)
    pip = [str(TIPG_VENV / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "-r", str(TIPG_REQUIREMENTS)], check=True)
    TIPG_STAMP.write_text(want + "\n")


def _free_port(preferred: int) -> int:
    for port in range(preferred, preferred + 50):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError(f"no free port from {preferred}")


@contextmanager
def _tipg(ctx: Context, port: int) -> Iterator[str]:
    """Run TiPg on the bench table for the length of a `with` block; yield its base URL."""
    _install_tipg()
    log = open(ctx.work / "tipg.log", "wb")  # noqa: SIM115 - closed below, with the server
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TIPG_", "DATABASE_"))},
        "DATABASE_URL": ctx.database_url,
        "TIPG_DB_SCHEMAS": '["public"]',
        "TIPG_DB_TABLES": f'["{TIPG_COLLECTION}"]',
        "TIPG_DB_FUNCTIONS": "[]",  # PostGIS's own functions would be collections too
        # Its catalog is read once: no extents to compute, no refresh during the run.
        "TIPG_DB_SPATIAL_EXTENT": "false",
        "TIPG_DB_DATETIME_EXTENT": "false",
        "TIPG_CATALOG_TTL": "0",
        # The tile as parcels.publishing.tiles makes it from z16: same buffer and feature cap.
        "TIPG_TILE_BUFFER": "64",
        "TIPG_MAX_FEATURES_PER_TILE": "5000",
    }
    process = subprocess.Popen(
        [
            str(TIPG_VENV / "bin" / "uvicorn"),
            "tipg.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(TIPG_WORKERS),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ctx.work,  # not the project root: TiPg reads a .env in its directory
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(
                    f"{base_url}/collections/{TIPG_COLLECTION}", timeout=5
                ) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"TiPg did not start: see {ctx.work / 'tipg.log'}")
            time.sleep(0.3)
        yield base_url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


def _tipg_version() -> str:
    pins = TIPG_REQUIREMENTS.read_text().splitlines()
    return next((line.split("==")[1] for line in pins if line.startswith("tipg==")), "?")


# --- the OS page cache ------------------------------------------------------------------------


def _drop_os_cache() -> bool:
    """Drop the OS page cache (root only); return whether it was dropped."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        return False
    return True


# --- the section --------------------------------------------------------------------------------


def run(ctx: Context) -> list[Row]:
    """Time parcel tiles at z14-z18, cold and warm, beside bare ST_AsMVT and TiPg."""
    selectors()  # sets Django up: parcels.publishing.tiles builds its SQL from the models
    from parcels.publishing import tiles

    warm_count = ctx.scaled(36, 8)
    cold_each = ctx.scaled(16, 3)
    passes = ctx.scaled(3, 1)
    max_clients = max(max(_clients_at(z)) for z in ZOOMS)

    http = HttpClients(ctx.base_url, max_clients)
    db = DatabaseClients(ctx, max_clients)
    parcels_in: dict[Tile, int] = {}

    def ours(tile: Tile) -> bool:
        status, body = http.get(f"/tiles/parcels/{tile[0]}/{tile[1]}/{tile[2]}.mvt")
        if tile[0] >= TARGET_ZOOM and parcels_in.get(tile, 0) > 0:
            return status == 200 and len(body) > 0  # a 204 where parcels are is wrong
        return status in (200, 204)

    statements = {z: tiles.tile_sql(z, dated=False) for z in ZOOMS}

    def bare(tile: Tile) -> bool:
        z, x, y = tile
        with db.session() as session, session.connection.cursor() as cursor:
            # The parameters render_tile binds, as_of None for the current register.
            cursor.execute(statements[z], {"z": z, "x": x, "y": y, "as_of": None})
            cursor.fetchone()
        return True

    rows: list[Row] = []
    with _tipg(ctx, _free_port(int(ctx.base_url.rsplit(":", 1)[1]) + 1000)) as tipg_url:
        tipg_http = HttpClients(tipg_url, max_clients)
        query = urlencode(
            {
                "properties": "id,identifier,land_use",
                "geom-column": "boundary_3857",
                "filter": "valid_to IS NULL",
                "filter-lang": "cql2-text",
            }
        )

        def tipg(tile: Tile) -> bool:
            z, x, y = tile
            path = f"/collections/{TIPG_COLLECTION}/tiles/WebMercatorQuad/{z}/{x}/{y}?{query}"
            status, _ = tipg_http.get(path)
            return status in (200, 204)

        try:
            rows += _check_densest(ctx, http, tipg_http, query)
            sides_at = {
                z: [_Side("LandInfo", ours), _Side("bare ST_AsMVT over psycopg2", bare)]
                + ([_Side(f"TiPg {_tipg_version()}", tipg)] if z >= TARGET_ZOOM else [])
                for z in ZOOMS
            }
            warm_sets: dict[int, list[Tile]] = {}
            cold_sets: dict[tuple[int, str, int], list[Tile]] = {}
            for z in ZOOMS:
                combos = [(side.name, c) for c in _clients_at(z) for side in sides_at[z]]
                ranked = _tiles_at(ctx, z, warm_count + cold_each * len(combos))
                parcels_in.update(ranked)
                warm_sets[z] = [tile for tile, _ in ranked[:warm_count]]
                for index, (tile, _) in enumerate(ranked[warm_count:]):
                    cold_sets.setdefault((z, *combos[index % len(combos)]), []).append(tile)

            dropped = not ctx.smoke and _drop_os_cache()
            # Page the servers' own code back in, on every connection, with a tile far
            # from any parcel (16/0/0, in the Arctic): "cold" is about the data.
            for side in sides_at[TARGET_ZOOM]:
                run_concurrently(
                    [(TARGET_ZOOM, 0, 0)] * 2 * max_clients, side.fetch, clients=max_clients
                )
            cold_note = (
                f"{cold_each} tiles per side never asked for before, all sides' requests "
                f"shuffled in one queue; OS page "
                "cache dropped before (servers' code paged in again), PostgreSQL's shared "
                "buffers not"
                if dropped
                else f"{cold_each} tiles per side never asked for before, all sides' requests "
                "shuffled in one queue; "
                "OS and PostgreSQL caches warm-ish"
            )
            # The target zoom first, while the page cache is coldest.
            for z in sorted(ZOOMS, key=lambda z: z != TARGET_ZOOM):
                for clients in _clients_at(z):
                    measured = _shuffled_together(
                        [
                            (side.name, side.fetch, cold_sets[z, side.name, clients])
                            for side in sides_at[z]
                        ],
                        clients=clients,
                    )
                    rows += _rows(z, "cold", clients, measured, sides_at[z], cold_note)

            rng = random.Random(SEED)
            for z in ZOOMS:
                for side in sides_at[z]:  # a warm-up pass: every connection, every tile
                    run_concurrently(warm_sets[z], side.fetch, clients=max_clients)
                for clients in _clients_at(z):
                    work = warm_sets[z] * passes
                    rng.shuffle(work)
                    measured = interleaved(
                        [(side.name, side.fetch, work) for side in sides_at[z]],
                        clients=clients,
                        rounds=WARM_ROUNDS,
                    )
                    note = (
                        f"{len(warm_sets[z])} tiles × {passes} pass(es) after a warm-up pass, "
                        f"sides in {WARM_ROUNDS} turns"
                    )
                    rows += _rows(z, "warm", clients, measured, sides_at[z], note)
        finally:
            tipg_http.close()
            http.close()
            db.close()
    return rows


def _shuffled_together(
    sides: Sequence[tuple[str, Callable[[Tile], bool], Sequence[Tile]]], *, clients: int
) -> dict[str, Measure]:
    """Run all sides' tiles in one shuffled queue on `clients` threads; return their measures.

    For cold tiles: whichever side went first would page in the index and the heap
    pages its neighbours share, so no side goes first; each request is one side's, at
    random, with `clients` requests in flight in all.
    """
    work = [(name, call, tile) for name, call, tiles in sides for tile in tiles]
    random.Random(SEED).shuffle(work)
    latencies: dict[str, list[float]] = {name: [] for name, _, _ in sides}
    errors = dict.fromkeys(latencies, 0)
    lock = threading.Lock()

    def one(item: tuple[str, Callable[[Tile], bool], Tile]) -> bool:
        name, call, tile = item
        started = time.perf_counter()
        try:
            ok = call(tile)
        except Exception:
            ok = False
        elapsed = time.perf_counter() - started
        with lock:
            latencies[name].append(elapsed)
            errors[name] += not ok
        return ok

    run_concurrently(work, one, clients=clients)
    # No rate: the sides shared one queue's wall time.
    return {
        name: dataclasses.replace(
            Measure.of_latencies(latencies[name], seconds=0.0, errors=errors[name]),
            seconds=None,
        )
        for name in latencies
    }


def _rows(
    z: int,
    temperature: str,
    clients: int,
    measured: dict[str, Measure],
    sides: Sequence[_Side],
    note: str,
) -> list[Row]:
    """Return LandInfo's rows for one zoom, temperature and concurrency: one per floor."""
    ours = measured[sides[0].name]

    def added(floor: Measure) -> str:
        return f"; LandInfo adds {(ours.p50_ms or 0) - (floor.p50_ms or 0):.1f} ms at p50"

    what = f"z{z} {temperature}, {clients} client{'s' if clients > 1 else ''}"
    layers = (
        ""
        if z >= TARGET_ZOOM
        else "; parcels simplified, no identifier"
        if z == TARGET_ZOOM - 1
        else "; no parcel layer below z15 (admin units, zoning)"
    )
    rows = [
        Row(
            section=SECTION,
            what=what,
            ours=ours,
            floor_name=sides[1].name,
            floor=measured[sides[1].name],
            ratio_of="p95_ms",
            target="≤ 1.3",
            note=note + added(measured[sides[1].name]) + layers,
        )
    ]
    if len(sides) > 2:
        rows.append(
            Row(
                section=SECTION,
                what=what + " vs TiPg",
                ours=ours,
                floor_name=sides[2].name,
                floor=measured[sides[2].name],
                ratio_of="p95_ms",
                target="≤ 1.0",
                note=note
                + added(measured[sides[2].name])
                + "; TiPg: parcels layer only (ours adds admin units and zoning), "
                "ORDER BY id, 2 uvicorn workers",
            )
        )
    return rows


def _check_densest(
    ctx: Context, http: HttpClients, tipg_http: HttpClients, query: str
) -> list[Row]:
    """Return a row that checks the densest z16 tile: a 200 whose parcels layer has features."""
    z, x, y, parcels = densest_tiles(ctx, TARGET_ZOOM, 1)[0]
    status, body = http.get(f"/tiles/parcels/{z}/{x}/{y}.mvt")
    features = (
        len(mapbox_vector_tile.decode(body).get("parcels", {}).get("features", []))
        if status == 200
        else 0
    )
    tipg_status, tipg_body = tipg_http.get(
        f"/collections/{TIPG_COLLECTION}/tiles/WebMercatorQuad/{z}/{x}/{y}?{query}"
    )
    tipg_features = (
        sum(len(layer["features"]) for layer in mapbox_vector_tile.decode(tipg_body).values())
        if tipg_status == 200
        else 0
    )
    return [
        Row(
            section=SECTION,
            what=f"densest z16 tile {z}/{x}/{y} (content check)",
            ours=Measure(count=features, errors=0 if features > 0 else 1),
            note=f"{parcels} parcel centroids in the tile; LandInfo: HTTP {status}, "
            f"{len(body):,} bytes, {features} parcel features; TiPg: HTTP {tipg_status}, "
            f"{len(tipg_body):,} bytes, {tipg_features} features",
        )
    ]
