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

The import checks a whole file in one statement built on `tolerance_sql`
(parcels.importing); a subdivision checks the ground its new parcels take beyond their
parent with `overlaps_with_register`.
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


_TOLERANCE_WITH_REGISTER = tolerance_sql(
    "least(ST_Area(p.boundary), g.area)",
    f"greatest({map_scale_sql('p.map_scale')}, {map_scale_sql('%(map_scale)s::int')})",
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
