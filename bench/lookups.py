"""Lookups and searches over HTTP beside the very statements they run, over psycopg2.

The floor of a lookup is its SQL. For the point lookup the statement text is taken at
run time from `parcels.selectors` and `transactions.selectors` (never copied here),
prepared and executed the way `landinfo.sql.fetch_prepared` does. A search runs two to
nine statements that depend on the text (places, lots, the tiers of addresses), so its
floor is captured: each sample is searched once in this process with
`parcels.search.engine.search`, the statements it sent recorded with Django's
`connection.execute_wrapper`, and the floor replays that list over psycopg2 (each
statement prepared once per session, as the engine prepares it). Both sides run on
connections of the same process and at the same concurrency. What LandInfo adds on top
(HTTP, gunicorn, Django, DRF, reading the text, building the JSON) is the ratio's excess;
the targets themselves are absolute: identifier and point p95 ≤ 5 ms (DESIGN.md), any
search p95 ≤ 20 ms with one client and ≤ 50 ms with four (issue 16).

The samples are real: parcels drawn from the bench database with a fixed seed, the
same for both sides, and what a person would type to find them (`bench.searches`).
"""

from __future__ import annotations

import functools
import http.client
import json
import os
import queue
import random
import statistics
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from types import ModuleType
from typing import Any
from urllib.parse import urlencode, urlsplit

import django

from bench import searches
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


# --- the section --------------------------------------------------------------------------------


class _Lookup:
    """One kind of lookup: its samples, its HTTP call, its floor's call and its targets."""

    def __init__(
        self,
        what: str,
        samples: Sequence[Any],
        ours: Callable[[HttpClients, Any], bool],
        floor: Callable[[DatabaseClients, Any], bool],
        floor_name: str,
        targets: tuple[str, str] = ("≤ 5 ms", "≤ 5 ms"),  # with 1 client, with 4
        limits: str = "",
    ) -> None:
        self.what, self.samples, self.ours, self.floor = what, samples, ours, floor
        self.floor_name, self.targets, self.limits = floor_name, targets, limits
        self.found: dict[str, int] = {"first": 0, "listed": 0, "none": 0}


# The targets of issue 16 for searches, with one client and with four.
SEARCH_TARGETS = {"identifier": ("≤ 5 ms", "≤ 50 ms")}
SEARCH_TARGET = ("≤ 20 ms", "≤ 50 ms")
_SEARCH_WHAT = {
    "identifier": "search by identifier (`?q=90001-4-108`)",
    "lot": "search by lot number and unit (`?q=tờ 4 thửa 108, Phường Tân Lập`)",
    "address": "search by full address (`?q=Số 217 Ngõ 2399 Hoàng Diệu, Phường Tân Lập`)",
    "word": "search by one common street word (`?q=Nguyễn`)",
    "typo": "search with a typo in the street (`?q=217 Hoàng Diệx`)",
    "prefix": "search as the street is typed (`?q=217 Hoàng Di`)",
}
# The floors of a search are its statements as the engine sent them for that sample.
_SEARCH_FLOOR = (
    "the engine's statements for the sample, captured in-process (`execute_wrapper` "
    "around `parcels.search.engine.search`) and replayed over psycopg2"
)
# A kind whose search takes longer in this process than this at the median is measured
# on fewer samples, so that a slow search does not hold the run for an hour.
_SLOW_S = 0.25
_FEW = 30


def _search_lookup(ctx: Context, kind: str, count: int) -> _Lookup:
    """Return the search of `kind` (bench.searches.KINDS) on its samples, with its floor."""
    drawn = searches.samples(ctx, kind, count)
    captured, prepares = searches.capture(drawn)
    if captured and statistics.median(c.seconds for c in captured) > _SLOW_S:
        captured = captured[:_FEW]
    lookup: _Lookup

    def ours(http: HttpClients, item: searches.Captured) -> bool:
        status, body = http.get("/api/parcels/search?" + urlencode({"q": item.sample.query}))
        if status != 200:
            return False
        identifiers = [result["identifier"] for result in json.loads(body)["results"]]
        key = "none" if not identifiers else "listed"
        if identifiers and identifiers[0] == item.sample.identifier:
            key = "first"
        elif item.sample.identifier not in identifiers and identifiers:
            key = "other"
        with _count_lock:
            lookup.found[key] = lookup.found.get(key, 0) + 1
        return kind != "identifier" or key == "first"

    def floor(db: DatabaseClients, item: searches.Captured) -> bool:
        with db.session() as session:
            return searches.replay(session.connection, session.prepared, item, prepares)

    statements = statistics.median(len(c.statements) for c in captured) if captured else 0
    lookup = _Lookup(
        _SEARCH_WHAT[kind],
        captured,
        ours,
        floor,
        f"{_SEARCH_FLOOR} (median {statements:.0f} statements)",
        SEARCH_TARGETS.get(kind, SEARCH_TARGET),
    )
    return lookup


_count_lock = threading.Lock()


def _lookups(ctx: Context, count: int) -> list[_Lookup]:
    module = selectors()
    sheet_statement = sheet_selectors()._SHEET
    from django.utils import timezone

    day = timezone.localdate()

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

    points = _points(ctx, count)
    # A text search costs more than an identifier lookup and has six kinds: fewer samples
    # each keeps the section within minutes at 1M parcels.
    texts = ctx.scaled(200, 20)
    return [
        _search_lookup(ctx, "identifier", count),
        _Lookup(
            "by point (`/api/parcels/at`, with the sheet)",
            points,
            by_point,
            by_point_floor,
            "`_AT_POINT` then `_SHEET` prepared, over psycopg2",
        ),
        *(_search_lookup(ctx, kind, texts) for kind in searches.KINDS[1:]),
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
    searches.django_on(ctx)
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
            for clients, target in zip(CLIENTS, lookup.targets, strict=True):
                lookup.found = dict.fromkeys(lookup.found, 0)
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
                        target=target,
                        note=_note(ours, floor, len(lookup.samples))
                        + _found(lookup.found)
                        + (f"; {lookup.limits}" if lookup.limits else ""),
                    )
                )
    finally:
        http.close()
        db.close()
    return rows


def _found(found: dict[str, int]) -> str:
    """Say where the sampled parcel came in the answers (searches only)."""
    total = sum(found.values())
    if not total:
        return ""
    shares = ", ".join(
        f"{label} {100 * found.get(key, 0) / total:.0f}%"
        for key, label in (
            ("first", "first"),
            ("listed", "listed lower"),
            ("other", "others only"),
            ("none", "nothing"),
        )
        if found.get(key)
    )
    return f"; the sampled parcel: {shares}"


def _note(ours: Measure, floor: Measure, samples: int) -> str:
    extra = (ours.p50_ms or 0) - (floor.p50_ms or 0)
    return (
        f"{samples} real samples (seed {SEED}), keep-alive HTTP, sides in {ROUNDS} turns; "
        f"HTTP, Django, DRF and the JSON add {extra:.1f} ms at p50"
    )
