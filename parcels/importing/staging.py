"""The database side of an import: a temporary staging table, its checks and the insert.

Every feature with a readable identifier is COPYed into `import_staging`, marked accepted
or rejected; its problems go to `import_problems`, one row each. The checks that need the
whole file (duplicate identifiers) or the register (administrative units, parcels
already registered, overlaps) are one SQL statement each over those tables, and one
INSERT ... SELECT writes the accepted parcels. Both tables are dropped at commit.
"""

from __future__ import annotations

import datetime as dt
import enum
import io

import pyarrow as pa
import pyarrow.csv as pa_csv
from django.db import connection
from django.db.backends.utils import CursorWrapper

from landinfo.profiles import JurisdictionProfile
from landinfo.sql import table
from parcels import overlaps
from parcels.importing.fields import FieldMapping
from parcels.importing.problems import Problem
from parcels.models import AdministrativeUnit, Parcel

# A boundary that moved less than this is the registered one: a re-run of the same file
# goes through the same transformation, and survey precision is coarser still.
SAME_BOUNDARY_TOLERANCE_M = 0.01
_OVERLAPS_SHOWN = 5  # parcels a feature overlaps, named in its row of the report

_PARCELS = table(Parcel)
_UNITS = table(AdministrativeUnit)


class Status(enum.StrEnum):
    """The state of a staged feature."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    UNCHANGED = "unchanged"  # already current in the register with the same boundary


_CREATE_TABLES = (
    """
    CREATE TEMPORARY TABLE import_staging (
        seq bigint NOT NULL,
        fid bigint NOT NULL,
        identifier text NOT NULL,
        unit_code text NOT NULL,
        land_use text,
        registered_area numeric(14, 2),
        address text,
        map_scale integer,
        boundary geometry(MultiPolygon, %(srid)s),
        status text NOT NULL
    ) ON COMMIT DROP
    """,
    """
    CREATE TEMPORARY TABLE import_problems (
        n bigserial,
        seq bigint NOT NULL,
        fid bigint NOT NULL,
        identifier text NOT NULL,
        field text NOT NULL,
        kind text NOT NULL,
        rejects boolean NOT NULL DEFAULT true,  -- false: a note, the feature is imported
        reason text NOT NULL
    ) ON COMMIT DROP
    """,
)
_DROP_TABLES = "DROP TABLE import_staging, import_problems"

_COPY_STAGING = (
    "COPY import_staging (seq, fid, identifier, unit_code, land_use, registered_area, "
    "address, map_scale, boundary, status) FROM STDIN WITH (FORMAT csv)"
)
_COPY_PROBLEMS = (
    "COPY import_problems (seq, fid, identifier, field, kind, rejects, reason) "
    "FROM STDIN WITH (FORMAT csv)"
)

# Every occurrence after the first names the first: the file must say which is right.
_FIND_DUPLICATES = """
    INSERT INTO import_problems (seq, fid, identifier, field, kind, reason)
    SELECT later.seq, later.fid, later.identifier, %(field)s, %(kind)s,
           %(kind)s || ': ' || later.identifier || ' is also the identifier of FID '
           || first.fid || ', earlier in the file'
    FROM (
        SELECT DISTINCT ON (identifier) identifier, seq, fid
        FROM import_staging
        WHERE identifier IN (
            SELECT identifier FROM import_staging GROUP BY identifier HAVING count(*) > 1
        )
        ORDER BY identifier, seq
    ) AS first
    JOIN import_staging AS later ON later.identifier = first.identifier AND later.seq > first.seq
"""

_FIND_UNKNOWN_UNITS = f"""
    INSERT INTO import_problems (seq, fid, identifier, field, kind, reason)
    SELECT s.seq, s.fid, s.identifier, %(field)s, %(kind)s,
           %(kind)s || ': ' || %(noun)s || ' ' || s.unit_code || ' is not in the register; '
           || 'load administrative units first or pass --create-units'
    FROM import_staging AS s
    WHERE NOT EXISTS (
        SELECT 1 FROM {_UNITS} AS u WHERE u.code = s.unit_code
    )
"""  # noqa: S608 - Django's table names

_MARK_REJECTED = """
    UPDATE import_staging AS s SET status = 'rejected'
    FROM (SELECT DISTINCT seq FROM import_problems WHERE rejects) AS p
    WHERE p.seq = s.seq AND s.status = 'accepted'
"""

# An identifier already current in the register: the same parcel (skipped, which makes
# a re-run harmless) or a change, which only a registered deed may make.
_COMPARE_WITH_REGISTER = f"""
    WITH registered AS (
        SELECT s.seq, s.fid, s.identifier,
               -- "=" is exact equality of coordinates (PostGIS 3), which a re-run of the
               -- same file gives; the distance is only computed for boundaries that differ.
               CASE WHEN p.boundary = s.boundary THEN 0
                    ELSE ST_HausdorffDistance(p.boundary, s.boundary) END AS shift,
               p.land_use AS registered_land_use, s.land_use,
               p.registered_area AS registered_area, s.registered_area AS file_area,
               p.address AS registered_address, s.address AS file_address
        FROM import_staging AS s
        JOIN {_PARCELS} AS p ON p.identifier = s.identifier AND p.valid_to IS NULL
        WHERE s.status = 'accepted'
    ), compared AS (
        SELECT *,
               shift >= %(tolerance)s AS moved,
               registered_land_use IS DISTINCT FROM land_use AS land_use_differs,
               %(compare_area)s AND registered_area IS DISTINCT FROM file_area AS area_differs,
               %(compare_address)s AND registered_address IS DISTINCT FROM file_address
                   AS address_differs
        FROM registered
    ), marked AS (
        UPDATE import_staging AS s
        SET status = CASE WHEN c.moved OR c.land_use_differs OR c.area_differs
                               OR c.address_differs
                          THEN 'rejected' ELSE 'unchanged' END
        FROM compared AS c
        WHERE c.seq = s.seq
    )
    INSERT INTO import_problems (seq, fid, identifier, field, kind, reason)
    SELECT c.seq, c.fid, c.identifier, d.field, %(kind)s, %(kind)s || ': ' || d.reason
    FROM compared AS c
    CROSS JOIN LATERAL (VALUES
        (1, 'geometry', CASE WHEN c.moved THEN
            'the registered boundary of ' || c.identifier || ' differs by up to '
            || round(c.shift::numeric, 2) || ' m; changing a registered boundary needs a deed, '
            || 'not an import' END),
        (2, %(land_use_field)s, CASE WHEN c.land_use_differs THEN
            'the register has land use ' || c.registered_land_use || ' for ' || c.identifier
            || ', the file ' || c.land_use || '; changing a registered parcel needs a deed, '
            || 'not an import' END),
        (3, %(area_field)s, CASE WHEN c.area_differs THEN
            'the register has ' || c.registered_area || ' m² for ' || c.identifier
            || ', the file ' || c.file_area || ' m²; changing a registered parcel needs a '
            || 'deed, not an import' END),
        (4, %(address_field)s, CASE WHEN c.address_differs THEN
            'the register has the address ' || quote_literal(c.registered_address) || ' for '
            || c.identifier || ', the file ' || quote_literal(c.file_address)
            || '; changing a registered parcel needs a deed, not an import' END)
    ) AS d(position, field, reason)
    WHERE d.reason IS NOT NULL
    ORDER BY c.seq, d.position
"""  # noqa: S608 - Django's table names

# A current parcel's ground passes to another only by a deed (parcels.overlaps). Each
# feature to be imported is measured against the current parcels of the register under
# another identifier (its own is the parcel itself, compared above) and against the
# other features to be imported: each pair of the file once, both of its features
# refused. Both joins run on a GiST index (the register's, the staging table's), and
# only pairs whose interiors meet are measured: most pairs of boxes that meet are
# neighbours sharing a side, which one relate test (12 µs) sets aside for less than the
# intersection would cost.
#
# Then what each parcel loses to the whole file: a registered parcel to all the features
# on it, united with what current parcels already overlap of it (else a run of files,
# each within its allowance, takes what no one file may), a feature to all the others,
# held to the tolerance for its own area at the coarsest of the maps involved; else
# slivers each under their pair's tolerance take together what no pair may. What
# current parcels overlap is measured only for the registered parcels the file reaches
# into, one relate test per current neighbour. Every feature taking part is refused, naming the parcel,
# the total and the tolerance (the file cannot tell which of them is right), and so is a
# feature of the file that loses too much. The pieces are only united (counted once
# where features overlap each other) when their sum is over the tolerance: the union is
# the dearer, and never more than the sum.
_INTERIORS_MEET = "ST_Relate(s.boundary, o.boundary, '2********')"
_SCALES = (
    f"greatest({overlaps.map_scale_sql('s.map_scale')}, {overlaps.map_scale_sql('o.map_scale')})"
)
_OF_THE_FILE = "f.identifier || ' (FID ' || f.fid || ') of this file'"
_OTHER_FEATURES = (
    "(sides.takers - 1) || CASE WHEN sides.takers > 2 THEN ' other features' "
    "ELSE ' other feature' END || ' of this file'"
)
_FIND_OVERLAPS = f"""
    WITH pairs AS (
        SELECT s.seq, NULL::bigint AS other_seq, o.identifier AS other,
               s.boundary AS mine, o.boundary AS theirs, {_SCALES} AS scale
        FROM import_staging AS s
        JOIN {_PARCELS} AS o
          ON o.boundary && s.boundary AND o.valid_to IS NULL AND o.identifier <> s.identifier
        WHERE s.status = 'accepted' AND {_INTERIORS_MEET}
        UNION ALL
        SELECT s.seq, o.seq, NULL, s.boundary, o.boundary, {_SCALES}
        FROM import_staging AS s
        JOIN import_staging AS o
          ON o.boundary && s.boundary AND o.seq > s.seq AND o.status = 'accepted'
        WHERE s.status = 'accepted' AND {_INTERIORS_MEET}
    ), cut AS (
        SELECT seq, other_seq, other, scale,
               ST_CollectionExtract(ST_Intersection(mine, theirs), 3) AS piece,
               ST_Area(mine) AS mine, ST_Area(theirs) AS theirs
        FROM pairs
    ), measured AS (
        SELECT *, ST_Area(piece) AS shared FROM cut
    ), beyond AS (
        SELECT *, {overlaps.tolerance_sql("least(mine, theirs)", "scale")} AS tolerance
        FROM measured
    ), losses AS (
        SELECT other AS registered, NULL::bigint AS loser, seq AS taker, piece, shared,
               theirs AS area, scale
        FROM measured WHERE other_seq IS NULL
        UNION ALL
        SELECT NULL, other_seq, seq, piece, shared, theirs, scale
        FROM measured WHERE other_seq IS NOT NULL
        UNION ALL
        SELECT NULL, seq, other_seq, piece, shared, mine, scale
        FROM measured WHERE other_seq IS NOT NULL
    ), held AS (
        SELECT d.registered, h.held, ST_Area(h.held) AS already
        FROM (SELECT DISTINCT other AS registered FROM measured WHERE other_seq IS NULL) AS d
        JOIN {_PARCELS} AS r ON r.identifier = d.registered AND r.valid_to IS NULL
        CROSS JOIN LATERAL ({overlaps.HELD_SQL}) AS h
        WHERE h.held IS NOT NULL
    ), lost AS (
        -- One feature alone on a parcel nothing current overlaps is held to its pair's
        -- tolerance, never more than the loser's.
        SELECT l.registered, l.loser, array_agg(l.taker) AS takers,
               array_agg(l.shared) AS shares, array_agg(l.piece) AS pieces,
               sum(l.shared) AS summed, max(l.area) AS area,
               {overlaps.tolerance_sql("max(l.area)", "max(l.scale)")} AS tolerance
        FROM losses AS l
        GROUP BY l.registered, l.loser
        HAVING count(*) > 1 OR l.registered IN (SELECT registered FROM held)
    ), overrun AS (
        SELECT * FROM (
            SELECT l.registered, l.loser, l.takers, l.shares, l.area, l.tolerance,
                   coalesce(h.already, 0) AS already,
                   CASE WHEN l.summed + coalesce(h.already, 0) <= l.tolerance
                        THEN l.summed + coalesce(h.already, 0)
                        WHEN h.held IS NULL THEN ST_Area(ST_Union(l.pieces))
                        ELSE ST_Area(ST_Union(l.pieces || h.held)) END AS taken
            FROM lost AS l LEFT JOIN held AS h ON h.registered = l.registered
        ) AS united
        -- Only a file that adds to the loss answers for it: a parcel already overlapped
        -- beyond its tolerance (older data) refuses nothing that takes none of it.
        WHERE taken > tolerance AND taken - already > {overlaps.ADDED_M2}
    ), sides AS (
        SELECT 'pair' AS kind, seq, other_seq, other, shared, mine AS area, tolerance,
               NULL::float8 AS taken, NULL::int AS takers, NULL::float8 AS already
        FROM beyond WHERE shared > tolerance
        UNION ALL
        SELECT 'pair', other_seq, seq, NULL, shared, theirs, tolerance, NULL, NULL, NULL
        FROM beyond WHERE shared > tolerance AND other_seq IS NOT NULL
        UNION ALL
        SELECT 'taker', t.seq, o.loser, o.registered, t.shared, o.area, o.tolerance, o.taken,
               cardinality(o.takers), o.already
        FROM overrun AS o CROSS JOIN LATERAL unnest(o.takers, o.shares) AS t(seq, shared)
        UNION ALL
        SELECT 'loser', loser, NULL, NULL, taken, area, tolerance, taken,
               cardinality(takers) + 1, NULL
        FROM overrun WHERE loser IS NOT NULL
    ), described AS (
        SELECT sides.seq, sides.shared,
               CASE sides.kind
               WHEN 'pair' THEN
                   coalesce('registered parcel ' || sides.other, {_OF_THE_FILE})
                   || ' by ' || round(sides.shared::numeric, 1) || ' m² ('
                   || round((100 * sides.shared / sides.area)::numeric, 1)
                   || ' %% of this parcel; the map permits '
                   || round(sides.tolerance::numeric, 1) || ' m²)'
               WHEN 'taker' THEN
                   coalesce('registered parcel ' || sides.other, {_OF_THE_FILE})
                   || ' by ' || round(sides.shared::numeric, 1) || ' m², and with '
                   || CASE WHEN sides.already > 0 THEN
                          CASE WHEN sides.takers > 1 THEN {_OTHER_FEATURES} || ' and '
                               ELSE '' END
                          || 'the current parcels that already overlap it by '
                          || round(sides.already::numeric, 1) || ' m²,'
                      ELSE {_OTHER_FEATURES} END
                   || ' by ' || round(sides.taken::numeric, 1)
                   || ' m² in all (the map permits ' || round(sides.tolerance::numeric, 1)
                   || ' m² of its ' || round(sides.area::numeric, 1) || ' m²)'
               ELSE
                   {_OTHER_FEATURES} || ' by ' || round(sides.taken::numeric, 1)
                   || ' m² in all (the map permits ' || round(sides.tolerance::numeric, 1)
                   || ' m² of this parcel''s ' || round(sides.area::numeric, 1) || ' m²)'
               END AS what,
               row_number() OVER (
                   PARTITION BY sides.seq ORDER BY coalesce(sides.taken, sides.shared) DESC
               ) AS rank
        FROM sides LEFT JOIN import_staging AS f ON f.seq = sides.other_seq
    ), marked AS (
        UPDATE import_staging AS s SET status = 'rejected'
        FROM (SELECT DISTINCT seq FROM sides) AS o
        WHERE o.seq = s.seq
    )
    INSERT INTO import_problems (seq, fid, identifier, field, kind, reason)
    SELECT s.seq, s.fid, s.identifier, 'geometry', %(kind)s,
           %(kind)s || ': the parcel overlaps '
           || string_agg(d.what, ', ' ORDER BY d.rank) FILTER (WHERE d.rank <= %(shown)s)
           || CASE WHEN count(*) > %(shown)s THEN ' and ' || (count(*) - %(shown)s) || ' more'
                   ELSE '' END
           || '; current parcels do not overlap: correct the boundary, or change the '
           || 'registered parcel by a deed first'
    FROM described AS d JOIN import_staging AS s ON s.seq = d.seq
    GROUP BY s.seq, s.fid, s.identifier
    ORDER BY s.seq
"""  # noqa: S608 - our own SQL fragments; every value is bound

# Imports wait for each other, and for deeds taking ground, before they look at the
# register: two files with the same ground, imported at once, would each pass against a
# register without the other (parcels.overlaps.GROUND_LOCK).
_IMPORT_LOCK = overlaps.GROUND_LOCK

_MISSING_UNITS = f"""
    SELECT DISTINCT s.unit_code FROM import_staging AS s
    WHERE s.status = 'accepted' AND NOT EXISTS (
        SELECT 1 FROM {_UNITS} AS u WHERE u.code = s.unit_code
    )
    ORDER BY s.unit_code
"""  # noqa: S608 - Django's table names

# boundary_3857 is generated by PostgreSQL and must not be in the column list.
_INSERT_PARCELS = f"""
    INSERT INTO {_PARCELS}
        (identifier, admin_unit_id, land_use, registered_area, address, map_scale, boundary,
         valid_from, valid_to)
    SELECT s.identifier, u.id, s.land_use, s.registered_area, s.address, s.map_scale,
           s.boundary, %(valid_from)s, NULL
    FROM import_staging AS s
    JOIN {_UNITS} AS u ON u.code = s.unit_code
    WHERE s.status = 'accepted'
"""  # noqa: S608 - Django's table names

_CSV_OPTIONS = pa_csv.WriteOptions(include_header=False, quoting_style="all_valid")


def _copy(cursor: CursorWrapper, sql: str, table: pa.Table) -> None:
    """COPY the rows of `table` in; pyarrow quotes every value, so an unquoted empty is NULL."""
    if table.num_rows == 0:
        return
    buffer = io.BytesIO()
    pa_csv.write_csv(table, buffer, _CSV_OPTIONS)
    buffer.seek(0)
    with connection.wrap_database_errors:
        cursor.copy_expert(sql, buffer)


def create_tables(cursor: CursorWrapper, storage_srid: int) -> None:
    """Create the staging and problem tables, for this transaction."""
    for statement in _CREATE_TABLES:
        cursor.execute(statement, {"srid": storage_srid})


def copy_batch(cursor: CursorWrapper, staging: pa.Table, problems: pa.Table) -> None:
    """COPY one batch's rows into the staging and problem tables."""
    _copy(cursor, _COPY_STAGING, staging)
    _copy(cursor, _COPY_PROBLEMS, problems)


def check_staged(
    cursor: CursorWrapper,
    *,
    mapping: FieldMapping,
    profile: JurisdictionProfile,
    create_units: bool,
) -> None:
    """Run the checks that need the whole file or the register, one statement each."""
    cursor.execute("CREATE INDEX ON import_staging USING gist (boundary)")
    cursor.execute("ANALYZE import_staging")  # a temporary table has no statistics
    cursor.execute(
        _FIND_DUPLICATES,
        {"field": mapping.identifier_source, "kind": Problem.DUPLICATE_IDENTIFIER.value},
    )
    if not create_units:
        cursor.execute(
            _FIND_UNKNOWN_UNITS,
            {
                "field": mapping.identifier_source,
                "kind": Problem.UNKNOWN_UNIT.value,
                "noun": profile.unit_noun,
            },
        )
    cursor.execute(_MARK_REJECTED)
    cursor.execute(_IMPORT_LOCK)
    cursor.execute(
        _COMPARE_WITH_REGISTER,
        {
            "tolerance": SAME_BOUNDARY_TOLERANCE_M,
            "kind": Problem.CONFLICT.value,
            "compare_area": mapping.area is not None,
            "compare_address": mapping.address is not None,
            "land_use_field": mapping.land_use,
            "area_field": mapping.area or "",
            "address_field": mapping.address or "",
        },
    )
    cursor.execute(
        _FIND_OVERLAPS,
        {
            **overlaps.tolerance_params(profile),
            "kind": Problem.OVERLAP.value,
            "shown": _OVERLAPS_SHOWN,
        },
    )


def missing_units(cursor: CursorWrapper) -> list[str]:
    """Return the codes of the units accepted parcels name that the register lacks."""
    cursor.execute(_MISSING_UNITS)
    return [code for (code,) in cursor.fetchall()]


def insert_parcels(cursor: CursorWrapper, valid_from: dt.date) -> int:
    """Insert the accepted parcels, in force from `valid_from`; return how many."""
    cursor.execute(_INSERT_PARCELS, {"valid_from": valid_from})
    count: int = cursor.rowcount
    return count


def drop_tables(cursor: CursorWrapper) -> None:
    """Drop the staging and problem tables: the write is done."""
    cursor.execute(_DROP_TABLES)
