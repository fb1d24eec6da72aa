"""The parcel sheet: point lookup, contents, time travel, history and masking of holders."""

import datetime as dt
import itertools
import json
from decimal import Decimal
from fractions import Fraction
from urllib.parse import quote

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.db import connection
from django.urls import reverse

from landinfo import sql
from landinfo.profiles import get_profile
from landinfo.srid import STORAGE_SRID, WGS84
from parcels.models import AdministrativeUnit
from tests.factories import (
    ORIGIN_X,
    ORIGIN_Y,
    AdministrativeUnitFactory,
    LandPriceFactory,
    ParcelFactory,
    PartyFactory,
    ZoningZoneFactory,
    square,
    unit_code,
)
from tests.transactions import factories as deeds
from transactions import serializers
from transactions.deeds.payloads import TransferType
from transactions.models import Party

# What a right records besides its holder and share, for rights whose deeds stated none.
NOT_STATED = {
    "origin": "",
    "origin_label": "",
    "use_form": "",
    "use_form_label": "",
    "term": None,
    "attached_assets": "",
}

pytestmark = [pytest.mark.django_db, pytest.mark.every_profile]


@pytest.fixture(autouse=True)
def _english(settings):
    """Ask in English unless a test says otherwise: the messages are asserted in English."""
    settings.LANGUAGE_CODE = "en"


AT = reverse("transactions:at-point")
HALF = Fraction(1, 2)


def detail_url(parcel) -> str:
    return reverse("transactions:detail", args=[parcel.pk])


def history_url(parcel) -> str:
    return reverse("transactions:history", args=[parcel.pk])


def lonlat(x: float, y: float) -> dict[str, str]:
    """Return the query of the storage-SRID point (x, y) metres from the test origin."""
    point = Point(ORIGIN_X + x, ORIGIN_Y + y, srid=STORAGE_SRID).transform(WGS84, clone=True)
    return {"lon": repr(point.x), "lat": repr(point.y)}


def rect(x0: float, y0: float, x1: float, y1: float) -> MultiPolygon:
    """Return the rectangle between two points given in metres from the test origin."""
    ring = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
    return MultiPolygon(Polygon([(ORIGIN_X + x, ORIGIN_Y + y) for x, y in ring]), srid=STORAGE_SRID)


def lot(unit: AdministrativeUnit, sheet: int, number: int) -> str:
    profile = get_profile()
    text = f"tờ {sheet} thửa {number}" if profile.key == "vn" else f"{sheet}-{number}"
    return profile.normalize_identifier(text, unit_code=unit.code)


def get_json(client, url, params=None, status=200, **headers):
    response = client.get(url, params or {}, **headers)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


@pytest.fixture
def commune():
    province = AdministrativeUnitFactory(
        code=unit_code(90), name="Tỉnh Mẫu", level=AdministrativeUnit.Level.PROVINCE
    )
    district = AdministrativeUnitFactory(
        code=unit_code(91),
        name="Quận Mẫu",
        level=AdministrativeUnit.Level.DISTRICT,
        parent=province,
    )
    return AdministrativeUnitFactory(code=unit_code(4), name="Phường Mẫu 4", parent=district)


@pytest.fixture
def pair(commune):
    """Return two 20 m squares side by side, sharing the edge x = 20; the right one sorts first."""
    left = ParcelFactory(admin_unit=commune, identifier=lot(commune, 3, 20), boundary=square(0, 0))
    right = ParcelFactory(admin_unit=commune, identifier=lot(commune, 3, 10), boundary=square(1, 0))
    return left, right


@pytest.fixture
def people():
    return (
        PartyFactory(name="Nguyễn Văn An", national_id="001089012345", birth_year=1989),
        PartyFactory(name="Trần Thị Bình", national_id="001190054321", address="Số 1 Phố Bí Mật"),
    )


@pytest.fixture
def company():
    return PartyFactory(
        kind=Party.Kind.ORGANISATION, name="Công ty TNHH Thương mại Minh Phát", national_id=None
    )


# --- point lookup -------------------------------------------------------------------------


def test_a_point_inside_a_parcel_gives_its_sheet(client, pair):
    left, _ = pair
    sheet = get_json(client, AT, lonlat(5, 7))
    assert set(sheet) == set(serializers.AtPointSheetSerializer().fields)
    assert sheet["id"] == left.pk
    assert sheet["also_at_point"] == []


def test_a_point_on_a_shared_edge_gives_the_lowest_identifier_and_names_the_other(client, pair):
    left, right = pair
    assert right.identifier < left.identifier
    for _ in range(3):  # the same answer every time
        sheet = get_json(client, AT, lonlat(20, 10))
        assert (sheet["id"], sheet["also_at_point"]) == (right.pk, [left.pk])


def test_a_point_on_a_vertex_shared_by_four_parcels_names_all_four(client, commune):
    parcels = [
        ParcelFactory(admin_unit=commune, identifier=lot(commune, 8, n), boundary=square(*cell))
        for n, cell in enumerate([(0, 0), (1, 0), (0, 1), (1, 1)], start=1)
    ]
    sheet = get_json(client, AT, lonlat(20, 20))
    assert sheet["id"] == parcels[0].pk
    assert sheet["also_at_point"] == [p.pk for p in parcels[1:]]


def test_a_point_five_centimetres_from_an_edge_is_inside_one_parcel(client, pair):
    left, _ = pair
    sheet = get_json(client, AT, lonlat(19.95, 10))
    assert (sheet["id"], sheet["also_at_point"]) == (left.pk, [])


def test_a_point_outside_every_parcel_is_not_found(client, pair):
    answer = get_json(client, AT, lonlat(500, 500), status=404)
    assert answer == {"detail": "No parcel at this point."}


def test_a_point_outside_the_country_is_not_found_without_a_query(
    client, pair, django_assert_max_num_queries
):
    with django_assert_max_num_queries(0):
        get_json(client, AT, {"lon": "0", "lat": "0"}, status=404)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"lon": "105.8"},
        {"lat": "21.0"},
        {"lon": "east", "lat": "21.0"},
        {"lon": "105.8", "lat": ""},
        {"lon": "nan", "lat": "21.0"},
        {"lon": "inf", "lat": "21.0"},
        {"lon": "180.5", "lat": "21.0"},
        {"lon": "105.8", "lat": "-90.01"},
        {"lon": "105.8", "lat": "21.0", "as_of": "yesterday"},
        {"lon": "105.8", "lat": "21.0", "as_of": "2024-02-30"},
        {"lon": "105.8", "lat": "21.0", "as_of": "20240101"},
    ],
)
def test_bad_coordinates_or_dates_are_refused_with_a_message(client, params):
    answer = get_json(client, AT, params, status=400)
    assert set(answer) == {"detail"}
    assert answer["detail"]


def test_a_point_as_of_a_past_date_finds_the_parcel_then_in_force(client, commune):
    old = ParcelFactory(
        admin_unit=commune, identifier=lot(commune, 2, 1), boundary=rect(0, 0, 40, 20)
    )
    halves = [
        ParcelFactory(
            admin_unit=commune,
            identifier=lot(commune, 2, n),
            boundary=rect(x, 0, x + 20, 20),
            valid_from=dt.date(2020, 6, 1),
        )
        for n, x in ((2, 0), (3, 20))
    ]
    deeds.subdivide(old, halves, on=dt.date(2020, 6, 1))

    then = get_json(client, AT, {**lonlat(5, 5), "as_of": "2020-05-31"})
    assert (then["id"], then["status"], then["as_of"]) == (old.pk, "current", "2020-05-31")
    assert [child["id"] for child in then["children"]] == [p.pk for p in halves]
    now = get_json(client, AT, lonlat(5, 5))
    assert (now["id"], now["as_of"]) == (halves[0].pk, None)
    assert [parent["id"] for parent in now["parents"]] == [old.pk]
    before_the_register = get_json(client, AT, {**lonlat(5, 5), "as_of": "1999-12-31"}, 404)
    assert before_the_register == {"detail": "No parcel at this point."}


def test_a_point_lookup_takes_two_queries(client, pair, django_assert_max_num_queries):
    get_json(client, AT, lonlat(5, 5))  # prepares the statements of this database session
    with django_assert_max_num_queries(2):
        get_json(client, AT, lonlat(6, 6))


# --- the sheet ------------------------------------------------------------------------------


def test_the_sheet_describes_the_parcel(client, commune, profile):
    parcel = ParcelFactory(
        admin_unit=commune,
        identifier=lot(commune, 12, 345),
        address="Số 12 Phố Huế, Phường Mẫu 4",
        boundary=rect(0, 0, 25, 16),
        registered_area=Decimal("401.50"),
        valid_from=dt.date(2003, 4, 5),
    )
    land_use = get_profile().land_uses[0]

    sheet = get_json(client, detail_url(parcel))

    assert set(sheet) == set(serializers.SheetSerializer().fields)
    assert sheet["identifier"] == parcel.identifier
    assert sheet["display"] == get_profile().display_identifier(
        get_profile().parse_identifier(parcel.identifier)
    )
    assert sheet["address"] == "Số 12 Phố Huế, Phường Mẫu 4"
    assert sheet["land_use"] == {
        "code": land_use.code,
        "name": land_use.name,
        "name_en": land_use.name_en,
        "group": land_use.group,
    }
    assert sheet["registered_area"] == 401.5
    assert sheet["computed_area"] == 400.0
    assert sheet["admin_unit"] == {
        "code": commune.code,
        "name": "Phường Mẫu 4",
        # As the profile writes places: Vietnam smallest first, without the district
        # abolished in 2025; Korea largest first, spaced.
        "address": {"vn": "Phường Mẫu 4, Tỉnh Mẫu", "kr": "Tỉnh Mẫu Quận Mẫu Phường Mẫu 4"}[
            profile.key
        ],
        "parents": [
            {"code": unit_code(90), "name": "Tỉnh Mẫu", "level": 1},
            {"code": unit_code(91), "name": "Quận Mẫu", "level": 2},
        ],
    }
    assert (sheet["valid_from"], sheet["valid_to"], sheet["status"]) == (
        "2003-04-05",
        None,
        "current",
    )
    assert sheet["as_of"] is None
    assert (sheet["zoning"], sheet["prices"], sheet["rights"]) == ([], [], [])
    assert (sheet["parents"], sheet["children"]) == ([], [])


def test_the_geometry_is_geojson_in_wgs84_with_six_decimals(client, pair):
    left, _ = pair
    sheet = get_json(client, detail_url(left))
    geometry = sheet["geometry"]
    assert geometry["type"] == "MultiPolygon"
    ring = geometry["coordinates"][0][0]
    assert len(ring) == 5
    assert all(round(value, 6) == value for point in ring for value in point)
    west, south, east, north = sheet["bbox"]
    assert [min(p[0] for p in ring), min(p[1] for p in ring)] == [west, south]
    assert [max(p[0] for p in ring), max(p[1] for p in ring)] == [east, north]
    # The grid of the storage CRS is turned against meridians: every corner counts.
    corners = [
        Point(ORIGIN_X + dx, ORIGIN_Y + dy, srid=STORAGE_SRID).transform(WGS84, clone=True)
        for dx in (0, 20)
        for dy in (0, 20)
    ]
    expected = [
        min(c.x for c in corners),
        min(c.y for c in corners),
        max(c.x for c in corners),
        max(c.y for c in corners),
    ]
    assert sheet["bbox"] == pytest.approx(expected, abs=1e-6)


def test_a_parcel_inside_one_zone_is_wholly_in_it(client, pair):
    left, _ = pair
    ZoningZoneFactory(code="ODT", name="Đất ở đô thị", plan="Quy hoạch 2030")
    sheet = get_json(client, detail_url(left))
    assert sheet["zoning"] == [
        {"code": "ODT", "name": "Đất ở đô thị", "plan": "Quy hoạch 2030", "share": 1.0}
    ]


def test_a_parcel_across_two_zones_shows_the_share_of_each(client, commune):
    parcel = ParcelFactory(admin_unit=commune, boundary=rect(0, 0, 20, 20))
    ZoningZoneFactory(code="CX", name="Green", boundary=rect(-100, -100, 5, 100))
    ZoningZoneFactory(code="ODT", name="Urban", boundary=rect(5, -100, 100, 100))
    ZoningZoneFactory(code="NN", name="Touching only", boundary=rect(20, 0, 60, 20))
    ZoningZoneFactory(
        code="OLD",
        name="Expired",
        boundary=rect(-100, -100, 100, 100),
        valid_to=dt.date(2020, 1, 1),
    )

    sheet = get_json(client, detail_url(parcel))
    assert [(zone["code"], zone["share"]) for zone in sheet["zoning"]] == [
        ("ODT", 0.75),
        ("CX", 0.25),
    ]
    then = get_json(client, detail_url(parcel), {"as_of": "2015-01-01"})
    assert [(zone["code"], zone["share"]) for zone in then["zoning"]] == [
        ("OLD", 1.0),
        ("ODT", 0.75),
        ("CX", 0.25),
    ]


def test_a_parcel_halved_by_two_zones_is_half_in_each(client, commune):
    parcel = ParcelFactory(admin_unit=commune, boundary=rect(0, 0, 20, 20))
    ZoningZoneFactory(code="A", boundary=rect(-50, -50, 10, 50))
    ZoningZoneFactory(code="B", boundary=rect(10, -50, 50, 50))
    zoning = get_json(client, detail_url(parcel))["zoning"]
    assert [(zone["code"], zone["share"]) for zone in zoning] == [("A", 0.5), ("B", 0.5)]
    assert sum(zone["share"] for zone in zoning) == pytest.approx(1.0)


def test_prices_are_listed_latest_year_first(client, pair):
    left, _ = pair
    for year, price in ((2023, 41_000_000), (2025, 50_000_000), (2024, 45_500_000)):
        LandPriceFactory(parcel=left, year=year, price_per_m2=price, currency="VND")
    prices = get_json(client, detail_url(left))["prices"]
    assert prices == [
        {"year": 2025, "price_per_m2": 50_000_000, "currency": "VND"},
        {"year": 2024, "price_per_m2": 45_500_000, "currency": "VND"},
        {"year": 2023, "price_per_m2": 41_000_000, "currency": "VND"},
    ]
    then = get_json(client, detail_url(left), {"as_of": "2024-07-01"})["prices"]
    assert [price["year"] for price in then] == [2024, 2023]


def test_rights_show_kind_share_and_masked_holder(client, pair, people, company):
    left, _ = pair
    deeds.register(left, [(people[0], HALF), (people[1], HALF)], on=dt.date(2001, 5, 1))
    sheet = get_json(client, detail_url(left))
    assert sheet["rights"] == [
        {
            "kind": "ownership",
            "share": "1/2",
            "holder": {
                "name": "Nguyễn V. A.",
                "kind": "person",
                "holder_kind": "",
                "holder_kind_label": "",
            },
            "valid_from": "2001-05-01",
            "valid_to": None,
            **NOT_STATED,
        },
        {
            "kind": "ownership",
            "share": "1/2",
            "holder": {
                "name": "Trần T. B.",
                "kind": "person",
                "holder_kind": "",
                "holder_kind_label": "",
            },
            "valid_from": "2001-05-01",
            "valid_to": None,
            **NOT_STATED,
        },
    ]
    deeds.transfer(left, [(company, Fraction(1))], on=dt.date(2010, 1, 1))
    rights = get_json(client, detail_url(left))["rights"]
    assert [(r["holder"]["name"], r["share"]) for r in rights] == [
        ("Công ty TNHH Thương mại Minh Phát", "1/1")
    ]
    then = get_json(client, detail_url(left), {"as_of": "2009-12-31"})["rights"]
    assert [r["holder"]["name"] for r in then] == ["Nguyễn V. A.", "Trần T. B."]


def test_a_merged_parcel_names_its_parents_and_they_name_it(client, pair, commune):
    left, right = pair
    merged = ParcelFactory(
        admin_unit=commune,
        identifier=lot(commune, 3, 30),
        boundary=rect(0, 0, 40, 20),
        valid_from=dt.date(2022, 1, 1),
    )
    deeds.merge([left, right], merged, on=dt.date(2022, 1, 1))

    sheet = get_json(client, detail_url(merged))
    assert sheet["parents"] == [
        {"id": p.pk, "identifier": p.identifier, "display": sheet_display(p)} for p in (right, left)
    ]
    retired = get_json(client, detail_url(left))
    assert (retired["status"], retired["valid_to"]) == ("retired", "2022-01-01")
    assert [child["id"] for child in retired["children"]] == [merged.pk]


def sheet_display(parcel) -> str:
    profile = get_profile()
    return profile.display_identifier(profile.parse_identifier(parcel.identifier))


def test_an_unknown_parcel_is_not_found(client):
    answer = get_json(client, reverse("transactions:detail", args=[987654]), status=404)
    assert answer == {"detail": "No parcel has the id 987654."}
    get_json(client, reverse("transactions:history", args=[987654]), status=404)
    get_json(client, reverse("transactions:detail", args=[10**30]), status=404)  # beyond bigint


def test_a_parcel_before_it_existed_is_not_found(client, pair):
    left, _ = pair
    answer = get_json(client, detail_url(left), {"as_of": "1999-12-31"}, status=404)
    assert answer == {
        "detail": f"No parcel with the id {left.pk} existed on 1999-12-31; try a later date."
    }


def test_the_sheet_takes_one_query(client, pair, people, django_assert_max_num_queries):
    left, right = pair
    deeds.register(left, [(people[0], HALF), (people[1], HALF)], on=dt.date(2001, 5, 1))
    ZoningZoneFactory()
    for year in (2023, 2024, 2025):
        LandPriceFactory(parcel=left, year=year)
    get_json(client, detail_url(right))  # prepares the statement of this database session
    with django_assert_max_num_queries(1):
        sheet = get_json(client, detail_url(left))
    assert (len(sheet["rights"]), len(sheet["zoning"]), len(sheet["prices"])) == (2, 1, 3)


@pytest.mark.django_db(transaction=True)
def test_a_session_that_lost_its_prepared_statements_still_answers(client, pair):
    # What a connection pooler in transaction mode does: the next statement may reach a
    # server session without the prepared statement, or one that has it already.
    left, _ = pair
    expected = get_json(client, detail_url(left))
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    assert get_json(client, detail_url(left)) == expected
    assert get_json(client, AT, lonlat(5, 5))["id"] == left.pk
    sql._PREPARED.pop(connection.connection)  # prepared, but this client did not know
    assert get_json(client, detail_url(left)) == expected
    assert get_json(client, detail_url(left)) == expected


# --- history --------------------------------------------------------------------------------


def test_history_lists_the_deeds_oldest_first_with_masked_holders(client, pair, people, company):
    left, _ = pair
    deeds.register(left, [(people[0], HALF), (people[1], HALF)], on=dt.date(2001, 5, 1))
    deeds.transfer(left, [(company, Fraction(1))], on=dt.date(2010, 1, 1))

    history = get_json(client, history_url(left), HTTP_ACCEPT_LANGUAGE="vi")

    assert set(history) == set(serializers.HistorySerializer().fields)
    assert history["parcel"] == {
        "id": left.pk,
        "identifier": left.identifier,
        "display": sheet_display(left),
    }
    assert history["as_of"] is None
    assert [set(entry) for entry in history["entries"]] == [
        set(serializers.HistoryEntrySerializer().fields)
    ] * 2
    assert [(e["kind"], e["summary"]) for e in history["entries"]] == [
        ("first_registration", "Đăng ký lần đầu: 2 người"),
        ("transfer", "Chuyển nhượng: 2 người → 1 người"),
    ]
    assert [e["transfer_type"] for e in history["entries"]] == [None, "sale"]
    assert history["entries"][1]["holders_before"] == ["Nguyễn V. A.", "Trần T. B."]
    assert history["entries"][1]["holders_after"] == ["Công ty TNHH Thương mại Minh Phát"]
    assert [r["holder"]["name"] for r in history["rights"]] == ["Công ty TNHH Thương mại Minh Phát"]


def alike(count: int) -> list[Party]:
    """Return `count` persons whose names all mask as "Nguyễn V. A.": namesakes among them."""
    names = itertools.cycle(["Nguyễn Văn An", "Nguyễn Việt Anh", "Nguyễn Vũ An"])
    return [PartyFactory(name=next(names)) for _ in range(count)]


def test_history_counts_holders_not_masked_names(client, pair):
    left, _ = pair
    donors, recipients = alike(3), alike(30)
    deeds.register(left, [(donor, Fraction(1, 3)) for donor in donors], on=dt.date(2001, 5, 1))
    deeds.transfer(
        left,
        [(recipient, Fraction(1, 30)) for recipient in recipients],
        on=dt.date(2010, 1, 1),
        transfer_type=TransferType.GIFT,
    )

    registration, gift = get_json(client, history_url(left), HTTP_ACCEPT_LANGUAGE="en")["entries"]

    assert registration["summary"] == "First registration: 3 holders"
    assert gift["summary"] == "Gift: 3 holders → 30 holders"
    assert gift["holders_before"] == ["Nguyễn V. A."] * 3
    assert gift["holders_after"] == ["Nguyễn V. A."] * 30


def test_history_as_of_a_date_is_the_register_as_it_stood_then(client, pair, people, company):
    left, _ = pair
    deeds.register(left, [(people[0], HALF), (people[1], HALF)], on=dt.date(2001, 5, 1))
    deeds.transfer(left, [(company, Fraction(1))], on=dt.date(2010, 1, 1))

    history = get_json(client, history_url(left), {"as_of": "2005-01-01"})

    assert history["as_of"] == "2005-01-01"
    assert [e["kind"] for e in history["entries"]] == ["first_registration"]
    assert [r["holder"]["name"] for r in history["rights"]] == ["Nguyễn V. A.", "Trần T. B."]
    get_json(client, history_url(left), {"as_of": "2005-13-01"}, status=400)


def test_history_takes_five_queries_however_long(
    client, pair, people, django_assert_max_num_queries
):
    left, _ = pair
    deeds.register(left, [(people[0], Fraction(1))], on=dt.date(2000, 6, 1))
    for year in range(2001, 2016):
        deeds.transfer(left, [(people[year % 2], Fraction(1))], on=dt.date(year, 1, 1))
    with django_assert_max_num_queries(5):
        history = get_json(client, history_url(left))
    assert len(history["entries"]) == 16


# --- no personal data -----------------------------------------------------------------------


def test_no_response_carries_a_persons_name_or_personal_data(client, pair, people, company):
    left, right = pair
    left.address = "Số 12 Phố Huế"
    left.save()
    deeds.register(left, [(people[0], HALF), (people[1], HALF)], on=dt.date(2001, 5, 1))
    deeds.register(right, [(company, Fraction(1))], on=dt.date(2001, 5, 1))
    deeds.transfer(left, [(people[1], Fraction(1))], on=dt.date(2011, 2, 3))

    responses = [
        client.get(detail_url(left)),
        client.get(detail_url(left), {"as_of": "2005-01-01"}),
        client.get(history_url(left)),
        client.get(history_url(left), {"as_of": "2005-01-01"}),
        client.get(AT, lonlat(5, 5)),
        client.get(AT, lonlat(20, 10)),
        client.get(reverse("parcels:search"), {"q": "pho hue"}),
        client.get(reverse("parcels:search"), {"q": left.identifier}),
    ]
    assert all(response.status_code == 200 for response in responses)
    bodies = [response.content.decode() for response in responses]
    # Also as JSON would escape them, in case a renderer escapes non-ASCII text.
    bodies += [json.dumps(response.json()) for response in responses]
    forbidden = ["Nguyễn Văn An", "Trần Thị Bình", "Văn An", "Thị Bình", "Số 1 Phố Bí Mật"]
    forbidden += [json.dumps(text)[1:-1] for text in forbidden]
    forbidden += [person.national_id for person in people]
    forbidden += ["CT 0", "certificate", "national_id", "birth_year"]
    for body in bodies:
        for text in forbidden:
            assert text not in body
    sheet_of_right = client.get(detail_url(right)).content.decode()
    assert "Công ty TNHH Thương mại Minh Phát" in sheet_of_right


# --- the OpenAPI document -------------------------------------------------------------------


def test_the_schema_documents_the_four_endpoints(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    for path in (
        "/api/parcels/search",
        "/api/parcels/at",
        "/api/parcels/{id}",
        "/api/parcels/{id}/history",
    ):
        assert set(paths[path]["get"]["responses"]) >= {"200", "400"}


# --- pointing at a parcel -----------------------------------------------------------------


def u_shape() -> MultiPolygon:
    """Return a 30 m U open to the north: its centroid lies in the opening, outside it."""
    ring = [(0, 0), (30, 0), (30, 30), (20, 30), (20, 10), (10, 10), (10, 30), (0, 30), (0, 0)]
    return MultiPolygon(Polygon([(ORIGIN_X + x, ORIGIN_Y + y) for x, y in ring]), srid=STORAGE_SRID)


def test_the_point_search_and_the_sheet_give_lies_in_a_concave_parcel(client, commune):
    parcel = ParcelFactory(admin_unit=commune, identifier=lot(commune, 5, 7), boundary=u_shape())
    assert not parcel.boundary.contains(parcel.boundary.centroid)  # the case that broke
    result = get_json(client, reverse("parcels:search"), {"q": parcel.identifier})["results"][0]
    sheet = get_json(client, detail_url(parcel))
    for lon, lat in (result["point"], result["centroid"], sheet["point"]):
        # The map opens the sheet at this point, and asks /at there when the date changes.
        found = get_json(client, AT, {"lon": repr(lon), "lat": repr(lat)})
        assert found["id"] == parcel.pk


def test_a_parcel_is_answered_at_its_identifier_in_any_spelling(client, commune):
    parcel = ParcelFactory(admin_unit=commune, identifier=lot(commune, 10, 215))
    by_id = get_json(client, detail_url(parcel))
    code = parcel.identifier
    other = (
        code.replace("-", " ")  # 00004 10 215
        if get_profile().key == "vn"
        else f"{code[:10]}-{code[10]}-{code[11:15]}-{code[15:]}"  # PNU with separators
    )
    for spelling in (code, other):
        assert get_json(client, f"/api/parcels/{spelling}") == by_id, spelling
        history = get_json(client, f"/api/parcels/{spelling}/history")
        assert history["parcel"]["id"] == parcel.pk


# What a pasted identifier carries that nobody sees: zero-width space, soft hyphen,
# right-to-left mark, zero-width joiner, byte-order mark, word joiner, Hangul filler.
UNSEEN = ["\u200b", "\u00ad", "\u200f", "\u200d", "\ufeff", "\u2060", "\u3164"]


@pytest.mark.every_profile
@pytest.mark.parametrize("char", UNSEEN)
def test_a_parcel_is_answered_at_its_identifier_or_id_with_invisible_characters_in_it(
    client, commune, char
):
    parcel = ParcelFactory(admin_unit=commune, identifier=lot(commune, 10, 215))
    code = parcel.identifier
    # Inside the commune code (a Korean PNU: inside the legal-dong code), and around it.
    for spelling in (f"{code[:3]}{char}{code[3:]}", f"{code[:5]}{char}{code[5:]}"):
        for ref in (spelling, f"{char}{spelling}{char}"):
            path = f"/api/parcels/{quote(ref)}"
            assert get_json(client, path)["id"] == parcel.pk, ref
            assert get_json(client, f"{path}/history")["parcel"]["id"] == parcel.pk, ref
    assert get_json(client, f"/api/parcels/{quote(f'{parcel.pk}{char}')}")["id"] == parcel.pk


def test_an_identifier_no_parcel_has_and_an_unreadable_one_are_404s_saying_why(client, commune):
    missing = lot(commune, 99, 99)
    assert missing in get_json(client, f"/api/parcels/{missing}", status=404)["detail"]
    assert get_json(client, "/api/parcels/no-such-thing", status=404)["detail"]
    assert get_json(client, f"/api/parcels/{'9' * 30}", status=404)["detail"]
    assert get_json(client, "/api/parcels/-1/history", status=404)["detail"]


def test_a_number_is_an_id_unless_the_profile_reads_it_as_an_identifier(client, commune):
    parcel = ParcelFactory(admin_unit=commune)
    assert get_json(client, f"/api/parcels/{parcel.pk}")["id"] == parcel.pk
    if get_profile().key == "kr":
        # A PNU is 19 digits, a valid bigint too: it is read as the PNU it is.
        pnu = ParcelFactory(admin_unit=commune, identifier=lot(commune, 12, 3))
        assert pnu.identifier.isdigit() and len(pnu.identifier) == 19
        assert get_json(client, f"/api/parcels/{pnu.identifier}")["id"] == pnu.pk
