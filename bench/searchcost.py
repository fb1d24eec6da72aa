"""What the search index costs the writes that change addresses: an import and deeds.

Issue 16: "the search index adds ≤ 25 % to the time of an import and of a deed". Each
row compares the register as it is with the register without its search index: the GIN
index on addresses (`parcel_address_words`) and the statement triggers that add new
words to the word table (`parcel_search_words_insert`, `_update`) dropped, and for the
import the stored words of addresses (`search_words`, migration 0011) too, so that
writing a parcel maintains nothing for search. (The deeds keep the column: dropping it
is instant but adding it back rewrites the register; a deed writes two or three rows.) (Not the commit before 5ef28b8, whose
trigram GiST index on addresses cost 31 % of an import by itself: bench/README.md.)
The indexes of unit names are left: no import or deed here writes a unit.

- Import: `manage.py import_parcels` of a GeoPackage of IMPORT_PARCELS current parcels
  of the bench register, as the import row of bench/exports.py makes it, into scratch
  databases copied from one migrated template holding the bench register's units;
  with the index, without it, and with the GIN index but without the word triggers (to
  tell the two costs apart), in turns, twice each, the best of each kept (the run
  least disturbed by the shared machine).
- Deeds, by one notary over the API on the bench database: subdivisions (a parcel cut
  in two along the middle of its bounding box: one parcel retired, two written with
  their addresses, which is what the index maintains) and sales (no parcel row is
  written: the index should cost nothing). In three phases: with the index, without it
  (dropped), with it again (built again from its definition, `pg_get_indexdef`); the
  first and third make "with". The bench database ends as it began, plus the deeds.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import subprocess
import time
import uuid
from contextlib import closing
from typing import Any
from urllib.parse import urlsplit

import psycopg2

from bench import transfers
from bench.exports import (
    _PARCELS_LAYER,
    _VALID_FROM,
    IMPORT_INPUT_SQL,
    OGR2OGR,
    _copy_units,
    _gdal_source,
    _timed,
)
from bench.harness import ROOT, Context, Measure, Row, run_concurrently, with_database

SECTION = "searchcost"
INDEX = "parcel_address_words"
TRIGGERS = ("parcel_search_words_insert", "parcel_search_words_update")
COLUMN = "search_words"
TARGET = "≤ 1.25"
# Building the index again takes about a minute at 1M parcels and ten at 10M: the deed
# rows run on registers up to this size.
DEEDS_UP_TO = 1_000_000
_CUT_IN_TWO = """
SELECT p.id, ST_SRID(p.boundary), array_agg(ST_AsGeoJSON(half.geom, 4) ORDER BY half.path)
FROM parcels_parcel p,
     LATERAL (SELECT ST_Envelope(p.boundary) AS box) b,
     LATERAL ST_Dump(ST_Split(p.boundary, ST_SetSRID(ST_MakeLine(
         ST_MakePoint((ST_XMin(b.box) + ST_XMax(b.box)) / 2, ST_YMin(b.box) - 1),
         ST_MakePoint((ST_XMin(b.box) + ST_XMax(b.box)) / 2, ST_YMax(b.box) + 1)),
         ST_SRID(p.boundary)))) half
WHERE p.id = ANY(%s)
GROUP BY p.id, 2
HAVING count(*) = 2
"""


def run(ctx: Context) -> list[Row]:
    rows = [_import_row(ctx)]
    if ctx.parcels <= DEEDS_UP_TO:
        rows += _deed_rows(ctx)
    else:
        ctx.notes.append(
            f"searchcost: the deed rows run up to {DEEDS_UP_TO:,} parcels (building "
            "the address index again takes minutes beyond)."
        )
    return rows


# --- with and without ---------------------------------------------------------------------


def _definitions(cursor: Any) -> list[str]:
    """Return the statements that make the search index of parcels again."""
    cursor.execute("SELECT pg_get_indexdef(%s::regclass)", [INDEX])
    found = [cursor.fetchone()[0]]
    cursor.execute(
        "SELECT pg_get_triggerdef(oid) FROM pg_trigger "
        "WHERE tgrelid = 'parcels_parcel'::regclass AND tgname = ANY(%s) ORDER BY tgname",
        [list(TRIGGERS)],
    )
    found += [row[0] for row in cursor.fetchall()]
    if len(found) != 1 + len(TRIGGERS):
        raise RuntimeError(f"the search index is not as bench/searchcost.py knows it: {found}")
    return found


def _drop(cursor: Any, *, index: bool = True, column: bool = False) -> None:
    if index:
        cursor.execute(f"DROP INDEX {INDEX}")
    for trigger in TRIGGERS:
        cursor.execute(f"DROP TRIGGER {trigger} ON parcels_parcel")
    if column:
        cursor.execute(f"ALTER TABLE parcels_parcel DROP COLUMN {COLUMN}")


# --- the import ---------------------------------------------------------------------------


def _import_row(ctx: Context) -> Row:
    count = ctx.scaled(100_000, 2_000)
    folder = ctx.work / "searchcost"
    folder.mkdir(parents=True, exist_ok=True)
    given = folder / "parcels.gpkg"
    source, gdal_env = _gdal_source(ctx.database_url)
    query = f"{IMPORT_INPUT_SQL} LIMIT {count}"
    subprocess.run(
        [OGR2OGR, "-f", "GPKG", str(given), source, "-sql", query, *_PARCELS_LAYER],
        env=gdal_env,
        check=True,
        capture_output=True,
    )
    template = f"landinfo_bench_searchcost_{ctx.parcels}"
    scratch = f"{template}_run"
    owner = urlsplit(ctx.database_url).username
    admin = psycopg2.connect(with_database(ctx.superuser_url, "postgres"))
    admin.autocommit = True
    # True: as it is; False: no search index; None: the GIN index kept, the word
    # triggers dropped (which part of the cost is the words' table).
    seconds: dict[bool | None, list[float]] = {True: [], False: [], None: []}
    errors: dict[bool | None, int] = {True: 0, False: 0, None: 0}
    try:
        with admin.cursor() as cursor:
            for name in (scratch, template):
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{template}" OWNER "{owner}" TEMPLATE template1')
        subprocess.run(
            [str(ctx.python), str(ROOT / "manage.py"), "migrate", "-v0"],
            env={**ctx.env, "DATABASE_URL": _django_url(ctx, template)},
            cwd=ROOT,
            check=True,
        )
        _copy_units(ctx, with_database(ctx.database_url, template))
        for indexed in (True, False, None, True, False, None):
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
                cursor.execute(f'CREATE DATABASE "{scratch}" OWNER "{owner}" TEMPLATE "{template}"')
            if indexed is not True:
                url = with_database(ctx.superuser_url, scratch)
                with closing(psycopg2.connect(url)) as connection, connection:
                    _drop(connection.cursor(), index=indexed is False, column=indexed is False)
            env = {
                **ctx.env,
                "DATABASE_URL": _django_url(ctx, scratch),
                "LANDINFO_IMPORT_REPORT_DIR": str(folder),
            }
            command = [str(ctx.python), str(ROOT / "manage.py"), "import_parcels", str(given)]
            try:
                took, _peak = _timed([*command, *_VALID_FROM], env=env, cwd=ROOT)
            except subprocess.CalledProcessError:
                errors[indexed] += 1
                continue
            seconds[indexed].append(took)
    finally:
        with admin.cursor() as cursor:
            for name in (scratch, template):
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
        given.unlink(missing_ok=True)
    ours, floor = (
        Measure(
            count=count,
            seconds=min(seconds[indexed], default=None),
            per_second=count / min(seconds[indexed]) if seconds[indexed] else None,
            errors=errors[indexed],
        )
        for indexed in (True, False)
    )
    return Row(
        section=SECTION,
        what=f"import_parcels of a GeoPackage, {count:,} new parcels",
        ours=ours,
        floor_name="the same import without the search index (GIN on addresses, word "
        "triggers and stored words dropped)",
        floor=floor,
        ratio_of="seconds",
        target=TARGET,
        note="best of 2 each, in turns; all runs (s): with "
        + ", ".join(f"{s:.1f}" for s in seconds[True])
        + "; without "
        + ", ".join(f"{s:.1f}" for s in seconds[False])
        + "; the GIN index without the word triggers "
        + ", ".join(f"{s:.1f}" for s in seconds[None]),
    )


def _django_url(ctx: Context, name: str) -> str:
    return with_database(ctx.env["DATABASE_URL"], name)


# --- deeds --------------------------------------------------------------------------------


def _deed_rows(ctx: Context) -> list[Row]:
    per_phase = ctx.scaled(60, 4)
    notary, token, _lock, profile = transfers._notary(ctx)
    day = dt.date.today() - dt.timedelta(days=1)
    work = transfers._parcels(ctx, 6 * per_phase + 8, day, int(time.time()), profile)
    halves = _halves(ctx, [item.parcel for item in work])
    splits = [item for item in work if item.parcel in halves]
    sales = [item for item in work if item.parcel not in halves] + splits[3 * per_phase :]
    post = _Poster(ctx, token, day, halves)
    # Warm: every gunicorn thread has loaded the deed code and opened its connection.
    run_concurrently(sales[:8], post.sale, clients=4)
    sales = sales[8:]
    latencies: dict[tuple[str, bool], list[float]] = {}
    failures: dict[tuple[str, bool], int] = {}

    def phase(indexed: bool, number: int) -> None:
        """Send this phase's deeds one after another (one notary), each timed."""
        for kind, items, call in (("split", splits, post.split), ("sale", sales, post.sale)):
            key = (kind, indexed)
            for item in items[number * per_phase : (number + 1) * per_phase]:
                started = time.perf_counter()
                try:
                    ok = call(item)
                except (OSError, http.client.HTTPException):
                    ok = False
                latencies.setdefault(key, []).append(time.perf_counter() - started)
                failures[key] = failures.get(key, 0) + (not ok)

    with closing(ctx.connect(superuser=True)) as connection, connection.cursor() as cursor:
        definitions = _definitions(cursor)
        phase(True, 0)
        _drop(cursor)
        try:
            phase(False, 1)
        finally:
            started = time.perf_counter()
            for statement in definitions:
                cursor.execute(statement)
            rebuilt = time.perf_counter() - started
        phase(True, 2)
    ctx.notes.append(
        f"searchcost: building `{INDEX}` again took {rebuilt:.0f} s "
        f"({ctx.parcels:,} parcels); notary id {notary}."
    )
    rows = []
    for kind, what in (
        ("split", "subdivision in two (1 retired, 2 new parcels)"),
        ("sale", "sale (no parcel row written)"),
    ):
        ours, floor = (
            _measure(latencies.get((kind, indexed), []), failures.get((kind, indexed), 0))
            for indexed in (True, False)
        )
        rows.append(
            Row(
                section=SECTION,
                what=f"deed: {what}, 1 notary",
                ours=ours,
                floor_name="the same deeds without the search index (dropped between two "
                "phases with it)",
                floor=floor,
                ratio_of="p50_ms",
                target=TARGET,
                note=f"{ours.count} deeds with the index, {floor.count} without, over the API",
            )
        )
    return rows


def _measure(latencies_s: list[float], errors: int) -> Measure:
    if not latencies_s:
        return Measure(errors=errors or 1)
    return Measure.of_latencies(latencies_s, seconds=sum(latencies_s), errors=errors)


def _halves(ctx: Context, parcels: list[int]) -> dict[int, tuple[int, list[str]]]:
    """Return each parcel's two halves (GeoJSON in the storage CRS) where one cut makes two."""
    with closing(ctx.connect()) as connection, connection.cursor() as cursor:
        cursor.execute(_CUT_IN_TWO, [parcels])
        return {parcel: (srid, halves) for parcel, srid, halves in cursor.fetchall()}


class _Poster:
    """Deeds over the API, one kept-alive connection, each timed."""

    def __init__(
        self, ctx: Context, token: str, day: dt.date, halves: dict[int, tuple[int, list[str]]]
    ) -> None:
        self.netloc = urlsplit(ctx.base_url).netloc
        self.token, self.day, self.halves = token, day, halves
        self.connection: http.client.HTTPConnection | None = None

    def _post(self, body: dict[str, Any]) -> bool:
        headers = {
            "Authorization": f"Token {self.token}",
            "Content-Type": "application/json",
            "Idempotency-Key": str(uuid.uuid4()),
        }
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.netloc, timeout=60)
            try:
                self.connection.request("POST", "/api/transactions/", json.dumps(body), headers)
                response = self.connection.getresponse()
                response.read()
                return response.status == 201
            except (ConnectionError, http.client.HTTPException):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
        return False

    def _base(self, item: transfers.Work, kind: str) -> dict[str, Any]:
        return {
            "kind": kind,
            "parcel": item.parcel,
            "effective_date": self.day.isoformat(),
            "expected_last_entry": item.last_entry,
        }

    def split(self, item: transfers.Work) -> bool:
        srid, halves = self.halves[item.parcel]
        children = [{"boundary": json.loads(half)} for half in halves]
        return self._post({**self._base(item, "subdivision"), "children": children, "crs": srid})

    def sale(self, item: transfers.Work) -> bool:
        return self._post({**self._base(item, "transfer"), **transfers.sale_terms(item)})
