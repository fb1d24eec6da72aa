"""Jurisdiction profiles: identifier spellings, refusals, code lists, the registry.

Pure Python: no database. Property tests generate identifiers and the spellings people
type for them; tables pin each accepted spelling and each refusal's message.
"""

from __future__ import annotations

import re
import subprocess
import sys
import unicodedata
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from landinfo.profiles import (
    PROFILES,
    InvalidParcelIdentifier,
    JurisdictionProfile,
    ParcelIdentifier,
    UnknownLandUse,
    get_profile,
)
from landinfo.profiles.base import LAND_USE_GROUPS
from landinfo.profiles.korea import KoreaProfile
from landinfo.profiles.text import MAX_INPUT_LENGTH, fold_text, normalize_text, quote_input
from landinfo.profiles.vietnam import VietnamProfile


@pytest.fixture(autouse=True)
def _english(settings):
    """Ask in English unless a test says otherwise: the messages are asserted in English."""
    settings.LANGUAGE_CODE = "en"


VN = VietnamProfile()
KR = KoreaProfile()
COMMUNE = "00004"
DONG = "1111010100"

FAST = settings(max_examples=200, deadline=None)

# --- strategies -----------------------------------------------------------------------

commune_codes = st.text(alphabet="0123456789", min_size=5, max_size=5)
dong_codes = st.text(alphabet="0123456789", min_size=10, max_size=10)
vn_identifiers = st.builds(
    lambda commune, sheet, parcel: ParcelIdentifier(commune, (sheet, parcel)),
    commune_codes,
    st.integers(1, 9999),
    st.integers(1, 99999),
)
kr_identifiers = st.builds(
    lambda dong, ledger, main, sub: ParcelIdentifier(dong, (ledger, main, sub)),
    dong_codes,
    st.sampled_from([1, 2]),
    st.integers(1, 9999),
    st.integers(0, 9999),
)

# A spelling turns an identifier into (text, unit_code to search in, or None). Korean
# spellings take (dong, ledger type, main, sub) as (d, t, m, s).
Spelling = Callable[[ParcelIdentifier], tuple[str, str | None]]


def _vn(template: str, *, within_commune: bool) -> Spelling:
    def spell(identifier: ParcelIdentifier) -> tuple[str, str | None]:
        sheet, parcel = identifier.parts
        text = template.format(c=identifier.unit_code, s=sheet, p=parcel)
        return text, identifier.unit_code if within_commune else None

    return spell


VN_SPELLINGS: dict[str, Spelling] = {
    "canonical": _vn("{c}-{s}-{p}", within_commune=False),
    "slashes": _vn("{c}/{s}/{p}", within_commune=False),
    "dots": _vn("{c}.{s}.{p}", within_commune=False),
    "spaces": _vn("{c} {s} {p}", within_commune=False),
    "certificate": _vn("tờ {s} thửa {p}", within_commune=True),
    "long labels": _vn("Tờ bản đồ số {s}, thửa đất số {p}", within_commune=True),
    "parcel first": _vn("thửa {p} tờ {s}", within_commune=True),
    "commune labelled": _vn("xã {c} tờ {s} thửa {p}", within_commune=False),
    "ward with colons": _vn("Phường: {c}, tờ: {s}, thửa: {p}", within_commune=False),
    "commune last": _vn("thửa đất số {p} tờ bản đồ số {s} xã {c}", within_commune=False),
    "commune first": _vn("{c} tờ {s} thửa {p}", within_commune=False),
    "short slash": _vn("{s}/{p}", within_commune=True),
    "short dash": _vn("{s}-{p}", within_commune=True),
    "abbreviated": _vn("t{s} th{p}", within_commune=True),
    "zero padded": _vn("tờ {s:04d} thửa {p:05d}", within_commune=True),
    "english": _vn("sheet no. {s}, parcel {p}", within_commune=True),
}


def _kr(make: Callable[[str, int, int, int], str], *, within_dong: bool) -> Spelling:
    def spell(identifier: ParcelIdentifier) -> tuple[str, str | None]:
        ledger, main, sub = identifier.parts
        text = make(identifier.unit_code, ledger, main, sub)
        return text, identifier.unit_code if within_dong else None

    return spell


def _san(ledger: int, after: str = " ") -> str:
    return "산" + after if ledger == 2 else ""


def _lot(main: int, sub: int) -> str:
    return f"{main}-{sub}" if sub else f"{main}"


_FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")

KR_SPELLINGS: dict[str, Spelling] = {
    "pnu": _kr(lambda d, t, m, s: f"{d}{t}{m:04d}{s:04d}", within_dong=False),
    "pnu with dashes": _kr(lambda d, t, m, s: f"{d}-{t}-{m:04d}-{s:04d}", within_dong=False),
    "pnu with spaces": _kr(lambda d, t, m, s: f"{d} {t} {m:04d} {s:04d}", within_dong=False),
    "pnu with dots": _kr(lambda d, t, m, s: f"{d}.{t}.{m:04d}.{s:04d}", within_dong=False),
    "dong and lot": _kr(lambda d, t, m, s: f"{d} {_san(t)}{_lot(m, s)}", within_dong=False),
    "dong dash lot": _kr(lambda d, t, m, s: f"{d}-{_san(t, '')}{_lot(m, s)}", within_dong=False),
    "lot": _kr(lambda d, t, m, s: f"{_san(t)}{_lot(m, s)}", within_dong=True),
    "lot without space": _kr(lambda d, t, m, s: f"{_san(t, '')}{_lot(m, s)}", within_dong=True),
    "lot with 번지": _kr(lambda d, t, m, s: f"{_san(t)}{_lot(m, s)}번지", within_dong=True),
    "sub number written": _kr(lambda d, t, m, s: f"{_san(t)}{m}-{s}", within_dong=True),
    "older 의": _kr(lambda d, t, m, s: f"{_san(t)}{m}번지의 {s}", within_dong=True),
    "zero padded lot": _kr(lambda d, t, m, s: f"{_san(t)}{m:04d}-{s:04d}", within_dong=True),
    "full-width digits": _kr(
        lambda d, t, m, s: f"{_san(t)}{_lot(m, s)}".translate(_FULL_WIDTH), within_dong=True
    ),
    "latin san": _kr(lambda d, t, m, s: ("San " if t == 2 else "") + _lot(m, s), within_dong=True),
}


def _without_diacritics(text: str) -> str:
    """Return `text` as typed on a keyboard without Vietnamese input: "Đất" → "Dat"."""
    bare = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return bare.replace("đ", "d").replace("Đ", "D")


CASES: dict[str, Callable[[str], str]] = {
    "as written": str,
    "upper": str.upper,
    "lower": str.lower,
    "title": str.title,
    "swapped": str.swapcase,
}
ACCENTS: dict[str, Callable[[str], str]] = {
    "precomposed": lambda text: unicodedata.normalize("NFC", text),
    "decomposed": lambda text: unicodedata.normalize("NFD", text),
    "stripped": _without_diacritics,
}
SPACING: dict[str, Callable[[str], str]] = {
    "as written": str,
    "padded": lambda text: f"  {text}\t",
    "doubled": lambda text: text.replace(" ", "  "),
}


def _outcome(profile: JurisdictionProfile, text: str, unit_code: str | None) -> str:
    """Parse `text`; return "ok" or the refusal, failing on any other exception."""
    try:
        profile.parse_identifier(text, unit_code=unit_code)
    except InvalidParcelIdentifier as refusal:
        assert str(refusal).strip(), "a refusal must say why"
        return "refused"
    return "ok"


# --- Vietnam: round trips ---------------------------------------------------------------


@FAST
@given(vn_identifiers)
def test_vietnamese_canonical_form_reads_back_as_the_same_identifier(identifier):
    assert VN.parse_identifier(VN.format_identifier(identifier)) == identifier


@FAST
@given(vn_identifiers)
def test_vietnamese_certificate_form_reads_back_within_its_commune(identifier):
    text = VN.display_identifier(identifier)
    assert VN.parse_identifier(text, unit_code=identifier.unit_code) == identifier


@FAST
@given(
    vn_identifiers,
    st.sampled_from(sorted(VN_SPELLINGS)),
    st.sampled_from(sorted(CASES)),
    st.sampled_from(sorted(ACCENTS)),
    st.sampled_from(sorted(SPACING)),
)
def test_every_vietnamese_spelling_reads_as_the_identifier_it_spells(
    identifier, spelling, case, accents, spacing
):
    text, unit_code = VN_SPELLINGS[spelling](identifier)
    text = SPACING[spacing](ACCENTS[accents](CASES[case](text)))
    parsed = VN.parse_identifier(text, unit_code=unit_code)
    assert parsed == identifier
    assert VN.format_identifier(parsed) == VN.format_identifier(identifier)


@FAST
@given(vn_identifiers, commune_codes)
def test_vietnamese_commune_written_in_the_text_wins_over_the_commune_searched(
    identifier, other_commune
):
    text = VN.format_identifier(identifier)
    assert VN.parse_identifier(text, unit_code=other_commune) == identifier


# --- Vietnam: examples ------------------------------------------------------------------

EXPECTED_VN = ParcelIdentifier(unit_code=COMMUNE, parts=(12, 345))


@pytest.mark.parametrize(
    ("text", "unit_code"),
    [
        ("tờ 12 thửa 345", COMMUNE),
        ("to 12 thua 345", COMMUNE),
        ("TỜ 12 THỬA 345", COMMUNE),
        (unicodedata.normalize("NFD", "tờ 12 thửa 345"), COMMUNE),
        ("Tờ bản đồ số 12, thửa đất số 345", COMMUNE),
        ("to ban do so 12 thua dat so 345", COMMUNE),
        ("Tờ số: 12; thửa số: 345", COMMUNE),
        ("thửa 345 tờ 12", COMMUNE),
        ("thua 345, to 12", COMMUNE),
        ("t12 th345", COMMUNE),
        ("12/345", COMMUNE),
        ("12-345", COMMUNE),
        ("  12 / 345  ", COMMUNE),
        ("tờ 12 345", COMMUNE),
        ("00004-12-345", None),
        ("00004/12/345", None),
        ("00004.12.345", None),
        ("00004 12 345", None),
        ("00004 – 12 – 345", None),
        ("xã 00004 tờ 12 thửa 345", None),
        ("phường 00004 tờ 12 thửa 345", None),
        ("Phuong 00004, to 12, thua 345", None),
        ("thị trấn 00004 tờ 12 thửa 345", None),
        ("ĐẶC KHU 00004 tờ 12 thửa 345", None),
        ("xã 00004 12/345", None),
        ("00004 tờ 12 thửa 345", None),
        ("tờ 12 thửa 345 xã 00004", None),
        ("sheet 12 parcel 345 commune 00004", None),
        ("００００４－１２－３４５", None),
    ],
)
def test_vietnamese_accepted_spelling_is_read(text, unit_code):
    assert VN.parse_identifier(text, unit_code=unit_code) == EXPECTED_VN


def test_vietnamese_identifier_typed_without_diacritics_is_read():
    assert VN.parse_identifier("to ban do so 12 thua dat so 345", unit_code=COMMUNE) == (
        VN.parse_identifier("Tờ bản đồ số 12, thửa đất số 345", unit_code=COMMUNE)
    )


def test_vietnamese_canonical_and_certificate_forms():
    assert VN.format_identifier(EXPECTED_VN) == "00004-12-345"
    assert VN.display_identifier(EXPECTED_VN) == "tờ 12 thửa 345"
    assert VN.normalize_identifier("to 012 thua 0345", unit_code=COMMUNE) == "00004-12-345"


@pytest.mark.parametrize(
    ("text", "unit_code", "phrase"),
    [
        ("", COMMUNE, "is empty"),
        ("   ", COMMUNE, "is empty"),
        ("tờ 12 thửa 345", None, "give the commune code, e.g. 00004-12-345"),
        ("12/345", None, "does not say which commune"),
        ("tờ 0 thửa 345", COMMUNE, "map sheet number (tờ bản đồ số) must be 1 to 9999"),
        ("tờ 10000 thửa 345", COMMUNE, "map sheet number (tờ bản đồ số) must be 1 to 9999"),
        ("tờ 12 thửa 0", COMMUNE, "parcel number (thửa đất số) must be 1 to 99999"),
        ("tờ 12 thửa 100000", COMMUNE, "parcel number (thửa đất số) must be 1 to 99999"),
        ("tờ 12 thửa " + "9" * 150, COMMUNE, "must be 1 to 99999"),
        ("4-12-345", None, "must be exactly 5 digits"),
        ("xã 123456 tờ 12 thửa 345", None, "must be exactly 5 digits"),
        ("12/345", "123", "5-digit commune code"),
        ("12/345", "abcde", "5-digit commune code"),
        ("lô 12 345", COMMUNE, "Cannot read 'lô 12 345'"),
        ("tờ 12 thửa 345 ✓", COMMUNE, "write e.g. 'tờ 12 thửa 345'"),
        ("tờ ١٢ thửa ٣٤٥", COMMUNE, "Cannot read"),
        ("tờ 12", COMMUNE, "gives no parcel number"),
        ("thửa 345", COMMUNE, "gives no map sheet number"),
        ("xã 00004", None, "gives no map sheet number (tờ bản đồ số) and no parcel number"),
        ("345", COMMUNE, "only one number"),
        ("tờ 12 thửa", COMMUNE, "but no number after it"),
        ("tờ 12 tờ 13 thửa 1", COMMUNE, "twice"),
        ("1 2 3 4", COMMUNE, "more numbers than"),
        ("00004-12", None, "looks like a commune code followed by one number"),
        ("xã Phúc Xá tờ 12 thửa 345", None, "not its name"),
        ("tờ 12 thửa 345 " * 20, COMMUNE, "too long"),
    ],
)
def test_vietnamese_refusal_says_what_to_fix(text, unit_code, phrase):
    with pytest.raises(InvalidParcelIdentifier) as refusal:
        VN.parse_identifier(text, unit_code=unit_code)
    assert phrase in str(refusal.value)


@FAST
@given(st.text(max_size=60), st.sampled_from([None, COMMUNE]))
def test_any_text_is_read_or_refused_with_a_reason_never_crashes_vietnam(text, unit_code):
    assert _outcome(VN, text, unit_code) in {"ok", "refused"}


@FAST
@given(
    st.text(max_size=60).filter(lambda t: not re.search("[0-9]", unicodedata.normalize("NFKD", t))),
    st.sampled_from([None, COMMUNE]),
)
def test_text_without_digits_is_refused_in_vietnam(text, unit_code):
    assert _outcome(VN, text, unit_code) == "refused"


@FAST
@given(
    st.lists(st.sampled_from(["tờ", "thửa", "xã", "số", "12", "0", "00004", "/", "-", " ", "x"]))
)
def test_jumbled_vietnamese_words_are_read_or_refused_with_a_reason(tokens):
    assert _outcome(VN, " ".join(tokens), None) in {"ok", "refused"}


def test_malformed_vietnamese_identifier_is_not_formatted():
    with pytest.raises(InvalidParcelIdentifier):
        VN.format_identifier(ParcelIdentifier(COMMUNE, (12, 345, 6)))
    with pytest.raises(InvalidParcelIdentifier):
        VN.format_identifier(ParcelIdentifier("4", (12, 345)))


# --- Korea: round trips -----------------------------------------------------------------


@FAST
@given(kr_identifiers)
def test_korean_pnu_reads_back_as_the_same_identifier(identifier):
    pnu = KR.format_identifier(identifier)
    assert len(pnu) == 19
    assert pnu.isdigit()
    assert KR.parse_identifier(pnu) == identifier


@FAST
@given(kr_identifiers)
def test_korean_lot_number_reads_back_within_its_dong(identifier):
    text = KR.display_identifier(identifier)
    assert KR.parse_identifier(text, unit_code=identifier.unit_code) == identifier


@FAST
@given(
    kr_identifiers,
    st.sampled_from(sorted(KR_SPELLINGS)),
    st.sampled_from(sorted(CASES)),
    st.sampled_from(["precomposed", "decomposed"]),
    st.sampled_from(sorted(SPACING)),
)
def test_every_korean_spelling_reads_as_the_identifier_it_spells(
    identifier, spelling, case, accents, spacing
):
    text, unit_code = KR_SPELLINGS[spelling](identifier)
    text = SPACING[spacing](ACCENTS[accents](CASES[case](text)))
    parsed = KR.parse_identifier(text, unit_code=unit_code)
    assert parsed == identifier
    assert KR.format_identifier(parsed) == KR.format_identifier(identifier)


# --- Korea: examples --------------------------------------------------------------------

FOREST_LOT = ParcelIdentifier(unit_code=DONG, parts=(2, 12, 3))
LAND_LOT = ParcelIdentifier(unit_code=DONG, parts=(1, 12, 3))
LAND_LOT_UNDIVIDED = ParcelIdentifier(unit_code=DONG, parts=(1, 12, 0))
FOREST_LOT_UNDIVIDED = ParcelIdentifier(unit_code=DONG, parts=(2, 12, 0))


@pytest.mark.parametrize(
    ("text", "unit_code", "expected"),
    [
        ("1111010100200120003", None, FOREST_LOT),
        ("1111010100-2-0012-0003", None, FOREST_LOT),
        ("1111010100 2 0012 0003", None, FOREST_LOT),
        ("1111010100.2.0012.0003", None, FOREST_LOT),
        ("1111010100100120003", None, LAND_LOT),
        ("산 12-3", DONG, FOREST_LOT),
        ("산12-3", DONG, FOREST_LOT),
        ("San 12-3", DONG, FOREST_LOT),
        ("12-3", DONG, LAND_LOT),
        ("12 - 3", DONG, LAND_LOT),
        ("12", DONG, LAND_LOT_UNDIVIDED),
        ("산 12", DONG, FOREST_LOT_UNDIVIDED),
        ("12번지", DONG, LAND_LOT_UNDIVIDED),
        ("12-3번지", DONG, LAND_LOT),
        ("산 12-3번지", DONG, FOREST_LOT),
        ("12번지의 3", DONG, LAND_LOT),
        ("１２－３", DONG, LAND_LOT),
        ("1111010100 산 12-3", None, FOREST_LOT),
        ("1111010100산12-3", None, FOREST_LOT),
        ("1111010100 12-3", None, LAND_LOT),
        ("1111010100 산 12-3", "4113510900", FOREST_LOT),
    ],
)
def test_korean_accepted_spelling_is_read(text, unit_code, expected):
    assert KR.parse_identifier(text, unit_code=unit_code) == expected


def test_korean_canonical_and_register_forms():
    assert KR.format_identifier(FOREST_LOT) == "1111010100200120003"
    assert KR.display_identifier(FOREST_LOT) == "산 12-3"
    assert KR.display_identifier(LAND_LOT) == "12-3"
    assert KR.display_identifier(LAND_LOT_UNDIVIDED) == "12"
    assert KR.display_identifier(FOREST_LOT_UNDIVIDED) == "산 12"
    assert KR.normalize_identifier("산 12-3", unit_code=DONG) == "1111010100200120003"


@pytest.mark.parametrize(
    ("text", "unit_code", "phrase"),
    [
        ("", DONG, "is empty"),
        ("산 12-3", None, "does not say which legal dong"),
        ("12-3", None, "give the 19-digit PNU, or the 10-digit legal-dong code"),
        ("12", "11110", "10-digit legal-dong code"),
        ("1111010100300120003", None, "must be 1 (land ledger, 토지대장) or 2"),
        ("1111010100000120003", None, "ledger type"),
        ("1111010100100000003", None, "main lot number (본번) must be 1 to 9999"),
        ("산 0", DONG, "main lot number (본번) must be 1 to 9999"),
        ("0-3", DONG, "main lot number"),
        ("12-10000", DONG, "sub lot number (부번) must be 0 to 9999"),
        ("12-" + "9" * 150, DONG, "sub lot number"),
        ("1111010100", None, "legal-dong code without a lot number"),
        ("111101010020012000", None, "a PNU has 19 digits"),
        ("11110101002001200030", None, "it has 20"),
        ("1111010100-2-0012-000", None, "it has 18 digits"),
        ("청운동 12-3", None, "not its name"),
        ("12-3-4", DONG, "Cannot read '12-3-4'"),
        ("lot 12", DONG, "write e.g. '1111010100200120003' (PNU)"),
        ("산", DONG, "Cannot read"),
        ("12-3 " * 50, DONG, "too long"),
    ],
)
def test_korean_refusal_says_what_to_fix(text, unit_code, phrase):
    with pytest.raises(InvalidParcelIdentifier) as refusal:
        KR.parse_identifier(text, unit_code=unit_code)
    assert phrase in str(refusal.value)


@FAST
@given(st.text(max_size=60), st.sampled_from([None, DONG]))
def test_any_text_is_read_or_refused_with_a_reason_never_crashes_korea(text, unit_code):
    assert _outcome(KR, text, unit_code) in {"ok", "refused"}


@FAST
@given(
    st.text(max_size=60).filter(lambda t: not re.search("[0-9]", unicodedata.normalize("NFKD", t))),
    st.sampled_from([None, DONG]),
)
def test_text_without_digits_is_refused_in_korea(text, unit_code):
    assert _outcome(KR, text, unit_code) == "refused"


@FAST
@given(st.lists(st.sampled_from(["산", "번지", "의", "-", " ", "0", "12", DONG, "1", "2"])))
def test_jumbled_korean_lot_parts_are_read_or_refused_with_a_reason(tokens):
    assert _outcome(KR, "".join(tokens), None) in {"ok", "refused"}
    assert _outcome(KR, "".join(tokens), DONG) in {"ok", "refused"}


def test_malformed_korean_identifier_is_not_formatted():
    with pytest.raises(InvalidParcelIdentifier):
        KR.format_identifier(ParcelIdentifier(DONG, (3, 12, 3)))
    with pytest.raises(InvalidParcelIdentifier):
        KR.format_identifier(ParcelIdentifier(DONG, (1, 0, 3)))


# --- land uses ----------------------------------------------------------------------------


@pytest.mark.parametrize("profile", [VN, KR], ids=["vn", "kr"])
def test_land_use_codes_are_unique_and_grouped_for_the_map(profile):
    codes = [land_use.code for land_use in profile.land_uses]
    assert len(codes) == len(set(codes))
    assert {land_use.group for land_use in profile.land_uses} <= LAND_USE_GROUPS
    assert all(land_use.name and land_use.name_en for land_use in profile.land_uses)


def test_vietnamese_land_uses_follow_the_circular_25_2014_annex():
    codes = [land_use.code for land_use in VN.land_uses]
    assert {"ONT", "ODT", "LUC", "CLN", "TMD", "SKC", "CQP", "NTD", "BCS"} <= set(codes)
    assert len(codes) >= 45
    assert codes[0] == "LUC"
    assert codes[-3:] == ["BCS", "DCS", "NCS"]
    assert all(re.fullmatch("[A-Z]{3}", code) for code in codes)
    assert VN.land_use("ONT").name == "Đất ở tại nông thôn"
    assert VN.land_use("ODT").group == "residential"


def test_korean_land_uses_are_the_28_statutory_categories_in_order():
    codes = [land_use.code for land_use in KR.land_uses]
    assert codes == [f"{number:02d}" for number in range(1, 29)]
    assert KR.land_use("01").name == "전"
    assert KR.land_use("08").name == "대"
    assert KR.land_use("28").name == "잡종지"


def test_korean_map_symbol_is_given_for_every_land_use():
    assert set(KR.land_use_symbols) == KR.land_use_codes
    assert all(len(symbol) == 1 for symbol in KR.land_use_symbols.values())
    # The symbols that are not the first character of the name (Enforcement Rule art. 64).
    assert KR.land_use_symbols["09"] == "장"  # 공장용지
    assert KR.land_use_symbols["17"] == "천"  # 하천
    assert KR.land_use_symbols["24"] == "원"  # 유원지


@pytest.mark.parametrize(
    ("profile", "typed", "code"),
    [
        (VN, "odt", "ODT"),
        (VN, " ODT\u200b", "ODT"),
        (VN, "\ufeffodt\u00a0", "ODT"),
        (VN, "ＯＤＴ", "ODT"),
        (VN, "O\u200bDT", "ODT"),  # nothing seen between its letters: one word
        (VN, "o\u2060d\u2060t", "ODT"),
        (KR, " 08\u200b", "08"),
        (KR, "０８", "08"),
    ],
)
def test_a_land_use_code_is_read_in_any_case_and_with_invisible_characters(profile, typed, code):
    assert profile.parse_land_use(typed) == code


@pytest.mark.parametrize("typed", ["XYZ", "O DT", "tın"])
def test_text_that_names_no_land_use_code_is_refused_with_examples(typed):
    with pytest.raises(UnknownLandUse, match=r"is not a land-use code of Việt Nam \(codes such as"):
        VN.parse_land_use(typed, blank=True)


def test_blank_text_is_no_land_use_unless_blank_is_allowed():
    for typed in ("", " \u200b"):
        with pytest.raises(UnknownLandUse, match="the land use is empty"):
            VN.parse_land_use(typed)
        assert VN.parse_land_use(typed, blank=True) == ""


def test_unknown_land_use_code_is_a_key_error():
    with pytest.raises(KeyError):
        VN.land_use("XYZ")


# --- registry and profile settings --------------------------------------------------------


def test_profiles_are_registered_by_key():
    assert set(PROFILES) == {"vn", "kr"}
    assert isinstance(get_profile("vn"), VietnamProfile)
    assert isinstance(get_profile("kr"), KoreaProfile)


def test_profile_chosen_in_settings_is_returned_without_a_key(settings):
    settings.LANDINFO = {**settings.LANDINFO, "PROFILE": "kr"}
    assert get_profile().key == "kr"


@pytest.mark.parametrize(
    ("key", "srid", "language"),
    [("vn", 5897, "vi"), ("kr", 5186, "ko")],
)
def test_profile_stores_in_its_projected_crs_and_opens_the_map_inside_its_area(key, srid, language):
    profile = get_profile(key)
    assert profile.storage_srid == srid
    assert profile.default_language == language
    lat, lon = profile.map_center
    assert profile.area_of_use.contains(lon, lat)


def test_profile_modules_load_without_django():
    # settings.py imports the registry before Django is configured.
    script = "import sys, landinfo.profiles.registry; sys.exit('django' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", script], check=False)  # noqa: S603 (fixed argv)
    assert run.returncode == 0


# --- text helpers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("Tờ Bản Đồ SỐ 12", "to ban do so 12"),
        (unicodedata.normalize("NFD", "thửa đất"), "thua dat"),
        ("ĐƯỜNG", "duong"),
        ("１２－３", "12-3"),
        ("산 12-3", "산 12-3"),
        (unicodedata.normalize("NFD", "산"), "산"),
    ],
)
def test_folded_text_compares_as_people_mean_it(typed, folded):
    assert fold_text(typed) == folded


def test_quoted_input_is_short_and_on_one_line():
    quoted = quote_input("tờ 12\n\x1b[31m" * MAX_INPUT_LENGTH)
    assert "\n" not in quoted
    assert "\x1b" not in quoted
    assert quoted.startswith("'tờ 12 \\x1b[31mtờ 12")
    assert len(quoted) < 80


# --- what nobody sees in typed or pasted text ---------------------------------------------


def _every(*categories: str) -> list[str]:
    """Return every code point of the Unicode general `categories` (Python's database)."""
    return [
        chr(code)
        for code in range(sys.maxunicode + 1)
        if unicodedata.category(chr(code)) in categories
    ]


SOFT_HYPHEN = "\u00ad"
# Characters that look blank and are no space to Unicode: the Hangul fillers (letters),
# the braille blank (a symbol), the Khitan small script filler (a mark).
FILLERS = ["\u3164", "\u115f", "\u1160", "\uffa0", "\u2800", "\U00016fe4"]
# Every character that shows as nothing, or as blank, between two words: format,
# control, space, line and paragraph separator characters, and the fillers.
BETWEEN_WORDS = [
    char for char in _every("Cf", "Cc", "Zs", "Zl", "Zp") + FILLERS if char != SOFT_HYPHEN
]
# Those of them that are no space, so nothing a person sees between two digits either.
UNSEEN = [
    char for char in BETWEEN_WORDS if not char.isspace() and unicodedata.category(char)[0] != "Z"
]
COMBINING_MARKS = _every("Mn", "Mc", "Me")


def _named(chars: list[str]) -> list[str]:
    return [f"U+{ord(char):04X}" for char in chars]


def test_every_invisible_or_blank_character_between_two_words_is_a_word_break():
    assert len(BETWEEN_WORDS) > 200  # generated, not picked
    joined = [
        c
        for c in BETWEEN_WORDS
        if normalize_text(f"Trần{c}Xylophon{c}Quuxb") != "Trần Xylophon Quuxb"
    ]
    assert not _named(joined)


def test_a_soft_hyphen_inside_a_word_is_removed():
    assert normalize_text(f"Xylo{SOFT_HYPHEN}phon Quuxb") == "Xylophon Quuxb"


def test_a_combining_mark_with_no_letter_before_it_is_dropped():
    assert len(COMBINING_MARKS) > 2000
    kept = [
        m
        for m in COMBINING_MARKS
        if normalize_text(f"An {m}Bình{m}") != f"An {normalize_text('Bình' + m)}"
        or normalize_text(f"{m}An") != "An"
    ]
    assert not _named(kept)
    # An accent on its letter stays, even with an invisible character between them.
    assert normalize_text("Nguye\u200d\u0302\u0303n") == "Nguyễn"


@pytest.mark.parametrize(
    ("profile", "spell"),
    [
        (VN, lambda c: f"{c}{COMMUNE}{c}-12{c}-345{c}"),
        (VN, lambda c: f"tờ{c}12{c}thửa{c}345{c}xã{c}{COMMUNE}"),
        (KR, lambda c: f"{c}{DONG}{c}200120003{c}"),
        (KR, lambda c: f"{DONG}{c}산{c}12-3"),
    ],
)
def test_an_identifier_with_any_invisible_character_between_its_parts_is_read(profile, spell):
    expected = profile.normalize_identifier(spell(" "), unit_code=None)
    unread = []
    for char in [*BETWEEN_WORDS, SOFT_HYPHEN]:
        try:
            if profile.normalize_identifier(spell(char)) != expected:
                unread.append(char)
        except InvalidParcelIdentifier:
            unread.append(char)
    assert not _named(unread)


@pytest.mark.parametrize(
    ("profile", "text"),
    [(VN, "000{c}04-1{c}2-34{c}5"), (KR, "11110{c}101002{c}0012{c}0003")],
)
def test_an_identifier_with_an_unseen_character_inside_a_number_is_read(profile, text):
    expected = profile.normalize_identifier(text.format(c=""))
    unread = []
    for char in [*UNSEEN, SOFT_HYPHEN]:
        try:
            if profile.normalize_identifier(text.format(c=char)) != expected:
                unread.append(char)
        except InvalidParcelIdentifier:
            unread.append(char)
    assert not _named(unread)


@pytest.mark.parametrize("key", sorted(PROFILES))
def test_every_usual_crs_of_a_profile_is_one_proj_reads_and_the_storage_crs_comes_first(key):
    from pyproj import CRS

    profile = get_profile(key)
    assert profile.usual_crs[0].definition == f"EPSG:{profile.storage_srid}"
    for usual in profile.usual_crs:
        assert CRS.from_user_input(usual.definition).is_projected or "longitude" in usual.name


def test_vn2000_zones_without_an_epsg_code_use_vn2000s_own_datum_shift():
    # The PROJ strings carry +towgs84 (position vector); EPSG's VN-2000 zones use the
    # coordinate-frame Helmert of EPSG:6960 (2). Read alike, they land on the same point;
    # the rotations' signs the other way round would put it 0.75 m off.
    from pyproj import Geod, Transformer

    from landinfo.profiles.vietnam import _tm3

    ours = Transformer.from_crs(_tm3(105), 4326, always_xy=True).transform(585_000, 2_325_000)
    epsg = Transformer.from_crs(5897, 4326, always_xy=True).transform(585_000, 2_325_000)
    assert Geod(ellps="WGS84").inv(*ours, *epsg)[2] < 0.01


# --- what the importer reads of a profile (parcels.importing) -------------------------


def test_vietnamese_identifier_fields_compose_a_spelling_the_parser_reads():
    fields = VN.identifier_fields
    assert fields is not None
    labels = [fields.unit.label, *(part.label for part in fields.parts)]
    text = " ".join(
        f"{label} {value}" for label, value in zip(labels, [COMMUNE, "12", "345"], strict=True)
    )

    assert VN.normalize_identifier(text) == fields.separator.join([COMMUNE, "12", "345"])


@pytest.mark.parametrize("profile", [VN, KR], ids=["vn", "kr"])
def test_identifier_field_names_are_written_folded_as_the_importer_compares_them(profile):
    fields = profile.identifier_fields
    parts = [] if fields is None else [fields.unit, *fields.parts]
    names = [name for part in parts for name in part.names]

    assert names == ["".join(char for char in fold_text(name) if char.isalnum()) for name in names]


@pytest.mark.parametrize(
    ("profile", "identifier"),
    [(VN, f"{COMMUNE}-12-345"), (KR, f"{DONG}100120003")],
    ids=["vn", "kr"],
)
def test_canonical_pattern_reads_the_unit_code_of_a_canonical_identifier(profile, identifier):
    pattern = profile.canonical_pattern
    assert pattern is not None
    parsed = profile.parse_identifier(identifier)

    match = pattern.pattern.fullmatch(identifier)

    assert profile.format_identifier(parsed) == identifier
    assert match is not None and match["unit"] == parsed.unit_code
    assert len(parsed.unit_code) == pattern.unit_code_length
