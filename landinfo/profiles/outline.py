"""Where a country's parcels can lie: its land and islands, with a margin, in metres.

A profile's outline is Natural Earth's 1:10m polygon of the country (outlines/<key>.geojson,
see outlines/README.md for its source and licence, and scripts/build_outlines.py), joined
with the areas the profile adds because Natural Earth leaves them out (archipelagos,
small islands, land reclaimed since), then buffered by the profile's margin in its
storage CRS. Tests run on whole arrays of points with a prepared geometry (shapely 2),
so checking a million parcels costs a fraction of a second.

Imported lazily by JurisdictionProfile.outline(): settings.py loads the profiles before
Django is configured, and needs neither shapely nor pyproj for that.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import shapely
import shapely.geometry
from pyproj import Transformer

from landinfo.profiles.base import LandArea

if TYPE_CHECKING:
    from landinfo.profiles.base import JurisdictionProfile

OUTLINE_DIR = Path(__file__).resolve().parent / "outlines"
WGS84 = 4326


@dataclass(frozen=True, slots=True)
class Outline:
    """A country's outline in its storage CRS, prepared for fast tests."""

    geometry: shapely.Geometry
    srid: int
    margin_m: float

    def contains_xy(self, x: npt.ArrayLike, y: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Return, for each point of the storage CRS, whether it lies in the outline."""
        inside: npt.NDArray[np.bool_] = shapely.contains_xy(self.geometry, x, y)
        return inside

    def covers(self, geometry: shapely.Geometry) -> bool:
        """Return whether `geometry` (storage CRS) lies wholly in the outline."""
        return bool(shapely.covers(self.geometry, geometry))


def land_area_geometry(area: LandArea) -> shapely.Geometry:
    """Return the area's points as a geometry in WGS84: a point, or their convex hull."""
    return shapely.convex_hull(shapely.multipoints(area.points))


def load_outline(profile: JurisdictionProfile) -> Outline:
    """Return the profile's outline: its country, its added areas, and its margin."""
    document = json.loads((OUTLINE_DIR / f"{profile.key}.geojson").read_text(encoding="utf-8"))
    parts: list[shapely.Geometry] = [
        shapely.geometry.shape(feature["geometry"]) for feature in document["features"]
    ]
    parts += [land_area_geometry(area) for area in profile.added_land]
    to_storage = Transformer.from_crs(WGS84, profile.storage_srid, always_xy=True)
    projected = _project(parts, to_storage)
    # Buffering each part and then joining them is what makes the margin a distance from
    # land in metres, and not from a rectangle in degrees.
    outline = shapely.union_all(shapely.buffer(projected, profile.outline_margin_m, quad_segs=4))
    shapely.prepare(outline)
    return Outline(geometry=outline, srid=profile.storage_srid, margin_m=profile.outline_margin_m)


def _project(
    parts: Sequence[shapely.Geometry], transformer: Transformer
) -> npt.NDArray[np.object_]:
    geometries = np.array(parts, dtype=object)

    def apply(coordinates: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        x, y = transformer.transform(coordinates[:, 0], coordinates[:, 1])
        return np.column_stack((x, y))

    projected: npt.NDArray[np.object_] = shapely.transform(geometries, apply)
    return projected
