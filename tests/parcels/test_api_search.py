"""GET /api/parcels/search: identifiers in every spelling, addresses with accents and typos."""

import datetime as dt

import pytest
from django.urls import reverse

from landinfo.profiles import get_profile
from parcels import serializers
from parcels.models import AdministrativeUnit
from tests.factories import AdministrativeUnitFactory, ParcelFactory, unit_code

pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _english(settings):
    """Ask in English unless a test says otherwise: the messages are asserted in English."""
    settings.LANGUAGE_CODE = "en"


URL = reverse("parcels:search")

vietnam_only = pytest.mark.skipif(
    get_profile().key != "vn", reason="Vietnamese spellings of parcel identifiers"
)
korea_only = pytest.mark.skipif(get_profile().key != "kr", reason="Korean lot numbers")


def lot(unit: AdministrativeUnit, sheet: int, number: int) -> str:
    """Return the canonical identifier of "tờ `sheet` thửa `number`" (Korea: lot sheet-number)."""
    profile = get_profile()
    text = f"tờ {sheet} thửa {number}" if profile.key == "vn" else f"{sheet}-{number}"
    return profile.normalize_identifier(text, unit_code=unit.code)


def search(client, q, **params):
    response = client.get(URL, {"q": q, **params})
    assert response.status_code == 200, response.content
    return response.json()


def found(client, q, **params):
    return [result["identifier"] for result in search(client, q, **params)["results"]]


@pytest.fixture
def communes():
    return (
        AdministrativeUnitFactory(code=unit_code(4), name="Phường Mẫu 4"),
        AdministrativeUnitFactory(code=unit_code(7), name="Phường Mẫu 7"),
    )


@pytest.fixture
def twelve_345(communes):
    """Return "tờ 12 thửa 345" in two communes, and a neighbour on the same sheet."""
    first, second = communes
    return (
        ParcelFactory(admin_unit=first, identifier=lot(first, 12, 345)),
        ParcelFactory(admin_unit=second, identifier=lot(second, 12, 345)),
        ParcelFactory(admin_unit=first, identifier=lot(first, 12, 346)),
    )


@pytest.fixture
def street():
    """Return parcels along Phố Huế and nearby streets, addresses as the register writes them."""
    unit = AdministrativeUnitFactory(code=unit_code(3), name="Phường Mẫu 3")
    addresses = {
        "h12": "Số 12 Phố Huế, Phường Mẫu 3",
        "h14": "Số 14 Phố Huế, Phường Mẫu 3",
        "h112": "Số 112 Phố Huế, Phường Mẫu 3",
        "lane": "Số 5 Ngõ 12 Phố Huế, Phường Mẫu 3",
        "bai": "Số 12 Hàng Bài, Phường Mẫu 3",
        "de": "Số 3 Đê La Thành, Phường Mẫu 3",
        "seoul": "예시1구 세종대로 110",
    }
    return {key: ParcelFactory(admin_unit=unit, address=text) for key, text in addresses.items()}


# --- identifiers --------------------------------------------------------------------------


@vietnam_only
@pytest.mark.parametrize(
    "spelling",
    [
        "00004-12-345",
        "00004/12/345",
        "00004 12 345",
        "xã 00004 tờ 12 thửa 345",
        "Tờ bản đồ số 12, thửa đất số 345, phường 00004",
        "TO 12 THUA 345 XA 00004",
        "thửa 345 tờ 12 xã 00004",
    ],
)
def test_every_spelling_with_its_commune_finds_the_one_parcel(client, twelve_345, spelling):
    assert found(client, spelling) == ["00004-12-345"]


@vietnam_only
@pytest.mark.parametrize("spelling", ["tờ 12 thửa 345", "to 12 thua 345", "12/345", "t12 th345"])
def test_short_spellings_are_read_in_the_unit_given(client, twelve_345, spelling):
    answer = search(client, spelling, unit="00007")
    assert [r["identifier"] for r in answer["results"]] == ["00007-12-345"]
    assert answer["results"][0]["match"] == "identifier"
    assert answer["results"][0]["score"] == 1.0


@vietnam_only
@pytest.mark.parametrize("spelling", ["tờ 12 thửa 345", "to 12 thua 345", "12/345", "12-345"])
def test_short_spellings_without_a_unit_find_the_parcel_in_every_commune(
    client, twelve_345, spelling
):
    answer = search(client, spelling)
    assert [r["identifier"] for r in answer["results"]] == ["00004-12-345", "00007-12-345"]
    assert {r["match"] for r in answer["results"]} == {"identifier"}
    assert [r["admin_unit"]["code"] for r in answer["results"]] == ["00004", "00007"]


@vietnam_only
def test_a_result_shows_the_identifier_as_the_certificate_prints_it(client, twelve_345):
    (result,) = search(client, "00004-12-345")["results"]
    assert result["display"] == "tờ 12 thửa 345"
    assert result["land_use"] == {"code": "LUC", "name": "Đất chuyên trồng lúa nước"}
    assert result["admin_unit"] == {"code": "00004", "name": "Phường Mẫu 4"}


@korea_only
@pytest.mark.every_profile
@pytest.mark.parametrize("spelling", ["12-345", "12번지의 345", "12-345번지"])
def test_korean_lot_numbers_without_a_dong_find_the_lot_in_every_dong(client, twelve_345, spelling):
    first, second, _ = twelve_345
    assert found(client, spelling) == [first.identifier, second.identifier]
    assert found(client, spelling, unit=second.admin_unit.code) == [second.identifier]


@pytest.mark.every_profile
def test_the_canonical_identifier_finds_its_parcel(client, twelve_345):
    parcel = twelve_345[0]
    (result,) = search(client, parcel.identifier)["results"]
    assert result["id"] == parcel.pk
    assert result["match"] == "identifier"
    assert result["score"] == 1.0
    assert result["retired"] is False


@pytest.mark.every_profile
def test_an_identifier_of_a_retired_parcel_only_finds_it_marked_retired(client, communes):
    retired = ParcelFactory(
        admin_unit=communes[0],
        identifier=lot(communes[0], 5, 6),
        valid_from=dt.date(2000, 1, 1),
        valid_to=dt.date(2015, 1, 1),
    )
    (result,) = search(client, retired.identifier)["results"]
    assert (result["id"], result["retired"]) == (retired.pk, True)


@pytest.mark.every_profile
def test_the_current_parcel_wins_over_a_retired_one_with_the_same_identifier(client, communes):
    identifier = lot(communes[0], 5, 6)
    ParcelFactory(
        admin_unit=communes[0],
        identifier=identifier,
        valid_from=dt.date(2000, 1, 1),
        valid_to=dt.date(2015, 1, 1),
    )
    current = ParcelFactory(admin_unit=communes[0], identifier=identifier)
    (result,) = search(client, identifier)["results"]
    assert (result["id"], result["retired"]) == (current.pk, False)


@pytest.mark.every_profile
def test_an_identifier_lookup_takes_one_query_and_one_more_with_a_unit(
    client, twelve_345, django_assert_max_num_queries
):
    search(client, twelve_345[1].identifier)  # prepares the statement of this database session
    with django_assert_max_num_queries(1):
        assert len(search(client, twelve_345[0].identifier)["results"]) == 1
    with django_assert_max_num_queries(2):  # the unit is checked first
        search(client, twelve_345[0].identifier, unit=twelve_345[0].admin_unit.code)


# --- addresses ----------------------------------------------------------------------------


@pytest.mark.every_profile
@pytest.mark.parametrize(
    "text", ["Phố Huế", "pho hue", "PHO HUE", "phố huê", "phô hue", "pho hueee", "pho hye"]
)
def test_an_address_is_found_without_accents_and_with_typos(client, street, text):
    identifiers = found(client, text)
    assert street["h12"].identifier in identifiers
    assert street["seoul"].identifier not in identifiers
    assert identifiers.index(street["h12"].identifier) < 4  # among the Phố Huế addresses
    assert set(identifiers[:4]) == {street[k].identifier for k in ("h12", "h14", "h112", "lane")}


@pytest.mark.every_profile
@pytest.mark.parametrize("text", ["12 pho hue", "Pho Hue 12", "số 12 phố huế", "so 12 pho hue"])
def test_a_house_number_ranks_that_house_first(client, street, text):
    answer = search(client, text)
    assert answer["results"][0]["id"] == street["h12"].pk
    assert answer["results"][0]["match"] == "address"
    assert answer["results"][0]["quality"] == "exact"
    scores = [result["score"] for result in answer["results"]]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < score <= 1 for score in scores)


@pytest.mark.every_profile
def test_the_letter_d_with_stroke_is_typed_as_d(client, street):
    assert found(client, "de la thanh")[0] == street["de"].identifier


@pytest.mark.every_profile
def test_hangul_addresses_are_found(client, street):
    assert found(client, "세종대로 110") == [street["seoul"].identifier]


@pytest.mark.every_profile
def test_retired_parcels_are_not_found_by_address(client, street):
    street["h12"].valid_to = dt.date(2020, 1, 1)
    street["h12"].save()
    assert street["h12"].identifier not in found(client, "so 12 pho hue")


@pytest.mark.every_profile
def test_limit_caps_the_results(client, street):
    assert len(found(client, "pho hue", limit=2)) == 2
    assert len(found(client, "pho hue", limit=50)) == 4  # the four on Phố Huế


@pytest.mark.every_profile
def test_an_address_search_takes_a_query_per_tier(client, street, django_assert_max_num_queries):
    # The places named; the words typed together ("pho hue"), then anywhere ("phố" is
    # a word an address may leave out); then the last word's completions, and the
    # addresses with them, as pairs and anywhere (fewer than ten were found as typed).
    with django_assert_max_num_queries(6):
        assert found(client, "pho hue")


# --- nothing found, and refusals ---------------------------------------------------------


@pytest.mark.every_profile
@pytest.mark.parametrize(
    "text", ["zzzzqqq", "!!!", "%%%", "___", "'; DROP TABLE parcels_parcel; --", "…", "🙂"]
)
def test_nothing_found_is_an_empty_list(client, street, twelve_345, text):
    # Not a parcel: the text is not echoed (it may be a person's name or ID number).
    assert search(client, text) == {"query": "", "results": [], "places": [], "message": ""}


@pytest.mark.every_profile
def test_garbage_without_letters_never_reaches_the_database(
    client, street, django_assert_max_num_queries
):
    with django_assert_max_num_queries(0):
        assert found(client, "!!! ??? ...") == []


# What pasted text carries that nobody sees: zero-width space, soft hyphen, right-to-left
# mark, zero-width joiner, byte-order mark, word joiner, Hangul filler.
UNSEEN = ["\u200b", "\u00ad", "\u200f", "\u200d", "\ufeff", "\u2060", "\u3164"]


@pytest.mark.every_profile
@pytest.mark.parametrize("char", UNSEEN)
def test_an_identifier_with_invisible_characters_pasted_in_finds_its_parcel(
    client, twelve_345, char
):
    code = twelve_345[0].identifier
    for text in (f"{code[:3]}{char}{code[3:]}", f"{char}{code[:5]}{char}{code[5:]}{char}"):
        answer = search(client, text)
        assert [result["identifier"] for result in answer["results"]] == [code], text
        assert answer["query"] and char not in answer["query"]  # echoed as it reads
    unit = twelve_345[0].admin_unit.code
    short = "12/345" if get_profile().key == "vn" else "12-345"
    assert found(client, f"{short}{char}", unit=f"{char}{unit}{char}") == [code]


@pytest.mark.every_profile
@pytest.mark.parametrize("char", UNSEEN)
def test_an_address_with_invisible_characters_pasted_in_is_found(client, street, char):
    between = f" {char}" if char == "\u00ad" else char  # a soft hyphen is inside a word
    text = f"{char}so{between}12 pho{between}h{chr(0xAD)}ue{char}"
    assert found(client, text)[0] == street["h12"].identifier


@pytest.mark.every_profile
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "Type a parcel identifier or an address"),
        ({"q": ""}, "Type a parcel identifier or an address"),
        ({"q": "   "}, "Type a parcel identifier or an address"),
        ({"q": "a" * 201}, "at most 200"),
        ({"q": "pho hue", "limit": "0"}, "1 to 50"),
        ({"q": "pho hue", "limit": "51"}, "1 to 50"),
        ({"q": "pho hue", "limit": "ten"}, "whole number"),
        ({"q": "12/345", "unit": "99999999"}, "No administrative unit"),
        ({"q": "pho\x00hue"}, "NUL"),
        ({"q": "12/345", "unit": "000\x004"}, "NUL"),
    ],
)
def test_bad_parameters_are_refused_with_a_message(client, params, message):
    response = client.get(URL, params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert message in response.json()["detail"]


@pytest.mark.every_profile
def test_two_hundred_characters_are_accepted(client, street):
    text = "so 12 pho hue " + "x" * 186
    assert len(text) == 200
    assert search(client, text)["query"] == ""  # not a parcel: not echoed (personal data)


@pytest.mark.every_profile
def test_a_result_has_the_documented_shape(client, street):
    (result, *_) = search(client, "so 12 pho hue")["results"]
    assert set(result) == set(serializers.SearchResultSerializer().fields)
    assert set(result["land_use"]) == {"code", "name"}
    assert set(result["admin_unit"]) == {"code", "name"}
    west, south, east, north = result["bbox"]
    lon, lat = result["centroid"]
    assert west < lon < east
    assert south < lat < north
    assert get_profile().area_of_use.contains(lon, lat)
