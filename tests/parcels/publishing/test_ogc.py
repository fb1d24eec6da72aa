"""OGC API – Features at /ogc/: documents, paging, filters, CRS, no personal data, clients."""

import datetime as dt
import json
import os
import re
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from pyproj import CRS

from landinfo.srid import STORAGE_SRID
from parcels.models import Parcel
from parcels.publishing import layers
from parcels.publishing.ogc import core as ogc
from tests.factories import ParcelFactory, PartyFactory, current_entry, national_id
from tests.transactions.deeds.test_services import rectangle
from transactions.deeds import services
from transactions.deeds.services import ChildParcel, DeedInput, PartyInput

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    """Ask in English unless a test says otherwise: the messages are asserted in English."""
    settings.LANGUAGE_CODE = "en"


CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/{}"
SPLIT_ON = dt.date(2024, 3, 1)
# Recognisable personal data: none of it may appear in any OGC response.
SECRET_NAME = "Trần Thị Bímật"
SECRET_ID = national_id(12345, series=7)  # valid in the profile, found nowhere public
OTHER_SECRET_ID = national_id(98765, series=7)


@pytest.fixture(autouse=True)
def _fresh_extents():
    ogc.clear_extent_cache()
    yield
    ogc.clear_extent_cache()


@pytest.fixture
def register_data(notary):
    """Write 12 parcels, two registered to a recognisable person, one split on SPLIT_ON."""
    parcels = [ParcelFactory() for _ in range(12)]
    holder = PartyInput(kind="person", name=SECRET_NAME, national_id=SECRET_ID)
    for parcel in parcels[:2]:
        services.record_first_registration(
            parcel_id=parcel.pk,
            holders=[(holder, Fraction(1))],
            deed=DeedInput(
                effective_date=dt.date(2020, 1, 1),
                recorded_by=notary,
                expected_last_entry=current_entry(parcel.pk),
            ),
        )
    parent = parcels[0]
    x0, y0, x1, y1 = parent.boundary.extent
    split = services.subdivide_parcel(
        parcel_id=parent.pk,
        children=[
            ChildParcel(rectangle(x0, y0, x0 + 8, y1)),
            ChildParcel(rectangle(x0 + 8, y0, x1, y1)),
        ],
        deed=DeedInput(
            effective_date=SPLIT_ON,
            recorded_by=notary,
            expected_last_entry=current_entry(parent.pk),
        ),
    )
    PartyFactory(name=SECRET_NAME + " 2", national_id=OTHER_SECRET_ID)
    return {"parcels": parcels, "parent": parent, "split": split}


def _get(client, path, **params):
    return client.get(f"/ogc{path}", params)


def _ids(response) -> list:
    return [f["id"] for f in response.json()["features"]]


# --- documents ---------------------------------------------------------------------


def test_landing_page_links_api_conformance_and_data_with_absolute_hrefs(client):
    response = _get(client, "/")
    assert response.status_code == 200
    links = {link["rel"]: link for link in response.json()["links"]}
    assert set(links) >= {"self", "service-desc", "conformance", "data"}
    assert links["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    assert links["service-desc"]["href"] == "http://testserver/ogc/api"
    assert all(link["href"].startswith("http://testserver/ogc") for link in links.values())


def test_conformance_declares_what_is_implemented_and_nothing_else():
    classes = set(ogc.conformance()["conformsTo"])
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in classes
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in classes
    assert "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter" in classes
    assert "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text" in classes
    assert "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json" in classes
    assert "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/schemas" in classes
    # No attribute is an array: the array functions are not offered.
    assert not any("array-functions" in c for c in classes)


def test_openapi_document_is_served_and_lists_every_collection(client):
    response = _get(client, "/api")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.oai.openapi+json;version=3.0"
    paths = response.json()["paths"]
    for name in layers.LAYERS:
        assert f"/collections/{name}/items" in paths


@pytest.mark.every_profile
def test_collections_give_extent_in_crs84_and_the_storage_crs(client, register_data):
    document = _get(client, "/collections").json()
    assert [c["id"] for c in document["collections"]] == list(layers.LAYERS)
    parcels = _get(client, "/collections/parcels").json()
    assert parcels["storageCrs"] == EPSG.format(STORAGE_SRID)
    assert parcels["crs"][0] == CRS84
    assert {EPSG.format(4326), EPSG.format(3857), EPSG.format(STORAGE_SRID)} <= set(parcels["crs"])
    minx, miny, maxx, maxy = parcels["extent"]["spatial"]["bbox"][0]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Transform(ST_PointOnSurface(boundary), "
            "4326) c FROM parcels_parcel) p"
        )
        points = cursor.fetchall()
    assert all(minx <= x <= maxx and miny <= y <= maxy for x, y in points)


def test_queryables_are_a_json_schema_of_the_queryable_fields(client):
    response = _get(client, "/collections/parcels/queryables")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/schema+json"
    properties = response.json()["properties"]
    assert "land_use" in properties and "identifier" in properties
    assert "holders" not in properties  # not queryable


# --- items -------------------------------------------------------------------------


def test_items_are_a_geojson_feature_collection_with_counts_and_paging_links(client, register_data):
    first = _get(client, "/collections/parcels/items", limit=5)
    assert first.status_code == 200
    assert first["Content-Type"] == "application/geo+json"
    assert first["Content-Crs"] == f"<{CRS84}>"
    body = first.json()
    current = 13  # 12 parcels, one retired, two children
    assert (body["numberMatched"], body["numberReturned"]) == (current, 5)
    links = {link["rel"]: link["href"] for link in body["links"]}
    assert "prev" not in links and "collection" in links
    seen = _ids(first)
    page = client.get(links["next"])
    while True:
        seen += _ids(page)
        page_links = {link["rel"]: link["href"] for link in page.json()["links"]}
        if "next" not in page_links:
            break
        # A keyset cursor: the page after the last id seen, whatever the depth.
        assert f"after={seen[-1]}" in page_links["next"]
        page = client.get(page_links["next"])
    assert len(seen) == len(set(seen)) == current
    assert seen == sorted(seen)
    assert len(_ids(page)) == current % 5  # the last page says no next: no empty page


def test_offset_pages_keep_working_with_prev_links(client, register_data):
    everything = _ids(_get(client, "/collections/parcels/items", limit=100))
    page = _get(client, "/collections/parcels/items", limit=4, offset=4)
    assert _ids(page) == everything[4:8]
    links = {link["rel"]: link["href"] for link in page.json()["links"]}
    assert "offset" not in links["prev"] and _ids(client.get(links["prev"])) == everything[:4]
    assert _ids(client.get(links["next"])) == everything[8:12]


def test_a_limit_above_the_maximum_is_lowered_and_a_bad_one_refused(client, register_data):
    assert _get(client, "/collections/parcels/items", limit=10**6).status_code == 200
    for bad in ("0", "-1", "many"):
        response = _get(client, "/collections/parcels/items", limit=bad)
        assert response.status_code == 400
        assert response.json()["code"] == "InvalidParameterValue"


def test_bbox_keeps_the_features_it_intersects(client, register_data):
    parcel = register_data["parcels"][5]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (SELECT "
            "ST_Transform(ST_Buffer(ST_PointOnSurface(boundary), 1), 4326)::box2d b "
            "FROM parcels_parcel WHERE id = %s) x",
            [parcel.pk],
        )
        box = cursor.fetchone()
    response = _get(client, "/collections/parcels/items", bbox=",".join(map(str, box)))
    assert _ids(response) == [parcel.pk]
    # The same box in EPSG:4326 is written latitude first.
    flipped = (box[1], box[0], box[3], box[2])
    response = _get(
        client,
        "/collections/parcels/items",
        bbox=",".join(map(str, flipped)),
        **{"bbox-crs": EPSG.format(4326)},
    )
    assert _ids(response) == [parcel.pk]


def test_datetime_gives_the_parent_before_a_subdivision_and_its_children_after(
    client, register_data
):
    parent, split = register_data["parent"], register_data["split"]
    children = list(Parcel.objects.filter(created_by=split).values_list("pk", flat=True))
    before = _ids(_get(client, "/collections/parcels/items", datetime="2024-02-29", limit=100))
    after = _ids(
        _get(client, "/collections/parcels/items", datetime="2024-03-01T12:00:00Z", limit=100)
    )
    assert parent.pk in before and not set(children) & set(before)
    assert parent.pk not in after and set(children) <= set(after)
    # An interval keeps what was in force at any time in it.
    both = _ids(_get(client, "/collections/parcels/items", datetime="2024-02-01/2024-03-31"))
    assert parent.pk in both and set(children) <= set(both)
    early = _ids(_get(client, "/collections/parcels/items", datetime="../2024-02-29"))
    assert parent.pk in early and not set(children) & set(early)
    late = _ids(_get(client, "/collections/parcels/items", datetime="2024-03-01/.."))
    assert parent.pk not in late and set(children) <= set(late)


def test_changes_read_datetime_as_a_period(client, register_data):
    response = _get(client, "/collections/changes/items", datetime="2024-01-01/2024-12-31")
    assert response.status_code == 200
    changes = {f["properties"]["change"] for f in response.json()["features"]}
    assert changes == {"created", "retired"}
    earlier = _get(client, "/collections/changes/items", datetime="../2023-12-31").json()
    assert {f["properties"]["change"] for f in earlier["features"]} <= {"transferred"}


def test_property_and_named_filters(client, register_data):
    parcel = register_data["parcels"][3]
    response = _get(client, "/collections/parcels/items", identifier=parcel.identifier)
    assert _ids(response) == [parcel.pk]
    unit = _get(client, "/collections/parcels/items", admin_unit=parcel.admin_unit.code)
    assert parcel.pk in _ids(unit)
    assert _get(client, "/collections/parcels/items", holders="1").status_code == 400


@pytest.mark.every_profile
def test_the_land_use_filter_reads_a_code_as_typed_and_refuses_one_off_the_list(
    client, register_data
):
    code = register_data["parcels"][3].land_use
    exact = _ids(_get(client, "/collections/parcels/items", land_use=code, limit=100))
    assert register_data["parcels"][3].pk in exact
    for typed in (code.lower(), f" {code}\u200b", f"\u00a0{code.lower()}\u2060"):
        answer = _get(client, "/collections/parcels/items", land_use=typed, limit=100)
        assert answer.status_code == 200, answer.content
        assert _ids(answer) == exact
    refused = _get(client, "/collections/parcels/items", land_use="NOPE")
    assert refused.status_code == 400
    assert "not a land-use code" in refused.json()["description"]


@pytest.mark.every_profile
@pytest.mark.parametrize("srid", [4326, 3857, STORAGE_SRID])
def test_crs_gives_coordinates_in_the_crs_axis_order(client, register_data, srid):
    parcel = register_data["parcels"][4]
    uri = EPSG.format(srid)
    response = _get(client, f"/collections/parcels/items/{parcel.pk}", crs=uri)
    assert response.status_code == 200
    assert response["Content-Crs"] == f"<{uri}>"
    first = response.json()["geometry"]["coordinates"][0][0][0]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_PointN("
            "ST_ExteriorRing(ST_GeometryN(boundary, 1)), 1), %s) p FROM parcels_parcel "
            "WHERE id = %s) x",
            [srid, parcel.pk],
        )
        x, y = cursor.fetchone()
    north_first = CRS.from_epsg(srid).axis_info[0].direction == "north"
    expected = (y, x) if north_first else (x, y)
    assert first == pytest.approx(expected, abs=1e-6 if srid == 4326 else 1e-2)
    if srid == 4326:
        assert north_first  # latitude first, unlike CRS84


def test_default_crs_is_crs84_longitude_first(client, register_data):
    feature = _get(client, f"/collections/parcels/items/{register_data['parcels'][4].pk}").json()
    lon, lat = feature["geometry"]["coordinates"][0][0][0]
    assert 100 < lon < 130 and 20 < lat < 40  # Vietnam and Korea lie east of 100°E


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/collections/nowhere", {}, 404),
        ("/collections/nowhere/items", {}, 404),
        ("/collections/parcels/items/999999999", {}, 404),
        ("/collections/parcels/items", {"crs": "EPSG:2000"}, 400),
        ("/collections/parcels/items", {"bbox": "1,2,3"}, 400),
        ("/collections/parcels/items", {"bbox": "1,4,3,2"}, 400),  # south above north
        ("/collections/parcels/items", {"offset": "-1"}, 400),
        ("/collections/parcels/items", {"datetime": "yesterday"}, 400),
        ("/collections/parcels/items", {"ooga": "booga"}, 400),
        ("/collections", {"f": "xml"}, 400),
    ],
)
def test_refusals_carry_their_status_and_a_message(client, path, params, status):
    response = _get(client, path, **params)
    assert response.status_code == status
    assert response.json()["description"]


def test_no_response_of_any_collection_contains_a_persons_name_or_id(client, register_data):
    for name in layers.LAYERS:
        for params in ({"limit": 10_000}, {"limit": 10_000, "datetime": "2021-01-01"}):
            response = _get(client, f"/collections/{name}/items", **params)
            assert response.status_code == 200, response.content
            raw = response.content
            for secret in (SECRET_NAME, SECRET_ID, OTHER_SECRET_ID):
                assert secret.encode() not in raw, (name, secret)
                assert json.dumps(secret).encode() not in raw, (name, secret)


# --- clients against a running server ----------------------------------------------


@pytest.fixture
def served(transactional_db, live_server):
    """Return the /ogc URL of a live server holding a 300-parcel synthetic district."""
    call_command("generate_parcels", count=300, seed=1, verbosity=0)
    ogc.clear_extent_cache()
    return f"{live_server.url}/ogc"


# scripts/setup installs the suite in a venv of its own (it pins pytest<9, pyarrow<18).
OGCTESTS_PYTHON = Path(settings.BASE_DIR) / ".venv-ogctests" / "bin" / "python"


def _ogctests_core() -> Path:
    if not OGCTESTS_PYTHON.exists():
        pytest.fail("ogctests is not installed: run LANDINFO_WITH_BROWSER=1 scripts/setup")
    found = subprocess.run(  # noqa: S603  (our interpreter and arguments)
        [str(OGCTESTS_PYTHON), "-c", "import ogctests; print(ogctests.__file__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(found.stdout.strip()).parent / "features" / "core"


@pytest.mark.every_profile
def test_ogctests_core_suite_passes(served, tmp_path):
    result = _ogctests(served, tmp_path, "core")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout, result.stdout[-3000:]


# What ogctests 0.1.15's filtering suite (Part 3) can say of any server. Its ct3 reads
# the queryables URL as a list ([None]: its Link parser stores "iri", ct2 reads "href")
# and fails inside httpx before asking anything; ct5 and ct7-ct10 then read the sample
# queryable ct3 never stored (KeyError). Those failures are the suite's own code, not
# an answer of ours; tests/parcels/publishing/test_ogc_query.py checks what they meant
# to (the queryables document, filters in both languages, unknown queryables refused,
# spatial filters in CRS84). If a later ogctests fixes them, this test fails and the
# expectation is raised to every class passing.
OGCTESTS_FILTERING_PASS = {"ct1", "ct2", "ct4", "ct6"}
OGCTESTS_FILTERING_SUITE_BUGS = {
    "ct3": "TypeError: Invalid type for url.  Expected str or httpx.URL, got <class 'list'>",
    "ct5": "KeyError: 'queryable'",
    "ct7": "KeyError: 'queryable'",
    "ct8": "KeyError: 'queryable'",
    "ct9": "KeyError: 'additional_properties'",
    "ct10": "KeyError: 'spatial_queryable'",
}


def _ogctests(served: str, tmp_path: Path, suite: str) -> subprocess.CompletedProcess:
    path = _ogctests_core().parent / suite
    # A run of its own: our pytest configuration (pytest-django) must not apply to it.
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    return subprocess.run(  # noqa: S603  (our interpreter and arguments)
        [
            str(OGCTESTS_PYTHON),
            "-m",
            "pytest",
            str(path),
            "-c",
            str(tmp_path / "pytest.ini"),
            "--rootdir",
            str(tmp_path),
            "-p",
            "no:django",
            "-p",
            "no:cacheprovider",
            "-q",
            "-rA",
            "--tb=line",
            "-W",
            "ignore",
        ],
        cwd=tmp_path,
        env={**os.environ, "INSTANCE_URL": served},
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.every_profile
def test_ogctests_filtering_suite_passes_all_it_can_of_any_server(served, tmp_path):
    result = _ogctests(served, tmp_path, "filtering")
    outcomes = {
        ct: status
        for status, ct in re.findall(r"^(PASSED|FAILED) \S+::test_(ct\d+)", result.stdout, re.M)
    }
    assert {ct for ct, status in outcomes.items() if status == "PASSED"} == (
        OGCTESTS_FILTERING_PASS
    ), result.stdout[-4000:]
    assert set(outcomes) == OGCTESTS_FILTERING_PASS | set(OGCTESTS_FILTERING_SUITE_BUGS)
    for ct, error in OGCTESTS_FILTERING_SUITE_BUGS.items():
        line = next(line for line in result.stdout.splitlines() if f"::test_{ct} " in line)
        assert error.split(":")[0] in line, (ct, line)
    assert OGCTESTS_FILTERING_SUITE_BUGS["ct3"] in result.stdout


def _ogr(*args: str) -> str:
    if shutil.which("ogrinfo") is None:
        pytest.skip("GDAL's command-line tools are missing (apt install gdal-bin).")
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)  # noqa: S603
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.every_profile
def test_gdal_reads_the_parcels_collection(served, tmp_path):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM parcels_parcel WHERE valid_to IS NULL")
        (count,) = cursor.fetchone()
    info = _ogr("ogrinfo", "-ro", "-so", f"OAPIF:{served}", "parcels")
    assert f"Feature Count: {count}" in info
    assert "identifier: String" in info and "land_use: String" in info
    # The types come from the schema (describedBy), not from the first page, where an
    # empty valid_to read as text and a round price as an integer.
    for field in ("valid_to: Date", "registered_area: Real", "price_per_m2: Real"):
        assert field in info, info
    out = tmp_path / "parcels.gpkg"
    _ogr("ogr2ogr", "-f", "GPKG", str(out), f"OAPIF:{served}", "parcels")
    copied = _ogr("ogrinfo", "-ro", "-so", str(out), "parcels")
    assert f"Feature Count: {count}" in copied


@pytest.mark.every_profile
def test_gdal_sends_its_where_clause_to_the_server_as_a_cql2_filter(served):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT percentile_disc(0.8) WITHIN GROUP (ORDER BY registered_area)::float8, "
            "min(land_use) FROM parcels_parcel WHERE valid_to IS NULL"
        )
        area, land_use = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM parcels_parcel WHERE valid_to IS NULL "
            "AND registered_area > %s AND land_use = %s",
            [area, land_use],
        )
        (expected,) = cursor.fetchone()
    where = f"registered_area > {area} AND land_use = '{land_use}'"
    result = subprocess.run(  # noqa: S603  (our arguments)
        ["ogrinfo", "-ro", "-al", "-q", f"OAPIF:{served}", "parcels", "-where", where],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "CPL_DEBUG": "ON"},
        check=True,
    )
    assert result.stdout.count("OGRFeature(parcels)") == expected > 0
    # The request GDAL made carries the filter: the server selected the features.
    fetched = [line for line in result.stderr.splitlines() if "HTTP: Fetch(" in line]
    assert any("/items?" in line and "filter=" in line for line in fetched), fetched
    assert "evaluated on client side" not in result.stderr


# --- page size and the cost of deep pages -------------------------------------------


def test_the_api_document_advertises_the_page_size_qgis_and_gdal_page_with(client, settings):
    document = _get(client, "/api").json()
    limit = document["components"]["parameters"]["limit"]
    assert (limit["name"], limit["in"], limit["style"], limit["explode"]) == (
        "limit",
        "query",
        "form",
        False,
    )
    assert (
        limit["schema"]["default"] == 1000
        and limit["schema"]["maximum"] == settings.LANDINFO["OGC_MAX_LIMIT"]
    )
    for name in layers.LAYERS:
        parameters = document["paths"][f"/collections/{name}/items"]["get"]["parameters"]
        assert {"$ref": "#/components/parameters/limit"} in parameters  # what GDAL 3.8 reads
    # The maximum is a setting (what one request may cost); the default follows it down.
    settings.LANDINFO = {**settings.LANDINFO, "OGC_MAX_LIMIT": 3}
    schema = _get(client, "/api").json()["components"]["parameters"]["limit"]["schema"]
    assert (schema["default"], schema["maximum"]) == (3, 3)


def test_a_page_without_limit_holds_the_advertised_default(client, settings):
    ParcelFactory.create_batch(4)
    settings.LANDINFO = {**settings.LANDINFO, "OGC_MAX_LIMIT": 3}
    body = _get(client, "/collections/parcels/items").json()
    assert body["numberReturned"] == 3
    assert _get(client, "/collections/parcels/items", limit=1000).json()["numberReturned"] == 3


def _joined_rows(statement) -> dict[str, int]:
    """Return, per table the per-feature joins read, how many times PostgreSQL probed it."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement.sql, statement.params)
        plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
    probes: dict[str, int] = {}
    pending = [plan[0]["Plan"]]
    while pending:
        node = pending.pop()
        pending += node.get("Plans", [])
        table = node.get("Relation Name")
        if table in ("parcels_zoningzone", "parcels_landprice", "transactions_right"):
            probes[table] = probes.get(table, 0) + node["Actual Loops"]
    return probes


def test_a_deep_page_joins_no_more_rows_than_the_first(register_data):
    ParcelFactory.create_batch(40)
    layer = layers.LAYERS["parcels"]
    ids = sorted(Parcel.objects.filter(valid_to=None).values_list("id", flat=True))
    first = ogc.items_request(layer, {"limit": "5"})
    deep = ogc.items_request(layer, {"limit": "5", "offset": "45"})
    cursor = ogc.items_request(layer, {"limit": "5", "after": str(ids[-6])})
    at_first = _joined_rows(ogc.page_sql(layer, first))
    assert at_first and max(at_first.values()) <= 5
    # An offset skips rows before their prices, zones and rights are joined; the cursor
    # of the next link does not even read the rows it skips.
    assert _joined_rows(ogc.page_sql(layer, deep)) == at_first
    assert _joined_rows(ogc.page_sql(layer, cursor)) == at_first


def test_a_sorted_deep_page_by_its_cursor_joins_no_more_rows_than_the_first(register_data):
    ParcelFactory.create_batch(40)
    layer = layers.LAYERS["parcels"]
    order = {"limit": "5", "sortby": "-registered_area,address"}
    first = ogc.items_request(layer, order)
    page = ogc.features_page(layer, first)
    for _ in range(6):  # walk to a deep page by the `next` cursors
        page = ogc.features_page(layer, ogc.items_request(layer, {**order, "after": page.last_id}))
    deep = ogc.items_request(layer, {**order, "after": page.last_id})
    at_first = _joined_rows(ogc.page_sql(layer, first))
    assert at_first and max(at_first.values()) <= 5
    assert _joined_rows(ogc.page_sql(layer, deep)) == at_first
