"""The Django views of the OGC API – Features: read the request, call the core, answer.

Each view is read-only (a POST is told 405), chooses the encoding from `f` and Accept
(JSON, or the HTML pages of `ogc/html.py`), and maps the core's `OGCError` to its
status and pygeoapi-style document. The features of a page are spliced into the
response as PostGIS wrote them; only the links are made here.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from landinfo.security import rate_limited
from parcels.publishing import layers
from parcels.publishing.ogc import html
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
    parse_flag,
    parse_properties,
    parse_when,
    queryables,
    resolve_crs,
    schema,
)
from parcels.publishing.ogc.openapi import openapi


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/ogc").rstrip("/")


# The encodings `f` names; `geojson` is JSON too (the features' own media type).
_FORMATS = {"json": JSON, "geojson": JSON, "html": html.HTML}


def _media_ranges(accept: str) -> list[tuple[str, float]]:
    """Return the media ranges of an Accept header with their weights (RFC 9110, 12.5.1)."""
    ranges = []
    for part in accept.split(","):
        media, *parameters = (piece.strip() for piece in part.split(";"))
        weight = 1.0
        for parameter in parameters:
            name, _equals, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if media:
            ranges.append((media.lower(), weight))
    return ranges


def _weight(ranges: list[tuple[str, float]], exact: Any, within: str) -> float:
    """Return the weight of the most specific range that admits the encoding."""
    for admits in (exact, lambda media: media == within, lambda media: media == "*/*"):
        weights = [weight for media, weight in ranges if admits(media)]
        if weights:
            return max(weights)
    return 0.0


def _encoding(request: HttpRequest) -> str:
    """Return the media type to answer in: `f` decides, else Accept; JSON when neither says.

    A browser asks for text/html before */*, and gets the HTML pages; GIS clients ask
    for JSON or anything, and get JSON. HTML wins only when weighted above JSON.
    """
    f = request.GET.get("f")
    if f is not None:
        try:
            return _FORMATS[f.lower()]
        except KeyError:
            raise InvalidParameter(
                _("f=%(f)s is not offered; use f=json or f=html.") % {"f": repr(f)}
            ) from None
    accept = request.headers.get("Accept", "")
    if not accept:
        return JSON
    ranges = _media_ranges(accept)
    as_json = _weight(ranges, lambda media: "json" in media, "application/*")
    as_html = _weight(ranges, lambda media: media in (html.HTML, "application/xhtml+xml"), "text/*")
    if as_html > as_json:
        return html.HTML
    if as_json > 0:
        return JSON
    raise NotAcceptable(
        _("JSON and HTML are offered; Accept %(accept)s excludes both.") % {"accept": repr(accept)}
    )


def _json(document: Any, content_type: str = JSON) -> HttpResponse:
    return HttpResponse(json.dumps(document, ensure_ascii=False), content_type=content_type)


def _html_link(href: str) -> dict[str, str]:
    return link(href, "alternate", html.HTML, _("This document as HTML"))


def _with_html_link(
    request: HttpRequest, document: dict[str, Any], href: str | None = None
) -> dict[str, Any]:
    """Add to `document` the link to its HTML page (rel=alternate): `href`, else this URL's."""
    document.setdefault("links", []).append(_html_link(href or html.url_as(request, "html")))
    return document


def _refusal(error: OGCError) -> JsonResponse:
    return JsonResponse(error.document(), status=error.status)


def _ogc_view(view: Any = None, *, query_by_post: bool = False, json_only: bool = False) -> Any:
    """Make `view` a read-only endpoint told its encoding (`as_html`), OGCError its refusal.

    `query_by_post`: a POST is a query too (a CQL2 JSON filter as its body, as pygeoapi
    takes it); it reads, like a GET. `json_only`: the view has no page (the tile
    documents, which map clients read): it is not told the encoding, a browser gets the
    JSON, and f=html is refused.
    """
    if view is None:
        return functools.partial(_ogc_view, query_by_post=query_by_post, json_only=json_only)

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            as_html = _encoding(request) == html.HTML
            if json_only and (request.GET.get("f") or "").lower() == "html":
                raise InvalidParameter(_("This document is offered as JSON only; use f=json."))
            if not json_only:
                kwargs["as_html"] = as_html
            response: HttpResponse = view(request, *args, **kwargs)
        except OGCError as error:
            response = _refusal(error)
        # The same URL answers JSON or HTML by Accept: a cache must keep them apart.
        patch_vary_headers(response, ("Accept",))
        return response

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
            _(
                "A POST to /items carries a CQL2 JSON filter as application/query-cql-json; "
                "got %(kind)s."
            )
            % {"kind": repr(kind) if kind else _("no Content-Type")}
        )
    try:
        return request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidParameter(_("The CQL2 JSON filter is not UTF-8 text.")) from None


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
def landing_view(request: HttpRequest, *, as_html: bool) -> HttpResponse:
    """Return the landing page."""
    document = landing_page(_base(request))
    if as_html:
        return html.landing(request, document)
    # /ogc and /ogc/ are one document (QGIS 3.22 cannot follow the redirect).
    return _json(_with_html_link(request, document, f"{_base(request)}/?f=html"))


@_ogc_view
def openapi_view(request: HttpRequest, *, as_html: bool) -> HttpResponse:
    """Return the OpenAPI 3.0 definition (its HTML page lists the paths)."""
    document = openapi(_base(request))
    if as_html:
        return html.api(request, document)
    return _json(document, OPENAPI)


@_ogc_view
def conformance_view(request: HttpRequest, *, as_html: bool) -> HttpResponse:
    """Return the conformance declaration."""
    document = conformance()
    if as_html:
        return html.conformance(request, document)
    return _json(_with_html_link(request, document))


@_ogc_view
def collections_view(request: HttpRequest, *, as_html: bool) -> HttpResponse:
    """Return the collections."""
    base = _base(request)
    document = collections(base)
    if as_html:
        return html.collections(request, document, layers.LAYERS)
    for entry in document["collections"]:
        entry["links"].append(_html_link(f"{base}/collections/{entry['id']}?f=html"))
    return _json(_with_html_link(request, document))


@_ogc_view
def collection_view(request: HttpRequest, name: str, *, as_html: bool) -> HttpResponse:
    """Return one collection's description."""
    layer = layer_named(name)
    document = collection(layer, _base(request))
    if as_html:
        return html.collection(request, layer, document)
    return _json(_with_html_link(request, document))


@_ogc_view
def queryables_view(request: HttpRequest, name: str, *, as_html: bool) -> HttpResponse:
    """Return the queryables of one collection."""
    layer = layer_named(name)
    document = queryables(layer, _base(request))
    if as_html:
        return html.schema_page(request, layer, document, "queryables")
    return _json(_with_html_link(request, document), SCHEMA_JSON)


@_ogc_view
def schema_view(request: HttpRequest, name: str, *, as_html: bool) -> HttpResponse:
    """Return the schema of one collection's features (Part 5), or with f=geojson the
    schema of one GeoJSON feature (what GDAL reads)."""
    layer = layer_named(name)
    if request.GET.get("f") == "geojson":
        return _json(feature_schema(layer, _base(request)), SCHEMA_JSON)
    document = schema(layer, _base(request))
    if as_html:
        return html.schema_page(request, layer, document)
    return _json(_with_html_link(request, document), SCHEMA_JSON)


def _page_links(
    request: HttpRequest, name: str, items: ItemsRequest, page: Page, posted: str | None = None
) -> list:
    """Return the links of a page; those of a POSTed filter carry it as GET parameters.

    Every link is a GET a client can follow as it is: a page reached by POST links its
    next page with the filter in the URL (filter-lang=cql2-json), not without it.
    """
    here = request.build_absolute_uri(request.path)
    base = _base(request)
    query = {k: v for k, v in request.GET.items() if k not in ("offset", "after")}
    if posted is not None:
        query |= {"filter": posted, "filter-lang": "cql2-json"}

    def at(**position: Any) -> str:
        return f"{here}?{urlencode({**query, **position})}"

    current = {k: v for k, v in request.GET.items() if k in ("offset", "after")}
    links = [
        link(
            at(**current) if posted is not None else request.build_absolute_uri(),
            "self",
            GEOJSON,
            _("This page"),
        ),
        link(f"{base}/collections/{name}", "collection", JSON, _("The collection")),
        link(
            f"{base}/collections/{name}/queryables",
            "http://www.opengis.net/def/rel/ogc/1.0/queryables",
            SCHEMA_JSON,
            _("Queryable attributes"),
        ),
    ]
    if page.more:
        links.append(link(at(after=page.last_id), "next", GEOJSON, _("Next page")))
    if items.after is None and items.offset > 0:
        previous = max(0, items.offset - items.limit)
        links.append(
            link(at(offset=previous) if previous else at(), "prev", GEOJSON, _("Previous page"))
        )
    return links


def _alternate(request: HttpRequest, links: list[dict[str, str]], posted: str | None) -> str:
    """Return the URL of a page's HTML; a POSTed page's is its self link's, filter and all."""
    if posted is None:
        return html.url_as(request, "html")
    return links[0]["href"] + "&f=html"


def _items(request: HttpRequest, name: str, *, as_html: bool) -> HttpResponse:
    """Return a page of features as a GeoJSON FeatureCollection made by PostGIS."""
    layer = layer_named(name)
    posted = _posted_filter(request)
    if as_html and posted is None:
        items = html.page_request(layer, request.GET.dict())
    else:
        items = items_request(layer, request.GET.dict(), posted)
        as_html = False
    page = features_page(layer, items)
    links = _page_links(request, name, items, page, posted)
    if as_html:
        return html.items(request, layer, page, links)
    head: dict[str, Any] = {"type": "FeatureCollection"}
    if page.matched is not None:
        head["numberMatched"] = page.matched
    head |= {
        "numberReturned": page.returned,
        "timeStamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "links": [*links, _html_link(_alternate(request, links, posted))],
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
def item_view(request: HttpRequest, name: str, feature_id: str, *, as_html: bool) -> HttpResponse:
    """Return one feature as GeoJSON; 404 when the collection has no such feature."""
    layer = layer_named(name)
    unknown = set(request.GET) - ITEM_PARAMETERS
    if unknown:
        raise InvalidParameter(
            _("Unknown parameter %(unknown)s.") % {"unknown": ", ".join(sorted(unknown))}
        )
    crs = resolve_crs(request.GET.get("crs"), "crs")
    when = parse_when(layer, request.GET.get("datetime"))
    if as_html:
        text = feature(layer, feature_id, crs=html.MAP_CRS, when=when)
        return html.item(request, layer, feature_id, text)
    text = feature(
        layer,
        feature_id,
        crs=crs,
        when=when,
        returned=parse_properties(layer, request.GET.get("properties")),
        skip_geometry=parse_flag("skipGeometry", request.GET.get("skipGeometry")),
    )
    base = _base(request)
    here = request.build_absolute_uri(request.path)
    links = [
        link(here, "self", GEOJSON, _("This feature")),
        link(f"{base}/collections/{name}", "collection", JSON, _("The collection")),
        _html_link(html.url_as(request, "html")),
    ]
    body = text[:-1] + ', "links" : ' + json.dumps(links) + "}"
    response = HttpResponse(body, content_type=GEOJSON)
    response["Content-Crs"] = f"<{crs.uri}>"
    return response
