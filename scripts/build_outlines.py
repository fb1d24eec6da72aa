"""Write landinfo/profiles/outlines/<profile>.geojson from Natural Earth's 1:10m countries.

Run it again only to move to a newer Natural Earth release; the files it writes are
committed, so nothing is fetched at run time. The input is `countries-10m.json` of the
npm package world-atlas (Natural Earth 4.1.0 admin-0 countries as TopoJSON), which the
npm client fetches from its registry:

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    .venv/bin/python scripts/build_outlines.py package/countries-10m.json

Each country's polygons are simplified in the profile's storage CRS (metres) by
SIMPLIFY_M, far less than the margin the profile buffers its outline by at run time
(JurisdictionProfile.outline_margin_m), so no land is lost to the simplification.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyogrio
import shapely
import shapely.geometry
from pyproj import Transformer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from landinfo.profiles.outline import OUTLINE_DIR  # noqa: E402
from landinfo.profiles.registry import PROFILES  # noqa: E402

# Natural Earth's name of each profile's country in the admin-0 layer.
NATURAL_EARTH_NAME = {"vn": "Vietnam", "kr": "South Korea"}
# Douglas-Peucker tolerance: cuts at most this far into the land, a small part of the
# outline's margin; keeps the files a few tens of kilobytes.
SIMPLIFY_M = 200.0
DECIMALS = 5  # about a metre in longitude and latitude
SOURCE = (
    "Natural Earth 1:10m Cultural Vectors, Admin 0 - Countries, version 4.1.0, "
    "as redistributed in the npm package world-atlas 2.0.2 (countries-10m.json)"
)
LICENCE = (
    "Natural Earth is in the public domain (naturalearthdata.com/about/terms-of-use); "
    "world-atlas is ISC-licensed (Copyright 2013-2019 Michael Bostock)"
)


def _apply(transformer: Transformer) -> Callable[[np.ndarray], np.ndarray]:
    def apply(coordinates: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coordinates[:, 0], coordinates[:, 1])
        return np.column_stack((x, y))

    return apply


def _rounded(value: object) -> object:
    """Return GeoJSON coordinates rounded to DECIMALS, so the file holds no float noise."""
    if isinstance(value, float):
        return round(value, DECIMALS)
    if isinstance(value, (list, tuple)):
        return [_rounded(item) for item in value]
    return value


def build(countries: Path) -> None:
    frame = pyogrio.read_dataframe(countries, layer="countries")
    OUTLINE_DIR.mkdir(parents=True, exist_ok=True)
    for key, profile in PROFILES.items():
        (country,) = frame[frame["name"] == NATURAL_EARTH_NAME[key]].geometry.values
        to_storage = Transformer.from_crs(4326, profile.storage_srid, always_xy=True)
        to_wgs84 = Transformer.from_crs(profile.storage_srid, 4326, always_xy=True)
        projected = shapely.transform(country, _apply(to_storage))
        simplified = shapely.make_valid(shapely.simplify(projected, SIMPLIFY_M))
        land = shapely.set_precision(shapely.transform(simplified, _apply(to_wgs84)), 10**-DECIMALS)
        document = {
            "type": "FeatureCollection",
            "name": f"{key}-outline",
            "features": [
                {
                    "type": "Feature",
                    "properties": {
                        "country": NATURAL_EARTH_NAME[key],
                        "source": SOURCE,
                        "licence": LICENCE,
                        "simplified_m": SIMPLIFY_M,
                    },
                    "geometry": {
                        "type": land.geom_type,
                        "coordinates": _rounded(shapely.geometry.mapping(land)["coordinates"]),
                    },
                }
            ],
        }
        target = OUTLINE_DIR / f"{key}.geojson"
        target.write_text(json.dumps(document, separators=(",", ":")) + "\n", encoding="utf-8")
        print(
            f"{target.relative_to(ROOT)}: {shapely.get_num_geometries(land)} parts, "
            f"{shapely.get_num_coordinates(land)} vertices, {target.stat().st_size} bytes"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("countries", type=Path, help="world-atlas's countries-10m.json")
    build(parser.parse_args().countries)
