"""Public parameters: what PostgreSQL and Python's dates cannot take is a 400, never a 500.

The property test throws hostile values (NUL and other control characters, integers
past bigint, ±2^63, moments at the ends of the calendar with offsets that push them
over, long strings, invalid UTF-8 escapes, lone surrogates, NaN/Infinity, negative
numbers, bboxes out of range) at every query parameter and path parameter of every
public GET endpoint. The endpoints and their parameters are discovered, not listed:
the two OpenAPI documents (/api/schema/, /ogc/api) and Django's URL resolver (with a
concrete URL for every route from the permission matrix, which fails when a route
has none). A new endpoint or parameter is thrown at without editing this file.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from typing import Any
from urllib.parse import parse_qsl, quote, quote_from_bytes, urlsplit

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from landinfo import params as public
from landinfo.errors import API_PREFIX, machine_body
from parcels.models import ExportJob
from parcels.publishing import exports
from tests.factories import LandPriceFactory, ParcelFactory, ZoningZoneFactory
from tests.landinfo.test_permission_matrix import MATRIX

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    """Ask in English unless a test says otherwise: the messages are asserted in English."""
    settings.LANGUAGE_CODE = "en"


# --- the module's own rules --------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "9999-12-31T23:00:00-14:00",  # UTC is in the year 10000
        "0001-01-01T00:00:00+14:00",  # UTC is in the year 0
        "0001-01-01T00:00:00",  # the register's zone is east of UTC in both profiles
        "2024-03-02T09:00:00+18:10",  # no time zone is that far from UTC
        "9" * 5000,
    ],
)
def test_a_moment_without_a_utc_or_local_equivalent_is_refused(text):
    with pytest.raises(public.InvalidParameter):
        public.parse_moment("known_at", text)


def test_moments_at_the_furthest_offsets_and_ends_of_the_calendar_are_read():
    assert public.parse_moment("m", "9999-12-30T23:00:00-14:00").year == 9999
    assert public.parse_moment("m", "0001-01-02T00:00:00+14:00").year == 1
    assert public.parse_day_of("m", "9999-12-31") == dt.date(9999, 12, 31)


@pytest.mark.parametrize("text", [str(2**63), str(-(2**63) - 1), "1" * 5000, "1.5", "NaN", ""])
def test_an_integer_past_bigint_or_not_whole_is_refused(text):
    with pytest.raises(public.InvalidParameter):
        public.parse_integer("offset", text, minimum=0)


def test_text_postgresql_cannot_hold_is_named():
    assert public.refusal_of_text("q", "a\x00b")
    assert public.refusal_of_text("q", "\ud800")
    assert public.refusal_of_text("q", "Thửa 12, tờ 3 \t\x01") is None


# --- every public endpoint, discovered ---------------------------------------------


@functools.cache
def _documents() -> tuple[dict[str, Any], dict[str, Any]]:
    client = Client()
    api = client.get("/api/schema/", {"format": "json"}).json()
    ogc = client.get("/ogc/api").json()
    return api, ogc


def _resolve(node: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        path = node["$ref"].removeprefix("#/").split("/")
        return functools.reduce(lambda inner, key: inner[key], path, document)
    return node


def _query_parameters(operation: dict[str, Any], document: dict[str, Any]) -> dict[str, str]:
    """Return {name: kind} of an operation's query parameters; kind from its schema."""
    found = {}
    for parameter in map(lambda p: _resolve(p, document), operation.get("parameters", [])):
        if parameter.get("in") == "query":
            schema = _resolve(parameter.get("schema", {}), document)
            kind = schema.get("format") or schema.get("type") or "string"
            found[parameter["name"]] = {"date-time": "date", "number": "integer"}.get(kind, kind)
    return found


def _documented() -> dict[str, dict[str, str]]:
    """Return {path template: its query parameters} of every GET both documents describe."""
    api, ogc = _documents()
    found: dict[str, dict[str, str]] = {}
    for prefix, document in (("", api), ("/ogc", ogc)):
        for path, methods in document["paths"].items():
            if "get" in methods:
                found[(prefix + path).rstrip("/") or "/"] = _query_parameters(
                    methods["get"], document
                )
    return found


def _routes(patterns: list[Any], prefix: str = "") -> list[str]:
    routes: list[str] = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if str(pattern.pattern) != "admin/":
                routes += _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            routes.append(prefix + str(pattern.pattern))
    return routes


@functools.cache
def _endpoints() -> dict[str, dict[str, str]]:
    """Return {path template with {name} holes: {parameter name: kind}} to throw at.

    Templates come from the documents ({id}, {featureId}) and from the resolver, whose
    converters become holes too; a route also gives its concrete URL from the
    permission matrix (its holes filled) with that URL's own query parameters. A path
    no document describes is sent every name the documents and the exports use.
    """
    documented = _documented()
    every_name: dict[str, str] = {name: "string" for name in exports.PARAMETERS}
    for names in documented.values():
        every_name |= names
    found = {path: names | {"f": "string"} for path, names in documented.items()}
    for route in _routes(get_resolver().url_patterns):
        template = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
        paths = [template]
        if route in MATRIX and "GET" in MATRIX[route][1]:
            path, _, query = MATRIX[route][0](_CONTEXT).partition("?")
            paths.append(path)
            found.setdefault(path, {}).update({name: "string" for name, _ in parse_qsl(query)})
        for path in paths:
            if path not in documented:
                found[path] = every_name | found.get(path, {})
    return found


# Concrete values for the permission matrix's URLs; real ids are set by the fixture.
_CONTEXT: dict[str, Any] = {"parcel": 1, "job": 1, "application": 1}

# What broke the register before, by the kind of parameter it was sent to.
HOSTILE: dict[str, list[str]] = {
    "integer": [
        str(2**63),
        str(-(2**63)),
        str(2**63 - 1),
        str(-(2**63) - 1),
        str(2**64),
        "1" * 5000,
        "-1",
        "0",
        "NaN",
        "Infinity",
        "-Infinity",
        "1e309",
        "1.5",
    ],
    "date": [
        "9999-12-31T23:00:00-14:00",
        "0001-01-01T00:00:00+14:00",
        "0001-01-01T00:00:00",
        "9999-12-31",
        "0001-01-01",
        "0001-01-01/9999-12-31T23:00:00-14:00",
        "../9999-12-31",
        "9999-12-31T23:59:59.999999+23:59",
    ],
    "array": [
        "-181,-91,181,91",
        "-180,-90,180,90",
        "1e308,1e308,1.1e308,1.1e308",
        "NaN,NaN,NaN,NaN",
        "Infinity,0,1,1",
        "0,0,0,0,0,0",
        "1,2,3",
    ],
    "string": [
        "12\x01\x02\x1f\x7f",
        "\ud800",
        "x" * 3000,
        "EPSG:99999999999999999999",
        "http://www.opengis.net/def/crs/EPSG/0/-1",
    ],
}
# Raw query or path text: invalid UTF-8, a lone surrogate in UTF-8, broken escapes.
RAW = ["%FF%FE", "%ED%A0%80", "%C0%AF", "%", "%0", "a%ZZb"]


def _encode(value: str) -> str:
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def _values(kind: str) -> st.SearchStrategy[str]:
    """Return percent-encoded hostile values for a parameter of `kind`, some random."""
    every = [value for values in HOSTILE.values() for value in values]
    return st.one_of(
        st.sampled_from(HOSTILE.get(kind, HOSTILE["string"])).map(_encode),
        st.sampled_from(every).map(_encode),
        st.sampled_from(RAW),
        st.integers().map(str),
        st.text(st.characters(codec="utf-8"), max_size=20).map(_encode),
        st.binary(min_size=1, max_size=6).map(lambda raw: quote_from_bytes(raw, safe="")),
        st.datetimes(dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31, 23, 59))
        .flatmap(
            lambda moment: st.sampled_from(["-14:00", "+14:00", "Z", ""]).map(
                lambda offset: moment.isoformat() + offset
            )
        )
        .map(_encode),
    )


def _assert_answered(url: str, response: Any) -> None:
    assert response.status_code < 500, (url, response.status_code, response.content[:300])
    path = urlsplit(url).path
    body = machine_body(path)
    if response.status_code < 400 or body is None:
        return
    assert response["Content-Type"].startswith("application/json"), (url, response.content[:200])
    document = response.json()
    # The documented shape; DRF's own refusals under /api/ carry no code.
    expected = {"detail"} if path.startswith(API_PREFIX) else set(body("x", "x"))
    assert expected <= document.keys(), (url, document)
    assert all(isinstance(document[key], str) and document[key] for key in expected), document


@pytest.fixture
def data(settings):
    settings.RATELIMIT_ENABLE = False  # the fuzzer's requests are what the limits refuse
    ZoningZoneFactory()
    parcels = ParcelFactory.create_batch(2)
    LandPriceFactory(parcel=parcels[0])
    planner = User.objects.create_user("fuzz-planner")
    job = ExportJob.objects.create(requested_by=planner, layer="parcels", format="csv")
    _CONTEXT.update(parcel=parcels[0].pk, job=job.pk)
    _endpoints.cache_clear()
    return parcels


def _url(template: str, holes: dict[str, str], query: list[tuple[str, str]]) -> str:
    path = template
    for hole, value in holes.items():
        path = path.replace("{" + hole + "}", value.replace("%2F", "_"), 1)
    return path + ("?" + "&".join(f"{name}={value}" for name, value in query) if query else "")


def _fuzz_endpoint(template: str, names: dict[str, str], real_id: str) -> None:
    client = Client(raise_request_exception=False)
    holes = re.findall(r"\{(\w+)\}", template)
    budget = settings(
        max_examples=min(40, 2 * len(names) + 4 * len(holes) + 2),
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )

    @budget
    @given(draw=st.data())
    def fuzz(draw: st.DataObject) -> None:
        filled = {}
        for hole in holes:
            real = real_id if hole in ("id", "pk", "featureId", "feature_id") else "parcels"
            filled[hole] = draw.draw(st.one_of(st.just(real), _values("integer")), label=hole)
        query = []
        if names:
            for name in draw.draw(st.lists(st.sampled_from(sorted(names)), max_size=2), label="q"):
                query.append((_encode(name), draw.draw(_values(names[name]), label=name)))
        url = _url(template, filled, query)
        _assert_answered(url, client.get(url))

    fuzz()


def test_no_hostile_parameter_of_any_public_endpoint_makes_a_server_error(data):
    failures = []
    for template, names in _endpoints().items():
        try:
            _fuzz_endpoint(template, names, str(data[0].pk))
        except AssertionError as failure:  # every endpoint's, not only the first
            failures.append(f"{template}: {str(failure)[:400]}")
    assert not failures, "\n\n".join(failures)


def test_text_postgresql_cannot_hold_is_a_400_at_every_parameter_of_every_endpoint(data):
    client = Client(raise_request_exception=False)
    for template, names in _endpoints().items():
        holes = {hole: "1" for hole in re.findall(r"\{(\w+)\}", template)}
        for name in names:
            for value in ("a%00b",):
                url = _url(template, holes, [(_encode(name), value)])
                response = client.get(url)
                _assert_answered(url, response)
                assert response.status_code == 400, (url, response.status_code)
        for hole in holes:
            url = _url(template, {**holes, hole: "%00"}, [])
            _assert_answered(url, client.get(url))


def test_every_endpoint_of_both_documents_and_the_resolver_is_thrown_at(data):
    endpoints = _endpoints()
    assert {"/api/parcels/{id}", "/ogc/collections/parcels/items/{featureId}"} <= endpoints.keys()
    assert {"/exports/{layer}.{fmt}", "/tiles/parcels/{z}/{x}/{y}.mvt", "/ogc"} <= endpoints.keys()
    names = endpoints["/ogc/collections/parcels/items"]
    assert {"limit", "offset", "after", "datetime", "admin_unit", "identifier"} <= names.keys()
    assert names["offset"] == "integer" and names["datetime"] == "string"


# --- what the reports found, as plain cases -------------------------------------------

REPORTED = [
    "/ogc/collections/parcels/items?identifier=%00",
    "/ogc/collections/parcels/items?admin_unit=%00",
    "/ogc/collections/parcels/items?land_use=%00",
    "/ogc/collections/parcels/items?zoning=%00",
    "/ogc/collections/parcels/items/%00",
    "/exports/parcels.csv?admin_unit=%00",
    "/ogc/collections/parcels/items?offset=9223372036854775808",
    "/ogc/collections/parcels/items?datetime=9999-12-31T23:00:00-14:00",
    "/ogc/collections/parcels/items?datetime=0001-01-01T00:00:00%2B14:00",
    "/ogc/collections/parcels/items/1?datetime=9999-12-31T23:00:00-14:00",
    "/ogc/collections/changes/items?datetime=9999-12-31T23:00:00-14:00",
    "/ogc/collections/changes/items?datetime=0001-01-01T00:00:00%2B14:00/..",
]


@pytest.mark.parametrize("url", REPORTED)
def test_each_reported_server_error_is_a_400_with_the_documented_body(client, url):
    response = Client(raise_request_exception=False).get(url)
    assert response.status_code == 400, response.content[:300]
    _assert_answered(url, response)


def test_a_person_sent_a_nul_gets_a_page_saying_what_to_change(client):
    response = client.get("/verify/%00")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "NUL" in response.content.decode()


def test_the_ogc_error_body_is_the_ogc_apis_own(client):
    response = client.get("/ogc/collections/parcels/items", {"land_use": "\x00"})
    assert json.loads(response.content)["code"] == "InvalidParameterValue"
