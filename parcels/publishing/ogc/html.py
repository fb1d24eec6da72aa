"""The HTML encoding of the OGC API – Features (conformance class `conf/html`).

A browser that reads /ogc/ gets pages a person can follow: the same documents the core
makes for JSON, rendered by the templates under `templates/ogc/`, with a small Leaflet
map of a page's features. `ogc/views.py` only decides which encoding a request gets;
everything about the pages is here. Each page links to its JSON (`rel=alternate`), and
`url_as` gives the URL of the same resource in the other encoding.

The pages add no data: they show what the JSON shows (the layers select nothing
personal), with headings and explanations in the request's language. Field names stay
as the layer publishes them, since they are what a filter or a GIS client uses.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import quote, urlsplit, urlunsplit

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from parcels.publishing.layers import Layer
from parcels.publishing.ogc.core import (
    CRS84,
    SUPPORTED_CRS,
    ItemsRequest,
    Page,
    items_request,
    layer_text,
)

HTML = "text/html"
# A page a person reads (a table and a map) holds fewer features than one a GIS client
# pages through; `limit` still asks for more.
PAGE_LIMIT = 50
# The map draws in longitude/latitude whatever `crs` the JSON would use.
MAP_CRS = SUPPORTED_CRS[CRS84]


# What a link leads to, by its relation; those marked True have an HTML page here.
_RELATIONS: dict[str, tuple[Promise, bool]] = {
    "items": (pgettext_lazy("OGC API", "Features"), True),
    "http://www.opengis.net/def/rel/ogc/1.0/queryables": (
        pgettext_lazy("OGC API", "Queryables"),
        True,
    ),
    "http://www.opengis.net/def/rel/ogc/1.0/schema": (pgettext_lazy("OGC API", "Schema"), True),
    "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector": (
        pgettext_lazy("OGC API", "Vector tiles"),
        False,
    ),
    "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes": (
        gettext_lazy("Tile matrix sets"),
        False,
    ),
    "data": (pgettext_lazy("OGC API", "Collections"), True),
    "conformance": (gettext_lazy("Conformance classes"), True),
    "service-desc": (gettext_lazy("API definition (OpenAPI)"), True),
    "collection": (pgettext_lazy("OGC API", "The collection"), True),
}
# Links every page has already (itself, its JSON), and the GeoJSON feature's schema for
# GDAL (describedby, twice spelt; the page links the schema): not listed again.
_SELF_RELATIONS = frozenset({"self", "alternate", "describedby", "describedBy"})

SchemaKind = Literal["queryables", "schema"]
_SCHEMA_TEXT: dict[SchemaKind, tuple[Promise, Promise]] = {
    "queryables": (
        pgettext_lazy("OGC API", "Queryables"),
        gettext_lazy(
            "The attributes a request for features may filter on, with their types. "
            "Use the name as it is written here."
        ),
    ),
    "schema": (
        pgettext_lazy("OGC API", "Schema"),
        gettext_lazy(
            "The attributes every feature of this collection has, with their types: "
            "what GIS software reads to build its table."
        ),
    ),
}


# --- URLs ----------------------------------------------------------------------------------


def url_as(request: HttpRequest, f: str) -> str:
    """Return the absolute URL of this request with `f` set: the resource in that encoding."""
    query = request.GET.copy()
    query["f"] = f
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def _html_href(href: str) -> str:
    """Return `href` with f=html, keeping its other parameters."""
    parts = urlsplit(href)
    query = QueryDict(parts.query, mutable=True)
    query["f"] = "html"
    return urlunsplit(parts._replace(query=query.urlencode()))


def _base(request: HttpRequest) -> str:
    # As views._base: the absolute URL of /ogc, which every link of the API starts with.
    return request.build_absolute_uri("/ogc").rstrip("/")


# --- shared parts -----------------------------------------------------------------------------


def layer_title(layer: Layer) -> str:
    """Return the layer's title in the request's language."""
    return layer_text(layer.title)


def _layer_description(layer: Layer) -> str:
    return layer_text(layer.description)


def _trail(request: HttpRequest, *steps: tuple[str, str]) -> list[tuple[str, str]]:
    """Return the breadcrumbs: the API's landing page, then `steps` (label, path under /ogc)."""
    base = _base(request)
    return [(_("OGC API"), f"{base}/?f=html")] + [
        (label, f"{base}{path}?f=html") for label, path in steps
    ]


def _links(document: Mapping[str, Any]) -> list[dict[str, str]]:
    """Return the document's links a reader may follow, labelled, to HTML where there is one."""
    shown = []
    for found in document.get("links", []):
        if found.get("rel") in _SELF_RELATIONS:
            continue
        label, has_page = _RELATIONS.get(found.get("rel", ""), (found.get("title", ""), False))
        href = _html_href(found["href"]) if has_page else found["href"]
        shown.append({"label": str(label), "href": href})
    return shown


def _page(
    request: HttpRequest, template: str, title: str, trail: list[tuple[str, str]], **context: Any
) -> HttpResponse:
    """Render an OGC page: its title, breadcrumbs and the link to its JSON."""
    context |= {"title": title, "trail": trail, "json_url": url_as(request, "json")}
    return render(request, f"ogc/{template}", context, content_type=f"{HTML}; charset=utf-8")


def _collection_summary(layer: Layer, document: Mapping[str, Any], base: str) -> dict[str, Any]:
    here = f"{base}/collections/{layer.name}"
    bbox = document.get("extent", {}).get("spatial", {}).get("bbox", [None])[0]
    return {
        "id": layer.name,
        "title": layer_title(layer),
        "description": _layer_description(layer),
        "url": f"{here}?f=html",
        "items_url": f"{here}/items?f=html",
        "json_url": f"{here}?f=json",
        "needs_period": layer.needs_period,
        "bbox": bbox,
        "links": _links(document),
    }


def _map_data(features: list[dict[str, Any]], item_url: str | None = None) -> dict[str, Any]:
    """Return what the map of a page draws (static/parcels/ogc.js): features in CRS84."""
    return {
        "features": {"type": "FeatureCollection", "features": features},
        "itemUrl": item_url,
        "label": _("Map of the features on this page"),
    }


# --- pages --------------------------------------------------------------------------------------


def landing(request: HttpRequest, document: Mapping[str, Any]) -> HttpResponse:
    """Return the landing page: what the API offers and how a GIS client connects."""
    return _page(
        request,
        "landing.html",
        _("Land register: OGC API – Features"),
        [],
        base=_base(request),
        links=_links(document),
    )


def conformance(request: HttpRequest, document: Mapping[str, Any]) -> HttpResponse:
    """Return the conformance classes, each a link to its definition."""
    return _page(
        request,
        "conformance.html",
        _("Conformance classes"),
        _trail(request, (_("Conformance classes"), "/conformance")),
        classes=document["conformsTo"],
    )


def collections(
    request: HttpRequest, document: Mapping[str, Any], layers: Mapping[str, Layer]
) -> HttpResponse:
    """Return the list of collections with their descriptions and where to read them."""
    base = _base(request)
    return _page(
        request,
        "collections.html",
        pgettext("OGC API", "Collections"),
        _trail(request, (pgettext("OGC API", "Collections"), "/collections")),
        collections=[
            _collection_summary(layers[entry["id"]], entry, base)
            for entry in document["collections"]
        ],
    )


def collection(request: HttpRequest, layer: Layer, document: Mapping[str, Any]) -> HttpResponse:
    """Return one collection: its description, extent, coordinate systems and links."""
    summary = _collection_summary(layer, document, _base(request))
    return _page(
        request,
        "collection.html",
        summary["title"],
        _trail(
            request,
            (pgettext("OGC API", "Collections"), "/collections"),
            (summary["title"], f"/collections/{layer.name}"),
        ),
        collection=summary,
        crs=document.get("crs", []),
        storage_crs=document.get("storageCrs", ""),
        fields=layer.fields,
    )


def _schema_type(schema: Mapping[str, Any]) -> str:
    """Return a JSON Schema property's type as a reader wants it: type, format, or reference."""
    kind = schema.get("type")
    text = " | ".join(kind) if isinstance(kind, list) else str(kind or "")
    if not text and "$ref" in schema:
        text = str(schema["$ref"]).rstrip("/").rsplit("/", 1)[-1]
    return text or "—"


def schema_page(
    request: HttpRequest,
    layer: Layer,
    document: Mapping[str, Any],
    kind: SchemaKind = "schema",
) -> HttpResponse:
    """Return a JSON Schema document (queryables, or a collection's schema) as a page.

    Any schema renders: each property with its title, type, format, role and
    description, as the document gives them.
    """
    heading, explanation = _SCHEMA_TEXT[kind]
    title = layer_title(layer)
    properties = [
        {
            "name": name,
            "title": schema.get("title", ""),
            "type": _schema_type(schema),
            "format": schema.get("format", ""),
            "role": schema.get("x-ogc-role", ""),
            "description": schema.get("description", ""),
            "enum": schema.get("enum", []),
        }
        for name, schema in document.get("properties", {}).items()
    ]
    collection_path = f"/collections/{layer.name}"
    return _page(
        request,
        "schema.html",
        f"{title}: {heading}",
        _trail(
            request,
            (pgettext("OGC API", "Collections"), "/collections"),
            (title, collection_path),
            (str(heading), f"{collection_path}/{kind}"),
        ),
        heading=heading,
        explanation=explanation,
        properties=properties,
        # A title that only repeats the name is left out, and so is a column of them.
        has_titles=any(p["title"] and p["title"] != p["name"] for p in properties),
        has_descriptions=any(p["description"] or p.get("enum") for p in properties),
        collection_title=title,
        items_url=f"{_base(request)}{collection_path}/items?f=html",
    )


def page_request(layer: Layer, params: Mapping[str, str]) -> ItemsRequest:
    """Check /items as core.items_request does, for a page of PAGE_LIMIT drawn on the map."""
    items = items_request(layer, {"limit": str(PAGE_LIMIT), **params})
    return dataclasses.replace(items, crs=MAP_CRS)


def items(
    request: HttpRequest, layer: Layer, page: Page, links: list[dict[str, str]]
) -> HttpResponse:
    """Return a page of features: a map of them, a table of their properties, paging links."""
    features = json.loads(page.features)
    title = layer_title(layer)
    here = f"{_base(request)}/collections/{layer.name}"
    paging = {found["rel"]: _html_href(found["href"]) for found in links}
    return _page(
        request,
        "items.html",
        title,
        _trail(
            request,
            (pgettext("OGC API", "Collections"), "/collections"),
            (title, f"/collections/{layer.name}"),
            (pgettext("OGC API", "Features"), f"/collections/{layer.name}/items"),
        ),
        layer=layer,
        fields=layer.fields,
        rows=[
            {
                "id": feature["id"],
                "url": f"{here}/items/{quote(str(feature['id']))}?f=html",
                "values": [feature["properties"].get(f.name) for f in layer.fields],
            }
            for feature in features
        ],
        map_data=_map_data(features, item_url=f"{here}/items/"),
        page=page,
        next_url=paging.get("next"),
        prev_url=paging.get("prev"),
        queryables_url=f"{here}/queryables?f=html",
    )


def item(request: HttpRequest, layer: Layer, feature_id: str, text: str) -> HttpResponse:
    """Return one feature: its properties and a map of it."""
    feature = json.loads(text)
    title = layer_title(layer)
    return _page(
        request,
        "item.html",
        f"{title} {feature_id}",
        _trail(
            request,
            (pgettext("OGC API", "Collections"), "/collections"),
            (title, f"/collections/{layer.name}"),
            (pgettext("OGC API", "Features"), f"/collections/{layer.name}/items"),
            (feature_id, f"/collections/{layer.name}/items/{quote(feature_id)}"),
        ),
        layer_title=title,
        feature_id=feature_id,
        properties=[(f, feature["properties"].get(f.name)) for f in layer.fields],
        map_data=_map_data([feature]),
        items_url=f"{_base(request)}/collections/{layer.name}/items?f=html",
    )


def api(request: HttpRequest, document: Mapping[str, Any]) -> HttpResponse:
    """Return the API definition as a list of its paths; the OpenAPI document is its JSON."""
    return _page(
        request,
        "api.html",
        _("API definition"),
        _trail(request, (_("API definition"), "/api")),
        paths=[
            (path, operation.get("get", {}).get("summary", ""))
            for path, operation in document["paths"].items()
        ],
        version=document.get("openapi", ""),
    )
