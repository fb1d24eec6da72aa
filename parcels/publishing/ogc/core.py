"""OGC API – Features (Parts 1, 2, 3 and 5) over the public layers: the framework-free core.

The core builds the documents from the layer registry (`parcels.publishing.layers.LAYERS`:
landing page, conformance, collections, queryables, schemas), checks what /items was
asked, and makes pages of features; `ogc/openapi.py` generates the API definition from
the same registry, `ogc/cql.py` translates CQL2 filters (Part 3) to the layer's SQL, and
`ogc/views.py` holds the thin Django views that read the request, call the core, and
map `OGCError` to its status with a pygeoapi-style body (`{"code": ..., "description": ...}`).

A page of features is made by PostGIS in one statement: `layers.query(...)` wrapped in
`json_agg(json_build_object(...))`, returned as one text; Python only adds the links.
The layers select nothing personal, and nothing here joins a party.

Pages follow `sortby` (then the id) and continue with a keyset cursor (`after`): the
last id, or with a sort an opaque token of the last row's keys and id, so the hundredth
page costs what the first does.

`datetime` answers a day: an instant gives the layer as it stood that day (`as_of`); an
interval `start/end` (either end may be `..`) the features in force at any time in it.
The changes layer reads a period of the days changes took effect instead: an instant is
a period of one day, and no `datetime` means every change up to today.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import math
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

import shapely
from django.conf import settings
from django.db import DataError
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, pgettext
from pyproj import CRS

from landinfo import params as public
from landinfo.sql import read_cursor
from landinfo.srid import STORAGE_SRID, WEB_MERCATOR, WGS84, is_geographic
from landinfo.translation import pgettext_noop
from parcels.models import Parcel
from parcels.publishing import layers, tiles
from parcels.publishing.layers import Column, Layer, SortKey, layer_text
from parcels.publishing.ogc import cql

JSON = "application/json"
GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA_JSON = "application/schema+json"

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
_EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{}"

# The page a client gets without `limit`. QGIS (components/parameters/limit in /ogc/api)
# and GDAL 3.8+ (the $ref'd limit of each items path) page with it, or with the maximum
# if lower; at the Core's 10, GDAL read 4,000 parcels in 400 requests.
LIMIT_DEFAULT = 1000
EXTENT_CACHE_SECONDS = 300  # a collection's extent moves only with new parcels at its edge

_FEATURES = "http://www.opengis.net/spec/ogcapi-features-{}/1.0/conf/{}"
CONFORMANCE = (
    _FEATURES.format(1, "core"),
    _FEATURES.format(1, "geojson"),
    _FEATURES.format(1, "html"),
    _FEATURES.format(1, "oas30"),
    _FEATURES.format(2, "crs"),
    # Part 3 (filtering) with the CQL2 classes ogc/cql.py implements.
    _FEATURES.format(3, "queryables"),
    _FEATURES.format(3, "queryables-query-parameters"),
    _FEATURES.format(3, "filter"),
    _FEATURES.format(3, "features-filter"),
    *cql.CONFORMANCE,
    # Part 5 (schemas) and the sorting of Part 8, both drafts at the time of writing.
    _FEATURES.format(5, "schemas"),
    _FEATURES.format(8, "sorting"),
    # OGC API – Tiles (ogc/tiles.py): vector tilesets of the dataset and per collection.
    *(
        f"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/{name}"
        for name in (
            "core",
            "tileset",
            "tilesets-list",
            "geodata-tilesets",
            "dataset-tilesets",
            "mvt",
            "oas30",
        )
    ),
)
TILESETS_VECTOR = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
TILING_SCHEMES = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"

# Parameters of /items that are not attribute filters.
_ITEMS_PARAMETERS = frozenset(
    {
        "f",
        "limit",
        "offset",
        "after",
        "bbox",
        "bbox-crs",
        "datetime",
        "crs",
        "filter",
        "filter-lang",
        "filter-crs",
        "sortby",
        "properties",
        "skipGeometry",
    }
)
# The parameters of one feature (/items/<id>): no paging, no filters.
ITEM_PARAMETERS = frozenset({"f", "crs", "datetime", "properties", "skipGeometry"})


class When(TypedDict, total=False):
    """The date arguments of layers.query that `datetime` maps to."""

    as_of: dt.date
    start: dt.date
    end: dt.date


class OGCError(Exception):
    """A request the API refuses; carries its HTTP status and OGC exception code."""

    status = 400
    code = "InvalidParameterValue"

    def document(self) -> dict[str, str]:
        return {"code": self.code, "description": str(self)}


class InvalidParameter(OGCError):
    status = 400
    code = "InvalidParameterValue"


class NotFound(OGCError):
    status = 404
    code = "NotFound"


class NotAcceptable(OGCError):
    status = 406
    code = "NotAcceptable"


@dataclass(frozen=True, slots=True)
class OutputCrs:
    """A CRS the API speaks: its URI, SRID, and whether its first axis is northing/latitude."""

    uri: str
    srid: int
    north_first: bool

    @property
    def decimals(self) -> int:
        # 9 decimals of a degree is 0.1 mm; in metres, a millimetre is already finer
        # than any survey.
        return 9 if is_geographic(self.srid) else 3


def _north_first(srid: int) -> bool:
    """Return whether the EPSG definition lists a north-pointing axis first (PROJ says)."""
    return CRS.from_epsg(srid).axis_info[0].direction == "north"


def _supported_crs() -> dict[str, OutputCrs]:
    # CRS84 first: it is the default (Part 1), EPSG:4326 is the same datum in lat/lon
    # order. The storage CRS is read from PROJ: EPSG:5897 is easting/northing, EPSG:5186
    # northing/easting, and Part 2 follows the definition's order.
    table = [OutputCrs(CRS84, WGS84, north_first=False)]
    for srid in dict.fromkeys((WGS84, WEB_MERCATOR, STORAGE_SRID)):
        table.append(OutputCrs(_EPSG_URI.format(srid), srid, _north_first(srid)))
    return {entry.uri: entry for entry in table}


SUPPORTED_CRS = _supported_crs()
STORAGE_CRS = SUPPORTED_CRS[_EPSG_URI.format(STORAGE_SRID)]


def resolve_crs(text: str | None, parameter: str) -> OutputCrs:
    if text is None or text == "":
        return SUPPORTED_CRS[CRS84]
    # QGIS and GDAL send the URI; a bracketed URI and the EPSG:n short form are accepted.
    uri = text.strip().strip("<>")
    if match := re.fullmatch(r"(?i)EPSG:(\d+)", uri):
        uri = _EPSG_URI.format(match.group(1))
    try:
        return SUPPORTED_CRS[uri]
    except KeyError:
        raise InvalidParameter(
            gettext("%(parameter)s=%(text)s is not supported; use one of %(supported)s.")
            % {"parameter": parameter, "text": repr(text), "supported": ", ".join(SUPPORTED_CRS)}
        ) from None


# --- documents ---------------------------------------------------------------------


def link(href: str, rel: str, media_type: str, title: str) -> dict[str, str]:
    """Return a link object of the OGC API (href, rel, type, title)."""
    return {"href": href, "rel": rel, "type": media_type, "title": title}


def landing_page(base: str) -> dict[str, Any]:
    """Return the landing page; `base` is the absolute URL of /ogc (no trailing slash)."""
    return {
        "title": gettext("LandInfo land register"),
        "description": gettext(
            "Public layers of the land register (parcels, zoning, official land prices, "
            "administrative units, changes) as OGC API – Features. No personal data."
        ),
        "links": [
            link(f"{base}/", "self", JSON, gettext("This document")),
            link(
                f"{base}/api", "service-desc", OPENAPI, gettext("The API definition (OpenAPI 3.0)")
            ),
            link(f"{base}/conformance", "conformance", JSON, gettext("Conformance classes")),
            link(f"{base}/collections", "data", JSON, gettext("The collections")),
            link(
                f"{base}/tiles", TILESETS_VECTOR, JSON, gettext("Vector tiles of the land register")
            ),
            link(f"{base}/tileMatrixSets", TILING_SCHEMES, JSON, gettext("Tile matrix sets")),
        ],
    }


def conformance() -> dict[str, Any]:
    """Return the conformance declaration: only what is implemented."""
    return {"conformsTo": list(CONFORMANCE)}


_extent_cache: dict[str, tuple[float, list[float] | None]] = {}


def clear_extent_cache() -> None:
    """Forget the cached extents (tests that rewrite the data call it)."""
    _extent_cache.clear()


def _extent_bbox(layer: Layer) -> list[float] | None:
    """Return the layer's bbox in CRS84 (cached a few minutes per process), None if empty."""
    cached = _extent_cache.get(layer.name)
    if cached is not None and time.monotonic() - cached[0] < EXTENT_CACHE_SECONDS:
        return cached[1]
    period = _default_period() if layer.needs_period else When()
    selected = layers.query(layer, srid=STORAGE_SRID, **period)
    # The extent is taken in the storage CRS and its outline densified before it is
    # transformed: a straight projected edge is curved in degrees.
    sql = f"""
        SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (
            SELECT ST_Extent(ST_Transform(ST_Segmentize(b, greatest(1.0, ST_Perimeter(b) / 400)),
                             {WGS84})) AS e
            FROM (SELECT ST_SetSRID(ST_Extent(q.geom)::geometry, {STORAGE_SRID}) AS b
                  FROM ({selected.sql}) q) box
            WHERE b IS NOT NULL
        ) x
    """  # noqa: S608  (our SQL; values are bound)
    with read_cursor(Parcel) as cursor:  # a replica may serve reads
        cursor.execute(sql, selected.params)
        row = cursor.fetchone()
    bbox = None if row is None or row[0] is None else [round(v, 9) for v in row]
    _extent_cache[layer.name] = (time.monotonic(), bbox)
    return bbox


def collection(layer: Layer, base: str) -> dict[str, Any]:
    """Return the description of one collection (Part 1 and Part 2 members)."""
    here = f"{base}/collections/{layer.name}"
    bbox = _extent_bbox(layer)
    document: dict[str, Any] = {
        "id": layer.name,
        "title": layer_text(layer.title),
        "description": layer_text(layer.description)
        + (
            " " + gettext("Query it with datetime=start/end (dates; '..' for an open end).")
            if layer.needs_period
            else ""
        ),
        "itemType": "feature",
        "links": [
            link(here, "self", JSON, gettext("This collection")),
            link(f"{here}/items", "items", GEOJSON, f"{layer_text(layer.title)} (GeoJSON)"),
            link(
                f"{here}/queryables",
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                SCHEMA_JSON,
                gettext("Queryable attributes"),
            ),
            link(
                f"{here}/schema",
                "http://www.opengis.net/def/rel/ogc/1.0/schema",
                SCHEMA_JSON,
                gettext("Schema of the features"),
            ),
            # The schema of the GeoJSON encoding (a Feature): GDAL reads its field types
            # there, from the link spelt describedBy until 3.8.
            *(
                link(
                    f"{here}/schema?f=geojson",
                    rel,
                    SCHEMA_JSON,
                    gettext("Schema of a GeoJSON feature"),
                )
                for rel in ("describedby", "describedBy")
            ),
            *(
                [link(f"{here}/tiles", TILESETS_VECTOR, JSON, _vector_tiles_of(layer))]
                if layer.name in tiles.LAYER_NAMES
                else []
            ),
        ],
        "crs": list(SUPPORTED_CRS),
        "storageCrs": STORAGE_CRS.uri,
    }
    if bbox is not None:
        document["extent"] = {"spatial": {"bbox": [bbox], "crs": CRS84}}
    return document


def collections(base: str) -> dict[str, Any]:
    """Return the list of collections, one per public layer."""
    return {
        "links": [link(f"{base}/collections", "self", JSON, gettext("The collections"))],
        "collections": [collection(layer, base) for layer in layers.LAYERS.values()],
        "crs": list(SUPPORTED_CRS),
    }


_JSON_TYPES = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "date": {"type": "string", "format": "date"},
}


# The roles of Part 5 (x-ogc-role) a column may play: a feature's lifespan, its instant.
_ROLES = {
    "valid_from": "primary-interval-start",
    "valid_to": "primary-interval-end",
    "date": "primary-instant",
}
_NAMED_FILTERS = {
    "admin_unit": pgettext_noop(
        "GIS layer", "Code of an administrative unit: the features in it or in any unit below it."
    ),
    "zoning": pgettext_noop("GIS layer", "Code of a zoning zone: the features that lie in it."),
    "land_use": pgettext_noop("GIS layer", "Land-use code, or its name as a deed writes it."),
}


def _vector_tiles_of(layer: Layer) -> str:
    return gettext("Vector tiles: %(collection)s") % {"collection": layer.local_title}


def _property_schema(column: Column) -> dict[str, Any]:
    """Return the JSON Schema of one column, its title in the request's language."""
    schema: dict[str, Any] = {
        "title": layer_text(column.description).rstrip("."),
        **_JSON_TYPES[column.type],
    }
    if column.name in _ROLES:
        schema["x-ogc-role"] = _ROLES[column.name]
    return schema


def _geometry_schema(layer: Layer) -> dict[str, Any]:
    return {
        "title": pgettext("GIS layer", "Boundary"),
        "format": f"geometry-{layer.geometry_type.lower()}",
        "x-ogc-role": "primary-geometry",
    }


def _json_schema(layer: Layer, here: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": here,
        "type": "object",
        "title": layer_text(layer.title),
        "description": layer_text(layer.description),
        "properties": properties,
        "additionalProperties": False,
    }


def queryables(layer: Layer, base: str) -> dict[str, Any]:
    """Return the JSON Schema of what a filter may name: as `?name=value` or in CQL2.

    The named filters are queryables too (compared with = in CQL2); the geometry is the
    spatial queryable (S_INTERSECTS and the other spatial functions).
    """
    properties: dict[str, Any] = {f.name: _property_schema(f) for f in layer.fields if f.queryable}
    for name in layer.filters:
        properties.setdefault(
            name, {"title": layer_text(_NAMED_FILTERS.get(name, name)), "type": "string"}
        )
    properties[cql.GEOMETRY] = _geometry_schema(layer)
    return _json_schema(layer, f"{base}/collections/{layer.name}/queryables", properties)


def schema(layer: Layer, base: str) -> dict[str, Any]:
    """Return the schema of the features (Part 5): every property typed, the geometry.

    The logical schema, flat, with the roles of Part 5 (x-ogc-role).
    """
    properties: dict[str, Any] = {f.name: _property_schema(f) for f in layer.fields}
    properties[cql.GEOMETRY] = _geometry_schema(layer)
    return _json_schema(layer, f"{base}/collections/{layer.name}/schema", properties)


def feature_schema(layer: Layer, base: str) -> dict[str, Any]:
    """Return the schema of one feature as GeoJSON encodes it (`describedby`).

    GDAL and QGIS read the field types here instead of guessing them from the first
    page, where an empty `valid_to` looked like text and a round price like an integer.
    """
    properties = {f.name: _property_schema(f) for f in layer.fields}
    here = f"{base}/collections/{layer.name}/schema?f=geojson"
    document = _json_schema(layer, here, {})
    document["required"] = ["type", "geometry", "properties"]
    document["properties"] = {
        "type": {"type": "string", "enum": ["Feature"]},
        "id": {"type": "integer" if layer.id_type == "integer" else "string"},
        "geometry": _geometry_schema(layer),
        "properties": {"type": "object", "properties": properties},
    }
    return document


# --- features ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemsRequest:
    """What /items was asked, checked."""

    limit: int = LIMIT_DEFAULT
    offset: int = 0
    # The keyset cursor: the last id of the previous page, or with `sort` the list of
    # its keys' values then its id.
    after: Any = None
    bbox: tuple[float, float, float, float] | None = None
    bbox_crs: OutputCrs = SUPPORTED_CRS[CRS84]
    crs: OutputCrs = SUPPORTED_CRS[CRS84]
    when: When = field(default_factory=When)  # as_of, or start and end
    filters: Mapping[str, str] | None = None
    properties: Mapping[str, str] | None = None  # ?name=value equality filters
    condition: layers.Query | None = None  # the CQL2 filter as SQL
    sort: tuple[SortKey, ...] = ()
    returned: tuple[str, ...] | None = None  # `properties=`: the columns a feature carries
    skip_geometry: bool = False


def limit_max() -> int:
    """Return the most features a page may hold (LANDINFO["OGC_MAX_LIMIT"])."""
    return int(settings.LANDINFO["OGC_MAX_LIMIT"])


def limit_default() -> int:
    """Return the size of a page asked without `limit`."""
    return min(LIMIT_DEFAULT, limit_max())


def _integer(name: str, text: str, *, minimum: int) -> int:
    try:
        return public.parse_integer(name, text, minimum=minimum)
    except public.InvalidParameter as refusal:
        raise InvalidParameter(str(refusal)) from None


def _bbox(text: str, bbox_crs: OutputCrs) -> tuple[float, float, float, float]:
    try:
        numbers = [float(part) for part in text.split(",")]
    except ValueError:
        numbers = []
    if len(numbers) not in (4, 6) or not all(math.isfinite(n) for n in numbers):
        raise InvalidParameter(
            gettext("bbox is 4 (or 6) comma-separated numbers; got %(text)s.")
            % {"text": repr(text)}
        )
    if len(numbers) == 6:  # heights are not stored: keep the horizontal corners
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    a1, a2, b1, b2 = numbers
    # layers.query takes x/y (easting or longitude first): swap a north-first CRS.
    minx, miny, maxx, maxy = (a2, a1, b2, b1) if bbox_crs.north_first else (a1, a2, b1, b2)
    geographic = is_geographic(bbox_crs.srid)
    if geographic and not (max(abs(minx), abs(maxx)) <= 180 and max(abs(miny), abs(maxy)) <= 90):
        raise InvalidParameter(
            gettext(
                "bbox=%(text)s is not a place in %(crs)s (a latitude beyond 90 or a "
                "longitude beyond 180); check the numbers and bbox-crs."
            )
            % {"text": repr(text), "crs": bbox_crs.uri}
        )
    if geographic and minx > maxx and miny < maxy:
        return _across_antimeridian(minx, miny, maxx, maxy, bbox_crs.srid)
    if not (minx < maxx and miny < maxy):
        raise InvalidParameter(
            gettext("bbox=%(text)s: the lower corner must be below the upper.")
            % {"text": repr(text)}
        )
    return minx, miny, maxx, maxy


def _across_antimeridian(
    minx: float, miny: float, maxx: float, maxy: float, srid: int
) -> tuple[float, float, float, float]:
    """Return the part of a box across the antimeridian (west edge east of its east edge,
    as Part 1 allows) where the register can hold parcels: one country lies on one side."""
    halves = [shapely.box(minx, miny, 180, maxy), shapely.box(-180, miny, maxx, maxy)]
    kept = [half for half in halves if not layers.clip_to_register(half, srid).is_empty]
    if not kept:
        return halves[0].bounds  # nothing of the register there: an empty page
    if len(kept) > 1:
        # One box cannot say "all but a strip"; the filter's BBOX can (two boxes).
        raise InvalidParameter(
            gettext(
                "This bbox crosses the antimeridian with the country on both sides of it; "
                "give it as filter=S_INTERSECTS(geometry, BBOX(...)) instead."
            )
        )
    return kept[0].bounds


def _day(text: str) -> dt.date:
    """Return the day of a date or RFC 3339 date-time (in the register's time zone)."""
    try:
        return public.parse_day_of("datetime", text.replace("z", "Z"))
    except public.InvalidParameter as refusal:
        raise InvalidParameter(
            gettext("%(refusal)s datetime is a date (YYYY-MM-DD) or a date-time (RFC 3339).")
            % {"refusal": refusal}
        ) from None


def _default_period() -> When:
    return {"start": dt.date.min, "end": timezone.localdate()}


def parse_when(layer: Layer, text: str | None) -> When:
    """Map `datetime` to layers.query arguments: as_of, or the changes layer's period."""
    if layer.needs_period:
        if not text:
            return _default_period()
        if "/" not in text:
            day = _day(text)
            return {"start": day, "end": day}
        start, end = _interval(text)
        return {"start": start, "end": end}
    if not text:
        return {}
    if "/" in text:
        start, end = _interval(text)
        if layer.during_sql is None:  # no lifespan: every feature is in force
            return {}
        return {"start": start, "end": end}
    return {"as_of": _day(text)}


def _interval(text: str) -> tuple[dt.date, dt.date]:
    """Return the days of `start/end` ('..' or nothing for an open end)."""
    first, _, last = text.partition("/")
    start = dt.date.min if first in ("", "..") else _day(first)
    end = dt.date.max if last in ("", "..") else _day(last)
    if start > end:
        raise InvalidParameter(
            gettext("datetime=%(text)s: the period ends before it starts.") % {"text": repr(text)}
        )
    return start, end


def _condition(layer: Layer, params: Mapping[str, str], posted: str | None) -> layers.Query | None:
    """Return the CQL2 filter (`filter`, or a posted CQL2 JSON body) as SQL, or None."""
    if posted is not None and params.get("filter"):
        raise InvalidParameter(
            gettext(
                "A POST carries its filter as its body; the query's filter would be a second "
                "one. Give one of them."
            )
        )
    text = posted if posted is not None else params.get("filter")
    if text is None or not text.strip():
        return None
    language = "cql2-json" if posted is not None else params.get("filter-lang")
    filter_crs = resolve_crs(params.get("filter-crs"), "filter-crs")
    try:
        expression = cql.parse(text, language)
        return cql.to_sql(
            layer, expression, srid=filter_crs.srid, north_first=filter_crs.north_first
        )
    except cql.FilterError as refusal:
        raise InvalidParameter(str(refusal)) from None


def _sortable(layer: Layer) -> dict[str, Column]:
    # A page is ordered on the FROM it picks its rows from: the queryable columns.
    return {f.name: f for f in layer.fields if f.queryable}


def _sort(layer: Layer, text: str | None) -> tuple[SortKey, ...]:
    """Return the keys of `sortby` (`name`, `+name` ascending, `-name` descending)."""
    if not text:
        return ()
    sortable = _sortable(layer)
    keys = []
    for part in text.split(","):
        name = part.strip()
        descending = name.startswith("-")
        name = name.lstrip("+-").strip()
        if name not in sortable:
            raise InvalidParameter(
                gettext(
                    "sortby: %(name)s is not a sortable property of %(layer)s; sort by "
                    "%(sortable)s ('-' before a name for descending)."
                )
                % {"name": repr(name), "layer": repr(layer.name), "sortable": ", ".join(sortable)}
            )
        keys.append(SortKey(sortable[name], descending))
    if len({key.column.name for key in keys}) < len(keys):
        raise InvalidParameter(
            gettext("sortby=%(text)s names a property twice.") % {"text": repr(text)}
        )
    return tuple(keys)


def parse_properties(layer: Layer, text: str | None) -> tuple[str, ...] | None:
    """Return the columns `properties=` keeps, in the layer's order (None: all)."""
    if text is None:
        return None
    asked = [name.strip() for name in text.split(",") if name.strip()]
    names = [f.name for f in layer.fields]
    if unknown := [name for name in asked if name not in names]:
        raise InvalidParameter(
            gettext("properties: %(unknown)s not in %(layer)s; it has %(names)s.")
            % {
                "unknown": ", ".join(map(repr, unknown)),
                "layer": repr(layer.name),
                "names": ", ".join(names),
            }
        )
    return tuple(name for name in names if name in asked)


def parse_flag(name: str, text: str | None) -> bool:
    if text is None or text.lower() in ("false", "0", ""):
        return False
    if text.lower() in ("true", "1"):
        return True
    raise InvalidParameter(
        gettext("%(name)s is true or false; got %(text)s.") % {"name": name, "text": repr(text)}
    )


def _cursor(layer: Layer, text: str | None, sort: tuple[SortKey, ...]) -> Any:
    """Return the keyset cursor `after` carries: an id, or with a sort an opaque token."""
    if not text:
        return None
    if sort:
        values = decode_cursor(text, len(sort) + 1)
        kinds = [key.column.type for key in sort] + [layer.id_type]
        if not all(
            _fits(value, kind, empty=position < len(sort))
            for position, (value, kind) in enumerate(zip(values, kinds, strict=True))
        ):
            raise InvalidParameter(gettext(_CURSOR_REFUSED))
        return values
    if layer.id_type == "integer":
        return _integer("after", text, minimum=0)
    if refusal := public.refusal_of_text("after", text):
        raise InvalidParameter(refusal)
    return text


_CURSOR_REFUSED = gettext_noop(
    "after is the cursor of the `next` link of a page with the same sortby; "
    "start from the first page."
)


def _fits(value: Any, kind: str, *, empty: bool) -> bool:
    """Tell whether a cursor's value is one of a column of `kind` (None if it may be empty)."""
    if value is None:
        return empty
    if kind == "integer":
        return type(value) is int and abs(value) <= public.BIGINT_MAX
    if kind == "number":
        return type(value) in (int, float) and abs(value) < 1e300  # no inf, nan or 10**400
    if not isinstance(value, str):
        return False
    if public.refusal_of_text("after", value):
        return False
    try:
        if kind == "date":
            dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def encode_cursor(values: list[Any]) -> str:
    """Return the `after` token of a sorted page: its last row's keys and id, url-safe."""
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(text: str, length: int) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, TypeError, RecursionError):
        values = None
    if not isinstance(values, list) or len(values) != length:
        raise InvalidParameter(gettext(_CURSOR_REFUSED))
    return values


def items_request(
    layer: Layer, params: Mapping[str, str], posted: str | None = None
) -> ItemsRequest:
    """Check the query parameters of /items; raise InvalidParameter naming the wrong one.

    `posted` is a CQL2 JSON filter sent as the body of a POST (as pygeoapi takes it).
    """
    queryable = {f.name for f in layer.fields if f.queryable}
    unknown = set(params) - _ITEMS_PARAMETERS - queryable - set(layer.filters)
    if unknown:
        raise InvalidParameter(
            gettext("Unknown parameter %(unknown)s; %(layer)s takes %(known)s.")
            % {
                "unknown": ", ".join(sorted(unknown)),
                "layer": repr(layer.name),
                "known": ", ".join(sorted(_ITEMS_PARAMETERS | queryable | set(layer.filters))),
            }
        )
    limit = limit_default()
    if params.get("limit"):
        # Core, /req/core/fc-limit-response: a limit above the maximum is not an error;
        # the maximum is used.
        limit = min(_integer("limit", params["limit"], minimum=1), limit_max())
    offset = _integer("offset", params["offset"], minimum=0) if params.get("offset") else 0
    sort = _sort(layer, params.get("sortby"))
    bbox_crs = resolve_crs(params.get("bbox-crs"), "bbox-crs")
    bbox = _bbox(params["bbox"], bbox_crs) if params.get("bbox") else None
    filters = {name: params[name] for name in layer.filters if name in params}
    properties = {
        name: params[name] for name in queryable if name in params and name not in filters
    }
    return ItemsRequest(
        limit=limit,
        offset=offset,
        after=_cursor(layer, params.get("after"), sort),
        bbox=bbox,
        bbox_crs=bbox_crs,
        crs=resolve_crs(params.get("crs"), "crs"),
        when=parse_when(layer, params.get("datetime")),
        filters=filters,
        properties=properties,
        condition=_condition(layer, params, posted),
        sort=sort,
        returned=parse_properties(layer, params.get("properties")),
        skip_geometry=parse_flag("skipGeometry", params.get("skipGeometry")),
    )


def _feature_sql(
    layer: Layer,
    crs: OutputCrs,
    returned: tuple[str, ...] | None = None,
    skip_geometry: bool = False,
) -> str:
    geometry = "ST_FlipCoordinates(q.geom)" if crs.north_first else "q.geom"
    geojson = "NULL::json" if skip_geometry else f"ST_AsGeoJSON({geometry}, {crs.decimals})::json"
    # Properties in the layer's field order (to_jsonb would sort them): clients such as
    # GDAL take the schema from the first feature. Field names are ours, never input.
    kept = [f for f in layer.fields if returned is None or f.name in returned]
    properties = ", ".join(f"'{f.name}', q.\"{f.name}\"" for f in kept)
    return (
        "json_build_object('type', 'Feature', 'id', q.id, "
        f"'geometry', {geojson}, "
        f"'properties', json_build_object({properties}))"
    )


def _layer_query(
    layer: Layer, request: ItemsRequest, build: Any = layers.query, **extra: Any
) -> layers.Query:
    try:
        return build(  # type: ignore[no-any-return]
            layer,
            srid=request.crs.srid,
            bbox=request.bbox,
            bbox_srid=request.bbox_crs.srid,
            filters=request.filters,
            properties=request.properties,
            condition=request.condition,
            **request.when,
            **extra,
        )
    except layers.InvalidLayerRequest as refusal:
        raise InvalidParameter(str(refusal)) from None


@dataclass(frozen=True, slots=True)
class Page:
    """One page of features: GeoJSON array text made by PostGIS, and where it stands."""

    features: str
    returned: int
    matched: int | None  # None on a page reached by its cursor: counting is left out
    last_id: int | str | None  # the cursor of the next page
    more: bool  # features follow this page


def page_sql(layer: Layer, request: ItemsRequest) -> layers.Query:
    """Return the statement of one page: its features' JSON, their count and last id."""
    page = _layer_query(
        layer,
        request,
        limit=request.limit,
        offset=request.offset,
        after=request.after,
        sort=request.sort,
    )
    feature = _feature_sql(layer, request.crs, request.returned, request.skip_geometry)
    # The subquery is in page order; json_agg and array_agg keep the order they are fed,
    # so the last element is the last row's cursor (its sort keys, then its id).
    keys = ", ".join([*(f'q."{key.column.name}"' for key in request.sort), "q.id"])
    return layers.Query(
        sql=f"SELECT coalesce(json_agg({feature}), '[]'::json)::text, "  # noqa: S608
        f"count(*), (array_agg(json_build_array({keys})::text))[count(*)] "
        f"FROM ({page.sql}) q",
        params=page.params,
    )


def features_page(layer: Layer, request: ItemsRequest) -> Page:
    """Return one page of features and whether more follow.

    Deep pages cost what the first costs: the page's ids are chosen before anything is
    joined (layers.query), and `next` continues from the last id (a keyset cursor)
    rather than an offset. numberMatched is counted for the pages a client starts
    from (no cursor), as GDAL and QGIS read it from the first page.
    """
    statement = page_sql(layer, request)
    with read_cursor(Parcel) as cursor, _refused_by_the_database():
        cursor.execute(statement.sql, statement.params)
        features, returned, last = cursor.fetchone()
        last_keys = json.loads(last) if last is not None else None
        last_id = None
        if last_keys is not None:
            last_id = encode_cursor(last_keys) if request.sort else last_keys[-1]
        matched = None
        if request.after is None:
            counted = _layer_query(layer, request, build=layers.count_query)
            cursor.execute(counted.sql, counted.params)
            matched = cursor.fetchone()[0]
        more = False
        if returned == request.limit:
            following = _layer_query(
                layer,
                request,
                limit=1,
                after=last_keys if request.sort else last_id,
                sort=request.sort,
            )
            cursor.execute(f"SELECT EXISTS ({following.sql})", following.params)
            more = cursor.fetchone()[0]
    return Page(features, returned, matched, last_id, more)


@contextlib.contextmanager
def _refused_by_the_database() -> Iterator[None]:
    """Turn a value PostgreSQL refuses (a data exception: a number out of range, a text
    it cannot compare) into a 400 naming it, not a 500: the filter and cursor are checked
    before the statement, and this is the net for what no check foresaw."""
    try:
        yield
    except DataError as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else "a value"
        raise InvalidParameter(
            f"The register cannot answer this request: {message}. Check the filter's values."
        ) from None


def feature(
    layer: Layer,
    feature_id: str,
    *,
    crs: OutputCrs,
    when: When,
    returned: tuple[str, ...] | None = None,
    skip_geometry: bool = False,
) -> str:
    """Return the GeoJSON text of one feature; raise NotFound when there is none."""
    try:
        selected = layers.query(layer, srid=crs.srid, feature_id=feature_id, **when)
    except layers.InvalidLayerRequest as refusal:
        raise InvalidParameter(str(refusal)) from None
    with read_cursor(Parcel) as cursor:  # a replica may serve reads
        shape = _feature_sql(layer, crs, returned, skip_geometry)
        statement = f"SELECT {shape}::text FROM ({selected.sql}) q"  # noqa: S608
        cursor.execute(statement, selected.params)
        row = cursor.fetchone()
    if row is None:
        raise NotFound(
            gettext("Collection %(layer)s has no feature %(id)s.")
            % {"layer": layer.local_title, "id": repr(feature_id)}
        )
    return str(row[0])


def layer_named(name: str) -> Layer:
    """Return the layer a path names; NotFound (404) when there is none."""
    try:
        return layers.get_layer(name)
    except layers.InvalidLayerRequest as refusal:
        raise NotFound(str(refusal)) from None
