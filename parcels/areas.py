"""A parcel's area on the ground, and when its registered area strays from it.

The storage CRS is one transverse Mercator zone for the whole country: away from its
central meridian it enlarges areas (0.6 % at Nha Trang in VN-2000 / TM-3 zone 482, 3 %
in Trường Sa). Cadastral areas are computed in each province's own zone, where that
enlargement is negligible, so the area a registered area is compared with is the
boundary's area on the ellipsoid. PostgreSQL computes it with GROUND_AREA_SQL (the
parcel sheet); the import computes the same from the planar area and the projection's
areal scale at the parcel, a batch at a time (ground_areas), which agrees to about 1e-7.

The rule the two areas are held to is the profile's: JurisdictionProfile
.permissible_area_error, by the scale of the cadastral map the parcel was drawn on.
A registered area beyond it is reported, never refused or changed: it is what the
certificate says, and only a correction by the registrar may change it.
"""

from __future__ import annotations

import functools
from typing import TypedDict

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import CRS, Proj, Transformer

from landinfo.profiles import JurisdictionProfile

# The boundary's area on the ellipsoid, m² (geography: spheroid by default).
GROUND_AREA_SQL = "ST_Area(ST_Transform({boundary}, 4326)::geography)"


class AreaDiscrepancy(TypedDict):
    """How a registered area differs from its boundary, beyond the map's tolerance."""

    drawn_area: float  # m² of the boundary on the ground, 1 decimal
    difference: float  # drawn − registered, m², 1 decimal
    percent: float  # of the registered area, signed, 1 decimal
    tolerance: float  # m² the map scale permits, 1 decimal
    map_scale: int  # the denominator M of 1:M
    rule: str  # the rule of law the tolerance comes from


@functools.cache
def _projection(srid: int) -> tuple[Transformer, Proj]:
    crs = CRS.from_epsg(srid)
    # Longitude and latitude on the projection's own datum, which its factors take.
    geodetic = crs.geodetic_crs
    assert geodetic is not None  # a projected CRS has one
    return Transformer.from_crs(crs, geodetic, always_xy=True), Proj(crs)


def ground_areas(boundaries: npt.NDArray[np.object_], srid: int) -> npt.NDArray[np.float64]:
    """Return the areas (m²) on the ellipsoid of boundaries given in the projected `srid`.

    The planar area divided by the projection's areal scale at the middle of each
    boundary: parcels are far too small for the scale to change across one.
    """
    planar: npt.NDArray[np.float64] = shapely.area(boundaries)
    if not len(boundaries):
        return planar
    bounds = shapely.bounds(boundaries)
    to_wgs84, projection = _projection(srid)
    lon, lat = to_wgs84.transform(
        (bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2
    )
    scale = np.asarray(projection.get_factors(lon, lat).areal_scale, dtype=np.float64)
    result: npt.NDArray[np.float64] = planar / scale
    return result


def beyond_tolerance(
    profile: JurisdictionProfile,
    registered: npt.NDArray[np.float64],
    drawn: npt.NDArray[np.float64],
    scales: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
    """Return where registered areas differ from the drawn ones beyond tolerance, and it.

    NaN anywhere (no area, no boundary) is never beyond.
    """
    with np.errstate(invalid="ignore"):
        tolerance = profile.permissible_area_error(registered, scales)
        beyond = np.abs(drawn - registered) > tolerance
    return beyond & np.isfinite(tolerance) & np.isfinite(drawn), tolerance


def area_discrepancy(
    profile: JurisdictionProfile, registered: float, drawn: float, map_scale: int
) -> AreaDiscrepancy | None:
    """Return how `registered` differs from `drawn`, or None within the map's tolerance."""
    tolerance = profile.permissible_area_error(registered, map_scale)
    difference = drawn - registered
    if not abs(difference) > tolerance:
        return None
    return {
        "drawn_area": round(drawn, 1),
        "difference": round(difference, 1),
        "percent": round(100 * difference / registered, 1),
        "tolerance": round(tolerance, 1),
        "map_scale": map_scale,
        "rule": profile.area_rule,
    }
