"""The Django views of the OGC API – Features: read the request, call the core, answer.

Each view is read-only (a POST is told 405), checks `f` and Accept, and maps the
core's `OGCError` to its status and pygeoapi-style document. The features of a page are
spliced into the response as PostGIS wrote them; only the links are made here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from landinfo.security import rate_limited
from parcels.publishing.ogc.core import (
    GEOJSON,
    ITEM_PARAMETERS,
    JSON,
    OPENAPI,
    SCHEMA_JSON,
    InvalidParameter,
    ItemsRequest,
    NotAcceptable,
    OGCError,
    Page,
    collection,
    collections,
    conformance,
    feature,
    feature_schema,
    features_page,
    items_request,
    landing_page,
    layer_named,
    link,
    parse_when,
    queryables,
    resolve_crs,
    schema,
)
from parcels.publishing.ogc.openapi import openapi


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/ogc").rstrip("/")


def _check_format(request: HttpRequest) -> None:
    """Refuse an `f` or Accept this API cannot answer (it speaks JSON only)."""
    f = request.GET.get("f")
    if f is not None and f.lower() not in ("json", "geojson"):
        raise InvalidParameter(f"f={f!r} is not offered; use f=json.")
    accept = request.headers.get("Accept", "")
    if f is None and accept and not re.search(r"json|\*/\*|application/\*", accept):
        raise NotAcceptable(f"Only JSON is offered; Accept {accept!r} excludes it.")


def _json(document: Any, content_type: str = JSON) -> HttpResponse:
    return HttpResponse(json.dumps(document, ensure_ascii=False), content_type=content_type)


def _refusal(error: OGCError) -> JsonResponse:
    return JsonResponse(error.document(), status=error.status)


def _ogc_view(view: Any, *, query_by_post: bool = False) -> Any:
    """Make `view` a read-only endpoint whose OGCError becomes its status and document.

    `query_by_post`: a POST is a query too (a CQL2 JSON filter as its body, as pygeoapi
    takes it); it reads, like a GET.
    """

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            _check_format(request)
            return view(request, *args, **kwargs)
        except OGCError as error:
            return _refusal(error)

    wrapped.__doc__ = view.__doc__
    wrapped.__name__ = view.__name__
    # Exempt so that a POST is told 405 (or read as a query) rather than 403: nothing
    # here writes.
    methods = ["GET", "HEAD", "POST"] if query_by_post else ["GET", "HEAD"]
    return csrf_exempt(require_http_methods(methods)(wrapped))


def _posted_filter(request: HttpRequest) -> str | None:
    """Return the CQL2 JSON filter a POST carries as its body (None for a GET)."""
    if request.method != "POST":
        return None
    kind = request.content_type or ""
    if kind not in ("application/query-cql-json", "application/json"):
        raise InvalidParameter(
            f"A POST to /items carries a CQL2 JSON filter as application/query-cql-json; "
            f"got {kind or 'no Content-Type'!r}."
        )
    try:
        return request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidParameter("The CQL2 JSON filter is not UTF-8 text.") from None


def _link_header(links: list[dict[str, str]]) -> str:
    """Return links as an HTTP Link header, for clients that read headers.

    A single relation needs no quotes (RFC 5988's relation-type may be a URI), and
    clients that split on commas and compare rel as written (ogctests) read it then.
    """
    return ", ".join(
        f'<{item["href"].replace(",", "%2C")}>; rel={item["rel"]}; type="{item["type"]}"'
        for item in links
    )


@_ogc_view
def landing_view(request: HttpRequest) -> HttpResponse:
    """Return the landing page."""
    return _json(landing_page(_base(request)))


@_ogc_view
def openapi_view(request: HttpRequest) -> HttpResponse:
    """Return the OpenAPI 3.0 definition."""
    return _json(openapi(_base(request)), OPENAPI)


@_ogc_view
def conformance_view(request: HttpRequest) -> HttpResponse:
    """Return the conformance declaration."""
    return _json(conformance())


@_ogc_view
def collections_view(request: HttpRequest) -> HttpResponse:
    """Return the collections."""
    return _json(collections(_base(request)))


@_ogc_view
def collection_view(request: HttpRequest, name: str) -> HttpResponse:
    """Return one collection's description."""
    return _json(collection(layer_named(name), _base(request)))


@_ogc_view
def queryables_view(request: HttpRequest, name: str) -> HttpResponse:
    """Return the queryables of one collection."""
    return _json(queryables(layer_named(name), _base(request)), SCHEMA_JSON)


@_ogc_view
def schema_view(request: HttpRequest, name: str) -> HttpResponse:
    """Return the schema of one collection's features (Part 5), or with f=geojson of one
    GeoJSON feature."""
    layer = layer_named(name)
    if request.GET.get("f") == "geojson":
        return _json(feature_schema(layer, _base(request)), SCHEMA_JSON)
    return _json(schema(layer, _base(request)), SCHEMA_JSON)


def _page_links(request: HttpRequest, name: str, items: ItemsRequest, page: Page) -> list:
    here = request.build_absolute_uri(request.path)
    base = _base(request)
    query = {k: v for k, v in request.GET.items() if k not in ("offset", "after")}

    def at(**position: Any) -> str:
        return f"{here}?{urlencode({**query, **position})}"

    links = [
        link(request.build_absolute_uri(), "self", GEOJSON, "This page"),
        link(f"{base}/collections/{name}", "collection", JSON, "The collection"),
        link(
            f"{base}/collections/{name}/queryables",
            "http://www.opengis.net/def/rel/ogc/1.0/queryables",
            SCHEMA_JSON,
            "Queryable attributes",
        ),
    ]
    if page.more:
        links.append(link(at(after=page.last_id), "next", GEOJSON, "Next page"))
    if items.after is None and items.offset > 0:
        previous = max(0, items.offset - items.limit)
        links.append(
            link(at(offset=previous) if previous else at(), "prev", GEOJSON, "Previous page")
        )
    return links


def _items(request: HttpRequest, name: str) -> HttpResponse:
    """Return a page of features as a GeoJSON FeatureCollection made by PostGIS."""
    layer = layer_named(name)
    items = items_request(layer, request.GET.dict(), _posted_filter(request))
    page = features_page(layer, items)
    head: dict[str, Any] = {"type": "FeatureCollection"}
    if page.matched is not None:
        head["numberMatched"] = page.matched
    head |= {
        "numberReturned": page.returned,
        "timeStamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "links": _page_links(request, name, items, page),
    }
    # The features are spliced in as PostGIS wrote them: Python never parses them.
    body = json.dumps(head, ensure_ascii=False)[:-1] + ', "features": ' + page.features + "}"
    response = HttpResponse(body, content_type=GEOJSON)
    response["Content-Crs"] = f"<{items.crs.uri}>"
    response["Link"] = _link_header(head["links"])
    return response


items_view = rate_limited("ogc")(_ogc_view(_items, query_by_post=True))


@rate_limited("ogc")
@_ogc_view
def item_view(request: HttpRequest, name: str, feature_id: str) -> HttpResponse:
    """Return one feature as GeoJSON; 404 when the collection has no such feature."""
    layer = layer_named(name)
    unknown = set(request.GET) - ITEM_PARAMETERS
    if unknown:
        raise InvalidParameter(f"Unknown parameter {', '.join(sorted(unknown))}.")
    crs = resolve_crs(request.GET.get("crs"), "crs")
    text = feature(layer, feature_id, crs=crs, when=parse_when(layer, request.GET.get("datetime")))
    base = _base(request)
    here = request.build_absolute_uri(request.path)
    links = [
        link(here, "self", GEOJSON, "This feature"),
        link(f"{base}/collections/{name}", "collection", JSON, "The collection"),
    ]
    body = text[:-1] + ', "links" : ' + json.dumps(links) + "}"
    response = HttpResponse(body, content_type=GEOJSON)
    response["Content-Crs"] = f"<{crs.uri}>"
    return response
