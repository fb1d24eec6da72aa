"""Parcel search: what a citizen types, read as an identifier, a place and lot, or an address.

The order people can follow (issue 16): an identifier or a lot number in the place
named (a lot names that lot only, or nothing), then places alone, then an address whose
every word was typed, then one whose last word is still being typed (a prefix), then
one with a word mistyped. Each tier is asked for only when the ones before it found
fewer than asked for, and a place the text names bounds every tier: nothing outside
"Phường Mẫu 2" is shown for "... Phường Mẫu 2". When nothing is found, trailing words
that may be a place still being typed are left out and the text is read again.

The index, after Nominatim's design (migrations 0007-0010): words of addresses in a GIN index
(one tsvector of bare words per parcel, no positions), the small table of words
(SearchWord) for completing the word being typed (btree prefix) and for correcting a
mistyped one (trigram), keys of units' names in GIN indexes, and the btree indexes of
identifiers. Every statement runs on one of them; none scans the addresses.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypedDict

from django.utils.translation import gettext, gettext_lazy

from landinfo import sql
from landinfo.profiles import InvalidParcelIdentifier, JurisdictionProfile, get_profile
from landinfo.profiles.text import normalize_text, quote_input
from parcels.models import AdministrativeUnit, Parcel, SearchWord
from parcels.search import frequent
from parcels.search.places import VN_KIND_WORDS, Reading, read_places, unknown_place
from parcels.search.text import Word, folded_words, read_words, tsquery_word
from parcels.selectors import LandUseRef, UnitRef

SEARCH_LIMIT_DEFAULT = 10
SEARCH_LIMIT_MAX = 50
SEARCH_QUERY_MAX_LENGTH = 200

Match = Literal["identifier", "place", "address"]
Quality = Literal["exact", "prefix", "fuzzy"]

# Scores follow the tiers, so that a higher score never ranks lower: an identifier 1,
# a lot number found in every commune 0.9, then addresses by tier, less 0.01 for each
# word of the address that was not typed (up to 20).
_EXACT_SCORE = 1.0
_SUFFIX_SCORE = 0.9
_CONTINUED_SCORE = 0.7  # a lot whose number goes on from the one being typed
_ADDRESS_SCORE: dict[Quality, float] = {"exact": 0.8, "prefix": 0.6, "fuzzy": 0.4}

# A unit code of the profile's shape that numbers no real parcel: "12/345" is read with
# it to learn the end of the identifier that any commune would give ("...-12-345").
_PLACEHOLDER_UNIT = {"vn": "00000", "kr": "0000000000"}

# Addresses taken from the index per tier before they are ranked. The index gives them
# in no order, so that a common word costs what a rare one does; ranking a bounded pool
# (fewest untyped words first) puts "Số 12 Phố Huế" before "Số 5 Ngõ 12 Phố Huế". The
# shortest of them are ranked by their words (36 µs each to read): an address with
# more untyped words is longer, and a ward's number in every address of the ward
# ("..., Phường Mẫu 2") makes "Số 2 ..." match all its neighbours.
# Within the places named (a commune holds thousands of parcels, not millions) the
# pool is larger: "Số 2 ..." matches every address of "Phường Mẫu 2".
_POOL = 200
_POOL_IN_PLACE = 2000
_SHORTEST = 60
# Words the word being typed may become, most common first.
_COMPLETIONS = 40
# Spellings tried for a word the register does not have, and how alike they must be.
_CORRECTIONS = 3
_CORRECTION_SIMILARITY = 0.4
# Lot numbers are looked up per commune of the places named up to this many communes;
# beyond, by the end of the identifier in those communes.
_EXACT_UNITS_MAX = 200
# The lots a number being typed may become are suggested in up to this many communes.
_CONTINUED_UNITS_MAX = 20

# Labels copied with a value from a sheet, certificate, export or paper record, left
# out: "Mã thửa: 90001-1-5", "Vị trí thửa đất ...", "Địa chỉ: ...", "고유번호 ...",
# "소재지 지번 ...", "도로명주소: ...". Longest first: "vị trí thửa đất" before "vị trí".
_LABEL_WORDS = re.compile(
    r"(?i)(?:\b(?:vị trí thửa đất|vi tri thua dat|mã thửa đất|ma thua dat|mã thửa|ma thua|"
    r"địa chỉ|dia chi|địa điểm|dia diem|vị trí|vi tri|lot address|address|location|"
    r"identifier|pnu|thửa đất(?=\s*:\s*[0-9]+[-.][0-9])|thua dat(?=\s*:\s*[0-9]+[-.][0-9])|trạng thái|trang thai|"
    r"landinfo — sổ địa chính điện tử|giấy trích lục thông tin thửa đất|"
    r"trích lục bản đồ địa chính|trich luc ban do dia chinh)\b|소재지 지번|소재지|필지고유번호|고유번호|도로명주소|지번주소|지번(?![0-9가-힣])|"
    r"주소)\s*:?"
)


_NO_SUCH_LOT = gettext_lazy(
    "No parcel has this lot number in the register (in the place named, if any); check "
    "the numbers, or search by address."
)
_NO_SUCH_LOT_THAT_DAY = gettext_lazy(
    "No parcel had this lot number on that day (in the place named, if any); check the "
    "numbers and the date."
)
_NO_SUCH_PLACE = gettext_lazy(
    "The register has no administrative unit of that name; check its spelling, or leave "
    "the place out."
)
_PLACES_APART = gettext_lazy(
    "The places named do not lie in one another (or not in the unit searched in); check "
    "them, or name one."
)
# Words that label the numbers of a lot (folded): a text of these and numbers only is
# a lot, which either is read as one or is not found, never read as an address.
_LOT_WORDS = frozenset(
    {
        "to",
        "ban",
        "do",
        "so",
        "thua",
        "dat",
        "t",
        "th",
        "tbd",
        "bd",
        "sheet",
        "parcel",
        "plot",
        "map",
        "lot",
        "no",
        "san",
        "산",
        "번지",
        "번",
        "호",
        "의",
        "지번",
        "임야",
    }
)
_PARTS_APART = gettext_lazy(
    "The parts of the text name different parcels or places; search for one of them."
)
# Words an address may or may not write before a street's name ("đường Trường Chinh",
# "phố Huế", "số nhà 4"): asked for only where typed together with the name.
_STREET_WORDS = frozenset({"duong", "pho", "nha"})
# Words that label the number after them in an address: the house ("số"), the alley
# (the North's "ngõ", the South's "hẻm", Huế's "kiệt", one thing), the sub-alley.
_ALLEY_WORDS = frozenset({"ngo", "hem", "kiet"})
_NUMBER_LABELS = frozenset({"so", "ngach"}) | _ALLEY_WORDS
# Lot words that say "number" and no more: "Số 4" is a house as often as a lot.
_NUMBER_WORDS = frozenset({"so", "no"})
# Words at the end that may still be being typed are left out up to this many times
# ("Thành phố Hồ Chí Mi" is being typed after a lot).
_MOST_DROPPED = 4
# A remark in brackets of any kind, ASCII or full-width, or opened and never closed.
_REMARK = re.compile(r"[(（\[［{｛【][^)）\]］}｝】]*(?:[)）\]］}｝】]|$)")
# How each profile writes a lot, for the message that asks for one.
_LOT_EXAMPLE = {"vn": "“tờ 12 thửa 345”", "kr": "“12-3”, “산 12-3”"}

# Parts of a line the register prints ("display · identifier", "a | b").
_PARTS = re.compile(r"\s+[·•|]\s+")
# Quotation marks around a value copied from JSON, CSV or a letter: no part of a name.
_QUOTES = re.compile(r"[\"“”„‟«»‹›「」『』]|(?<!\w)'|'(?!\w)")
_MOST_PARTS = 4
_HANGUL_WORD = re.compile(r"^[가-힣]+$")
_KOREAN_BEING_TYPED = re.compile(r"(?:[ㄱ-ㅎㅏ-ㅣ]|버|번[ㄱ-ㅎ])$")
_FOREST_LOT_AFTER_PLACE = re.compile(r"([동리가])산(?=\s*[0-9０-９])")


class InvalidSearch(ValueError):
    """Raised when search parameters cannot be used; the message says what to change."""


class SearchResult(TypedDict):
    id: int
    identifier: str
    display: str
    address: str
    lot_address: str
    land_use: LandUseRef
    admin_unit: UnitRef
    match: Match
    quality: Quality
    place: UnitRef | None  # the place of the query the parcel was found in
    score: float
    retired: bool
    bbox: list[float]  # west, south, east, north in WGS84
    point: list[float]  # lon, lat of a point on the parcel's surface
    centroid: list[float]  # deprecated: the same as point


@dataclass
class SearchAnswer:
    results: list[SearchResult]
    places: list[UnitRef] = field(default_factory=list)  # the places the text was read to name
    message: str = ""  # why nothing was found, when the text says it
    # The text read as a lot or identifier (remarks and labels left out), else "".
    text: str = ""
    # The text was read for what it is (a lot, places apart): no shorter reading helps.
    settled: bool = False
    # The text ends with a place it names ("..., Xã Đồng Tâm"): its last words are no
    # place still being typed, and are never left out to find something elsewhere.
    ends_in_place: bool = False
    # The codes of the units the places named contain; None when it names none.
    within: frozenset[str] | None = None


# The lifespan tests of search, on the parameter `day` (sql.alive's half-open rule):
# in force that day, else (no day asked) any parcel, for identifiers, whose callers
# then prefer the current one; or the current one, for everything else.
def _lifespan(alias: str, no_day: str) -> str:
    return f"(CASE WHEN %(day)s::date IS NULL THEN {no_day} ELSE {sql.alive(alias)} END)"


def _with_lifespans(statement: str) -> str:
    return (
        statement.replace("{on_day_or_any}", _lifespan("", "true"))
        .replace("{on_day_or_current}", _lifespan("", "valid_to IS NULL"))
        .replace("{on_day_or_current_p}", _lifespan("p", "p.valid_to IS NULL"))
    )


# Describes the parcels a tier chose (`chosen`: id, score, rank); boxes and points are
# computed for those few only. The point lies on the parcel's surface: a concave
# parcel's centroid can lie outside it. Units above the parcel's give its lot address.
_RESULTS_SQL = """
WITH chosen AS ({chosen})
SELECT p.id, p.identifier, p.address, p.land_use, p.valid_to, p.admin_unit_id,
       u.code AS unit_code, u.name AS unit_name, u.level AS unit_level,
       a1.name AS a1_name, a1.level AS a1_level, a2.name AS a2_name, a2.level AS a2_level,
       a3.name AS a3_name, a3.level AS a3_level, chosen.score,
       ST_XMin(g.box) AS west, ST_YMin(g.box) AS south,
       ST_XMax(g.box) AS east, ST_YMax(g.box) AS north,
       ST_X(g.centre) AS lon, ST_Y(g.centre) AS lat
FROM chosen
JOIN parcels_parcel p ON p.id = chosen.id
JOIN parcels_administrativeunit u ON u.id = p.admin_unit_id
LEFT JOIN parcels_administrativeunit a1 ON a1.id = u.parent_id
LEFT JOIN parcels_administrativeunit a2 ON a2.id = a1.parent_id
LEFT JOIN parcels_administrativeunit a3 ON a3.id = a2.parent_id
CROSS JOIN LATERAL (
    SELECT Box2D(ST_Transform(p.boundary, 4326)) AS box,
           ST_Transform(ST_PointOnSurface(p.boundary), 4326) AS centre
) g
ORDER BY chosen.rank
"""

# The parcel with each identifier: the one in force on `day` when asked, else the
# current one, else the one retired last (an old certificate still finds its parcel).
# Index: parcels_par_identif_65285e_idx.
_EXACT_CHOSEN = _with_lifespans(
    """
SELECT id, %(score)s::float8 AS score, row_number() OVER (ORDER BY identifier) AS rank
FROM (
    SELECT DISTINCT ON (identifier) id, identifier
    FROM parcels_parcel
    WHERE identifier = ANY(%(identifiers)s::text[])
      AND {on_day_or_any}
    ORDER BY identifier, valid_to DESC NULLS FIRST, valid_from DESC
) latest
ORDER BY rank
LIMIT %(limit)s
"""
)

_EXACT = sql.statement(
    "search_exact",
    _RESULTS_SQL.format(chosen=_EXACT_CHOSEN),
    {"identifiers": "text[]", "score": "float8", "day": "date", "limit": "int"},
)

# Lots whose identifiers lie in the ranges (a lot number being typed may become them),
# in force on the day or current, shortest identifier first: 36-1 before 360.
# Index: parcels_par_identif_65285e_idx, a range scan per range.
_CONTINUED = sql.statement(
    "search_continued",
    _RESULTS_SQL.format(
        chosen=_with_lifespans(
            """
SELECT id, %(score)s::float8 AS score,
       row_number() OVER (ORDER BY length(identifier), identifier) AS rank
FROM (
    SELECT DISTINCT ON (p.identifier) p.id, p.identifier
    FROM unnest(%(low)s::text[], %(high)s::text[]) AS r(low, high)
    -- One short index range per range, in identifier order: a join would leave the
    -- planner to guess how many rows a range holds, and at 10M parcels it guessed a
    -- parallel scan of the table (minutes) for what takes milliseconds.
    CROSS JOIN LATERAL (
        SELECT p.id, p.identifier, p.valid_to, p.valid_from
        FROM parcels_parcel p
        WHERE p.identifier BETWEEN r.low AND r.high
          AND p.identifier <> ALL(%(found)s::text[])
          AND {on_day_or_current_p}
        ORDER BY p.identifier
        LIMIT %(limit)s
    ) p
    ORDER BY p.identifier, p.valid_to DESC NULLS FIRST, p.valid_from DESC
) latest
ORDER BY rank
LIMIT %(limit)s
"""
        )
    ),
    {
        "low": "text[]",
        "high": "text[]",
        "found": "text[]",
        "score": "float8",
        "day": "date",
        "limit": "int",
    },
)

# Identifiers that end with the suffix, one parcel per identifier as above, current
# ones first. Index: parcel_identifier_reversed (migration 0003), a prefix scan.
_SUFFIX_CHOSEN = _with_lifespans(
    """
SELECT id, %(score)s::float8 AS score,
       row_number() OVER (ORDER BY valid_to IS NOT NULL, identifier) AS rank
FROM (
    SELECT DISTINCT ON (identifier) id, identifier, valid_to
    FROM parcels_parcel
    WHERE reverse(identifier) LIKE %(reversed_prefix)s AND length(identifier) = %(length)s
      AND (%(units)s::bigint[] IS NULL OR admin_unit_id = ANY(%(units)s::bigint[]))
      AND {on_day_or_any}
    ORDER BY identifier, valid_to DESC NULLS FIRST, valid_from DESC
) latest
ORDER BY rank
LIMIT %(limit)s
"""
)

# Parcels whose address has every word of the query (GIN index parcel_address_words),
# in force on the day (current when no day is asked), in the places named; a pool of
# them in no order, ranked by how many of the address's words were not typed, then by
# how alike the two texts are, then by identifier.
_ADDRESS_CHOSEN = _with_lifespans(
    """
SELECT id, %(score)s - least(extra, 20) * 0.01 AS score,
       row_number() OVER (ORDER BY extra, closeness DESC, identifier) AS rank
FROM (
    SELECT id, identifier,
           (SELECT count(*) FROM unnest(search_words) w WHERE w <> ALL(%(typed)s::text[]))
               AS extra,
           similarity(array_to_string(search_words, ' '), %(folded)s) AS closeness
    FROM (
        SELECT id, identifier, search_words
        FROM (
            SELECT id, identifier, address, search_words
            FROM parcels_parcel
            WHERE landinfo_parcel_document(search_words, admin_unit_id) @@ %(query)s::tsquery
              AND {on_day_or_current}
              AND (%(units)s::bigint[] IS NULL OR admin_unit_id = ANY(%(units)s::bigint[]))
              AND id <> ALL(%(seen)s::bigint[])
            LIMIT %(pool)s
        ) candidates
        ORDER BY length(address), identifier
        LIMIT %(shortest)s
    ) pool
) ranked
ORDER BY rank
LIMIT %(limit)s
"""
)

# How many parcels of a pool the index gives for a query (parcels.search.frequent).
_POOLED_SQL = _with_lifespans(
    """
SELECT count(*) AS pooled FROM (
    SELECT 1 FROM parcels_parcel
    WHERE landinfo_parcel_document(search_words, admin_unit_id) @@ %(query)s::tsquery
      AND {on_day_or_current}
      AND id <> ALL(%(seen)s::bigint[])
    LIMIT %(pool)s
) pool
"""
)

# A unit and every unit below it (index: the unit's parent).
_UNIT_AND_BELOW_SQL = """
WITH RECURSIVE below(id, code) AS (
    SELECT id, code FROM parcels_administrativeunit WHERE code = %(code)s
    UNION ALL
    SELECT child.id, child.code
    FROM parcels_administrativeunit child JOIN below ON child.parent_id = below.id
)
SELECT id, code FROM below
"""

# Parcels in the places named, when the text names nothing else: in force on the day
# or current, lowest identifier first. Index: parcels_par_admin_u_* (unit, land use).
_IN_PLACES_CHOSEN = _with_lifespans(
    """
SELECT id, %(score)s::float8 AS score, row_number() OVER (ORDER BY identifier) AS rank
FROM (
    SELECT id, identifier FROM parcels_parcel
    WHERE admin_unit_id = ANY(%(units)s::bigint[])
      AND {on_day_or_current}
    LIMIT %(pool)s
) pool
ORDER BY rank
LIMIT %(limit)s
"""
)

# The words the word being typed may become, most common first (the primary key's
# text_pattern_ops index, parcels_searchword_word_*_like).
_COMPLETIONS_SQL = """
SELECT word FROM parcels_searchword
WHERE word LIKE %(prefix)s AND word <> %(word)s
ORDER BY parcels DESC, word
LIMIT %(most)s
"""

# Whether a word of some unit's name starts with the word (the same prefix index).
_PLACE_WORD_SQL = """
SELECT 1 FROM parcels_searchword WHERE word LIKE %(prefix)s AND in_place_name LIMIT 1
"""

# Which of the typed words the register has (primary key of parcels_searchword).
_KNOWN_SQL = "SELECT word FROM parcels_searchword WHERE word = ANY(%(words)s::text[])"

# The words of the register most like a mistyped one: sharing enough trigrams (index
# searchword_trgm), or, for a short word whose trigrams say little ("hye" and "hue"
# share one of seven), one letter away (index searchword_length bounds the candidates).
_CORRECTIONS_SQL = """
SELECT word FROM (
    SELECT word, parcels FROM parcels_searchword
    WHERE word %% %(word)s AND similarity(word, %(word)s) >= %(least)s
    UNION
    SELECT word, parcels FROM parcels_searchword
    WHERE length(%(word)s) <= %(short)s
      AND length(word) BETWEEN length(%(word)s) - 1 AND length(%(word)s) + 1
      AND levenshtein(word, %(word)s) <= 1
) candidate
ORDER BY levenshtein(word, %(word)s), similarity(word, %(word)s) DESC, parcels DESC, word
LIMIT %(most)s
"""
# A search in more units than this filters them after the index (_unit_keys).
_MOST_UNIT_KEYS = 64
# Words up to this long are corrected by edit distance too.
_SHORT_WORD = 5
# A text with more words the register lacks than this is not corrected: it is no typo
# of an address (and each correction costs a query).
_MOST_CORRECTED = 3


@dataclass
class _Query:
    profile: JurisdictionProfile
    text: str
    limit: int
    day: dt.date | None
    unit_ids: dict[int, str] | None  # the `unit` parameter's unit and every unit below it
    unit_code: str | None = None


def search(
    query: str,
    *,
    limit: int = SEARCH_LIMIT_DEFAULT,
    unit_code: str | None = None,
    as_of: dt.date | None = None,
) -> SearchAnswer:
    """Return the parcels that `query` names, best first, and the places it was read to name.

    An identifier in any spelling the profile reads finds its parcel (the current one,
    else the last retired one; with `as_of`, the one in force that day). A lot number
    with the names of its place ("tờ 4 thửa 108, Phường Mẫu 2", "예시1동 362-1번지")
    finds the lot in the units named; without them in `unit_code`, or in every commune.
    Places alone give parcels in them; any other text is read as an address. Remarks
    in parentheses and labels copied with a value ("Địa chỉ:", "고유번호") are left out.
    When nothing is found and the last words may still be being typed ("..., Phường
    Mẫ"), the text without them is read again. `query` is read as typed text is
    (`normalize_text`): what nobody sees changes nothing. One to five queries, each on
    an index, and as many again for each trailing word left out (at most four).
    """
    # The fields of a row copied from an export are parts, as " · " separates them.
    query, unit_code = _checked(query.replace("\t", " | "), unit_code, limit)
    text = _readable(query)
    if not any(char.isalnum() for char in text):
        return SearchAnswer([])
    request = _Query(get_profile(), text, limit, as_of, _unit_ids(unit_code), unit_code)
    parts = [part for part in _PARTS.split(text) if any(char.isalnum() for char in part)]
    if len(parts) > 1:
        # A line copied whole: "tờ 4 thửa 108 · 90002-4-108", "<lot address> · <address>",
        # "Mã thửa: 90002-4-108 · Trạng thái: ...": its parts name one parcel.
        answers = [_read(replace(request, text=part)) for part in parts[:_MOST_PARTS]]
        if not any(answer.settled and answer.results for answer in answers):
            # No part names a lot: the parts may be the fields of one ("tờ 4 | thửa 108
            # | Phường Mẫu 2"), or a place and an address in it.
            whole = _read(replace(request, text=", ".join(parts)))
            if whole.results:
                return whole
        return _best_part(answers, request.limit)
    return _read(request)


def _read(request: _Query) -> SearchAnswer:
    """Return what the text names, reading it again without a place still being typed."""
    text = request.text
    answer = _answer(request)
    retry = text
    for _ in range(_MOST_DROPPED):
        if answer.results or answer.settled or answer.ends_in_place:
            break
        retry = _without_last_word(retry)
        if not retry:
            break
        again = _answer(replace(request, text=retry))
        if again.results:
            for result in again.results:
                result["quality"] = "prefix" if result["quality"] == "exact" else result["quality"]
            answer = replace(again, message="")
    return answer


def _best_part(answers: list[SearchAnswer], limit: int) -> SearchAnswer:
    """Return the answer of the part that names a parcel most exactly, if the parts agree.

    An identifier or lot first, the one that names fewest parcels. The other parts must
    not contradict it: a place named must hold its parcel, a lot read in another part
    must be it ("tờ 4 thửa 108 · Phường Mẫu 3", "tờ 4 thửa 108 · 90003-2-139").
    """
    found = [answer for answer in answers if answer.results]
    if not found:
        return answers[0]
    settled = [answer for answer in found if answer.settled]
    # A place alone names no parcel: an address in another part is what is asked.
    found.sort(key=lambda answer: answer.results[0]["match"] == "place")
    best = min(settled, key=lambda answer: len(answer.results)) if settled else found[0]
    others = [answer for answer in answers if answer is not best]
    inside = [
        result
        for result in best.results
        if all(o.within is None or result["admin_unit"]["code"] in o.within for o in others)
    ]
    # Another part that names parcels exactly, all of them (fewer than asked for): the
    # parcel must be one of them ("tờ 4 thửa 108 · Số 531 Đại Cồ Việt" is not).
    named = [
        {result["id"] for result in other.results}
        for other in others
        if other.results
        and len(other.results) < limit
        and other.results[0]["quality"] == "exact"
        and other.results[0]["match"] != "place"
    ]
    inside = [result for result in inside if all(result["id"] in ids for ids in named)]
    if inside:
        return replace(best, results=inside)
    places = list({ref["code"]: ref for answer in answers for ref in answer.places}.values())
    return SearchAnswer([], places, str(_PARTS_APART), settled=True)


def _answer(request: _Query) -> SearchAnswer:
    """Return what `request.text` names: an identifier, a lot in its places, places, an address."""
    lots = _identifier_matches(request)
    if lots is not None:
        # A lot number names that lot only: no address ranks in its place.
        return SearchAnswer(lots, text=request.text, message=_no_lot(request, lots), settled=True)
    words = read_words(request.text)
    reading = read_places(words)
    if reading.apart or _narrowed(reading.units, request.unit_ids) == {}:
        # "Lê Lợi, Quận 1": the ward Lê Lợi is elsewhere, the street may be in Quận 1.
        reading = reading.without_bare()
    units = _narrowed(reading.units, request.unit_ids)
    if reading.apart or units == {}:
        return SearchAnswer([], _place_refs(reading), str(_PLACES_APART), settled=True)
    answer = _in_places_read(request, words, reading, units)
    return replace(answer, within=frozenset(units.values()) if units else None)


def _in_places_read(
    request: _Query, words: list[Word], reading: Reading, units: dict[int, str] | None
) -> SearchAnswer:
    """Return what the text names outside the places it was read to name."""
    places = _place_refs(reading)
    lots = _lot_matches(request, reading, units)
    if lots is not None:
        return SearchAnswer(lots, places, _no_lot(request, lots), text=request.text, settled=True)
    free = [word.text for index, word in enumerate(words) if index not in reading.place_words()]
    # A text that ends with a place it names is not a place still being typed.
    ends = bool(reading.places) and reading.places[-1].last == len(words)
    if reading.places and (not free or _reads_as_lot(free) or _STREET_WORDS.issuperset(free)):
        # "Lê Lợi", "Hòa Bình 7": a street's name before a ward's, when an address has it.
        streets = _as_streets(request, words, reading)
        if streets or (free and _STREET_WORDS.issuperset(free)):
            # "đường Hòa Bình" names a street only: none there, and nothing shorter helps.
            return SearchAnswer(streets, places, settled=not streets)
        if not free and units:
            return SearchAnswer(_in_places(request, units, _place_ref(reading)), places)
    if free and _reads_as_lot(free):
        # "thửa 5", "15.1", "9999": a lot number that cannot be read is no address
        # (a Korean dong and a number is a lot, never a building on some road).
        return SearchAnswer([], places, _lot_spelling(request))
    unknown = unknown_place(request.text, words, reading)
    results = _address_matches(request, words, reading, units)
    if unknown:
        # "Phường Mẫu 9": the unit is not in the register, so no parcel is in it; an
        # address with those very words in that order ("Số 5 Xã Đàn") still is.
        results = [r for r in results if _has_run(folded_words(r["address"]), unknown)]
    if not results and reading.places and not unknown:
        # A street named like a unit ("Lê Lợi 5"): the words as an address alone, as
        # typed (no correction guesses a street the place was not); a unit named with
        # its kind ("Phường Mẫu 3") is that unit only.
        results = _as_streets(request, words, reading)
    if results:
        return SearchAnswer(results, places, ends_in_place=ends)
    return SearchAnswer([], places, str(_NO_SUCH_PLACE) if unknown else "", ends_in_place=ends)


def _as_streets(request: _Query, words: list[Word], reading: Reading) -> list[SearchResult]:
    """Return the addresses with the words as typed when every place was a bare name."""
    if not all(reading.bare(place) for place in reading.places):
        return []
    return _address_matches(
        request, words, Reading([], None, words), request.unit_ids, correct=False
    )


def _reads_as_lot(free: list[str]) -> bool:
    """Return whether words outside the places can only be a lot's: "thửa 5", "15.1", "9999".

    "Số 4" is a house being typed, "T" a street: a word of number alone ("số", "no")
    makes no lot, nor do lot words without a number.
    """
    if not all(_is_lot_word(word) for word in free) or not any(map(_has_digit, free)):
        return False
    return all(word.isdigit() for word in free) or any(
        not word.isdigit() and word not in _NUMBER_WORDS for word in free
    )


def _readable(query: str) -> str:
    """Return the query without what names nothing: remarks in parentheses, field labels.

    "청운동산12" becomes 청운동 산 12 (a forest-ledger lot), not the word 동산 (a hill).
    """
    query = _QUOTES.sub(" ", query)
    without = _REMARK.sub(" ", query)
    if not any(char.isalnum() for char in _LABEL_WORDS.sub(" ", without)):
        # "(90002-4-95)", "[tờ 4 thửa 95]": the brackets hold all there is to read.
        without = re.sub(r"[()（）\[\]［］{}｛｝【】]", " ", query)
    text = _LABEL_WORDS.sub(" ", without)
    return _FOREST_LOT_AFTER_PLACE.sub(r"\1 산", text).strip(" ,;:")


def _without_last_word(text: str) -> str:
    """Return `text` without its last word if it may be a place's name being typed, else "".

    It may when it is a word of kind whose name is still to come ("..., Phường") or the
    start of a word of some unit's name ("Mẫ" of "Mẫu"); "..., Phường Không Có" names
    no place, and keeps its answer (none, and why). Numbers are never dropped: a lot's
    are read as it is typed (`_continuations`), an address's by the prefix tier.
    """
    words = read_words(text)
    if len(words) < 2 or _has_digit(words[-1].text):
        return ""
    last = words[-1].text
    if last not in VN_KIND_WORDS and not sql.fetch_rows(
        SearchWord, _PLACE_WORD_SQL, {"prefix": _like_prefix(last)}
    ):
        return ""
    return text[: words[-1].start].rstrip(" ,;:.")


def _no_lot(request: _Query, lots: list[SearchResult]) -> str:
    if lots:
        return ""
    if request.day is not None:
        return str(_NO_SUCH_LOT_THAT_DAY)
    return str(_NO_SUCH_LOT)


def _lot_spelling(request: _Query) -> str:
    example = _LOT_EXAMPLE.get(request.profile.key, "")
    return gettext(
        "Write a lot with all its numbers and its place, e.g. %(example)s with the name of "
        "its commune."
    ) % {"example": example}


def _is_lot_word(word: str) -> bool:
    return word.isdigit() or word in _LOT_WORDS


def _place_refs(reading: Reading) -> list[UnitRef]:
    named = {code: name for place in reading.places for code, name in place.names}
    return [UnitRef(code=code, name=name) for code, name in named.items()]


def _checked(query: str, unit_code: str | None, limit: int) -> tuple[str, str | None]:
    # PostgreSQL text cannot hold NUL; typed text never does, pasted binary might.
    if "\x00" in query or (unit_code and "\x00" in unit_code):
        raise InvalidSearch(gettext("Remove the NUL characters from the search."))
    query = normalize_text(query)
    unit_code = normalize_text(unit_code or "") or None
    if not query:
        raise InvalidSearch(gettext("Type a parcel identifier or an address to search for."))
    if len(query) > SEARCH_QUERY_MAX_LENGTH:
        raise InvalidSearch(
            gettext(
                "The search text is %(length)s characters long; shorten it to at most %(most)s."
            )
            % {"length": len(query), "most": SEARCH_QUERY_MAX_LENGTH}
        )
    if not 1 <= limit <= SEARCH_LIMIT_MAX:
        raise InvalidSearch(
            gettext("Ask for 1 to %(most)s results; got %(limit)s.")
            % {"most": SEARCH_LIMIT_MAX, "limit": limit}
        )
    return query, unit_code


def _unit_ids(unit_code: str | None) -> dict[int, str] | None:
    """Return the unit `unit_code` and every unit below it (id: code), as exports read it."""
    if unit_code is None:
        return None
    found = sql.fetch_rows(AdministrativeUnit, _UNIT_AND_BELOW_SQL, {"code": unit_code})
    if not found:
        raise InvalidSearch(
            gettext(
                "No administrative unit has the code %(code)s; give the code of the unit "
                "to search in, or leave it out."
            )
            % {"code": quote_input(unit_code)}
        )
    return {row["id"]: row["code"] for row in found}


def _narrowed(
    units: dict[int, str] | None, unit_ids: dict[int, str] | None
) -> dict[int, str] | None:
    if units is None:
        return unit_ids
    if unit_ids is None:
        return units
    return {pk: code for pk, code in units.items() if pk in unit_ids}


def _identifier_matches(request: _Query) -> list[SearchResult] | None:
    """Return the parcel a whole identifier names, or the lots a short spelling names.

    None when the text is neither.
    """
    profile = request.profile
    try:
        identifier = profile.parse_identifier(request.text, unit_code=request.unit_code)
    except InvalidParcelIdentifier:
        identifier = None
    if identifier is not None:
        if request.unit_ids is not None and identifier.unit_code not in request.unit_ids.values():
            return []  # `unit` asks within a unit, and the identifier lies outside it
        canonical = profile.format_identifier(identifier)
        return _exact(request, [canonical], place=None)
    suffix = _short_spelling_suffix(profile, request.text)
    if suffix is None:
        return None
    return _by_suffix(request, suffix, request.unit_ids, place=None)


def _lot_matches(
    request: _Query, reading: Reading, units: dict[int, str] | None
) -> list[SearchResult] | None:
    """Return the lots that the text outside its places names, in those places.

    None when the rest of the text is no lot number.
    """
    if not reading.places or units is None:
        return None
    remainder = list(request.text)
    for named in reading.places:
        # Blank every character of the place's words and of what separates them.
        for index in range(_start(reading, named.first), _end(reading, named.last)):
            remainder[index] = " "
    if request.profile.key == "kr":
        _blank_unknown_places(remainder, _start(reading, reading.places[0].first))
    rest = _LABEL_WORDS.sub(" ", "".join(remainder)).strip(" ,;:.-")
    if not rest:
        return None
    # "362-1ㅂ", "362-1버", "362-1번", "362-1번ㅈ": 번지 being composed on a keyboard.
    rest = _KOREAN_BEING_TYPED.sub("", rest).rstrip()
    if rest.endswith("번"):
        rest += "지"
    if request.profile.key == "kr":
        rest = _without_category(request.profile, rest)
    whole = _whole_identifier(request.profile, rest)
    if whole is not None:
        # "Phường Mẫu 1 90002-4-108": the identifier, if it lies in the places named.
        code = whole.split("-")[0] if request.profile.key == "vn" else whole[:10]
        return _exact(request, [whole], place=_place_ref(reading)) if code in units.values() else []
    suffix = _short_spelling_suffix(request.profile, rest)
    if suffix is None:
        return None
    if not units:
        return []  # places that share no unit (intersection empty): no lot is in both
    place = _place_ref(reading)
    codes = sorted(units.values())
    if len(codes) > _EXACT_UNITS_MAX:
        return _by_suffix(request, suffix, units, place=place)
    found = _exact(request, [code + suffix for code in codes], place=place)
    if len(found) < request.limit and rest[-1].isdigit() and len(codes) <= _CONTINUED_UNITS_MAX:
        # "청운동 362" while "362-1" is being typed: the lots it may become come next.
        ranges = [
            (code + low, code + high)
            for code in codes
            for low, high in _continuations(request.profile, suffix)
        ]
        found += _continued(request, ranges, [r["identifier"] for r in found], place=place)
    return found


def _blank_unknown_places(remainder: list[str], place_starts: int) -> None:
    """Blank the Korean words before the places the register knows ("서울 예시1동 20").

    They name a place it does not know (a city, a misspelling); the lot after a known
    dong is still that lot. A road after the place ("종로구 세종대로 201") stays.
    """
    for word in re.finditer(r"\S+", "".join(remainder[:place_starts])):
        if _HANGUL_WORD.match(word.group()) and word.group() not in _LOT_WORDS:
            remainder[word.start() : word.end()] = [" "] * (word.end() - word.start())


def _without_category(profile: JurisdictionProfile, rest: str) -> str:
    """Return a Korean lot without its land category after it ("예시1동 20 대")."""
    words = rest.split()
    categories = {land_use.name for land_use in profile.land_uses}
    while len(words) > 1 and words[-1] in categories:
        words.pop()
    return " ".join(words)


def _continuations(profile: JurisdictionProfile, suffix: str) -> list[tuple[str, str]]:
    """Return ranges of identifier ends that a lot number being typed may become.

    Korea (suffix: ledger, main and sub number, 4 digits each): the sub lots of the
    main number typed, and main numbers one digit longer; or, with a sub number typed,
    sub numbers one digit longer. Vietnam ("-sheet-parcel"): parcel numbers one and two
    digits longer. Ranges of equal-length digits compare alike in every collation.
    """
    if profile.key == "kr":
        ledger, main, sub = suffix[0], int(suffix[1:5]), int(suffix[5:9])
        if sub:
            subs = [sub * 10 + d for d in range(10) if sub * 10 + d <= 9999]
            return [(f"{ledger}{main:04d}{s:04d}",) * 2 for s in subs]
        longer = [main * 10 + d for d in range(10) if main * 10 + d <= 9999]
        return [(f"{ledger}{main:04d}0001", f"{ledger}{main:04d}9999")] + [
            (f"{ledger}{m:04d}0000", f"{ledger}{m:04d}9999") for m in longer
        ]
    head, _, number = suffix.rpartition("-")
    parcel = int(number)
    longer = [parcel * 10 + d for d in range(10)] + [parcel * 100 + d for d in range(100)]
    return [(f"{head}-{n}",) * 2 for n in longer if n <= 99999]


def _continued(
    request: _Query, ranges: list[tuple[str, str]], found: list[str], *, place: UnitRef | None
) -> list[SearchResult]:
    if not ranges:
        return []
    rows = sql.fetch_prepared(
        Parcel,
        _CONTINUED,
        {
            "low": [low for low, _ in ranges],
            "high": [high for _, high in ranges],
            "found": found,
            "score": _CONTINUED_SCORE,
            "day": request.day,
            "limit": request.limit - len(found),
        },
    )
    return [_result(request.profile, row, "identifier", "prefix", place) for row in rows]


def _start(reading: Reading, first: int) -> int:
    return reading.words[first].start


def _end(reading: Reading, last: int) -> int:
    return reading.words[last - 1].end


def _place_ref(reading: Reading) -> UnitRef | None:
    """Return the lowest place the text named (the one results are said to be in)."""
    if not reading.places:
        return None
    lowest = max(reading.places, key=lambda place: place.level)
    if not lowest.names:
        return None
    code, name = lowest.names[0]
    return UnitRef(code=code, name=name)


def _exact(request: _Query, identifiers: list[str], *, place: UnitRef | None) -> list[SearchResult]:
    rows = sql.fetch_prepared(
        Parcel,
        _EXACT,
        {
            "identifiers": identifiers,
            "score": _EXACT_SCORE,
            "day": request.day,
            "limit": request.limit,
        },
    )
    return [_result(request.profile, row, "identifier", "exact", place) for row in rows]


def _by_suffix(
    request: _Query, suffix: str, units: dict[int, str] | None, *, place: UnitRef | None
) -> list[SearchResult]:
    rows = _results(
        _SUFFIX_CHOSEN,
        score=_SUFFIX_SCORE,
        reversed_prefix=_like_prefix(suffix[::-1]),
        length=len(_PLACEHOLDER_UNIT[request.profile.key]) + len(suffix),
        units=sorted(units) if units is not None else None,
        day=request.day,
        limit=request.limit,
    )
    return [_result(request.profile, row, "identifier", "exact", place) for row in rows]


def _in_places(request: _Query, units: dict[int, str], place: UnitRef | None) -> list[SearchResult]:
    rows = _results(
        _IN_PLACES_CHOSEN,
        units=sorted(units),
        score=_ADDRESS_SCORE["exact"],
        day=request.day,
        pool=_SHORTEST,
        limit=request.limit,
    )
    return [_result(request.profile, row, "place", "exact", place) for row in rows]


def _whole_identifier(profile: JurisdictionProfile, text: str) -> str | None:
    """Return the canonical identifier `text` spells whole (its unit in it), else None."""
    try:
        return profile.format_identifier(profile.parse_identifier(text))
    except InvalidParcelIdentifier:
        return None


def _short_spelling_suffix(profile: JurisdictionProfile, text: str) -> str | None:
    """Return the end every commune's identifier would have for a spelling without a unit.

    "tờ 12 thửa 345" gives "-12-345" in Vietnam; "산 12-3" gives "200120003" in Korea.
    None when `text` is no such spelling.
    """
    placeholder = _PLACEHOLDER_UNIT.get(profile.key)
    if placeholder is None:
        return None
    try:
        identifier = profile.parse_identifier(text, unit_code=placeholder)
    except InvalidParcelIdentifier:
        return None
    canonical = profile.format_identifier(identifier)
    if identifier.unit_code != placeholder or not canonical.startswith(placeholder):
        return None
    return canonical[len(placeholder) :]


def _address_matches(
    request: _Query,
    words: list[Word],
    reading: Reading,
    units: dict[int, str] | None,
    *,
    correct: bool = True,
) -> list[SearchResult]:
    """Return addresses with the words outside the places named, tier by tier.

    Each tier is asked only for what the ones before it left: words typed together as
    they stand in the address ("Lê Lợi", not "Lê Quý Đôn, Phường Long Lợi"), then the
    words anywhere in it, then the last word completed, then mistyped words corrected.
    """
    taken = reading.place_words()
    free = [(index, word.text) for index, word in enumerate(words) if index not in taken]
    # A place alone ("Phường Mẫu 2"): its own words, which addresses in it carry.
    at = _without_house_word(free or [(index, word.text) for index, word in enumerate(words)])
    terms = [term for _, term in at]
    typed = sorted(set(terms))  # ranked by those: a ward's "2" is no house number 2
    # "đường", "phố", "số nhà" before a street the address may not write.
    needed = [term for term in terms if term not in _STREET_WORDS] or terms
    place = _place_ref(reading)
    found: list[SearchResult] = []

    def tier(parts: list[str], quality: Quality, alone: str | None = None) -> None:
        if len(found) >= request.limit:
            return
        query = " & ".join([*dict.fromkeys(parts), *_unit_keys(units)])
        if alone is not None and units is None:
            query = _in_first_units(query, alone, request.day, [r["id"] for r in found])
        rows = _results(
            _ADDRESS_CHOSEN,
            query=query,
            score=_ADDRESS_SCORE[quality],
            typed=typed,
            folded=" ".join(terms),
            day=request.day,
            units=sorted(units) if units is not None else None,
            seen=[result["id"] for result in found],
            pool=_POOL if units is None else _POOL_IN_PLACE,
            shortest=_SHORTEST,
            limit=request.limit - len(found),
        )
        found.extend(_result(request.profile, row, "address", quality, place) for row in rows)

    exact = _terms(at, names=False)
    together = _terms(at, names=True)
    if together != exact:
        tier(together, "exact")
    tier(exact, "exact", alone=terms[0] if len(set(terms)) == 1 else None)
    completions = _completions(terms[-1]) if len(found) < request.limit else []
    for parts in _completed(at, completions):
        tier(parts, "prefix")
    if correct and not found and not all(_is_lot_word(term) for term in needed):
        corrected = _corrected(needed)
        if corrected is not None:
            tier([corrected, *_labels(at)], "fuzzy")  # "Số 3 Trường Chin" is no house 300
    return found


def _completed(at: list[tuple[int, str]], completions: list[str]) -> list[list[str]]:
    """Return the tsquery terms of the text with its last word completed, pairs first.

    "Lê Lợ": the pairs the completed name may make ("le loi", "le long", ...); "Số 4":
    the houses 4x; then the words before with any completion anywhere.
    """
    if not completions:
        return []
    before, asked = at[:-1], []
    if before and _name_pair(at[-2], at[-1]):
        pairs = " | ".join(tsquery_word(f"{at[-2][1]} {word}") for word in completions)
        asked.append([*_terms(before, names=True), f"({pairs})"])
    elif before and _labelled(at[-2], at[-1]):
        numbers = [word for word in completions if word.isdigit()]
        if numbers:
            pairs = " | ".join(_label_term(at[-2][1], number) for number in numbers)
            asked.append([*_terms(before[:-1], names=True), f"({pairs})"])
    last = " | ".join(tsquery_word(word) for word in completions)
    return [*asked, [*_terms(before, names=False), f"({last})"]]


def _in_first_units(query: str, word: str, day: dt.date | None, seen: list[int]) -> str:
    """Return `query` limited to the first units when they hold a whole pool of a common word."""
    first = frequent.first_units(word, _POOL)
    if not first:
        return query
    narrowed = " & ".join([query, *_unit_keys(dict.fromkeys(first, ""))])
    rows = sql.fetch_rows(
        Parcel, _POOLED_SQL, {"query": narrowed, "day": day, "seen": seen, "pool": _POOL}
    )
    return narrowed if rows[0]["pooled"] == _POOL else query


def _terms(at: list[tuple[int, str]], *, names: bool) -> list[str]:
    """Return the tsquery terms of the words typed: pairs where the index has them.

    The index holds each pair of adjacent words of an address whose first is not a
    number ("le loi", "so 3", migration 0012). A number after its label ("Số 3", "Ngõ
    4", "Hẻm 4") is always asked as the pair: "Số 3" is no ward's 3. With `names`, name
    words typed together are asked as pairs too ("Lê Lợi", not "Lê Quý Đôn, Phường Long
    Lợi"); without, they are asked alone, and words of a street's kind ("đường") not at
    all. Other numbers are alone: "Lê Lợi 12" finds "Số 12 Lê Lợi".
    """
    parts, paired = [], set()
    for first, second in itertools.pairwise(at):
        if _labelled(first, second):
            parts.append(_label_term(first[1], second[1]))
        elif names and _name_pair(first, second):
            parts.append(tsquery_word(f"{first[1]} {second[1]}"))
        else:
            continue
        paired |= {first[0], second[0]}
    alone = [term for index, term in at if index not in paired]
    if not names:
        alone = [term for term in alone if term not in _STREET_WORDS] or alone
    return list(dict.fromkeys(parts + [tsquery_word(term) for term in alone]))


def _without_house_word(at: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Return the words without "nhà" of "số nhà 4", the number then right after "số"."""
    kept: list[tuple[int, str]] = []
    shift = 0
    for index, term in at:
        if term == "nha" and kept and kept[-1] == (index - 1 - shift, "so"):
            shift += 1
            continue
        kept.append((index - shift, term))
    return kept


def _name_pair(first: tuple[int, str], second: tuple[int, str]) -> bool:
    """Return whether two words were typed next to each other and neither is a number."""
    return second[0] == first[0] + 1 and not _has_digit(first[1]) and not _has_digit(second[1])


def _labelled(first: tuple[int, str], second: tuple[int, str]) -> bool:
    """Return whether a number was typed right after its label ("Số 3", "ngõ 12")."""
    return second[0] == first[0] + 1 and first[1] in _NUMBER_LABELS and second[1].isdigit()


def _labels(at: list[tuple[int, str]]) -> list[str]:
    """Return the tsquery terms of the labelled numbers typed ("Số 3": 'so 3')."""
    return [_label_term(a[1], b[1]) for a, b in itertools.pairwise(at) if _labelled(a, b)]


def _label_term(label: str, number: str) -> str:
    """Return the tsquery term of a labelled number; an alley is a ngõ, hẻm or kiệt."""
    labels = sorted(_ALLEY_WORDS) if label in _ALLEY_WORDS else [label]
    return "(" + " | ".join(tsquery_word(f"{word} {number}") for word in labels) + ")"


def _unit_keys(units: dict[int, str] | None) -> list[str]:
    """Return the tsquery term "in one of these units", or none when it would not help.

    The indexed document holds one key per parcel, "#<unit id>" (migration 0011), so
    that GIN intersects the places with the words: for a ward named, it reads the
    ward's few thousand parcels instead of every parcel of the country with a common
    word. Each key ORed costs a check of every parcel it holds, so over many units (a
    province named) the rows are filtered after the index instead, as before.
    """
    if not units or len(units) > _MOST_UNIT_KEYS:
        return []
    return ["(" + " | ".join(tsquery_word(f"#{pk}") for pk in sorted(units)) + ")"]


def _completions(word: str) -> list[str]:
    rows = sql.fetch_rows(
        SearchWord,
        _COMPLETIONS_SQL,
        {"prefix": _like_prefix(word), "word": word, "most": _COMPLETIONS},
    )
    return [row["word"] for row in rows]


def _corrected(terms: list[str]) -> str | None:
    """Return the tsquery with each word the register lacks replaced by its likeliest spellings."""
    known = {
        row["word"] for row in sql.fetch_rows(SearchWord, _KNOWN_SQL, {"words": sorted(terms)})
    }
    unique = list(dict.fromkeys(terms))
    # A number is never "corrected": house 1281 is not house 121.
    if any(term not in known and _has_digit(term) for term in unique):
        return None
    missing = [term for term in unique if term not in known]
    if not missing:
        # Every word is one the register has, and together they find nothing: one may
        # be a typo that made another real word ("Trưng Chinh" for "Trường Chinh").
        missing = [term for term in unique if not _has_digit(term)]
    if not missing or len(missing) > _MOST_CORRECTED:
        return None
    parts = []
    for term in unique:
        if term not in missing:
            parts.append(tsquery_word(term))
            continue
        rows = sql.fetch_rows(
            SearchWord,
            _CORRECTIONS_SQL,
            {
                "word": term,
                "least": _CORRECTION_SIMILARITY,
                "short": _SHORT_WORD,
                "most": _CORRECTIONS,
            },
        )
        spellings = [row["word"] for row in rows]
        if term in known:
            spellings.append(term)
        if not spellings:
            return None
        parts.append("(" + " | ".join(tsquery_word(word) for word in spellings) + ")")
    return " & ".join(parts)


def _has_run(words: list[str], run: list[str]) -> bool:
    """Return whether `run` occurs in `words` as consecutive words."""
    width = len(run)
    return any(words[i : i + width] == run for i in range(len(words) - width + 1))


def _has_digit(word: str) -> bool:
    return any(char.isdigit() for char in word)


def _like_prefix(text: str) -> str:
    """Return the LIKE pattern of strings that start with `text`."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _results(chosen: str, **params: Any) -> list[dict[str, Any]]:
    params.setdefault("day", None)
    return sql.fetch_rows(Parcel, _RESULTS_SQL.format(chosen=chosen), params)


def _result(
    profile: JurisdictionProfile,
    row: dict[str, Any],
    match: Match,
    quality: Quality,
    place: UnitRef | None,
) -> SearchResult:
    land_use = profile.land_use_or_code(row["land_use"])
    units = [
        (row[f"{a}_level"], row[f"{a}_name"])
        for a in ("a3", "a2", "a1")
        if row[f"{a}_name"] is not None
    ] + [(row["unit_level"], row["unit_name"])]
    point = [round(row["lon"], 6), round(row["lat"], 6)]
    return {
        "id": row["id"],
        "identifier": row["identifier"],
        "display": profile.display_stored(row["identifier"]),
        "address": row["address"],
        "lot_address": profile.lot_address(row["identifier"], units),
        "land_use": {"code": land_use.code, "name": land_use.name},
        "admin_unit": {"code": row["unit_code"], "name": row["unit_name"]},
        "match": match,
        "quality": quality,
        "place": place,
        "score": round(row["score"], 3),
        "retired": row["valid_to"] is not None,
        "bbox": [round(row[side], 6) for side in ("west", "south", "east", "north")],
        "point": point,
        "centroid": list(point),
    }
