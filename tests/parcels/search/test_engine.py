"""Search as people write places and lots: units by name, former names, tiers, the index kept."""

from __future__ import annotations

import datetime as dt
import io
import random

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import translation

from landinfo.profiles import get_profile
from parcels.models import AdministrativeUnit, AdministrativeUnitName, Parcel, SearchWord
from parcels.search.engine import search
from parcels.search.text import folded_words
from tests.factories import AdministrativeUnitFactory, ParcelFactory, unit_code

pytestmark = [pytest.mark.django_db, pytest.mark.every_profile]


@pytest.fixture(autouse=True)
def in_english():
    # Messages are checked in English; the API answers in the request's language.
    with translation.override("en"):
        yield


vietnam_only = pytest.mark.skipif(get_profile().key != "vn", reason="Vietnamese places")
korea_only = pytest.mark.skipif(get_profile().key != "kr", reason="Korean places")


def lot(unit: AdministrativeUnit, text: str) -> str:
    return get_profile().normalize_identifier(text, unit_code=unit.code)


def first(text: str, **options) -> str | None:
    results = search(text, **options).results
    return results[0]["identifier"] if results else None


# --- reading text as the index does -------------------------------------------------------

TRICKY = [
    "Số 12A/3 Phố Huế, P. Mẫu 2",
    "예시1동362-1번지",
    "ＡＢ１２ full-width",
    "e\u0301 decomposed, ß, ǅ, Ⅻ, ①",
    "Ngõ 5/7-9 (dữ liệu tổng hợp)",
    "o'neil \\ back-slash; tab\tnew\nline",
    "ĐẮK LẮK Đồng Mả đ",
    "서울특별시 종로구 세종대로 209",
]


def test_python_reads_text_into_the_words_the_index_holds() -> None:
    draw = random.Random()
    alphabet = "aĂâđĐêôơưÀỹ 0123456789-/,.()가힣동산１Ａ\u0301"
    samples = TRICKY + [
        "".join(draw.choice(alphabet) for _ in range(draw.randrange(1, 30))) for _ in range(300)
    ]
    with connection.cursor() as cursor:
        for text in samples:
            cursor.execute("SELECT landinfo_search_tokens(%s)", [text])
            assert cursor.fetchone()[0] == folded_words(text), text


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("Phường Mẫu 2", {"phuongmau2", "mau2", "pmau2"}),
        ("Thành phố Hà Nội", {"thanhphohanoi", "hanoi", "tphanoi"}),
        ("Tỉnh Mẫu (dữ liệu tổng hợp)", {"tinhmau", "mau", "tmau"}),
        ("Phường 12", {"phuong12", "p12"}),  # never "12": a house number is no ward
        ("Quận 1", {"quan1", "q1"}),
        ("서울특별시", {"서울특별시", "서울", "서울시"}),
        ("경기도", {"경기도", "경기"}),
        ("예시1동", {"예시1동"}),
    ],
)
def test_a_unit_is_found_by_its_name_run_together_with_or_without_its_kind(name, keys) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT landinfo_unit_keys(%s)", [name])
        assert set(cursor.fetchone()[0]) == keys


# --- places and lots (Vietnam) ------------------------------------------------------------


@pytest.fixture
def vn_place():
    province = AdministrativeUnitFactory(code="98", name="Tỉnh Thử", level=1)
    district = AdministrativeUnitFactory(
        code="9801", name="Quận Ba Đình Thử", level=2, parent=province
    )
    ward = AdministrativeUnitFactory(
        code=unit_code(2), name="Phường Mẫu 2", level=3, parent=district
    )
    other = AdministrativeUnitFactory(
        code=unit_code(3), name="Phường Mẫu 3", level=3, parent=district
    )
    AdministrativeUnitName.objects.create(
        unit=ward, name="Phường Trúc Bạch", parent_name="Quận Cũ", valid_to=dt.date(2025, 7, 1)
    )
    here = ParcelFactory(admin_unit=ward, identifier=lot(ward, "tờ 4 thửa 108"))
    there = ParcelFactory(admin_unit=other, identifier=lot(other, "tờ 4 thửa 108"))
    return {"ward": ward, "other": other, "here": here, "there": there}


@vietnam_only
@pytest.mark.parametrize(
    "text",
    [
        "tờ 4 thửa 108, Phường Mẫu 2",  # the label the sheet and the search box show
        "to 4 thua 108 phuong mau 2",
        "tờ 4 thửa 108, P. Mẫu 2",
        "P.Mẫu 2 tờ 4 thửa 108",
        "Mẫu 2, tờ 4 thửa 108",
        "thửa đất số 108, tờ bản đồ số 4, Phường Mẫu 2, Tỉnh Thử",
        "tờ 4 thửa 108, Phường Mẫu 2, Q. Ba Đình Thử, Tỉnh Thử",
        "Địa chỉ: Phường Mẫu 2; thửa 108 tờ 4",
        "tờ 4 thửa 108, Phường Trúc Bạch, Quận Cũ",  # a certificate from before 2025
        "4/108 Phường Trúc Bạch",
    ],
)
def test_a_lot_with_its_place_finds_that_lot_only(vn_place, text) -> None:
    answer = search(text)
    assert [result["id"] for result in answer.results] == [vn_place["here"].pk]
    assert answer.results[0]["match"] == "identifier"
    assert answer.results[0]["place"]["code"] == vn_place["ward"].code


@vietnam_only
def test_a_lot_in_a_district_is_found_in_each_of_its_communes(vn_place) -> None:
    found = {result["id"] for result in search("Quận Ba Đình Thử tờ 4 thửa 108").results}
    assert found == {vn_place["here"].pk, vn_place["there"].pk}


@vietnam_only
@pytest.mark.parametrize("text", ["tờ 4 thửa 108, Phường Không Có", "Phường Mẫu 9, 4/108"])
def test_a_place_the_register_does_not_have_says_so(vn_place, text) -> None:
    answer = search(text)
    assert answer.results == []
    assert "no administrative unit of that name" in answer.message


@vietnam_only
def test_within_a_named_place_nothing_from_elsewhere_ranks(vn_place) -> None:
    ward, other = vn_place["ward"], vn_place["other"]
    inside = ParcelFactory(admin_unit=ward, address="Số 5 Phố Huế, Phường Mẫu 2")
    ParcelFactory(admin_unit=other, address="Số 5 Phố Huế, Phường Mẫu 3")
    answer = search("5 Phố Huế, P. Mẫu 2")
    assert [result["id"] for result in answer.results] == [inside.pk]
    assert answer.places == [{"code": ward.code, "name": ward.name}]


# --- places and lots (Korea) --------------------------------------------------------------


@pytest.fixture
def kr_place():
    city = AdministrativeUnitFactory(code="9800000000", name="예시특별시", level=1)
    gu = AdministrativeUnitFactory(code="9801000000", name="종로구", level=2, parent=city)
    dong = AdministrativeUnitFactory(code="9801010100", name="청운동", level=3, parent=gu)
    lots = {
        text: ParcelFactory(
            admin_unit=dong, identifier=lot(dong, text), address=f"종로구 세종대로 {k}"
        )
        for k, text in enumerate(["32-1", "362-1", "산 12-3", "12"], start=200)
    }
    return {"dong": dong, **lots}


@korea_only
@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("청운동 362-1", "362-1"),  # dong name and lot number, as most Koreans search
        ("청운동 362-1번지", "362-1"),
        ("청운동362-1", "362-1"),
        ("예시특별시 종로구 청운동 362-1", "362-1"),
        ("예시시 종로구 청운동 362-1", "362-1"),
        ("종로구 청운동 32-1", "32-1"),
        ("청운동 산 12-3", "산 12-3"),
        ("청운동산12-3", "산 12-3"),
        ("청운동 12번지", "12"),
    ],
)
def test_a_lot_number_in_its_dong_ranks_that_lot_first(kr_place, text, wanted) -> None:
    assert first(text) == kr_place[wanted].identifier


@korea_only
@pytest.mark.parametrize("text", ["세종대로 201", "종로구 세종대로 201", "세종대로201"])
def test_a_road_name_address_finds_its_building(kr_place, text) -> None:
    assert first(text) == kr_place["362-1"].identifier


# --- tiers: exact, prefix, fuzzy -----------------------------------------------------------


@pytest.fixture
def streets():
    unit = AdministrativeUnitFactory(code=unit_code(5), name="Phường Mẫu 5")
    return {
        key: ParcelFactory(admin_unit=unit, address=address)
        for key, address in {
            "12": "Số 12 Trường Chinh, Phường Mẫu 5",
            "125": "Số 125 Trường Chinh, Phường Mẫu 5",
            "lane": "Số 5 Ngõ 12 Trường Chinh, Phường Mẫu 5",
        }.items()
    }


def test_whole_words_rank_before_a_completed_word_and_fewer_untyped_words_first(streets):
    results = search("12 truong chinh").results
    assert [r["id"] for r in results] == [streets[k].pk for k in ("12", "lane")]
    assert [r["quality"] for r in results] == ["exact", "exact"]
    typed = search("12 truong chi").results  # the last word still being typed
    assert [r["quality"] for r in typed] == ["prefix", "prefix"]
    assert typed[0]["id"] == streets["12"].pk


@pytest.mark.parametrize("text", ["truong chinhh", "truong chnh", "truonq chinh"])
def test_a_mistyped_word_is_corrected_from_the_words_the_register_has(streets, text):
    results = search(text).results
    assert {r["id"] for r in results} == {s.pk for s in streets.values()}
    assert {r["quality"] for r in results} == {"fuzzy"}


def test_scores_fall_with_the_rank(streets):
    for text in ["12 truong chinh", "truong ch", "truong chinhh"]:
        scores = [result["score"] for result in search(text).results]
        assert scores == sorted(scores, reverse=True), text


# --- the index is current in the transaction that writes --------------------------------


def test_a_new_address_and_its_words_are_found_in_the_writing_transaction():
    unit = AdministrativeUnitFactory(code=unit_code(6), name="Phường Mẫu 6")
    parcel = ParcelFactory(admin_unit=unit, address="Số 9 Phố Quỳnh Lôi")
    assert SearchWord.objects.filter(word="quynh").exists()
    assert first("9 pho quynh loi") == parcel.identifier
    assert first("pho quynh lo") == parcel.identifier  # completed from the word table
    Parcel.objects.filter(pk=parcel.pk).update(address="Số 9 Phố Vọng")
    assert first("9 pho quynh loi") is None
    assert first("9 pho vong") == parcel.identifier


def test_a_retired_parcel_is_found_by_address_on_a_day_it_was_in_force():
    unit = AdministrativeUnitFactory(code=unit_code(7), name="Phường Mẫu 7")
    parcel = ParcelFactory(
        admin_unit=unit,
        address="Số 3 Phố Hàng Cót",
        valid_from=dt.date(2001, 1, 1),
        valid_to=dt.date(2020, 1, 1),
    )
    assert search("3 hang cot").results == []
    (result,) = search("3 hang cot", as_of=dt.date(2010, 1, 1)).results
    assert result["id"] == parcel.pk


def test_the_rebuild_command_recounts_and_prunes_the_words():
    unit = AdministrativeUnitFactory(code=unit_code(8), name="Phường Mẫu 8")
    ParcelFactory(admin_unit=unit, address="Số 1 Phố Lãn Ông")
    ParcelFactory(admin_unit=unit, address="Số 2 Phố Lãn Ông")
    SearchWord.objects.create(word="khongconnua", parcels=7)
    out = io.StringIO()
    call_command("rebuild_search_index", stdout=out)
    assert "Rebuilt the search index" in out.getvalue()
    assert SearchWord.objects.get(word="lan").parcels == 2
    assert not SearchWord.objects.filter(word="khongconnua").exists()


def test_a_text_of_many_unknown_words_is_not_corrected_word_by_word(
    streets, django_assert_max_num_queries
):
    text = " ".join(f"xq{n}z" for n in range(30)) + " truong chinh"
    with django_assert_max_num_queries(6):
        assert search(text).results == []


@vietnam_only
@pytest.mark.parametrize(
    "text", ["tờ 4 thửa 9999, Phường Mẫu 2", "tờ 4 thửa 9999", "Phường Mẫu 2 4/9999"]
)
def test_a_lot_number_that_does_not_exist_finds_nothing_and_says_so(vn_place, text) -> None:
    ParcelFactory(admin_unit=vn_place["ward"], address="Số 4 Phố Thửa, Phường Mẫu 2")
    answer = search(text)
    assert answer.results == []
    assert "No parcel has this lot number" in answer.message


def test_a_units_former_names_are_kept_in_the_admin(client, django_user_model):
    unit = AdministrativeUnitFactory(code=unit_code(9), name="Phường Mẫu 9")
    AdministrativeUnitName.objects.create(
        unit=unit, name="Phường Cũ Chín", parent_name="Quận Cũ", valid_to=dt.date(2025, 7, 1)
    )
    admin = django_user_model.objects.create_superuser("root9", "root9@example.org", "x")
    client.force_login(admin)
    page = client.get(f"/admin/parcels/administrativeunit/{unit.pk}/change/")
    assert page.status_code == 200
    assert "Phường Cũ Chín" in page.content.decode()
    listing = client.get("/admin/parcels/administrativeunit/", {"q": "Cũ Chín"})
    assert "Phường Mẫu 9" in listing.content.decode()


@korea_only
def test_a_lot_number_being_typed_suggests_the_lots_it_may_become(kr_place) -> None:
    results = search("청운동 362").results
    assert [r["identifier"] for r in results] == [kr_place["362-1"].identifier]
    assert results[0]["quality"] == "prefix"  # no lot 362 itself: 362-1 is a suggestion
    typed = search("청운동 32").results  # 32-1 goes on from 32
    assert [(r["identifier"], r["quality"]) for r in typed] == [
        (kr_place["32-1"].identifier, "prefix")
    ]
    exact = search("청운동 12").results  # 12 exists: it comes first, exact
    assert (exact[0]["identifier"], exact[0]["quality"]) == (kr_place["12"].identifier, "exact")


@vietnam_only
def test_a_parcel_number_being_typed_suggests_the_numbers_it_may_become(vn_place) -> None:
    ward = vn_place["ward"]
    longer = ParcelFactory(admin_unit=ward, identifier=lot(ward, "tờ 4 thửa 1087"))
    ParcelFactory(admin_unit=ward, identifier=lot(ward, "tờ 5 thửa 1081"))  # another sheet
    results = search("Phường Mẫu 2 tờ 4 thửa 108").results
    assert [(r["id"], r["quality"]) for r in results] == [
        (vn_place["here"].pk, "exact"),
        (longer.pk, "prefix"),
    ]


# --- what outsiders typed (issue 16's outsider round) ----------------------------------


@pytest.mark.parametrize("text", ["(Phố Huế)", "(1)", "( cũ )", "(예시1동)"])
def test_a_remark_alone_is_no_search_and_no_error(client, text) -> None:
    answer = client.get("/api/parcels/search", {"q": text})
    assert answer.status_code == 200
    assert answer.json()["results"] == []


@vietnam_only
def test_a_remark_is_never_echoed_with_the_lot_it_follows(client, vn_place) -> None:
    text = "tờ 4 thửa 108, Phường Mẫu 2 (chủ: Nguyễn Bích Nga, CCCD 001190000123)"
    answer = client.get("/api/parcels/search", {"q": text}).json()
    assert [r["id"] for r in answer["results"]] == [vn_place["here"].pk]
    assert "Nga" not in answer["query"] and "001190000123" not in answer["query"]


@vietnam_only
@pytest.mark.parametrize("text", ["thửa 5", "thua 108", "9999", "tờ 4", "Phường Mẫu 2, thửa 5"])
def test_a_lot_without_all_its_numbers_finds_no_other_parcel(vn_place, text) -> None:
    ParcelFactory(admin_unit=vn_place["ward"], address="Xứ đồng Đồng Chùa 5, Phường Mẫu 2")
    answer = search(text)
    assert answer.results == []
    assert answer.message


def test_a_house_number_that_does_not_exist_is_not_corrected_into_another(streets) -> None:
    assert search("Số 1281 Trường Chinh").results == []
    assert search("Số 121 truong chinh").results == []


@vietnam_only
def test_typing_a_lot_address_keeps_its_parcel_on_every_keystroke(vn_place) -> None:
    label = "thửa đất số 108, tờ bản đồ số 4, Phường Mẫu 2, Tỉnh Thử"
    start = label.index("4,") + 1
    for end in range(start, len(label) + 1):
        results = search(label[:end]).results
        assert results and results[0]["id"] == vn_place["here"].pk, label[:end]


@korea_only
def test_typing_a_korean_lot_address_keeps_its_parcel(kr_place) -> None:
    label = "예시특별시 종로구 청운동 362-1번지"
    for end in range(label.index("362-1") + 5, len(label) + 1):
        results = search(label[:end]).results
        assert results and results[0]["id"] == kr_place["362-1"].pk, label[:end]


@vietnam_only
@pytest.mark.parametrize(
    "text", ["Tỉnh Thử", "Quận Ba Đình Thử", "Phường Trúc Bạch", "Phường Mẫu 2, Tỉnh Thử"]
)
def test_a_place_alone_gives_parcels_in_it(vn_place, text) -> None:
    results = search(text).results
    assert vn_place["here"].pk in {r["id"] for r in results}
    assert {r["match"] for r in results} == {"place"}


@vietnam_only
@pytest.mark.parametrize(
    "text", ["tờ 4 thửa 108, Phường Mẫu 2, Phường Mẫu 3", "Phường Trúc Bạch, Phường Mẫu 3 4/108"]
)
def test_places_that_do_not_lie_in_one_another_say_so(vn_place, text) -> None:
    answer = search(text)
    assert answer.results == []
    assert "do not lie in one another" in answer.message


@vietnam_only
def test_a_district_code_searches_its_communes(vn_place) -> None:
    found = {r["id"] for r in search("4/108", unit_code="9801").results}
    assert found == {vn_place["here"].pk, vn_place["there"].pk}


@vietnam_only
@pytest.mark.parametrize(
    "text",
    [
        "Mã thửa: {identifier}",
        "Trích lục bản đồ địa chính Mã thửa đất: {identifier}",
        "Vị trí thửa đất thửa đất số 108, tờ bản đồ số 4, Phường Mẫu 2, Tỉnh Thử",
        "Địa chỉ: tờ 4 thửa 108, P. Mẫu 2",
    ],
)
def test_labels_copied_with_a_value_are_left_out(vn_place, text) -> None:
    assert first(text.format(identifier=vn_place["here"].identifier)) == vn_place["here"].identifier


@korea_only
@pytest.mark.parametrize(
    "text", ["고유번호: {pnu}", "소재지 지번 청운동 362-1", "도로명주소: 종로구 세종대로 201"]
)
def test_korean_labels_copied_with_a_value_are_left_out(kr_place, text) -> None:
    wanted = kr_place["362-1"]
    assert first(text.format(pnu=wanted.identifier)) == wanted.identifier


@pytest.mark.parametrize("text", ["홍길동", "김현동", "a b c p q x h z"])
def test_names_and_letters_are_not_taken_for_places(streets, text) -> None:
    assert search(text).message == ""


@korea_only
def test_a_dong_the_register_lacks_never_finds_a_lot_elsewhere(kr_place) -> None:
    answer = search("청운9동 362-1")
    assert answer.results == []
    assert "no administrative unit" in answer.message


def test_a_typo_that_makes_another_real_word_is_corrected(streets) -> None:
    ParcelFactory(admin_unit=streets["12"].admin_unit, address="Số 7 Phố Trung Hòa")
    results = search("12 Trưng Chinh").results  # "trung" is a word of the register
    assert results and results[0]["id"] == streets["12"].pk
    assert results[0]["quality"] == "fuzzy"


@vietnam_only
def test_a_place_named_many_times_is_listed_once(vn_place) -> None:
    assert len(search(" ".join(["P. Mẫu 2"] * 10)).places) == 1


@vietnam_only
def test_a_lot_not_yet_made_on_the_day_asked_says_so(vn_place) -> None:
    answer = search("tờ 4 thửa 108, Phường Mẫu 2", as_of=dt.date(1990, 1, 1))
    assert answer.results == []
    assert "on that day" in answer.message


@korea_only
@pytest.mark.parametrize("text", ["청운동 362.1", "청운동 362/1", "청운동 0"])
def test_a_dong_and_an_unreadable_lot_finds_no_building_by_its_number(kr_place, text) -> None:
    answer = search(text)
    assert answer.results == []
    assert answer.message


# --- the second outsider round ------------------------------------------------------------


@vietnam_only
def test_a_former_name_at_the_end_is_never_left_out_to_find_something_elsewhere(vn_place):
    ParcelFactory(admin_unit=vn_place["other"], address="Số 512 Phố Huế, Phường Mẫu 3")
    answer = search("Số 512 Phố Huế, Phường Trúc Bạch")  # Mẫu 2's former name
    assert answer.results == []


@vietnam_only
@pytest.mark.parametrize("text", ["Phường Mẫu 9", "Số 9 Phố Huế, Phường Mẫu 9"])
def test_a_unit_the_register_lacks_shows_no_parcel_elsewhere(vn_place, text) -> None:
    ParcelFactory(admin_unit=vn_place["ward"], address="Số 9 Phố Huế, Phường Mẫu 2")
    answer = search(text)
    assert answer.results == []
    assert "no administrative unit" in answer.message


def test_a_street_named_like_a_unit_is_still_found(streets) -> None:
    parcel = ParcelFactory(admin_unit=streets["12"].admin_unit, address="Số 5 Xã Đàn")
    assert first("Số 5 Xã Đàn") == parcel.identifier


@vietnam_only
@pytest.mark.parametrize(
    "text",
    [
        "tờ 4 thửa 108 Phường Mẫu 2 （CCCD 079201001234）",
        "tờ 4 thửa 108, Phường Mẫu 2 [ghi chú]",
        "tờ 4 thửa 108, Phường Mẫu 2 (Nguyễn Văn A",
        "tờ 4 thửa 108 · {identifier}",
        "thửa đất số 108, tờ bản đồ số 4, Phường Mẫu 2, Tỉnh Thử · Số 1 Phố Huế",
        "Mã thửa: {identifier} · Trạng thái: Đang có hiệu lực",
        "Phường Mẫu 2 {identifier}",
    ],
)
def test_lines_copied_whole_find_their_parcel(vn_place, text) -> None:
    here = vn_place["here"]
    assert first(text.format(identifier=here.identifier)) == here.identifier


@vietnam_only
def test_a_whole_identifier_outside_the_place_named_is_not_found(vn_place) -> None:
    assert search(f"Phường Mẫu 3 {vn_place['here'].identifier}").results == []


@korea_only
@pytest.mark.parametrize("typed", ["ㅂ", "버", "번", "번ㅈ", "번지"])
def test_a_lot_stays_while_beonji_is_composed(kr_place, typed) -> None:
    assert first(f"청운동 362-1{typed}") == kr_place["362-1"].identifier


@korea_only
def test_a_dong_the_register_lacks_and_a_number_finds_no_lot_elsewhere(kr_place) -> None:
    answer = search("청운9동 12")
    assert answer.results == []


@vietnam_only
def test_messages_are_in_the_language_asked(client, vn_place) -> None:
    answer = client.get(
        "/api/parcels/search", {"q": "tờ 4 thửa 9999, Phường Mẫu 2"}, HTTP_ACCEPT_LANGUAGE="ko"
    ).json()
    assert answer["results"] == []
    assert "필지" in answer["message"]


def test_the_rebuild_reads_every_address_again_when_the_reading_of_text_changed():
    unit = AdministrativeUnitFactory(code=unit_code(8), name="Phường Mẫu 8")
    parcel = ParcelFactory(admin_unit=unit, address="Số 5 Phố Lãn Ông")
    with connection.cursor() as cursor:
        # A release that reads one more word out of every text (rolled back with the test).
        cursor.execute(
            "ALTER FUNCTION landinfo_search_tokens(text) RENAME TO landinfo_search_tokens_was;"
            "CREATE FUNCTION landinfo_search_tokens(text) RETURNS text[] LANGUAGE sql "
            "IMMUTABLE STRICT RETURN landinfo_search_tokens_was($1) || ARRAY['moithem'];"
        )
    assert search("lan ong moithem").results == []
    call_command("rebuild_search_index", stdout=io.StringIO())
    (result,) = search("lan ong moithem").results
    assert result["id"] == parcel.pk
    assert SearchWord.objects.filter(word="moithem").exists()


def test_a_place_of_many_units_finds_its_parcels_without_the_units_in_the_query():
    top = AdministrativeUnitFactory(
        code=unit_code(30), name="Tỉnh Rộng Lớn", level=AdministrativeUnit.Level.PROVINCE
    )
    wards = [
        AdministrativeUnitFactory(code=unit_code(31 + n), name=f"Xã Nhỏ {n}", parent=top)
        for n in range(70)
    ]
    inside = ParcelFactory(admin_unit=wards[-1], address="Số 9 Đường Hoa Sữa")
    ParcelFactory(address="Số 9 Đường Hoa Sữa")
    results = search("Số 9 Đường Hoa Sữa, Tỉnh Rộng Lớn").results
    assert [result["id"] for result in results] == [inside.pk]


@vietnam_only
def test_a_ward_named_like_a_street_gives_the_street_first_unless_named_as_a_ward(vn_place):
    # The ward Phường Mẫu 2 was "Phường Trúc Bạch"; a street elsewhere has the name too.
    street = ParcelFactory(admin_unit=vn_place["other"], address="Số 7 Phố Trúc Bạch")
    answer = search("Trúc Bạch")
    assert answer.results[0]["id"] == street.pk
    assert answer.results[0]["match"] == "address"
    assert [place["code"] for place in answer.places] == [vn_place["ward"].code]
    as_ward = search("Phường Trúc Bạch").results
    assert {result["id"] for result in as_ward} == {vn_place["here"].pk}
    assert {result["match"] for result in as_ward} == {"place"}


@vietnam_only
def test_a_street_named_like_a_ward_of_another_district_is_found_in_the_district_named(vn_place):
    district = AdministrativeUnitFactory(
        code="9802", name="Quận Hai Thử", level=AdministrativeUnit.Level.DISTRICT
    )
    ward = AdministrativeUnitFactory(code=unit_code(40), name="Phường Bốn Mươi", parent=district)
    street = ParcelFactory(admin_unit=ward, address="Số 3 Phố Trúc Bạch")
    (result,) = search("Phố Trúc Bạch, Quận Hai Thử").results
    assert result["id"] == street.pk
    assert search("Phường Trúc Bạch, Quận Hai Thử").message  # a ward elsewhere: said so


@pytest.mark.parametrize("text", ["Lê Lợi", "le loi", "Lê Lợ", "Lê Lợi 12", "12 Lê Lợi"])
def test_words_typed_together_rank_where_the_address_has_them_together(text):
    unit = AdministrativeUnitFactory(code=unit_code(11), name="Phường Mẫu 11")
    # Fewer untyped words, but "Lê" and "Lợi" apart: ranked first by words alone.
    apart = ParcelFactory(admin_unit=unit, address="Lê Văn Lợi")
    street = ParcelFactory(admin_unit=unit, address="Số 12 Lê Lợi, Phường Mẫu 11")
    results = [result["id"] for result in search(text).results]
    assert results[0] == street.pk
    if not _has_number(text):
        assert results == [street.pk, apart.pk]


def _has_number(text: str) -> bool:
    return any(char.isdigit() for char in text)


@pytest.mark.parametrize("in_first", [20, 2])
def test_a_common_word_is_asked_in_the_first_units_when_they_hold_a_pool(monkeypatch, in_first):
    from parcels.search import engine, frequent, index

    units = [
        AdministrativeUnitFactory(code=unit_code(60 + n), name=f"Xã Thử Số {n}") for n in range(5)
    ]
    # The first unit's parcels are written last: the index alone would pool the others'.
    for number, unit in reversed(list(enumerate(units))):
        for house in range(in_first if number == 0 else 20):
            ParcelFactory(admin_unit=unit, address=f"Số {house} Phố Hoa Sữa")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE parcels_parcel")
        index.recount_words(cursor)
    monkeypatch.setattr(engine, "_POOL", 5)
    monkeypatch.setattr(frequent, "_MARGIN", 2)
    assert frequent.first_units("hoa", 5) == [units[0].pk]
    found = {result["admin_unit"]["code"] for result in search("hoa").results}
    if in_first >= 5:
        assert found == {units[0].code}  # a whole pool there: no need to read further
    else:
        assert found - {units[0].code}  # too few there: asked everywhere


# --- the third outsider round -------------------------------------------------------------


@vietnam_only
def test_the_wards_number_and_a_former_districts_number_are_no_house_numbers():
    district = AdministrativeUnitFactory(
        code="9803", name="Quận Ba Thử", level=AdministrativeUnit.Level.DISTRICT
    )
    ward = AdministrativeUnitFactory(code=unit_code(4), name="Phường Mẫu 4", parent=district)
    AdministrativeUnitName.objects.create(
        unit=ward, name="Phường Tân Lập", parent_name="Huyện Mẫu Cũ 1", valid_to=dt.date(2025, 7, 1)
    )
    ParcelFactory(admin_unit=ward, address="Số 1 Ngõ 393 Trường Chinh, Phường Mẫu 4")
    four = ParcelFactory(admin_unit=ward, address="Số 4 Ngõ 393 Trường Chinh, Phường Mẫu 4")
    text = "Số 4 Ngõ 393 Trường Chinh, Phường Tân Lập, Huyện Mẫu Cũ 1"
    assert search(text).results[0]["id"] == four.pk


@vietnam_only
@pytest.mark.parametrize("text", ["Phường 12", "Trường Chinh, Phường 4", "Trường Chinh, Q.3"])
def test_a_numbered_ward_the_register_lacks_finds_nothing_and_says_so(streets, text):
    answer = search(text)
    assert answer.results == []
    assert "no administrative unit" in answer.message


@vietnam_only
@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("đường Trường Chinh 12", "12"),
        ("Số 12 đường Trường Chinh", "12"),
        ("số nhà 12 phố Trường Chinh", "12"),
        ("số 5, ngõ 12, đường Trường Chinh", "lane"),
    ],
)
def test_a_street_is_found_with_the_words_people_write_before_it(streets, text, key):
    (first, *_) = search(text).results
    assert first["id"] == streets[key].pk
    assert first["quality"] == "exact"


@vietnam_only
@pytest.mark.parametrize("text", ["Số", "Số 12", "số 12 ", "T", "Tr"])
def test_an_address_being_typed_from_its_house_number_is_no_lot(streets, text):
    answer = search(text)
    assert "Write a lot" not in answer.message
    assert answer.results


@vietnam_only
def test_a_street_named_like_a_ward_is_found_with_its_house_number(vn_place):
    street = ParcelFactory(admin_unit=vn_place["other"], address="Số 7 Phố Trúc Bạch")
    for text in ("Trúc Bạch 7", "Trúc Bạch số 7", "đường Trúc Bạch"):
        assert search(text).results[0]["id"] == street.pk, text


@vietnam_only
@pytest.mark.parametrize(
    "text",
    [
        '"{id}"',
        "“{id}”",
        "({id})",
        "[tờ 4 thửa 108, Phường Mẫu 2]",
        "{id}\tODT\t215.3\tSố 42 Ngõ 725 Trường Chinh\t{code}\tPhường Mẫu 2",
        "tờ 4 thửa 108 · {id}",
        "tờ 4 thửa 108 · Phường Mẫu 2",
    ],
)
def test_values_copied_with_quotes_brackets_or_from_a_row_find_their_parcel(vn_place, text):
    here = vn_place["here"]
    typed = text.format(id=here.identifier, code=vn_place["ward"].code)
    assert first(typed) == here.identifier


@vietnam_only
@pytest.mark.parametrize("text", ["tờ 4 thửa 108 · Phường Mẫu 6", "tờ 4 thửa 108 · {code}-4-1"])
def test_parts_of_a_line_that_name_other_places_or_parcels_find_nothing_and_say_so(vn_place, text):
    ward = vn_place["ward"]
    AdministrativeUnitFactory(code=unit_code(6), name="Phường Mẫu 6")
    ParcelFactory(admin_unit=ward, identifier=lot(ward, "tờ 4 thửa 1"))
    answer = search(text.format(code=ward.code))
    assert answer.results == []
    assert "different parcels or places" in answer.message


@korea_only
@pytest.mark.parametrize("text", ["서울 청운동 362-1", "없는시 청운동 362-1", "청운동 362-1 대"])
def test_a_korean_lot_is_found_with_an_unknown_place_before_it_or_its_category_after(
    kr_place, text
):
    (result, *_) = search(text).results
    assert result["id"] == kr_place["362-1"].pk
    assert result["match"] == "identifier"


@vietnam_only
def test_a_whole_identifier_outside_the_unit_searched_in_is_not_found(vn_place):
    here = vn_place["here"]
    assert first(here.identifier, unit_code=vn_place["ward"].code) == here.identifier
    answer = search(here.identifier, unit_code=vn_place["other"].code)
    assert answer.results == []
    assert "No parcel has this lot number" in answer.message


# --- the fourth outsider round ------------------------------------------------------------


@vietnam_only
@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("Số 3 Trường Chinh, Phường Mẫu 3", None),  # no house 3: not "Số 300", the ward's 3
        ("Số 3", "Số 3 Ngõ 9 Trường Chinh, Phường Mẫu 4"),
        ("Số 300 Trường Chinh", "Số 300 Trường Chinh, Phường Mẫu 3"),
        ("Số 5 Hẻm 9 Trường Chinh", "Số 5 Ngõ 9 Trường Chinh, Phường Mẫu 3"),
        ("số 5 kiệt 9 đường Trường Chinh", "Số 5 Ngõ 9 Trường Chinh, Phường Mẫu 3"),
        ("Số 14 Ngõ 3 Trường Chinh", None),  # no ngõ 3
    ],
)
def test_a_number_after_its_label_is_that_number_not_a_wards(text, wanted):
    three = AdministrativeUnitFactory(code=unit_code(3), name="Phường Mẫu 3")
    four = AdministrativeUnitFactory(code=unit_code(4), name="Phường Mẫu 4")
    for unit, address in [
        (three, "Số 300 Trường Chinh, Phường Mẫu 3"),
        (three, "Số 5 Ngõ 9 Trường Chinh, Phường Mẫu 3"),
        (four, "Số 3 Ngõ 9 Trường Chinh, Phường Mẫu 4"),
        (four, "Số 14 Ngõ 185 Trường Chinh, Phường Mẫu 4"),
    ]:
        ParcelFactory(admin_unit=unit, address=address)
    results = search(text).results
    assert (results[0]["address"] if results else None) == wanted


@vietnam_only
def test_a_name_after_a_streets_kind_is_the_streets_not_a_wards(vn_place):
    # "Trúc Bạch" was a ward's name; "đường Trúc Bạch" names a street, which has no house 12.
    ParcelFactory(admin_unit=vn_place["ward"], address="Số 12 Phố Huế, Phường Mẫu 2")
    assert search("Số 12 đường Trúc Bạch").results == []


@vietnam_only
@pytest.mark.parametrize(
    "text",
    [
        "Phường Mẫu 2 | Số 42 Ngõ 725 Trường Chinh",
        "tờ 4\tthửa 108\tPhường Mẫu 2",
        "Tờ bản đồ số: 4 | Thửa đất số: 108 | Phường Mẫu 2",
        "Địa chỉ: [tờ 4 thửa 108, Phường Mẫu 2]",
    ],
)
def test_the_fields_of_one_lot_or_address_in_parts_are_read_together(vn_place, text):
    here = vn_place["here"]
    here.address = "Số 42 Ngõ 725 Trường Chinh, Phường Mẫu 2"
    here.save()
    assert first(text) == here.identifier


@vietnam_only
def test_a_place_part_and_an_address_elsewhere_say_the_parts_differ(vn_place):
    ParcelFactory(admin_unit=vn_place["other"], address="Số 284 Trường Chinh, Phường Mẫu 3")
    answer = search("Phường Mẫu 2 | Số 284 Trường Chinh")
    assert answer.results == []
    assert "different parcels or places" in answer.message


# --- the fifth outsider round -------------------------------------------------------------


@vietnam_only
@pytest.mark.parametrize("text", ["số nhà 4", "số nhà 4 Trường Chinh, Phường Mẫu 4"])
def test_so_nha_and_its_number_are_the_house_not_the_wards_number(text):
    four = AdministrativeUnitFactory(code=unit_code(4), name="Phường Mẫu 4")
    ParcelFactory(admin_unit=four, address="Số 499 Trường Chinh, Phường Mẫu 4")
    house = ParcelFactory(admin_unit=four, address="Số 4 Ngõ 9 Trường Chinh, Phường Mẫu 4")
    assert search(text).results[0]["id"] == house.pk


@vietnam_only
@pytest.mark.parametrize(
    "text",
    ["tờ 4 thửa 108 · Số 531 Đại Cồ Việt", "Số 531 Đại Cồ Việt | Số 42 Ngõ 725 Trường Chinh"],
)
def test_parts_naming_different_addresses_find_nothing_and_say_so(vn_place, text):
    here = vn_place["here"]
    here.address = "Số 42 Ngõ 725 Trường Chinh, Phường Mẫu 2"
    here.save()
    ParcelFactory(admin_unit=vn_place["other"], address="Số 531 Đại Cồ Việt, Phường Mẫu 3")
    answer = search(text)
    assert answer.results == []
    assert "different parcels or places" in answer.message


@vietnam_only
def test_a_lot_in_several_communes_and_its_address_name_the_one_that_has_both(vn_place):
    vn_place["there"].address = "Số 244 Ngõ 757 Trường Chinh, Phường Mẫu 3"
    vn_place["there"].save()
    assert first("tờ 4 thửa 108 | Số 244 Ngõ 757 Trường Chinh") == vn_place["there"].identifier
