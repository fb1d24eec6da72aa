"""The HTML encoding of the OGC API (conf/html): negotiation, links both ways, pages, language."""

import json
import re
from html.parser import HTMLParser

import pytest

from parcels.publishing import layers
from parcels.publishing.ogc import core as ogc
from tests.factories import LandPriceFactory, ZoningZoneFactory
from tests.parcels.publishing.test_ogc import OTHER_SECRET_ID, SECRET_ID, SECRET_NAME
from tests.parcels.publishing.test_ogc import register_data as _register_data

pytestmark = pytest.mark.django_db

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"
HTML = "text/html; charset=utf-8"
SERVICE_PATHS = ["/", "/conformance", "/collections", "/api"]


register_data = _register_data


@pytest.fixture
def every_layer(register_data):
    """Return the register of test_ogc with a zone and a price: a feature in every layer."""
    ZoningZoneFactory()
    LandPriceFactory(parcel=register_data["parcels"][1])
    return register_data


@pytest.fixture(autouse=True)
def _fresh_extents():
    ogc.clear_extent_cache()
    yield
    ogc.clear_extent_cache()


def _get(client, path, accept=None, **params):
    headers = {"HTTP_ACCEPT": accept} if accept is not None else {}
    return client.get(f"/ogc{path}", params, **headers)


def _collection_paths(name, feature_id):
    here = f"/collections/{name}"
    return [here, f"{here}/queryables", f"{here}/items", f"{here}/items/{feature_id}"]


def _first_id(client, name):
    return _get(client, f"/collections/{name}/items", limit=1).json()["features"][0]["id"]


def _all_paths(client):
    paths = list(SERVICE_PATHS)
    for name in layers.LAYERS:
        paths += _collection_paths(name, _first_id(client, name))
    return paths


class _Page(HTMLParser):
    """The parts of a page the tests read: links in the head, scripts, elements by id."""

    def __init__(self, text):
        super().__init__()
        self.links, self.scripts, self.ids = [], [], {}
        self._script = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "link":
            self.links.append(attributes)
        if tag == "script":
            self._script = {**attributes, "text": ""}
            self.scripts.append(self._script)
        if "id" in attributes:
            self.ids[attributes["id"]] = tag

    def handle_data(self, data):
        if self._script is not None:
            self._script["text"] += data

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None


def _page(response):
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == HTML
    return _Page(response.content.decode())


# --- negotiation ---------------------------------------------------------------------


@pytest.mark.every_profile
def test_f_html_and_a_browsers_accept_give_a_page_of_every_document(client, every_layer):
    for path in _all_paths(client):
        assert _get(client, path, f="html")["Content-Type"] == HTML, path
        assert _get(client, path, accept=BROWSER)["Content-Type"] == HTML, path


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/", "application/json"),
        ("/conformance", "application/json"),
        ("/collections", "application/json"),
        ("/collections/parcels", "application/json"),
        ("/collections/parcels/queryables", "application/schema+json"),
        ("/collections/parcels/items", "application/geo+json"),
        ("/api", "application/vnd.oai.openapi+json;version=3.0"),
    ],
)
def test_f_json_or_a_gis_clients_accept_give_json_as_before(client, path, media_type):
    for accept in (None, "", "*/*", "application/json", "application/geo+json, */*;q=0.5"):
        assert _get(client, path, accept=accept)["Content-Type"] == media_type, accept
    assert _get(client, path, accept=BROWSER, f="json")["Content-Type"] == media_type
    # HTML weighted below JSON, or level with it, still gets JSON.
    for accept in ("text/html;q=0.5, application/json", "text/html, application/json"):
        assert _get(client, path, accept=accept)["Content-Type"] == media_type, accept


def test_f_geojson_still_gives_the_features(client, register_data):
    response = _get(client, "/collections/parcels/items", accept=BROWSER, f="geojson")
    assert response["Content-Type"] == "application/geo+json"


def test_an_accept_without_json_or_html_is_refused_and_an_unknown_f_too(client):
    for accept in ("application/xml", "image/png", "text/html;q=0, application/xml"):
        response = _get(client, "/collections", accept=accept)
        assert response.status_code == 406, accept
        assert response.json()["code"] == "NotAcceptable"
    response = _get(client, "/collections", accept=BROWSER, f="xml")
    assert response.status_code == 400
    assert "f=html" in response.json()["description"]
    # Explicit HTML alone is no longer refused.
    assert _get(client, "/collections", accept="text/html")["Content-Type"] == HTML


def _vary(response):
    return {part.strip().lower() for part in response.get("Vary", "").split(",")}


def test_every_answer_varies_on_accept(client, register_data):
    for params in ({}, {"f": "html"}, {"f": "json"}):
        assert "accept" in _vary(_get(client, "/collections/parcels/items", **params)), params
    assert "accept" in _vary(_get(client, "/", accept="image/png"))


# --- links both ways -----------------------------------------------------------------


@pytest.mark.every_profile
def test_json_documents_link_to_their_page_and_pages_to_their_json(client, every_layer):
    for path in _all_paths(client):
        if path == "/api":  # the OpenAPI document has no links member
            continue
        document = _get(client, path, **({"limit": 5} if path.endswith("/items") else {})).json()
        [html] = [link for link in document["links"] if link["rel"] == "alternate"]
        assert html["type"] == "text/html", path
        assert "f=html" in html["href"] and html["href"].startswith("http://testserver/ogc")
        page = _page(client.get(html["href"]))
        [back] = [link for link in page.links if link.get("rel") == "alternate"]
        assert back["type"] == "application/json"
        assert "f=json" in back["href"], path
        assert client.get(back["href"])["Content-Type"].startswith("application/"), path


def test_each_collection_listed_links_its_page(client):
    for entry in _get(client, "/collections").json()["collections"]:
        [html] = [link for link in entry["links"] if link["rel"] == "alternate"]
        assert html["href"] == f"http://testserver/ogc/collections/{entry['id']}?f=html"


def test_the_json_is_the_cores_document_plus_its_html_link(client, settings):
    settings.LANGUAGE_CODE = "en"  # the request's and the document made here
    landing = _get(client, "/").json()
    alternate = landing["links"].pop()
    assert alternate == {
        "href": "http://testserver/ogc/?f=html",
        "rel": "alternate",
        "type": "text/html",
        "title": "This document as HTML",
    }
    assert landing == ogc.landing_page("http://testserver/ogc")
    conformance = _get(client, "/conformance").json()
    assert conformance.pop("links")[0]["rel"] == "alternate"
    assert conformance == ogc.conformance()


def test_conformance_declares_html(client):
    classes = _get(client, "/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html" in classes
    f = _get(client, "/api").json()["paths"]["/collections/parcels/items"]["get"]["parameters"][0]
    assert f["name"] == "f" and "html" in f["schema"]["enum"]
    # Schemathesis and other clients check each answer's media type against the document.
    for path in _get(client, "/api").json()["paths"].values():
        assert "text/html" in path["get"]["responses"]["200"]["content"]


# --- pages ---------------------------------------------------------------------------


@pytest.mark.every_profile
def test_the_items_page_has_a_map_of_its_features_and_their_table(client, register_data):
    response = _get(client, "/collections/parcels/items", f="html", limit=5)
    page = _page(response)
    assert page.ids.get("ogc-map") == "div"
    [data] = [s for s in page.scripts if s.get("id") == "ogc-features"]
    assert data["type"] == "application/json"
    features = json.loads(data["text"])["features"]["features"]
    expected = _get(client, "/collections/parcels/items", limit=5).json()["features"]
    assert [f["id"] for f in features] == [f["id"] for f in expected]
    # The map draws longitude/latitude, whatever crs the JSON would use.
    lon, lat = features[0]["geometry"]["coordinates"][0][0][0]
    assert 90 < lon < 140 and 0 < lat < 45
    text = response.content.decode()
    for feature in expected:
        assert f"items/{feature['id']}?f=html" in text
        assert feature["properties"]["identifier"] in text
    for field in layers.PARCELS.fields:
        assert f">{field.name}</th>" in text
    assert 'rel="next"' in text


def test_the_items_page_pages_in_html(client, register_data):
    response = _get(client, "/collections/parcels/items", f="html", limit=4)
    [data] = [s for s in _page(response).scripts if s.get("id") == "ogc-features"]
    ids = [f["id"] for f in json.loads(data["text"])["features"]["features"]]
    next_href = re.findall(r'rel="next" href="([^"]+)"', response.content.decode())[0]
    assert "f=html" in next_href and "after=" in next_href
    following = _page(client.get(next_href.replace("&amp;", "&")))
    [data] = [s for s in following.scripts if s.get("id") == "ogc-features"]
    next_ids = [f["id"] for f in json.loads(data["text"])["features"]["features"]]
    assert len(next_ids) == 4 and min(next_ids) > max(ids)


def test_a_page_asked_without_limit_holds_a_readable_number_of_features(client, register_data):
    page = _page(_get(client, "/collections/parcels/items", f="html"))
    [data] = [s for s in page.scripts if s.get("id") == "ogc-features"]
    returned = len(json.loads(data["text"])["features"]["features"])
    assert returned == min(50, len(register_data["parcels"]) + 1)


def test_scripts_are_nonced_or_data_under_the_strict_policy(client, register_data):
    response = _get(client, "/collections/parcels/items", f="html")
    policy = response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy
    for script in _page(response).scripts:
        if "src" in script or script.get("type") == "application/json":
            continue
        assert script.get("nonce") and f"'nonce-{script['nonce']}'" in policy


def test_the_schema_page_renders_any_json_schema(rf):
    from parcels.publishing.ogc import html

    document = {
        "type": "object",
        "properties": {
            "id": {"title": "Id", "type": "integer", "x-ogc-role": "id"},
            "geometry": {
                "format": "geometry-multipolygon",
                "x-ogc-role": "primary-geometry",
            },
            "valid_to": {
                "title": "Retired",
                "type": ["string", "null"],
                "format": "date",
                "description": "Empty while current.",
            },
            "kind": {"type": "string", "enum": ["a", "b"]},
        },
    }
    request = rf.get("/ogc/collections/parcels/schema", {"f": "html"})
    text = html.schema_page(request, layers.PARCELS, document).content.decode()
    for shown in (
        "primary-geometry",
        "geometry-multipolygon",
        "string | null",
        "Retired",
        "Empty while current.",
        "a, b",
        ">valid_to<",
        ">id<",
    ):
        assert shown in text, shown


# --- language and privacy ------------------------------------------------------------


@pytest.mark.every_profile
@pytest.mark.parametrize(
    ("language", "heading", "layer"),
    [("vi", "Lớp dữ liệu", "Thửa đất"), ("ko", "레이어", "필지"), ("en", "Collections", "Parcels")],
)
def test_pages_speak_the_requests_language(client, language, heading, layer):
    response = client.get("/ogc/collections", {"f": "html"}, HTTP_ACCEPT_LANGUAGE=language)
    text = response.content.decode()
    assert f'<html lang="{language}">' in text
    assert f'<h2 class="page-title">{heading}</h2>' in text
    assert f">{layer}</a>" in text
    assert ">parcels</span>" in text  # the collection's name stays as the API spells it
    # The language the site's switch chose (its cookie) wins over the browser's.
    client.cookies["django_language"] = "ko"
    assert "레이어" in client.get("/ogc/collections", {"f": "html"}).content.decode()


def test_the_json_keeps_its_ids_and_links_and_speaks_the_request_language(client):
    english = client.get("/ogc/collections", HTTP_ACCEPT_LANGUAGE="en").json()
    korean = client.get("/ogc/collections", HTTP_ACCEPT_LANGUAGE="ko").json()

    def shape(document):
        return [
            (c["id"], [(link["rel"], link["href"]) for link in c["links"]])
            for c in document["collections"]
        ]

    assert shape(korean) == shape(english)
    titles = {c["id"]: c["title"] for c in korean["collections"]}
    assert titles["parcels"] == "필지" and titles["admin_units"] == "행정구역"
    assert {c["id"]: c["title"] for c in english["collections"]}["parcels"] == "Parcels"


def test_no_page_shows_a_persons_name_or_id(client, every_layer):
    for path in _all_paths(client):
        params = {"f": "html", **({"limit": 1000} if path.endswith("/items") else {})}
        raw = _get(client, path, **params).content
        for secret in (SECRET_NAME, SECRET_ID, OTHER_SECRET_ID):
            assert secret.encode() not in raw, (path, secret)
