"""Vector tiles: what each layer carries at which zoom, nothing personal, HTTP semantics."""

import datetime as dt
import math
from decimal import Decimal

import mapbox_vector_tile
import pytest
from django.contrib.gis.geos import Point
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from landinfo.profiles import get_profile
from landinfo.srid import STORAGE_SRID, WEB_MERCATOR, WGS84
from parcels.models import AdministrativeUnit, Parcel
from parcels.publishing.tiles import MVT_CONTENT_TYPE, TILE_BUDGET_BYTES
from tests.factories import (
    ORIGIN_X,
    ORIGIN_Y,
    AdministrativeUnitFactory,
    ParcelFactory,
    PartyFactory,
    ZoningZoneFactory,
    square,
)
from transactions.journal import hashing
from transactions.models import JournalEntry, Right

pytestmark = [pytest.mark.django_db, pytest.mark.every_profile]


@pytest.fixture(autouse=True)
def _english(settings):
    """Ask in English unless a test says otherwise: the messages are asserted in English."""
    settings.LANGUAGE_CODE = "en"


PARCEL_PROPERTIES = {"id", "identifier", "land_use"}
PARCEL_PROPERTIES_Z15 = {"id", "land_use"}  # a lot is ≈4 px wide: its number is unreadable
ADMIN_UNIT_PROPERTIES = {"id", "code", "name", "level"}
ZONING_PROPERTIES = {"id", "code", "name"}
WORLD_HALF = 20_037_508.342789244  # half the side of the Web Mercator square, metres


def tile_of(x: float, y: float, z: int) -> tuple[int, int, int]:
    """Return the XYZ tile at zoom `z` holding the storage-SRID point (x, y)."""
    point = Point(x, y, srid=STORAGE_SRID).transform(WGS84, clone=True)
    n = 2**z
    lat = math.radians(point.y)
    return (
        z,
        int((point.x + 180.0) / 360.0 * n),
        int((1.0 - math.asinh(math.tan(lat)) / math.pi) / 2.0 * n),
    )


def tile_centre(z: int, x: int, y: int) -> Point:
    """Return the centre of tile z/x/y in the storage SRID."""
    side = 2 * WORLD_HALF / 2**z
    centre = Point(-WORLD_HALF + (x + 0.5) * side, WORLD_HALF - (y + 0.5) * side, srid=WEB_MERCATOR)
    return centre.transform(STORAGE_SRID, clone=True)


def cell_near_centre_of(tile: tuple[int, int, int], size: float) -> tuple[int, int]:
    """Return the grid cell of `square(col, row, size)` holding the centre of `tile`."""
    centre = tile_centre(*tile)
    return math.floor((centre.x - ORIGIN_X) / size), math.floor((centre.y - ORIGIN_Y) / size)


# A z17 tile near the factory origin, and a cell at its centre: a few 20 m parcels from
# there lie inside that tile and inside its parent z16 and z15 tiles.
Z17 = tile_of(ORIGIN_X, ORIGIN_Y, 17)
COL, ROW = cell_near_centre_of(Z17, 20.0)
IN_TILE = {
    16: (16, Z17[1] // 2, Z17[2] // 2),
    17: Z17,
    15: (15, Z17[1] // 4, Z17[2] // 4),
}


def get_tile(client, tile, **query):
    return client.get(reverse("parcels:tile", kwargs=dict(zip("zxy", tile, strict=True))), query)


def layers(response) -> dict:
    assert response.status_code == 200, response.content
    return mapbox_vector_tile.decode(response.content)


def features_by_id(tile: dict, layer: str) -> dict[int, dict]:
    return {feature["id"]: feature for feature in tile[layer]["features"]}


def near_centre_parcels(count: int, **kwargs) -> list[Parcel]:
    return [ParcelFactory(boundary=square(COL + i, ROW), **kwargs) for i in range(count)]


def far_away_parcel() -> Parcel:
    return ParcelFactory(boundary=square(COL + 500, ROW + 500))  # 10 km away


@pytest.mark.parametrize("z", [16, 17])
def test_parcel_layer_holds_exactly_the_parcels_in_the_tile_with_identifier_and_land_use(client, z):
    parcels = near_centre_parcels(3)
    far_away_parcel()
    tile = layers(get_tile(client, IN_TILE[z]))
    found = features_by_id(tile, "parcels")
    assert set(found) == {parcel.pk for parcel in parcels}
    for parcel in parcels:
        properties = found[parcel.pk]["properties"]
        assert properties == {
            "id": parcel.pk,
            "identifier": parcel.identifier,
            "land_use": parcel.land_use,
        }
    assert tile["parcels"]["extent"] == 4096


def test_parcels_appear_at_z15_with_land_use_but_no_identifier(client):
    # QGIS at 1:9,600 asks z15: the parcels are there, coloured by land use.
    parcels = near_centre_parcels(3)
    far_away_parcel()
    tile = layers(get_tile(client, IN_TILE[15]))
    found = features_by_id(tile, "parcels")
    assert set(found) == {parcel.pk for parcel in parcels}
    for parcel in parcels:
        assert found[parcel.pk]["properties"] == {"id": parcel.pk, "land_use": parcel.land_use}
        assert found[parcel.pk]["geometry"]["type"] == "Polygon"


def test_tile_carries_no_personal_data_of_the_holders(client):
    (parcel,) = near_centre_parcels(1, address="12 Phố Thử Nghiệm")
    holder = PartyFactory(name="Trần Thị Bí Mật", national_id="001099012345", address="Số 7")
    payload = hashing.canonical_json({"parcel": parcel.identifier, "to": holder.national_id})
    recorded_at = timezone.now()
    entry = JournalEntry.objects.create(
        sequence=1,
        kind=JournalEntry.Kind.FIRST_REGISTRATION,
        payload=payload,
        effective_date=dt.date(2000, 1, 1),
        recorded_at=recorded_at,
        prev_hash=hashing.GENESIS_HASH,
        entry_hash=hashing.entry_hash(hashing.GENESIS_HASH, 1, payload, recorded_at=recorded_at),
    )
    Right.objects.create(
        parcel=parcel,
        holder=holder,
        kind=Right.Kind.OWNERSHIP,
        certificate_number="CS-998877",
        valid_from=dt.date(2000, 1, 1),
        begun_by=entry,
    )
    for z in (15, 16, 17):
        response = get_tile(client, IN_TILE[z])
        tile = layers(response)
        assert set(tile) <= {"parcels", "admin_units", "zoning"}
        for feature in tile["parcels"]["features"]:
            assert set(feature["properties"]) <= PARCEL_PROPERTIES
        for secret in (holder.name, holder.national_id, holder.address, "CS-998877"):
            assert secret.encode() not in response.content
        assert parcel.address.encode() not in response.content  # not a tile attribute


def test_retired_parcel_is_absent_now_and_shown_as_of_a_date_before_its_retirement(client):
    (retired,) = near_centre_parcels(1, valid_to=dt.date(2020, 1, 1))
    successor = ParcelFactory(boundary=retired.boundary, valid_from=dt.date(2020, 1, 1))
    tile = IN_TILE[16]

    assert set(features_by_id(layers(get_tile(client, tile)), "parcels")) == {successor.pk}
    before = layers(get_tile(client, tile, as_of="2019-12-31"))
    assert set(features_by_id(before, "parcels")) == {retired.pk}
    # `valid_to` is the first day the parcel no longer exists.
    on_the_day = layers(get_tile(client, tile, as_of="2020-01-01"))
    assert set(features_by_id(on_the_day, "parcels")) == {successor.pk}
    # Before the parcel existed at all, the tile has no parcel.
    assert get_tile(client, tile, as_of="1999-12-31").status_code == 204


def test_zoning_follows_the_plan_in_force_on_the_date(client):
    old = ZoningZoneFactory(code="R2", valid_from=dt.date(2000, 1, 1), valid_to=dt.date(2010, 1, 1))
    new = ZoningZoneFactory(code="R1", valid_from=dt.date(2010, 1, 1))
    tile = tile_of(ORIGIN_X + 1, ORIGIN_Y + 1, 14)
    assert set(features_by_id(layers(get_tile(client, tile)), "zoning")) == {new.pk}
    then = layers(get_tile(client, tile, as_of="2005-06-01"))
    assert set(features_by_id(then, "zoning")) == {old.pk}


def test_zooms_below_15_show_administrative_units_and_zoning_but_no_parcels(client):
    province = AdministrativeUnitFactory(
        level=AdministrativeUnit.Level.PROVINCE, boundary=square(0, 0, size=40_000.0)
    )
    district = AdministrativeUnitFactory(
        level=AdministrativeUnit.Level.DISTRICT, boundary=square(0, 0, size=10_000.0)
    )
    commune = AdministrativeUnitFactory(
        level=AdministrativeUnit.Level.COMMUNE, boundary=square(0, 0, size=2_000.0)
    )
    zone = ZoningZoneFactory(boundary=square(0, 0, size=1_000.0))
    for col in range(5):  # the first lies on the corner every tile below holds
        ParcelFactory(admin_unit=commune, boundary=square(col, 0))
    expected = {
        5: ({province.pk}, None),
        8: ({province.pk, district.pk}, None),
        12: ({province.pk, district.pk, commune.pk}, {zone.pk}),
        14: ({province.pk, district.pk, commune.pk}, {zone.pk}),
    }
    for z, (units, zones) in expected.items():
        tile = layers(get_tile(client, tile_of(ORIGIN_X + 1, ORIGIN_Y + 1, z)))
        assert "parcels" not in tile, z
        assert set(features_by_id(tile, "admin_units")) == units, z
        for feature in tile["admin_units"]["features"]:
            assert set(feature["properties"]) == ADMIN_UNIT_PROPERTIES
        if zones is None:
            assert "zoning" not in tile, z
        else:
            assert set(features_by_id(tile, "zoning")) == zones, z
            (feature,) = tile["zoning"]["features"]
            assert feature["properties"] == {"id": zone.pk, "code": "R1", "name": "Residential"}
    commune_feature = features_by_id(layers(get_tile(client, IN_TILE[16])), "admin_units")
    assert commune_feature[commune.pk]["properties"] == {
        "id": commune.pk,
        "code": commune.code,
        "name": commune.name,
        "level": AdministrativeUnit.Level.COMMUNE,
    }


def test_tile_is_one_query_with_mvt_content_type_etag_and_short_cache(
    client, django_assert_num_queries
):
    near_centre_parcels(2)
    with django_assert_num_queries(1):
        response = get_tile(client, IN_TILE[16])
    assert response.status_code == 200
    assert response["Content-Type"] == MVT_CONTENT_TYPE
    assert response["Cache-Control"] == "public, max-age=300"
    # Tiles are the same bytes in every language: caches must not split them by it.
    assert "accept-language" not in response.get("Vary", "").lower()
    etag = response["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) == 34
    # The path touches no session: no cookie is set and caches are not told to vary on one.
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")
    assert get_tile(client, IN_TILE[16])["ETag"] == etag  # same bytes, same tag


def test_unchanged_tile_is_answered_304_and_a_changed_one_200(client):
    near_centre_parcels(1)
    first = get_tile(client, IN_TILE[16])
    etag = first["ETag"]

    not_modified = client.get(first.wsgi_request.path, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified["ETag"] == etag
    assert not_modified["Cache-Control"] == "public, max-age=300"
    weak = client.get(first.wsgi_request.path, HTTP_IF_NONE_MATCH=f'"other", W/{etag}')
    assert weak.status_code == 304  # If-None-Match compares weakly (RFC 9110 §13.1.2)

    ParcelFactory(boundary=square(COL + 1, ROW))
    changed = client.get(first.wsgi_request.path, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


@pytest.mark.parametrize(
    ("as_of", "max_age"),
    [("2015-06-01", 86_400), (None, 300), ("today", 300), ("2999-01-01", 300)],
)
def test_tiles_of_past_dates_are_cached_for_a_day(client, as_of, max_age):
    near_centre_parcels(1, valid_from=dt.date(2000, 1, 1))
    if as_of == "today":
        as_of = timezone.localdate().isoformat()
    query = {"as_of": as_of} if as_of else {}
    response = get_tile(client, IN_TILE[16], **query)
    assert response.status_code == 200
    assert response["Cache-Control"] == f"public, max-age={max_age}"


def test_empty_tile_is_204_without_body(client):
    near_centre_parcels(1)
    response = get_tile(client, (16, 0, 0))  # the Arctic Pacific off Alaska
    assert response.status_code == 204
    assert response.content == b""
    assert "ETag" not in response  # a 304 would stand for a 200
    assert "Content-Type" not in response
    assert response["Cache-Control"] == "public, max-age=300"


@pytest.mark.parametrize(
    ("z", "x", "y"),
    [(23, 0, 0), (99, 0, 0), (0, 1, 0), (0, 0, 1), (16, 2**16, 0), (16, 0, 2**16)],
)
def test_impossible_tile_is_refused_with_400(client, z, x, y):
    response = client.get(f"/tiles/parcels/{z}/{x}/{y}.mvt")
    assert response.status_code == 400
    assert response.json()["detail"]


def test_negative_tile_numbers_match_no_route(client):
    # `<int:>` matches digits only, so a negative number never reaches the view.
    assert client.get("/tiles/parcels/16/-1/0.mvt").status_code == 404


@pytest.mark.parametrize("as_of", ["yesterday", "2024-13-01", "2024-02-30", "2024-1-5", "20240101"])
def test_malformed_as_of_is_refused_with_400(client, as_of):
    response = get_tile(client, IN_TILE[16], as_of=as_of)
    assert response.status_code == 400
    assert "YYYY-MM-DD" in response.json()["detail"]


def test_tiles_answer_get_and_head_only():
    near_centre_parcels(1)
    client = Client(enforce_csrf_checks=True)  # as a browser meets it: 405, not a CSRF 403
    url = reverse("parcels:tile", kwargs=dict(zip("zxy", IN_TILE[16], strict=True)))
    assert client.head(url).status_code == 200
    assert client.post(url).status_code == 405
    assert client.delete(url).status_code == 405


def test_densest_tile_holds_every_parcel_and_stays_under_budget(client):
    # 45 x 45 lots of 8 m (64 m², a dense old quarter) in the middle of one z16 tile.
    tile = (16, Z17[1] // 2, Z17[2] // 2)
    side, count = 8.0, 45
    col0, row0 = cell_near_centre_of(tile, side)
    col0, row0 = col0 - count // 2, row0 - count // 2
    unit = AdministrativeUnitFactory()
    Parcel.objects.bulk_create(
        ParcelFactory.build(admin_unit=unit, boundary=square(col0 + i, row0 + j, size=side))
        for i in range(count)
        for j in range(count)
    )
    response = get_tile(client, tile)
    assert len(layers(response)["parcels"]["features"]) == count * count
    assert len(response.content) < TILE_BUDGET_BYTES
    # One zoom out the lots are simplified and carry no identifier: fewer bytes for each.
    below = get_tile(client, (15, tile[1] // 2, tile[2] // 2))
    assert len(layers(below)["parcels"]["features"]) == count * count
    assert len(below.content) < 0.7 * len(response.content)


def lot_identifier(unit: AdministrativeUnit, first: int, second: int) -> str:
    """Return the identifier of lot (first, second) of `unit`: sheet and number, or main-sub."""
    profile = get_profile()
    text = f"tờ {first} thửa {second}" if profile.key == "vn" else f"{first}-{second}"
    return profile.format_identifier(profile.parse_identifier(text, unit_code=unit.code))


def test_z15_tile_of_a_dense_centre_holds_every_parcel_under_budget(client):
    # 110 x 110 lots of 8 m (12,100, more than the densest synthetic z15 tile's 9,201)
    # in one z15 tile: every one drawn, the tile under the budget.
    tile = IN_TILE[15]
    side, count = 8.0, 110
    col0, row0 = cell_near_centre_of(tile, side)
    col0, row0 = col0 - count // 2, row0 - count // 2
    unit = AdministrativeUnitFactory()
    land_use = get_profile().land_uses[0].code
    # Made without the factory: 12,100 of its sequence numbers would take the Korean
    # main lot numbers (1 to 9999) of every later test in the session past their limit.
    Parcel.objects.bulk_create(
        (
            Parcel(
                admin_unit=unit,
                identifier=lot_identifier(unit, i + 1, j + 1),
                boundary=square(col0 + i, row0 + j, size=side),
                registered_area=Decimal(str(side * side)),
                land_use=land_use,
                valid_from=dt.date(2000, 1, 1),
            )
            for i in range(count)
            for j in range(count)
        ),
        batch_size=2_000,
    )
    response = get_tile(client, tile)
    assert len(layers(response)["parcels"]["features"]) == count * count
    assert len(response.content) < TILE_BUDGET_BYTES
