"""The OpenAPI 3.0 document of the OGC API – Features, generated from the layer registry.

One path group per registered layer (description, queryables, items, one item), so a
layer added to the registry is described here without an edit. QGIS and GDAL read the
page size from it (`components/parameters/limit`).
"""

from __future__ import annotations

from typing import Any

from landinfo import params as public
from parcels.publishing import layers
from parcels.publishing.layers import Layer
from parcels.publishing.ogc import cql
from parcels.publishing.ogc.core import (
    GEOJSON,
    ITEM_PARAMETERS,
    JSON,
    OPENAPI,
    SCHEMA_JSON,
    SUPPORTED_CRS,
    landing_page,
    limit_default,
    limit_max,
)


def _parameter(name: str, description: str, schema: dict[str, Any], **extra: Any) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        "style": "form",
        "explode": False,
        **extra,
    }


def _items_parameters(layer: Layer) -> list[dict[str, Any]]:
    crs_schema = {"type": "string", "format": "uri", "enum": list(SUPPORTED_CRS)}
    datetime_help = (
        "A period start/end (dates or date-times, '..' for an open end); an instant is "
        "one day; absent: every change up to today."
        if layer.needs_period
        else "A date or date-time: the layer as it stood that day. Intervals are refused."
    )
    parameters = [
        _parameter("f", "Output format.", {"type": "string", "enum": ["json", "geojson", "html"]}),
        # By reference: GDAL 3.8+ reads the page size only from a $ref'd limit, QGIS
        # from components/parameters/limit.
        {"$ref": "#/components/parameters/limit"},
        _parameter(
            "offset",
            "Features to skip (after `after`, when given). The `next` link uses `after` "
            "instead, which costs the same at any depth.",
            {"type": "integer", "minimum": 0, "maximum": public.BIGINT_MAX, "default": 0},
        ),
        _parameter(
            "after",
            "Only the features that follow this one: the cursor the `next` link carries "
            "(the last id of the previous page; with sortby, an opaque token).",
            {"type": "string"},
        ),
        _parameter(
            "bbox",
            "The corners, lower then upper, in bbox-crs (CRS84 by default) and in its axis "
            "order: longitude first in CRS84, latitude or northing first in "
            + ", ".join(f"EPSG:{c.srid}" for c in SUPPORTED_CRS.values() if c.north_first)
            + ".",
            {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
        ),
        _parameter("bbox-crs", "The CRS of bbox.", crs_schema),
        _parameter("datetime", datetime_help, {"type": "string"}),
        _parameter(
            "crs",
            "The CRS of the geometries (Part 2), in its axis order as EPSG defines it "
            "(CRS84: longitude first).",
            crs_schema,
        ),
        *_query_parameters(layer, crs_schema),
    ]
    parameters += [
        _parameter(f.name, f"Equal to: {f.description}", {"type": "string"})
        for f in layer.fields
        if f.queryable and f.name not in layer.filters
    ]
    parameters += [
        _parameter(name, f"Named filter {name}.", {"type": "string"}) for name in layer.filters
    ]
    return parameters


def _query_parameters(layer: Layer, crs_schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the parameters of Part 3 (filter), sorting, property selection."""
    names = [f.name for f in layer.fields]
    return [
        _parameter(
            "filter",
            "A CQL2 filter (Part 3) over the queryables (see /queryables), e.g. "
            "registered_area > 500 AND S_INTERSECTS(geometry, BBOX(105.8,21.0,105.9,21.1)).",
            {"type": "string"},
        ),
        _parameter(
            "filter-lang",
            "The encoding of filter.",
            {"type": "string", "enum": [*cql.LANGUAGES, *cql.ALIASES], "default": "cql2-text"},
        ),
        _parameter("filter-crs", "The CRS of the filter's geometries.", crs_schema),
        _parameter(
            "sortby",
            "Properties to sort by, comma-separated; '-' before a name for descending.",
            {"type": "array", "items": {"type": "string"}},
        ),
        _parameter(
            "properties",
            "Only these properties in each feature, comma-separated.",
            {"type": "array", "items": {"type": "string", "enum": names}},
        ),
        _parameter(
            "skipGeometry", "Features without geometry.", {"type": "boolean", "default": False}
        ),
    ]


def _response(description: str, media_type: str) -> dict[str, Any]:
    return {"description": description, "content": {media_type: {"schema": {"type": "object"}}}}


def _operation(
    summary: str,
    operation_id: str,
    responses: dict[str, Any],
    parameters: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Return the path item of a GET (parameters left out when there are none)."""
    # Every path also answers as a page (f=html, or a browser's Accept): ogc/html.py.
    responses["200"]["content"]["text/html"] = {"schema": {"type": "string"}}
    operation: dict[str, Any] = {"summary": summary, "operationId": operation_id}
    if parameters is not None:
        operation["parameters"] = parameters
    return {"get": {**operation, "responses": responses}}


def _errors() -> dict[str, Any]:
    return {
        "400": _response("A parameter is wrong.", JSON),
        "404": _response("Nothing there.", JSON),
    }


def _rate_limited() -> dict[str, Any]:
    """Return the refusals of a path whose requests are counted per client."""
    # Items are counted per client (landinfo.security.rate_limited, LANDINFO_RATE_OGC).
    return {
        **_errors(),
        "429": {
            **_response("Too many requests from this address; try again later.", JSON),
            "headers": {
                "Retry-After": {
                    "description": "Seconds until the client may ask again.",
                    "schema": {"type": "integer"},
                }
            },
        },
    }


def _f_json() -> list[dict[str, Any]]:
    return [_parameter("f", "Output format.", {"type": "string", "enum": ["json", "html"]})]


def _service_paths() -> dict[str, Any]:
    """Return the paths of the service itself: landing page, API, conformance, collections."""
    return {
        "/": _operation(
            "Landing page",
            "getLandingPage",
            {"200": _response("The landing page.", JSON), **_errors()},
            _f_json(),
        ),
        "/api": _operation(
            "This API definition", "getApi", {"200": _response("OpenAPI 3.0.", OPENAPI)}
        ),
        "/conformance": _operation(
            "Conformance classes",
            "getConformance",
            {"200": _response("The classes.", JSON), **_errors()},
            _f_json(),
        ),
        "/collections": _operation(
            "The collections",
            "getCollections",
            {"200": _response("The collections.", JSON), **_errors()},
            _f_json(),
        ),
    }


def _collection_paths(layer: Layer) -> dict[str, Any]:
    """Return the four paths of one collection: description, queryables, items, one item."""
    here = f"/collections/{layer.name}"
    feature_id = {"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"}}
    return {
        here: _operation(
            f"{layer.title}: description",
            f"describe_{layer.name}",
            {"200": _response("The collection.", JSON), **_errors()},
            _f_json(),
        ),
        f"{here}/queryables": _operation(
            f"{layer.title}: queryable attributes",
            f"queryables_{layer.name}",
            {"200": _response("JSON Schema.", SCHEMA_JSON), **_errors()},
        ),
        f"{here}/schema": _operation(
            f"{layer.title}: schema of the features",
            f"schema_{layer.name}",
            {"200": _response("JSON Schema.", SCHEMA_JSON), **_errors()},
        ),
        f"{here}/items": _items_operations(layer),
        f"{here}/items/{{featureId}}": _operation(
            f"{layer.title}: one feature",
            f"item_{layer.name}",
            {"200": _response("A Feature.", GEOJSON), **_rate_limited()},
            [
                feature_id,
                *(p for p in _items_parameters(layer) if p.get("name") in ITEM_PARAMETERS),
            ],
        ),
    }


def _items_operations(layer: Layer) -> dict[str, Any]:
    """Return the items path: GET, and POST of a CQL2 JSON filter as the body."""
    responses = {"200": _response("A FeatureCollection.", GEOJSON), **_rate_limited()}
    path = _operation(
        f"{layer.title}: features", f"items_{layer.name}", responses, _items_parameters(layer)
    )
    path["post"] = {
        "summary": f"{layer.title}: features matching a CQL2 JSON filter",
        "operationId": f"items_{layer.name}_by_filter",
        "parameters": [p for p in _items_parameters(layer) if p.get("name") != "filter"],
        "requestBody": {
            "required": True,
            "content": {
                kind: {"schema": {"type": "object"}}
                for kind in ("application/query-cql-json", "application/json")
            },
        },
        "responses": responses,
    }
    return path


def _limit() -> dict[str, Any]:
    """Return the `limit` parameter every items path refers to."""
    return _parameter(
        "limit",
        "At most this many features; larger values are lowered to the maximum.",
        {"type": "integer", "minimum": 1, "maximum": limit_max(), "default": limit_default()},
    )


def openapi(base: str) -> dict[str, Any]:
    """Return the OpenAPI 3.0 definition of this API, generated from the layer registry."""
    # Here, not at the top: ogc/tiles.py imports the views, which import this module.
    from parcels.publishing.ogc.tiles import openapi_paths as tiles_paths

    paths = _service_paths()
    for layer in layers.LAYERS.values():
        paths |= _collection_paths(layer)
    paths |= tiles_paths()
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "LandInfo – OGC API – Features",
            "version": "1.0.0",
            "description": landing_page(base)["description"],
            "license": {"name": "Public register data"},
        },
        "servers": [{"url": base}],
        "paths": paths,
        "components": {"parameters": {"limit": _limit()}},
    }
