"""Every string of each profile's catalogue is read against the profile's glossary."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.core.management import call_command

from landinfo.profiles import PROFILES
from landinfo.profiles.glossary import Glossary, Term, glossary

LOCALE = Path(__file__).resolve().parents[2] / "locale"
# What a msgid holds that is no word of it: placeholders, paths and media types
# ("%(parcel)s", "{n}", "/api/parcels/", "application/query-cql-json").
_NOT_WORDS = re.compile(r"%\([^)]*\)[a-z]|\{[^}]*\}|[\w.+-]*(?:/[\w.+-]+)+/?")


def _entries(language: str) -> list[polib.POEntry]:
    """Return the translated entries of both catalogues (Django's and the JS one)."""
    entries = []
    for name in ("django.po", "djangojs.po"):
        catalogue = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / name))
        entries += [entry for entry in catalogue if not entry.obsolete and entry.msgid]
    return entries


def _translations(entry: polib.POEntry) -> list[tuple[str, str]]:
    """Return (English, translation) pairs of `entry`: one, or one per plural form."""
    if entry.msgid_plural:
        return [
            (entry.msgid_plural if int(index) else entry.msgid, text)
            for index, text in sorted(entry.msgstr_plural.items())
        ]
    return [(entry.msgid, entry.msgstr)]


@pytest.fixture(params=sorted(PROFILES), scope="module")
def profile_glossary(request: pytest.FixtureRequest) -> Glossary:
    return glossary(request.param)


def test_every_term_names_its_source_and_its_english(profile_glossary: Glossary) -> None:
    for term in profile_glossary.terms:
        assert term.english and all(phrase.strip() for phrase in term.english), term
        assert term.term.strip() and term.source.strip(), term


def test_no_string_of_the_catalogue_uses_a_word_the_glossary_rules_out(
    profile_glossary: Glossary,
) -> None:
    found = [
        f"{entry.msgid!r} → {text!r}: {word!r} (use {term.term!r}; {term.source})"
        for entry in _entries(profile_glossary.language)
        for _, text in _translations(entry)
        for term, word in profile_glossary.avoided_in(text)
    ]
    assert not found, "\n".join(found)


def _left_out(entry: polib.POEntry, term: Term) -> bool:
    """Return whether the translator says why this string leaves the term out.

    A translator's comment "glossary: <term's first English phrase>[, <another>] — <why>"
    above the entry: e.g. "the parcel's holders" is "người sử dụng đất", which says the parcel already.
    """
    for line in (entry.tcomment or "").splitlines():
        if line.startswith("glossary:"):
            named = line.removeprefix("glossary:").split("—")[0]
            if term.english[0] in (name.strip() for name in named.split(",")):
                return True
    return False


def test_every_string_naming_a_term_translates_it_with_the_laws_word(
    profile_glossary: Glossary,
) -> None:
    found = []
    for entry in _entries(profile_glossary.language):
        for english, text in _translations(entry):
            if not text:
                continue  # untranslated strings are another test's business
            words = _NOT_WORDS.sub(" ", english)
            found += [
                f"{english!r} → {text!r}: {term.english[0]!r} is {term.term!r} ({term.source})"
                for term in profile_glossary.terms
                if term.english_pattern().search(words)
                and not term.renders(text)
                and not _left_out(entry, term)
            ]
    assert not found, f"{len(found)} strings:\n" + "\n".join(found)


def test_the_glossary_check_catches_a_literal_translation() -> None:
    # The checks above can fail: a catalogue line with a word ruled out, and one with the
    # concept but not the law's word, are both found.
    term = Term(english=("land user",), term="người sử dụng đất", source="x", avoid=("chủ đất",))
    table = Glossary(language="vi", title="t", terms=(term,))
    assert table.avoided_in("Chủ đất hiện tại") == [(term, "chủ đất")]
    assert term.english_pattern().search("The land users of the parcel")
    assert not term.english_pattern().search("landuser")
    assert not term.renders("Chủ đất") and term.renders("Người sử dụng đất")


def test_the_glossary_documents_are_current() -> None:
    call_command("glossary", "--check")
