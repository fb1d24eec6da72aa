"""Whether a new parcel lies on ground a current parcel holds: the overlap a map permits.

A cadastre's current parcels do not overlap: the ground of one passes to another only
by a deed. Boundaries drawn apart never meet exactly, though, and a sliver of
digitising along a shared side must pass. The overlap tolerated between two parcels is
the area error the profile's law permits on a cadastral map
(JurisdictionProfile.permissible_area_error), for the smaller of the two parcels at the
coarser of their maps' scales. Both laws make it k(M)·√P: along a side of a parcel of
area P (about √P long) that is a strip k(M) wide, what the map cannot resolve — 0.4 m at
1:1000 in Vietnam (0.4 mm on the map), 0.81 m at 1:1200 in Korea. So a 500 m² lot at
1:1000 may overlap a neighbour by 8.9 m², a 40 m² kiosk by 2.5 m², a 1 ha field by
40 m²; a parcel drawn across its neighbour, or on top of it, does not pass. A fixed
number of m² would refuse the slivers of large fields or pass a kiosk swallowed whole;
a fixed share of the area would let a large field take metres of its neighbour.

The pair is not the only measure: a deed or a file that cuts the same ground into many
narrow pieces keeps every piece under the tolerance of its pair while together they take
far more. So what a parcel loses is also counted over the whole deed or file: the union
of what all its new parcels share with it, against the tolerance for that parcel's own
area at the coarsest of the maps involved (its own and the new parcels'). That is the
area error its map permits for it, k(M)·√P of its P: the register answers for a
parcel's area within that error, and it is the same whether one neighbour or twenty
take the ground. It is never less than a pair's (the smaller of two parcels' at their
coarser scale), so a single new parcel is held to its pair's, and an honest survey's
slivers along the sides of a neighbour pass as long as, all round it, they stay within
what its map cannot resolve. The smallest tolerance involved would refuse the honest
slivers of a large parcel surrounded by small new ones; a sum of the pairs' tolerances
is the very hole this closes.

Nor is one deed or file the measure: two subdivisions in a row, or three imports, each
within its own allowance, took together more of a neighbour than its map permits. So
what a parcel loses to a deed or a file is united with what current parcels already
overlap of it, and it is the total held to its tolerance: the register answers for the
parcel's area, not each deed for its share. Only a parcel the deed or file reaches into
is measured, so ground the register overlapped before (an old survey's) refuses nothing
until more is taken of that parcel.

The import checks a whole file in one statement built on `tolerance_sql`
(parcels.importing.staging): each feature against the register and against the file's other
features, a registered parcel's loss to all the file's features and to the current
parcels, and a feature's to all the others. A subdivision checks the ground its new parcels take beyond their parent
with `overlaps_with_register` (each new parcel) and `taken_from_register` (all of them,
with what current parcels already overlap).
A merge takes no new ground: its parcel is the union of current parcels, so what it
shares with a neighbour is what they already shared.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.db import connection

from landinfo.profiles import JurisdictionProfile, get_profile


def tolerance_params(profile: JurisdictionProfile | None = None) -> dict[str, Any]:
    """Return the parameters `tolerance_sql` and `map_scale_sql` bind: the profile's rule.

    The rule is the profile's own, evaluated at 1 m² for each of its map scales: the
    factor of √P (tests/parcels/test_overlaps.py holds the SQL to the Python rule).
    """
    profile = profile or get_profile()
    scales = list(profile.map_scales)
    return {
        "overlap_scales": scales,
        "overlap_factors": [float(profile.permissible_area_error(1.0, scale)) for scale in scales],
        "overlap_default_scale": profile.default_map_scale,
        "overlap_default_factor": float(
            profile.permissible_area_error(1.0, profile.default_map_scale)
        ),
    }


def map_scale_sql(column: str) -> str:
    """Return the SQL of a parcel's map scale: its own, else the profile's usual one."""
    return f"coalesce({column}, %(overlap_default_scale)s)"


def tolerance_sql(smaller: str, scale: str) -> str:
    """Return the SQL of the overlap (m²) tolerated between two parcels.

    `smaller` is SQL for the smaller parcel's area in m², `scale` for the denominator of
    the coarser of their maps (`map_scale_sql`); bind `tolerance_params()`. A scale the
    profile has no maps at counts as its usual one, never as no tolerance at all.
    """
    factor = f"(%(overlap_factors)s::float8[])[array_position(%(overlap_scales)s::int[], {scale})]"
    return f"(coalesce({factor}, %(overlap_default_factor)s) * sqrt({smaller}))"


@dataclass(frozen=True, slots=True)
class Overlap:
    """Ground a geometry shares with a current parcel, beyond the tolerance."""

    part: int  # the position of the geometry among those asked about
    identifier: str  # of the current parcel
    area: float  # m² shared
    tolerance: float  # m² the maps permit


# The coarser of a current parcel's map and the deed's.
_COARSER_WITH_REGISTER = (
    f"greatest({map_scale_sql('p.map_scale')}, {map_scale_sql('%(map_scale)s::int')})"
)
_TOLERANCE_WITH_REGISTER = tolerance_sql(
    "least(ST_Area(p.boundary), g.area)", _COARSER_WITH_REGISTER
)
_OVERLAPS_WITH_REGISTER = f"""
    SELECT n - 1, identifier, shared, tolerance FROM (
        SELECT g.n, p.identifier, ST_Area(ST_Intersection(p.boundary, g.geom)) AS shared,
               {_TOLERANCE_WITH_REGISTER} AS tolerance
        FROM (
            SELECT ST_GeomFromWKB(wkb, %(srid)s) AS geom, area, n
            FROM unnest(%(wkb)s::bytea[], %(areas)s::float8[]) WITH ORDINALITY AS g(wkb, area, n)
        ) AS g
        JOIN parcels_parcel AS p ON p.boundary && g.geom AND p.valid_to IS NULL
        WHERE p.id <> ALL(%(exclude)s::bigint[])
    ) AS measured
    WHERE shared > tolerance
    ORDER BY n, shared DESC
"""  # noqa: S608 - our own SQL fragments; every value is bound


def overlaps_with_register(
    geometries: Sequence[GEOSGeometry],
    *,
    areas: Sequence[float],
    map_scale: int | None,
    exclude: Sequence[int],
) -> list[Overlap]:
    """Return the current parcels (but `exclude`) that `geometries` overlap beyond tolerance.

    `geometries` are in the storage CRS; `areas` are those of the parcels they are part
    of (the tolerance is the smaller parcel's), `map_scale` the scale of their map.
    """
    if not geometries:
        return []
    srid = geometries[0].srid
    with connection.cursor() as cursor:
        cursor.execute(
            _OVERLAPS_WITH_REGISTER,
            {
                **tolerance_params(),
                "srid": srid,
                "wkb": [bytes(geometry.wkb) for geometry in geometries],
                "areas": [float(area) for area in areas],
                "map_scale": map_scale,
                "exclude": list(exclude),
            },
        )
        return [Overlap(int(n), identifier, shared, tol) for n, identifier, shared, tol in cursor]


@dataclass(frozen=True, slots=True)
class Taken:
    """Ground a current parcel would have lost to current parcels and a deed, beyond tolerance."""

    identifier: str  # of the current parcel
    parts: tuple[int, ...]  # the positions of the geometries that take some of it
    area: float  # m² lost in all: to current parcels already and to the geometries, united
    tolerance: float  # m² the maps permit for the current parcel
    already: float = 0.0  # m² of it current parcels overlap before the deed


# Every parcel a geometry reaches into: what the deed takes of it is united with what
# current parcels already overlap of it, so that no run of deeds, each within its own
# allowance, takes more of a parcel than its map permits. A parcel nothing current
# overlaps and one geometry alone reaches is held to its pair's tolerance
# (overlaps_with_register), never more than the parcel's own. The current parcels are
# all but the loser itself, the parent of a subdivision among them: the children take
# the parent's ground, and what lies beyond it is the geometries, so what the parent
# held of a neighbour is counted as the children's.
# Deeds and imports that take ground near current parcels wait for each other before
# they measure what a parcel has lost: two at once would each pass against a register
# without the other, and together take more than its map permits. (The key is the one
# imports always took.)
GROUND_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('parcels.import_parcels', 0))"


def lock_ground() -> None:
    """Wait, to the end of the transaction, for every other deed or import taking ground."""
    with connection.cursor() as cursor:
        cursor.execute(GROUND_LOCK)


# What a deed or file must add to a parcel's loss to answer for it (m²): a parcel already
# overlapped beyond its tolerance (data older than the rule) must not refuse a deed that
# takes none of it, where floating point leaves a sliver of 1e-9 m².
ADDED_M2 = 0.01

# The ground of current parcel `r` that other current parcels already overlap, as one
# geometry (`held`, NULL when none): what it has lost before a deed or file takes more.
HELD_SQL = """
            SELECT ST_Union(ST_Intersection(r.boundary, q.boundary)) AS held
            FROM parcels_parcel AS q
            WHERE q.boundary && r.boundary AND q.valid_to IS NULL AND q.id <> r.id
              AND ST_Relate(r.boundary, q.boundary, '2********')
"""

_TAKEN_FROM_REGISTER = f"""
    WITH g AS (
        SELECT ST_GeomFromWKB(wkb, %(srid)s) AS geom, n
        FROM unnest(%(wkb)s::bytea[]) WITH ORDINALITY AS g(wkb, n)
    ), reached AS (
        SELECT p.id, p.identifier, p.boundary, array_agg(g.n - 1 ORDER BY g.n) AS parts,
               ST_Union(ST_Intersection(p.boundary, g.geom)) AS taken,
               {tolerance_sql("ST_Area(p.boundary)", _COARSER_WITH_REGISTER)} AS tolerance
        FROM g
        JOIN parcels_parcel AS p ON p.boundary && g.geom AND p.valid_to IS NULL
        WHERE p.id <> ALL(%(exclude)s::bigint[]) AND ST_Relate(p.boundary, g.geom, '2********')
        GROUP BY p.id
    ), measured AS (
        SELECT r.identifier, r.parts, r.tolerance, coalesce(ST_Area(h.held), 0) AS already,
               ST_Area(CASE WHEN h.held IS NULL THEN r.taken
                            ELSE ST_Union(r.taken, h.held) END) AS lost
        FROM reached AS r
        CROSS JOIN LATERAL ({HELD_SQL}) AS h
    )
    SELECT identifier, parts, lost, tolerance, already FROM measured
    WHERE lost > tolerance AND lost - already > {ADDED_M2}
    ORDER BY lost DESC, identifier
"""  # noqa: S608 - our own SQL fragments; every value is bound


def taken_from_register(
    geometries: Sequence[GEOSGeometry], *, map_scale: int | None, exclude: Sequence[int]
) -> list[Taken]:
    """Return the current parcels (but `exclude`) that would lose too much to `geometries`.

    `geometries` are the ground one deed takes, in the storage CRS, from a map at
    `map_scale`; what they share with a parcel is united with what the other current
    parcels already overlap of it (each piece counted once), against the tolerance for
    the parcel's own area.
    """
    if not geometries:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            _TAKEN_FROM_REGISTER,
            {
                **tolerance_params(),
                "srid": geometries[0].srid,
                "wkb": [bytes(geometry.wkb) for geometry in geometries],
                "map_scale": map_scale,
                "exclude": list(exclude),
            },
        )
        return [
            Taken(identifier, tuple(int(n) for n in parts), lost, tolerance, already)
            for identifier, parts, lost, tolerance, already in cursor
        ]
