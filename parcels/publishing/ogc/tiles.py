"""OGC API – Tiles (Part 1) over the register's vector tiles, with TileJSON and a MapLibre style.

The tiles are those of the map (parcels/publishing/tiles.py: the same statement, the
same bytes, ETag and caching); this module describes them. One tile matrix set,
WebMercatorQuad, whose definition, grid and limits come from `morecantile`. Two kinds
of tileset: the dataset's (`/ogc/tiles/...`, every layer in one tile, as the map draws
them) and each collection's that has a tile layer (`/ogc/collections/<c>/tiles/...`,
that layer alone). Each tileset is also described as TileJSON 3.0.0, linked as
`alternate`; the dataset's carries a MapLibre style (parcels/publishing/style.py),
linked as `stylesheet` with type application/vnd.mapbox.style+json.

The OGC tile path is {tileMatrix}/{tileRow}/{tileCol}: row is y, column is x, so
/ogc/tiles/WebMercatorQuad/16/y/x is /tiles/parcels/16/x/y.mvt.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import morecantile
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from parcels.publishing import layers, style
from parcels.publishing import tiles as mvt
from parcels.publishing.ogc.core import (
    CRS84,
    JSON,
    NotFound,
    OGCError,
    collection,
    layer_text,
    link,
)
from parcels.publishing.ogc.openapi import _errors, _operation, _response
from parcels.publishing.ogc.views import _base, _json, _ogc_view
from parcels.views import url_template

TMS = mvt.TILE_MATRIX_SET
TMS_ID = str(TMS.id)
TILEJSON = "application/json"  # TileJSON has no registered media type of its own
TILING_SCHEME = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
GEODATA = "http://www.opengis.net/def/rel/ogc/1.0/geodata"
WEB_MERCATOR_CRS = "http://www.opengis.net/def/crs/EPSG/0/3857"
_COLUMN_TYPES = {"string": "string", "integer": "integer", "number": "number", "date": "string"}


def tms_title() -> str:
    """Return the title OGC 17-083r4 (Annex D) gives WebMercatorQuad, in the request's language."""
    return _("Google Maps Compatible for the World")


@dataclass(frozen=True, slots=True)
class Tileset:
    """The tiles of the whole register, or of one collection (its layer alone)."""

    layers: tuple[mvt.Layer, ...]
    path: str  # below /ogc, without the tile matrix set
    collection: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(layer.name for layer in self.layers)

    @property
    def minzoom(self) -> int:
        return min(layer.minzoom for layer in self.layers)

    @property
    def title(self) -> str:
        if self.collection is None:
            return _("Vector tiles of the land register")
        return _("Vector tiles: %(collection)s") % {
            "collection": layers.get_layer(self.collection).local_title
        }


def tileset_of(collection_name: str | None) -> Tileset:
    """Return the dataset's tileset, or a collection's; NotFound when it has no tiles."""
    if collection_name is None:
        return Tileset(layers=mvt.LAYERS, path="tiles")
    for layer in mvt.LAYERS:
        if layer.name == collection_name:
            return Tileset((layer,), f"collections/{layer.name}/tiles", layer.name)
    raise NotFound(
        _("Collection %(name)s has no vector tiles; those with tiles are %(names)s.")
        % {"name": repr(collection_name), "names": ", ".join(mvt.LAYER_NAMES)}
    )


def check_matrix_set(tms_id: str) -> None:
    """Refuse a tile matrix set other than the one the tiles are cut in (404)."""
    if tms_id != TMS_ID:
        raise NotFound(
            _("Tile matrix set %(tms)s is not offered; the tiles use %(ours)s.")
            % {"tms": repr(tms_id), "ours": TMS_ID}
        )


# --- tile matrix sets -------------------------------------------------------------------


def tile_matrix_sets(base: str) -> dict[str, Any]:
    """Return the list of tile matrix sets (one)."""
    here = f"{base}/tileMatrixSets/{TMS_ID}"
    return {
        "tileMatrixSets": [
            {
                "id": TMS_ID,
                "title": tms_title(),
                "uri": str(TMS.uri),
                "crs": WEB_MERCATOR_CRS,
                "links": [link(here, "self", JSON, tms_title())],
            }
        ],
        "links": [link(f"{base}/tileMatrixSets", "self", JSON, _("Tile matrix sets"))],
    }


def tile_matrix_set(tms_id: str) -> dict[str, Any]:
    """Return the definition of the tile matrix set (OGC 17-083r4 JSON), from morecantile."""
    check_matrix_set(tms_id)
    return {**TMS.model_dump(mode="json", exclude_none=True, by_alias=True), "title": tms_title()}


# --- tilesets ---------------------------------------------------------------------------


def _bbox(tileset: Tileset, base: str) -> list[float] | None:
    """Return the CRS84 bbox of the tileset's collections (their extents, cached by core)."""
    boxes = [
        extent["spatial"]["bbox"][0]
        for layer in tileset.layers
        if (extent := collection(layers.get_layer(layer.name), base).get("extent"))
    ]
    if not boxes:
        return None
    return [
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    ]


def _fields(layer: mvt.Layer) -> dict[str, dict[str, Any]]:
    """Return the JSON Schema of each property the layer's features carry, id first."""
    described = layers.get_layer(layer.name)
    fields: dict[str, dict[str, Any]] = {
        "id": {"type": "integer", "description": _("Feature id."), "x-ogc-role": "id"}
    }
    for name in layer.properties:
        column = described.field(name)
        fields[name] = {
            "type": _COLUMN_TYPES[column.type],
            "description": layer_text(column.description),
        }
        if (from_zoom := layer.property_minzoom(name)) > layer.minzoom:
            fields[name]["description"] += " " + _("From zoom %(zoom)d.") % {"zoom": from_zoom}
    return fields


def _limits(tileset: Tileset, bbox: list[float] | None) -> list[dict[str, Any]]:
    """Return the rows and columns holding the data at each zoom of the tileset."""
    limits: list[dict[str, Any]] = []
    for z in range(tileset.minzoom, mvt.MAX_ZOOM + 1):
        if bbox is None:
            first = morecantile.Tile(0, 0, z)
            last = morecantile.Tile(
                TMS.matrix(z).matrixWidth - 1, TMS.matrix(z).matrixHeight - 1, z
            )
        else:
            first, last = TMS.tile(bbox[0], bbox[3], z), TMS.tile(bbox[2], bbox[1], z)
        limits.append(
            {
                "tileMatrix": str(z),
                "minTileRow": first.y,
                "maxTileRow": last.y,
                "minTileCol": first.x,
                "maxTileCol": last.x,
            }
        )
    return limits


def _tile_template(base: str, tileset: Tileset) -> str:
    return f"{base}/{tileset.path}/{TMS_ID}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}"


def _tileset_links(base: str, tileset: Tileset) -> list[dict[str, Any]]:
    here = f"{base}/{tileset.path}/{TMS_ID}"
    links: list[dict[str, Any]] = [
        link(here, "self", JSON, tileset.title),
        link(f"{base}/tileMatrixSets/{TMS_ID}", TILING_SCHEME, JSON, tms_title()),
        {
            **link(_tile_template(base, tileset), "item", mvt.MVT_CONTENT_TYPE, _("Tiles")),
            "templated": True,
        },
        link(f"{here}/tilejson.json", "alternate", TILEJSON, "TileJSON 3.0.0"),
    ]
    if tileset.collection is None:
        links.append(
            link(f"{here}/style.json", "stylesheet", style.STYLE_MEDIA_TYPE, _("Map style"))
        )
        links.append(link(f"{base}/collections", GEODATA, JSON, _("The collections")))
    else:
        links.append(
            link(f"{base}/collections/{tileset.collection}", GEODATA, JSON, _("The collection"))
        )
    return links


def tilesets(base: str, tileset: Tileset) -> dict[str, Any]:
    """Return the list of the tileset's tile matrix sets (one): the tilesets-list document."""
    return {
        "tilesets": [
            {
                "title": tileset.title,
                "dataType": "vector",
                "crs": WEB_MERCATOR_CRS,
                "tileMatrixSetURI": str(TMS.uri),
                "links": [
                    link(f"{base}/{tileset.path}/{TMS_ID}", "self", JSON, tileset.title),
                    link(f"{base}/tileMatrixSets/{TMS_ID}", TILING_SCHEME, JSON, TMS_ID),
                ],
            }
        ],
        "links": [link(f"{base}/{tileset.path}", "self", JSON, tileset.title)],
    }


def tileset_metadata(base: str, tileset: Tileset) -> dict[str, Any]:
    """Return the tileset metadata (OGC 17-083r4 TileSet in JSON) of the tileset."""
    bbox = _bbox(tileset, base)
    document: dict[str, Any] = {
        "title": tileset.title,
        "dataType": "vector",
        "crs": WEB_MERCATOR_CRS,
        "tileMatrixSetURI": str(TMS.uri),
        "tileMatrixSetLimits": _limits(tileset, bbox),
        "layers": [
            {
                "id": layer.name,
                "title": layers.get_layer(layer.name).local_title,
                "dataType": "vector",
                "geometryDimension": 2,
                "minTileMatrix": str(layer.minzoom),
                "maxTileMatrix": str(mvt.MAX_ZOOM),
                "propertiesSchema": {"type": "object", "properties": _fields(layer)},
                "links": [
                    link(f"{base}/collections/{layer.name}", GEODATA, JSON, _("The collection"))
                ],
            }
            for layer in tileset.layers
        ],
        "links": _tileset_links(base, tileset),
    }
    if bbox is not None:
        document["boundingBox"] = {"lowerLeft": bbox[:2], "upperRight": bbox[2:], "crs": CRS84}
    return document


def tilejson(base: str, tileset: Tileset, *, map_tiles: str) -> dict[str, Any]:
    """Return the TileJSON 3.0.0 document of the tileset.

    `map_tiles` is the absolute URL template of the map's /tiles/ path: the dataset's
    TileJSON points there, where the web server caches tiles.
    """
    if tileset.collection is None:
        template = map_tiles
    else:
        template = f"{base}/{tileset.path}/{TMS_ID}/{{z}}/{{y}}/{{x}}"
    bbox = _bbox(tileset, base) or list(TMS.bbox)
    # Open on the first zoom with parcels, where the register is itself.
    zoom = max(
        tileset.minzoom, next(layer.minzoom for layer in mvt.LAYERS if layer.name == "parcels")
    )
    return {
        "tilejson": "3.0.0",
        "name": tileset.title,
        "version": "1.0.0",
        "attribution": _("LandInfo land register"),
        "scheme": "xyz",
        "tiles": [template],
        "minzoom": tileset.minzoom,
        "maxzoom": mvt.MAX_ZOOM,
        "bounds": bbox,
        "center": [(bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2, zoom],
        "vector_layers": [
            {
                "id": layer.name,
                "description": layers.get_layer(layer.name).local_title,
                "minzoom": layer.minzoom,
                "maxzoom": mvt.MAX_ZOOM,
                "fields": {name: field["description"] for name, field in _fields(layer).items()},
            }
            for layer in tileset.layers
        ],
    }


# --- OpenAPI ----------------------------------------------------------------------------


def _path_parameter(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema,
    }


_TMS_ID = _path_parameter(
    "tileMatrixSetId", {"type": "string", "enum": [TMS_ID]}, "The tile matrix set."
)
_TILE = [
    _TMS_ID,
    _path_parameter(
        "tileMatrix",
        {"type": "string", "pattern": "^[0-9]+$"},
        f"The zoom, 0 to {mvt.MAX_ZOOM}.",
    ),
    _path_parameter("tileRow", {"type": "integer", "minimum": 0}, "The row (y, from the north)."),
    _path_parameter("tileCol", {"type": "integer", "minimum": 0}, "The column (x, from the west)."),
]


def _tile_responses() -> dict[str, Any]:
    return {
        "200": {
            "description": "A Mapbox vector tile.",
            "content": {mvt.MVT_CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        },
        "204": {"description": "No feature in this tile."},
        **_errors(),
    }


def _tileset_paths(prefix: str, title: str, suffix: str) -> dict[str, Any]:
    """Return the paths of one tileset: the list, the metadata, TileJSON and the tiles."""
    here = f"{prefix}/tiles"
    return {
        here: _operation(
            f"{title}: tilesets",
            f"tilesets{suffix}",
            {"200": _response("The tilesets.", JSON), **_errors()},
        ),
        f"{here}/{{tileMatrixSetId}}": _operation(
            f"{title}: tileset metadata",
            f"tileset{suffix}",
            {"200": _response("Tileset metadata.", JSON), **_errors()},
            [_TMS_ID],
        ),
        f"{here}/{{tileMatrixSetId}}/tilejson.json": _operation(
            f"{title}: TileJSON 3.0.0",
            f"tilejson{suffix}",
            {"200": _response("TileJSON.", TILEJSON), **_errors()},
            [_TMS_ID],
        ),
        f"{here}/{{tileMatrixSetId}}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}": _operation(
            f"{title}: a tile", f"tile{suffix}", _tile_responses(), _TILE
        ),
    }


def openapi_paths() -> dict[str, Any]:
    """Return the paths of the OGC API – Tiles for the API definition (ogc/openapi.py)."""
    paths = {
        "/tileMatrixSets": _operation(
            "Tile matrix sets",
            "getTileMatrixSetsList",
            {"200": _response("The tile matrix sets.", JSON), **_errors()},
        ),
        "/tileMatrixSets/{tileMatrixSetId}": _operation(
            "A tile matrix set",
            "getTileMatrixSet",
            {"200": _response("Its definition.", JSON), **_errors()},
            [_TMS_ID],
        ),
        **_tileset_paths("", "The register", ""),
        "/tiles/{tileMatrixSetId}/style.json": _operation(
            "The register: MapLibre style",
            "style",
            {"200": _response("A style (spec v8).", style.STYLE_MEDIA_TYPE), **_errors()},
            [_TMS_ID],
        ),
    }
    for layer in mvt.LAYERS:
        paths |= _tileset_paths(
            f"/collections/{layer.name}", layers.get_layer(layer.name).title, f"_{layer.name}"
        )
    return paths


# --- views ------------------------------------------------------------------------------


def _map_tiles(request: HttpRequest) -> str:
    # Joined, not built: build_absolute_uri would escape the template's braces.
    return request.build_absolute_uri("/").rstrip("/") + url_template("parcels:tile", "z", "x", "y")


@_ogc_view(json_only=True)
def tile_matrix_sets_view(request: HttpRequest) -> HttpResponse:
    """Return the tile matrix sets."""
    return _json(tile_matrix_sets(_base(request)))


@_ogc_view(json_only=True)
def tile_matrix_set_view(request: HttpRequest, tms: str) -> HttpResponse:
    """Return the definition of one tile matrix set."""
    return _json(tile_matrix_set(tms))


@_ogc_view(json_only=True)
def tilesets_view(request: HttpRequest, name: str | None = None) -> HttpResponse:
    """Return the vector tilesets of the dataset, or of collection `name`."""
    return _json(tilesets(_base(request), tileset_of(name)))


@_ogc_view(json_only=True)
def tileset_view(request: HttpRequest, tms: str, name: str | None = None) -> HttpResponse:
    """Return the metadata of one tileset."""
    check_matrix_set(tms)
    return _json(tileset_metadata(_base(request), tileset_of(name)))


@_ogc_view(json_only=True)
def tilejson_view(request: HttpRequest, tms: str, name: str | None = None) -> HttpResponse:
    """Return the TileJSON 3.0.0 document of one tileset."""
    check_matrix_set(tms)
    return _json(tilejson(_base(request), tileset_of(name), map_tiles=_map_tiles(request)))


@_ogc_view(json_only=True)
def style_view(request: HttpRequest, tms: str) -> HttpResponse:
    """Return the MapLibre style (spec v8) of the dataset's tiles."""
    check_matrix_set(tms)
    tileset = tileset_of(None)
    described = tilejson(_base(request), tileset, map_tiles=_map_tiles(request))
    document = style.map_style(name=tileset.title, tilejson=described)
    return HttpResponse(
        json.dumps(document, ensure_ascii=False), content_type=style.STYLE_MEDIA_TYPE
    )


# Not through _ogc_view: a tile answers MVT whatever JSON-only Accept check the documents
# make. Exempt so that a POST is told 405 rather than 403: nothing here writes.
@csrf_exempt
@require_safe
def tile_view(
    request: HttpRequest, tms: str, z: int, y: int, x: int, name: str | None = None
) -> HttpResponse:
    """Return tile {tileMatrix}/{tileRow}/{tileCol} of a tileset, as /tiles/ makes it."""
    try:
        check_matrix_set(tms)
        tileset = tileset_of(name)
        tile = mvt.Tile(z, x, y)
        as_of = mvt.parse_as_of(request.GET.get("as_of"))
    except OGCError as error:
        return JsonResponse(error.document(), status=error.status)
    except mvt.InvalidTileRequest as refusal:
        return JsonResponse(
            {"code": "InvalidParameterValue", "description": str(refusal)}, status=refusal.status
        )
    return mvt.tile_response(request, tile, as_of=as_of, layers=tileset.names)
