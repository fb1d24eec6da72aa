"""The register's map palette, and the MapLibre style (spec v8) that draws its tiles with it.

One palette for both: the map page reads it from its configuration (parcels/views.py,
map.js colours parcels and fills its legend with it), and the style, served by the
OGC API – Tiles (ogc/tiles.py), hands the same colours to MapLibre, OpenLayers or QGIS,
so a planner's map looks like the register's. The style draws no text: labels need a
font server (`glyphs`), and the register sends nothing off its own site.
"""

from __future__ import annotations

from typing import Any

from landinfo.profiles import get_profile
from parcels.publishing import tiles

# Fill colours by land-use group (LandUse.group): warm for built-up land, greens for
# the countryside, blues for water; outlines stay dark so adjacent parcels of one group
# stay apart. The legend lists the groups in this order.
GROUP_COLOURS = {
    "agricultural": "#d9e9a6",
    "residential": "#f6c9a8",
    "commercial": "#ef9fb6",
    "public": "#a9c8ec",
    "infrastructure": "#d3d3cf",
    "religious": "#d3b8ea",
    "water": "#8fd0ef",
    "forest": "#86c48a",
    "unused": "#ece3c4",
    "defence": "#b5ab86",
}
PALETTE = {
    "groups": GROUP_COLOURS,
    "parcelOutline": "#5a4a3c",
    "adminLine": "#1f3b57",
    "zoningLine": "#6a4a9c",
    "zoningFill": "#8e6bbf",
}
# Over a base map the fills let it show through, as the map page draws them over one.
PARCEL_FILL_OPACITY = 0.55
STYLE_MEDIA_TYPE = "application/vnd.mapbox.style+json"
SOURCE = "landinfo"


def _land_use_colour() -> list[Any]:
    """Return the MapLibre expression: a parcel's fill colour from its land-use code."""
    by_group: dict[str, list[str]] = {}
    for land_use in get_profile().land_uses:
        by_group.setdefault(land_use.group, []).append(land_use.code)
    expression: list[Any] = ["match", ["get", "land_use"]]
    for group, colour in GROUP_COLOURS.items():
        if codes := by_group.get(group):
            expression += [codes, colour]
    return [*expression, GROUP_COLOURS["unused"]]


def _layer(name: str, kind: str, source_layer: str, **members: Any) -> dict[str, Any]:
    return {"id": name, "type": kind, "source": SOURCE, "source-layer": source_layer, **members}


def _admin_layers() -> list[dict[str, Any]]:
    """Return the units' lines: provinces and districts solid and wide, the others dashed."""
    return [
        _layer(
            "admin-major",
            "line",
            "admin_units",
            filter=["<=", ["get", "level"], 2],
            paint={"line-color": PALETTE["adminLine"], "line-width": 3, "line-opacity": 0.85},
        ),
        _layer(
            "admin-minor",
            "line",
            "admin_units",
            filter=[">", ["get", "level"], 2],
            paint={
                "line-color": PALETTE["adminLine"],
                "line-width": 2,
                "line-opacity": 0.85,
                "line-dasharray": [3, 2],
            },
        ),
    ]


def _style_layers() -> list[dict[str, Any]]:
    """Return the style's layers, bottom to top: fills, then outlines of zones and units."""
    parcels_from = next(layer.minzoom for layer in tiles.LAYERS if layer.name == "parcels")
    return [
        # Zones are tinted only below the parcels, whose colours a tint would muddle.
        _layer(
            "zoning-fill",
            "fill",
            "zoning",
            maxzoom=parcels_from,
            paint={"fill-color": PALETTE["zoningFill"], "fill-opacity": 0.12},
        ),
        _layer(
            "parcels-fill",
            "fill",
            "parcels",
            paint={"fill-color": _land_use_colour(), "fill-opacity": PARCEL_FILL_OPACITY},
        ),
        _layer(
            "parcels-outline",
            "line",
            "parcels",
            paint={
                "line-color": PALETTE["parcelOutline"],
                # As the map: thinner at z15, where lots are ≈4 px wide.
                "line-width": ["step", ["zoom"], 0.3, 16, 0.6, 18, 1],
                "line-opacity": 0.9,
            },
        ),
        _layer(
            "zoning-outline",
            "line",
            "zoning",
            paint={
                "line-color": PALETTE["zoningLine"],
                "line-width": ["step", ["zoom"], 1, parcels_from, 1.5],
                "line-opacity": 0.8,
                "line-dasharray": [4, 3],
            },
        ),
        *_admin_layers(),
    ]


def map_style(*, name: str, tilejson: dict[str, Any]) -> dict[str, Any]:
    """Return the MapLibre style of the register's tiles described by `tilejson`.

    The source is written out (tiles, zooms, bounds) rather than referred to by URL:
    QGIS reads a style's inline source, not every version follows a TileJSON link.
    """
    source = {"type": "vector"} | {
        key: tilejson[key]
        for key in ("tiles", "minzoom", "maxzoom", "bounds", "attribution")
        if key in tilejson
    }
    return {
        "version": 8,
        "name": name,
        "center": tilejson["center"][:2],
        "zoom": tilejson["center"][2],
        "sources": {SOURCE: source},
        "layers": _style_layers(),
    }
