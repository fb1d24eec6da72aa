"""The places a query names: runs of its words that are the name of an administrative unit.

People write the place of a parcel with the names of its commune, (former) district
and province, written out or abbreviated ("P.", "Q.", "TX.", "TP."), with or without
diacritics, in any order; Koreans run the dong into the lot number ("예시1동362-1").
A unit's name is found by keys (SQL `landinfo_unit_keys`, migration 0007): its words
run together, and without or with an abbreviated word of kind. A run of the query's
words is looked up the same way, run together, so spacing never matters. Former names
and the units a unit used to be part of (AdministrativeUnitName) are keys too.

Runs are taken left to right, longest first, from one query on the GIN indexes of the
keys; a second query gives each matched unit with the units below it. The places
narrow each other: "Phường Mẫu 2, Quận Mẫu Trình Diễn" is the units in both.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from landinfo import sql
from parcels.models import AdministrativeUnit
from parcels.search.text import Word

# The longest run of words tried as a unit's name: "thanh pho ho chi minh" has five,
# "dac khu truong sa" four; Korean names run into one or three words.
_LONGEST_NAME = 6

# Words that name the kind of a Vietnamese unit, and Korean suffixes of one: text that
# has one before (or, in Korean, as the end of) a name the register does not know names
# a place that does not exist.
VN_KIND_WORDS = frozenset(
    {"phuong", "xa", "quan", "huyen", "tinh", "thi", "thanh", "dac", "p", "q", "tp", "tx", "tt"}
)
_KIND_WORDS_WRITTEN_OUT = frozenset({"phuong", "xa", "quan", "huyen", "tinh"})
_KIND_PAIRS = frozenset({"thanh pho", "thi xa", "thi tran", "dac khu"})
_KIND_ABBREVIATIONS = frozenset({"p", "q", "x", "h", "tp", "tx", "tt"})
# Words of a street's or an alley's kind: a name after one is the street's.
_STREET_KINDS = frozenset({"duong", "pho", "ngo", "hem", "kiet"})
# Korean kinds that end a unit's name and may run into the lot number typed after it.
_KR_KINDS = ("동", "리", "가", "읍", "면")
_KR_UNIT_WORD = re.compile(
    r"^(?:[가-힣]+(?:특별시|광역시|도|시|군|구|읍|면|동|리)|동|리|읍|면|구|군)$"
)

# The units whose names (current or former) or former parents' names have one of the
# keys, each with every unit below it (parcels belong to the lowest level there is).
# Indexes: adminunit_name_keys, adminunitname_name_keys, adminunitname_parent_keys
# (GIN, migration 0007), then the unit's parent for the descent.
_PLACES = sql.statement(
    "search_places",
    """
WITH RECURSIVE matched AS (
    SELECT k.key, u.id AS unit_id, u.code, u.name, u.level, false AS former_parent
    FROM parcels_administrativeunit u, unnest(landinfo_unit_keys(u.name)) k(key)
    WHERE landinfo_unit_keys(u.name) && %(keys)s AND k.key = ANY(%(keys)s)
    UNION ALL
    SELECT k.key, u.id, u.code, u.name, u.level, false
    FROM parcels_administrativeunitname n
    JOIN parcels_administrativeunit u ON u.id = n.unit_id,
         unnest(landinfo_unit_keys(n.name)) k(key)
    WHERE landinfo_unit_keys(n.name) && %(keys)s AND k.key = ANY(%(keys)s)
    UNION ALL
    SELECT k.key, u.id, u.code, u.name, u.level, true
    FROM parcels_administrativeunitname n
    JOIN parcels_administrativeunit u ON u.id = n.unit_id,
         unnest(landinfo_unit_keys(n.parent_name)) k(key)
    WHERE landinfo_unit_keys(n.parent_name) && %(keys)s AND k.key = ANY(%(keys)s)
),
below(id, code, root) AS (
    SELECT id, code, id FROM parcels_administrativeunit
    WHERE id IN (SELECT unit_id FROM matched)
    UNION ALL
    SELECT child.id, child.code, below.root
    FROM parcels_administrativeunit child JOIN below ON child.parent_id = below.id
)
SELECT matched.*, units.ids, units.codes
FROM matched
JOIN (SELECT root, array_agg(id) AS ids, array_agg(code) AS codes FROM below GROUP BY root) units
  ON units.root = matched.unit_id
""",
    {"keys": "text[]"},
)


@dataclass
class Place:
    """A run of the query's words that names units (several units may share a name)."""

    first: int  # index of its first word
    last: int  # index after its last word
    names: list[tuple[str, str]]  # (code, name) of the units named, lowest code first
    units: dict[int, str] = field(default_factory=dict)  # id: code of those and all below
    level: int = 0  # the lowest level among the units named (1: province)


@dataclass
class Reading:
    """What a query's words say of places: the runs that name units, and where they meet."""

    places: list[Place]
    units: dict[int, str] | None  # units every place contains (id: code); None: no place
    words: Sequence[Word] = ()  # the query's words the places index into
    apart: bool = False  # two places named share no unit ("Phường Mẫu 1, Phường Mẫu 2")

    def place_words(self) -> set[int]:
        return {index for place in self.places for index in range(place.first, place.last)}

    def bare(self, place: Place) -> bool:
        """Return whether `place` was typed as a bare name, which a street may also have.

        "Lê Lợi" is a ward's name without "Phường" and, far more often, a street's;
        "Phường Lê Lợi", "P. Lê Lợi" and "청운동" name the unit only.
        """
        first, last = self.words[place.first].text, self.words[place.last - 1].text
        return (
            first not in VN_KIND_WORDS
            and not _KR_UNIT_WORD.match(last)
            and not last.endswith(_KR_KINDS)
        )

    def without_bare(self) -> Reading:
        """Return the reading with the places typed as bare names left to be address words."""
        return _narrowed([place for place in self.places if not self.bare(place)], self.words)


def read_places(words: Sequence[Word]) -> Reading:
    """Return the places named in `words`. Two queries when a run could be a name, else none."""
    runs = {
        "".join(word.text for word in words[i:j])
        for i in range(len(words))
        for j in range(i + 1, min(len(words), i + _LONGEST_NAME) + 1)
    }
    runs = {run for run in runs if not run.isdigit()}
    if not runs:
        return Reading([], None, words)
    found: dict[str, list[dict[str, Any]]] = {}
    for row in sql.fetch_prepared(AdministrativeUnit, _PLACES, {"keys": sorted(runs)}):
        found.setdefault(row["key"], []).append(row)
    places = _take_runs(words, found)
    if not places:
        return Reading([], None, words)
    for place in places:
        _describe(place, found["".join(word.text for word in words[place.first : place.last])])
    return _narrowed(places, words)


def _narrowed(places: list[Place], words: Sequence[Word]) -> Reading:
    """Return the reading of `places`: the units each of them contains."""
    if not places:
        return Reading([], None, words)
    units: dict[int, str] | None = None
    for place in places:
        units = (
            place.units
            if units is None
            else {pk: code for pk, code in units.items() if pk in place.units}
        )
    return Reading(places, units, words, apart=not units)


def _take_runs(words: Sequence[Word], found: dict[str, list[dict[str, Any]]]) -> list[Place]:
    places: list[Place] = []
    i = 0
    while i < len(words):
        if i and words[i - 1].text in VN_KIND_WORDS and not (places and places[-1].last == i):
            # "Phường Mẫu 9": had the ward existed, its whole name would have matched
            # with "Phường"; "Mẫu" alone (another unit's name without its kind) is not it.
            i += 1
            continue
        if i and words[i - 1].text in _STREET_KINDS and words[i].text not in VN_KIND_WORDS:
            # "đường Quang Trung", "phố Nam Hà": a street's name, though a ward's too.
            i += 1
            continue
        for j in range(min(len(words), i + _LONGEST_NAME), i, -1):
            key = "".join(word.text for word in words[i:j])
            if key in found and _whole(words, i, j):
                places.append(Place(i, j, []))
                i = j
                break
        else:
            i += 1
    return places


def _whole(words: Sequence[Word], first: int, last: int) -> bool:
    """Return whether words `first`..`last` were typed as a whole name, not inside a longer one.

    "예시7동" is typed as one: its first word "예시" (a province's name without 도) is no
    place there. A name typed whole ends where a space or mark follows, or, in Korean,
    with its kind (동, 리, 가, ...) run into the lot number ("예시1동362-1").
    """
    starts_inside = first > 0 and words[first].start == words[first - 1].end
    ends_inside = (
        last < len(words)
        and words[last].start == words[last - 1].end
        and not words[last - 1].text.endswith(_KR_KINDS)
    )
    return not (starts_inside or ends_inside)


def _describe(place: Place, rows: list[dict[str, Any]]) -> None:
    """Give `place` the units its rows name, every unit below them, and its level."""
    named = {}
    levels = []
    for row in rows:
        place.units.update(zip(row["ids"], row["codes"], strict=True))
        if row["former_parent"]:
            levels.append(row["level"] - 1)  # the unit it was part of, one level up
        else:
            named[row["code"]] = row["name"]
            levels.append(row["level"])
    place.names = sorted(named.items())
    place.level = max(levels)


def unknown_place(text: str, words: Sequence[Word], reading: Reading) -> list[str]:
    """Return the words of a unit the text names and the register lacks; [] when none.

    "Phường Xyz", "P. Xyz" and "TP. Xyz" name a ward or city ("Phường Mẫu 9": with the
    number after it); "없는동 12-3" and "예시7동 3" a dong, being followed by a number. A
    person's name ending like one ("홍길동"), a word of kind at the end ("Phố Huế, P")
    or a lone letter ("a b p c") names none. The words let an address that has them
    in this order ("Số 5 Xã Đàn", a street) still be found.
    """
    taken = reading.place_words()
    free = [(index, word) for index, word in enumerate(words) if index not in taken]
    for position, (index, word) in enumerate(free):
        following = free[position + 1] if position + 1 < len(free) else None
        adjacent = following is not None and following[0] == index + 1
        if _KR_UNIT_WORD.match(word.text):
            if adjacent and following is not None and following[1].text.isdigit():
                first = index
                while first and words[first].start == words[first - 1].end:
                    first -= 1  # the whole typed word: "예시7동" is 예시 7 동
                return [w.text for w in words[first : index + 2]]
            continue
        if adjacent and following is not None and _names_kind(text, words, index):
            name = following[1].text
            # "Phường Xyz", and "Phường 12", "Q.3" where the register has no such ward.
            if name.isdigit() or (name.isalpha() and name not in VN_KIND_WORDS):
                last = index + 2
                if (
                    name.isalpha()
                    and last < len(words)
                    and words[last].text.isdigit()
                    and last not in taken
                ):
                    last += 1  # "Phường Mẫu 9"
                return [w.text for w in words[index:last]]
    return []


def _names_kind(text: str, words: Sequence[Word], index: int) -> bool:
    """Return whether word `index` is a Vietnamese word of kind as typed ("Phường", "P.")."""
    word = words[index]
    if word.text in _KIND_WORDS_WRITTEN_OUT:
        return True
    pair = " ".join(w.text for w in words[index : index + 2])
    if pair in _KIND_PAIRS:
        return False  # "thanh pho", "thi xa": the name comes after both words
    if index and f"{words[index - 1].text} {word.text}" in _KIND_PAIRS:
        return True
    # An abbreviation counts when written as one: "P." or "TP", not a lone "p".
    typed = text[word.start : word.end + 1]
    return word.text in _KIND_ABBREVIATIONS and (typed.endswith(".") or typed[:1].isupper())
