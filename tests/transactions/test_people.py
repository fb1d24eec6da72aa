"""What a deed says about a person, as the register keeps it (transactions.people)."""

from __future__ import annotations

import pytest

from transactions.people import UnreadableText, national_id, party_name, person_text


@pytest.fixture(autouse=True)
def _english(settings):
    """Ask in English unless a test says otherwise: the messages are asserted in English."""
    settings.LANGUAGE_CODE = "en"


def test_text_about_a_person_is_kept_as_it_reads():
    assert party_name(" Nguyễn\u200bVăn\u2060Bình\u00a0Z ") == "Nguyễn Văn Bình Z"
    assert person_text("Số\u00ad3\tPhố Huế", what="The address") == "Số3 Phố Huế"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("\u200b\u200d", "empty once invisible"),
        ("", "is empty"),
        ("\ue000An", "not text"),
        ("\U000f0000", "not text"),
        ("...", "no letter or digit"),
    ],
)
def test_a_name_left_empty_or_unreadable_is_refused(text, reason):
    with pytest.raises(UnreadableText, match=reason):
        party_name(text)


def test_a_name_needs_a_letter_an_address_may_be_a_number():
    with pytest.raises(UnreadableText, match="no letter"):
        party_name("12")
    assert person_text("12", what="The address") == "12"


def test_optional_text_may_be_left_empty_but_not_too_long():
    assert person_text("\u200b \u2060", what="The address", required=False) == ""
    with pytest.raises(UnreadableText, match="longer than 300"):
        person_text("a" * 301, what="The address")


def test_a_national_id_left_empty_is_none(profile):
    assert national_id(" \u200b ", kind="person") == ""
