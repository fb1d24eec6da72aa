"""National identity numbers: each profile reads any spelling as one number and checks it.

Profiles are pure Python (landinfo/profiles/); both are tested here whatever the test
database's profile. The rules and their sources are in vietnam.py and korea.py.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from landinfo.profiles import InvalidNationalId, get_profile
from landinfo.profiles.korea import brn_check_digit, crn_check_digit, rrn_check_digit
from landinfo.profiles.text import compact_number, is_invisible, normalize_text
from landinfo.profiles.vietnam import BIRTH_PROVINCE_CODES, mst_check_digit


@pytest.fixture(autouse=True)
def _english(settings):
    """Ask in English unless a test says otherwise: the messages are asserted in English."""
    settings.LANGUAGE_CODE = "en"


VN, KR = get_profile("vn"), get_profile("kr")
TODAY = dt.date(2026, 1, 15)


def test_the_annex_lists_sixty_three_provinces():
    assert len(BIRTH_PROVINCE_CODES) == 63
    assert {"001", "079", "096"} <= BIRTH_PROVINCE_CODES and "003" not in BIRTH_PROVINCE_CODES


@pytest.mark.parametrize(
    ("profile", "kind", "spellings", "canonical"),
    [
        (VN, "person", ["001080000001", "001 080 000 001", "001-080-000-001"], "001080000001"),
        (VN, "person", ["０７９０９００００００４", "\u200b079090000004\u00a0"], "079090000004"),
        (VN, "person", ["123 456 789"], "123456789"),  # an old CMND
        (VN, "organisation", ["0100112437", "01.00.112.437", "0100 112 437"], "0100112437"),
        (VN, "organisation", ["0100112437-001", "0100112437 - 001"], "0100112437001"),
        (VN, "state", ["0100112437"], "0100112437"),
        (KR, "person", ["900101-1234568", "9001011234568", "900101 1234568"], "9001011234568"),
        (KR, "person", ["９００１０１－１２３４５６８"], "9001011234568"),  # full width
        (KR, "person", ["900101-5234567"], "9001015234567"),  # a foreigner: no check digit
        (KR, "person", ["210315-3987654"], "2103153987654"),  # born 2021: random digits
        (KR, "organisation", ["116-82-00276", "1168200276"], "1168200276"),
        (KR, "organisation", ["110111-0062432"], "1101110062432"),
    ],
)
def test_a_number_is_read_in_any_spelling_as_its_digits(profile, kind, spellings, canonical):
    for spelling in spellings:
        assert profile.normalize_national_id(spelling, kind=kind, today=TODAY) == canonical


@pytest.mark.parametrize(
    ("profile", "kind", "number", "reason"),
    [
        (VN, "person", "001380000001", "year of birth"),  # 2080, after this year
        (VN, "person", "003080000001", "province"),  # no province has 003
        (VN, "person", "0010800000011", "12-digit"),
        (VN, "person", "0100112437", "12-digit"),  # a tax code is not a person's number
        (VN, "person", "00108000000A", "digits"),
        (VN, "organisation", "0100112438", "check digit"),
        (VN, "organisation", "0100112437000", "001 to 999"),
        (VN, "organisation", "001080000001", "10-digit tax code"),
        (KR, "person", "901301-1234568", "date of birth"),  # month 13
        (KR, "person", "900230-1234568", "date of birth"),  # 30 February
        (KR, "person", "300101-3234567", "after today"),  # born in 2030
        (KR, "person", "900101-1234567", "check digit"),  # issued before October 2020
        (KR, "person", "900101-123456", "13-digit"),
        (KR, "organisation", "116-82-00277", "check digit"),
        (KR, "organisation", "110111-0062433", "check digit"),
        (KR, "organisation", "12345", "10-digit business"),
        (KR, "person", "\u200b", "empty"),
    ],
)
def test_a_number_that_is_not_one_is_refused_with_the_reason(profile, kind, number, reason):
    with pytest.raises(InvalidNationalId, match=reason):
        profile.normalize_national_id(number, kind=kind, today=TODAY)


def test_the_korean_check_digit_applies_to_numbers_issued_before_october_2020():
    # Born in August 2020: numbered before the change, the check digit is checked.
    digits = "200815300001"
    wrong = (rrn_check_digit(digits) + 1) % 10
    with pytest.raises(InvalidNationalId, match="check digit"):
        KR.normalize_national_id(f"{digits}{wrong}", kind="person", today=TODAY)
    # Born in December 2020: six random digits, no check digit to check.
    assert KR.normalize_national_id("201215-3000018", kind="person", today=TODAY)


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_check_digits_are_digits_or_none(twelve):
    assert 0 <= rrn_check_digit(twelve) <= 9
    assert 0 <= crn_check_digit(twelve) <= 9
    assert 0 <= brn_check_digit(twelve[:9]) <= 9
    assert mst_check_digit(twelve[:9]) in {None, *range(10)}


@given(
    number=st.text(alphabet="0123456789", min_size=1, max_size=20),
    separators=st.lists(st.sampled_from(["-", " ", ".", "/", "\u200b", "\u2011", "\u3000"])),
)
def test_separators_never_change_a_number(number, separators):
    spelled = "".join(
        digit + (separators[i] if i < len(separators) else "") for i, digit in enumerate(number)
    )
    assert compact_number(spelled) == number


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("  Nguyễn\u200bVăn\u200bBình  Z ", "Nguyễn Văn Bình Z"),
        ("Nguye\u0302\u0303n", "Nguyễn"),  # decomposed: composed again
        ("Nguye\u200d\u0302\u0303n", "Nguyễn"),  # a joiner between letter and accents
        ("김\u3164민수", "김 민수"),  # a Hangul filler looks like a space
        ("Lê\tVăn\nLương\u00a0", "Lê Văn Lương"),
        ("\u202eAn\u202c", "An"),
        ("\ufeff\x00", ""),
    ],
)
def test_text_is_normalised_as_it_reads(text, normalised):
    assert normalize_text(text) == normalised


@given(st.text())
def test_normalised_text_has_nothing_invisible_and_is_stable(text):
    normalised = normalize_text(text)
    assert not any(is_invisible(char) for char in normalised)
    assert normalize_text(normalised) == normalised
    assert normalised == normalised.strip() and "  " not in normalised
