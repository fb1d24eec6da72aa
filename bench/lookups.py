"""Lookups over HTTP beside the very statements the selectors run, over psycopg2.

The floor of a lookup is its SQL: the statement text is taken at run time from
`parcels.selectors` and, for the sheet with its rights, `transactions.selectors` (never
copied here), prepared and executed the way `landinfo.sql.fetch_prepared` does, on connections of the same process and at the same
concurrency as the HTTP clients. What LandInfo adds on top (HTTP, gunicorn, Django,
DRF, building the JSON) is the ratio's excess; the target itself is absolute,
p95 ≤ 5 ms (DESIGN.md).

The samples are real: identifiers, interior points and address words of parcels
drawn from the bench database with a fixed seed, the same for both sides.
"""

from __future__ import annotations

import functools
import http.client
import json
import os
import queue
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from types import ModuleType
from typing import Any
from urllib.parse import urlencode, urlsplit

import django

from bench.harness import Context, Measure, Row, run_concurrently

SECTION = "lookups"
SEED = 6  # the number: any fixed seed gives the same samples every run
CLIENTS = (1, 4)
WARM_UP = 50  # calls per side before timing: connections opened, statements prepared
ROUNDS = 10  # turns the two sides take, each on a tenth of the samples


def selectors() -> ModuleType:
    """Return `parcels.selectors`, setting Django up first (its SQL needs the settings)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "landinfo.settings")
    django.setup()
    from parcels import selectors as module

    return module


def sheet_selectors() -> ModuleType:
    """Return `transactions.selectors`, whose `_SHEET` is the statement of a parcel's sheet."""
    selectors()
    from transactions import selectors as module

    return module


# --- clients that keep their connections ----------------------------------------------------


class HttpClients:
    """Keep-alive HTTP connections to the application, one per concurrent client.

    A call borrows a connection from a queue rather than a thread-local, so that the
    fresh thread pool of each `run_concurrently` reuses connections already open.
    """

    def __init__(self, base_url: str, count: int) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.idle: queue.SimpleQueue[http.client.HTTPConnection] = queue.SimpleQueue()
        self.all = [
            http.client.HTTPConnection(self.host, self.port, timeout=60) for _ in range(count)
        ]
        for connection in self.all:
            self.idle.put(connection)

    def get(self, path: str) -> tuple[int, bytes]:
        """Return the status and body of GET `path` (no conditional headers, no compression)."""
        connection = self.idle.get()
        try:
            for attempt in (1, 2):
                try:
                    connection.request("GET", path, headers={"Accept-Encoding": "identity"})
                    response = connection.getresponse()
                    return response.status, response.read()
                except (http.client.RemoteDisconnected, ConnectionError):
                    # gunicorn closes a connection idle for its keep-alive (2 s) between
                    # phases; a GET is safe to send again on a new one.
                    connection.close()
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")
        finally:
            self.idle.put(connection)

    def close(self) -> None:
        for connection in self.all:
            connection.close()


class _Session:
    """A database connection and the statements prepared on it."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.prepared: set[str] = set()


class DatabaseClients:
    """psycopg2 connections to the bench database, one per concurrent client, borrowed per call."""

    def __init__(self, ctx: Context, count: int) -> None:
        self.idle: queue.SimpleQueue[_Session] = queue.SimpleQueue()
        self.all = [_Session(ctx.connect()) for _ in range(count)]
        for session in self.all:
            self.idle.put(session)

    @contextmanager
    def session(self) -> Iterator[_Session]:
        session = self.idle.get()
        try:
            yield session
        finally:
            self.idle.put(session)

    def close(self) -> None:
        for session in self.all:
            session.connection.close()


def fetch_prepared(session: _Session, statement: Any, params: dict[str, Any]) -> list[tuple]:
    """Return the rows of a `landinfo.sql.Statement`, prepared once per session as it does."""
    with session.connection.cursor() as cursor:
        if statement.name not in session.prepared:
            cursor.execute(statement.prepare)
            session.prepared.add(statement.name)
        cursor.execute(statement.execute, [params[name] for name in statement.parameters])
        return cursor.fetchall()


# --- taking turns -------------------------------------------------------------------------------


def interleaved(
    sides: Sequence[tuple[str, Callable[[Any], bool], Sequence[Any]]],
    *,
    clients: int,
    rounds: int,
) -> dict[str, Measure]:
    """Run each side's work in `rounds` slices, the sides taking turns; return their measures.

    The machine is shared: load from elsewhere comes and goes within seconds, so sides
    timed one after the other would meet different weather. In turns, each side gets
    its share of every spell, and who goes first rotates.
    """
    latencies: dict[str, list[float]] = {name: [] for name, _, _ in sides}
    seconds = dict.fromkeys(latencies, 0.0)
    errors = dict.fromkeys(latencies, 0)
    lock = threading.Lock()
    for turn in range(rounds):
        first = turn % len(sides)
        for name, call, work in [*sides[first:], *sides[:first]]:

            def timed(item: Any, name: str = name, call: Callable[[Any], bool] = call) -> bool:
                started = time.perf_counter()
                try:
                    return call(item)
                finally:
                    elapsed = time.perf_counter() - started
                    with lock:
                        latencies[name].append(elapsed)

            measured = run_concurrently(work[turn::rounds], timed, clients=clients)
            seconds[name] += measured.seconds or 0.0
            errors[name] += measured.errors
    return {
        name: Measure.of_latencies(latencies[name], seconds=seconds[name], errors=errors[name])
        for name in latencies
    }


# --- samples ------------------------------------------------------------------------------------


def _sample(ctx: Context, columns: str, count: int) -> list[tuple]:
    """Return `columns` of about `count` current parcels, the same ones every run."""
    with closing(ctx.connect()) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM parcels_parcel WHERE valid_to IS NULL")
        (total,) = cursor.fetchone()
        percent = min(100.0, 100.0 * 3 * count / max(total, 1))
        cursor.execute(
            f"SELECT {columns} FROM parcels_parcel TABLESAMPLE BERNOULLI (%s) REPEATABLE (%s) "
            "WHERE valid_to IS NULL ORDER BY id LIMIT %s",
            [percent, SEED, count * 3],
        )
        rows = cursor.fetchall()
    random.Random(SEED).shuffle(rows)
    return rows[:count]


def address_words(address: str) -> str:
    """Return what a person types for an address: house number and the street's last words.

    "Số 155 Ngõ 1774 Cát Linh, Phường Mẫu 1" gives "155 Cát Linh".
    """
    words = address.split(",", 1)[0].split()
    number = next((word for word in words if word[:1].isdigit()), "")
    return " ".join(filter(None, [number, *words[-2:]]))


# --- the section --------------------------------------------------------------------------------


class _Lookup:
    """One kind of lookup: its samples, its HTTP call and its floor's call."""

    def __init__(
        self,
        what: str,
        samples: Sequence[Any],
        ours: Callable[[HttpClients, Any], bool],
        floor: Callable[[DatabaseClients, Any], bool],
        floor_name: str,
        limits: str = "",
    ) -> None:
        self.what, self.samples, self.ours, self.floor = what, samples, ours, floor
        self.floor_name, self.limits = floor_name, limits


def _lookups(ctx: Context, count: int) -> list[_Lookup]:
    module = selectors()
    sheet_statement = sheet_selectors()._SHEET
    from django.utils import timezone

    limit = module.SEARCH_LIMIT_DEFAULT
    address_sql = module._RESULTS_SQL.format(chosen=module._ADDRESS_CHOSEN)
    day = timezone.localdate()

    def search_ok(status: int, body: bytes, *, match: str | None) -> bool:
        if status != 200:
            return False
        results = json.loads(body)["results"]
        return match is None or (bool(results) and results[0]["match"] == match)

    def by_identifier(http: HttpClients, identifier: str) -> bool:
        status, body = http.get("/api/parcels/search?" + urlencode({"q": identifier}))
        return search_ok(status, body, match="identifier")

    def by_identifier_floor(db: DatabaseClients, identifier: str) -> bool:
        with db.session() as session:
            params = {"identifier": identifier, "score": module._EXACT_SCORE}
            return len(fetch_prepared(session, module._EXACT, params)) == 1

    def by_point(http: HttpClients, point: tuple[float, float]) -> bool:
        status, _ = http.get("/api/parcels/at?" + urlencode({"lon": point[0], "lat": point[1]}))
        return status == 200

    def by_point_floor(db: DatabaseClients, point: tuple[float, float]) -> bool:
        with db.session() as session:
            ids = fetch_prepared(
                session,
                module._AT_POINT,
                {
                    "lon": point[0],
                    "lat": point[1],
                    "tolerance": module.AT_POINT_TOLERANCE_M,
                    "day": day,
                    "most": module._AT_POINT_MAX,
                },
            )
            if not ids:
                return False
            sheet = {"pk": ids[0][0], "as_of": None, "day": day, "last_year": None}
            return len(fetch_prepared(session, sheet_statement, sheet)) == 1

    def by_address(http: HttpClients, words: str) -> bool:
        status, body = http.get("/api/parcels/search?" + urlencode({"q": words}))
        return search_ok(status, body, match=None)

    def by_address_floor(db: DatabaseClients, words: str) -> bool:
        with db.session() as session:
            params = {"q": words, "pool": max(limit, module._ADDRESS_POOL), "limit": limit}
            with session.connection.cursor() as cursor:
                cursor.execute(address_sql, params)
                cursor.fetchall()
            return True

    identifiers = [row[0] for row in _sample(ctx, "identifier", count)]
    points = _points(ctx, count)
    # An address search costs a hundred identifier lookups (a trigram index scan): a
    # fifth as many samples keeps the section within minutes at 1M parcels.
    addresses = [address_words(row[0]) for row in _sample(ctx, "address", max(count // 5, 10))]
    return [
        _Lookup(
            "by identifier (`/api/parcels/search?q=<identifier>`)",
            identifiers,
            by_identifier,
            by_identifier_floor,
            "`selectors._EXACT` prepared, over psycopg2",
        ),
        _Lookup(
            "by point (`/api/parcels/at`, with the sheet)",
            points,
            by_point,
            by_point_floor,
            "`_AT_POINT` then `_SHEET` prepared, over psycopg2",
        ),
        _Lookup(
            "by address words (`/api/parcels/search?q=155 Cát Linh`)",
            addresses,
            by_address,
            by_address_floor,
            "`_RESULTS_SQL` with `_ADDRESS_CHOSEN`, over psycopg2",
            "DESIGN.md holds identifier and point lookups to 5 ms, not this; the SQL alone "
            "misses it: the nearest-first scan of the GiST trigram index "
            "(parcel_address_trgm) rechecks thousands of addresses sharing the street's words",
        ),
    ]


def _points(ctx: Context, count: int) -> list[tuple[float, float]]:
    """Return interior points (WGS84) of about `count` current parcels, the same every run."""
    rows = _sample(
        ctx,
        "ST_X(ST_Transform(ST_PointOnSurface(boundary), 4326)),"
        " ST_Y(ST_Transform(ST_PointOnSurface(boundary), 4326))",
        count,
    )
    return [(round(lon, 7), round(lat, 7)) for lon, lat in rows]


def run(ctx: Context) -> list[Row]:
    """Time each lookup over HTTP and its statements over psycopg2, 1 and 4 clients."""
    count = ctx.scaled(500, 50)
    lookups = _lookups(ctx, count)
    http = HttpClients(ctx.base_url, max(CLIENTS))
    db = DatabaseClients(ctx, max(CLIENTS))
    rows: list[Row] = []
    try:
        for lookup in lookups:
            ours_call = functools.partial(lookup.ours, http)
            floor_call = functools.partial(lookup.floor, db)
            # Every connection of both sides takes part in the warm-up: each gunicorn
            # worker and database session has prepared its statements before timing.
            run_concurrently(lookup.samples[:WARM_UP], ours_call, clients=max(CLIENTS))
            run_concurrently(lookup.samples[:WARM_UP], floor_call, clients=max(CLIENTS))
            for clients in CLIENTS:
                measured = interleaved(
                    [("ours", ours_call, lookup.samples), ("floor", floor_call, lookup.samples)],
                    clients=clients,
                    rounds=ROUNDS,
                )
                ours, floor = measured["ours"], measured["floor"]
                rows.append(
                    Row(
                        section=SECTION,
                        what=f"{lookup.what}, {clients} client{'s' if clients > 1 else ''}",
                        ours=ours,
                        floor_name=lookup.floor_name,
                        floor=floor,
                        ratio_of="p95_ms",
                        target="≤ 5 ms",
                        note=_note(ours, floor, len(lookup.samples))
                        + (f"; {lookup.limits}" if lookup.limits else ""),
                    )
                )
    finally:
        http.close()
        db.close()
    return rows


def _note(ours: Measure, floor: Measure, samples: int) -> str:
    extra = (ours.p50_ms or 0) - (floor.p50_ms or 0)
    return (
        f"{samples} real samples (seed {SEED}), keep-alive HTTP, sides in {ROUNDS} turns; "
        f"HTTP, Django, DRF and the JSON add {extra:.1f} ms at p50"
    )
