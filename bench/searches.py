"""What people type to find a parcel, drawn from the bench register, and the SQL search runs.

Samples (`samples`): parcels drawn with a fixed seed (TABLESAMPLE ... REPEATABLE), and
for each kind of search what a person would type to find that one:

- identifier: the identifier as stored ("90001-4-108", a PNU);
- lot: the lot number with its unit's name, as the sheet prints it ("tờ 4 thửa 108,
  Phường Tân Lập"; "신사동 362-1");
- address: the whole address as printed;
- word: one word of its street, the commonest one there (by parcels_searchword), as a
  person types a street word alone ("Nguyễn", "중앙로");
- typo: the house number and the street with one letter of its longest word changed,
  into a spelling no address has ("217 Hoàng Diêu" → "217 Hoàng Dieu" is no typo,
  "217 Hoàng Diệx" is);
- prefix: the house number and the street cut in its last word, as it is being typed
  ("217 Hoàng Di"; "남북").

Floors (`capture`, `replay`): each sample is searched once in this process with
`parcels.search.engine.search`, Django's `connection.execute_wrapper` recording every
statement it sends, in order, with its parameters; the floor replays that list over
psycopg2, preparing each prepared statement once per session as the engine does.
"""

from __future__ import annotations

import os
import random
import re
import time
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from typing import Any

import django
from environ import Env

from bench.harness import Context

SEED = 16  # the number: any fixed seed gives the same samples every run
KINDS = ("identifier", "lot", "address", "word", "typo", "prefix")

# Addresses as generate_parcels writes them (fixtures.synthetic.locale): "Số 217 Ngõ
# 2399 Hoàng Diệu, Phường Tân Lập"; "예시1구 남북로533길 73".
_VN_STREET = re.compile(r"^Số (?P<number>\d+) (?:Ngõ \d+ )?(?P<street>[^,\d]+),")
_KR_STREET = re.compile(r"^\S+ (?P<street>\S+?[로길])(?:\s*\d+길)? (?P<number>\d+)$")
_PREPARE = re.compile(r"^PREPARE (\S+) ")
_EXECUTE = re.compile(r"^EXECUTE (\S+) ")
_VN_LETTERS = "abcdeghiklmnopqrstuvxy"
_KR_SYLLABLES = "가나다라마바사아자차카타파하거너더러머버서어저처"


@dataclass(frozen=True)
class Sample:
    kind: str
    query: str  # what is typed
    identifier: str  # the parcel it was drawn from


@dataclass
class Captured:
    """The statements one search sent, in order, with their parameters."""

    sample: Sample
    statements: list[tuple[str, Any]]
    seconds: float  # the search in this process, statements included


def django_on(ctx: Context) -> None:
    """Set Django up in this process on the bench database (not the one .env names)."""
    os.environ["DATABASE_URL"] = ctx.env["DATABASE_URL"]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "landinfo.settings")
    django.setup()
    from django.db import connection

    wanted = Env.db_url_config(ctx.env["DATABASE_URL"])
    if connection.settings_dict["NAME"] != wanted["NAME"]:
        # Set up earlier by another section, on the .env database.
        connection.close()
        for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT"):
            connection.settings_dict[key] = wanted[key]


# --- samples --------------------------------------------------------------------------------


def _parcels(ctx: Context, count: int) -> list[tuple[str, str, str]]:
    """Return (identifier, address, unit name) of about `count` current parcels, every run alike."""
    with closing(ctx.connect()) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM parcels_parcel WHERE valid_to IS NULL")
        (total,) = cursor.fetchone()
        percent = min(100.0, 100.0 * 3 * count / max(total, 1))
        cursor.execute(
            "SELECT p.identifier, p.address, u.name FROM ("
            "  SELECT identifier, address, admin_unit_id, id FROM parcels_parcel"
            "  TABLESAMPLE BERNOULLI (%s) REPEATABLE (%s) WHERE valid_to IS NULL"
            "  ORDER BY id LIMIT %s) p"
            " JOIN parcels_administrativeunit u ON u.id = p.admin_unit_id ORDER BY p.id",
            [percent, SEED, count * 3],
        )
        rows = cursor.fetchall()
    random.Random(SEED).shuffle(rows)
    return rows


def _word_counts(ctx: Context, words: set[str]) -> dict[str, int]:
    with closing(ctx.connect()) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT word, parcels FROM parcels_searchword WHERE word = ANY(%s)", [sorted(words)]
        )
        return dict(cursor.fetchall())


def samples(ctx: Context, kind: str, count: int) -> list[Sample]:
    """Return `count` queries of `kind` (KINDS), from parcels drawn with a fixed seed."""
    from landinfo.profiles import get_profile
    from parcels.search.text import folded_words

    profile = get_profile()
    rng = random.Random(f"{SEED}-{kind}")
    drawn = _parcels(ctx, count * (1 if kind in ("identifier", "lot", "address") else 4))
    if kind == "identifier":
        return [Sample(kind, identifier, identifier) for identifier, _, _ in drawn[:count]]
    if kind == "lot":
        found = []
        for identifier, _, unit in drawn[:count]:
            lot = profile.display_stored(identifier)
            query = f"{lot}, {unit}" if profile.key == "vn" else f"{unit} {lot}"
            found.append(Sample(kind, query, identifier))
        return found
    if kind == "address":
        return [Sample(kind, address, identifier) for identifier, address, _ in drawn[:count]]
    pattern = _VN_STREET if profile.key == "vn" else _KR_STREET
    streets = [
        (identifier, match["number"], match["street"].strip())
        for identifier, address, _ in drawn
        if (match := pattern.match(address))
    ]
    words = {word for _, _, street in streets for word in folded_words(street)}
    counts = _word_counts(ctx, words)
    result: list[Sample] = []
    for identifier, number, street in streets:
        query = _typed(kind, profile.key, number, street, counts, rng)
        if query:
            result.append(Sample(kind, query, identifier))
        if len(result) == count:
            break
    return result


def _typed(
    kind: str, profile: str, number: str, street: str, counts: dict[str, int], rng: random.Random
) -> str:
    """Return what is typed for `kind` (word, typo, prefix) of a street address, or ""."""
    from parcels.search.text import folded_words

    typed = street.split()
    if kind == "word":
        return max(typed, key=lambda word: max(counts.get(w, 0) for w in folded_words(word)))
    if kind == "prefix":
        last = typed[-1]
        if len(last) < 3:
            return ""
        cut = [*typed[:-1], last[: max(2, len(last) // 2)]]
        return " ".join(cut) if profile == "kr" else " ".join([number, *cut])
    # A typo: one letter of the longest word changed into a word no address has.
    position = max(range(len(typed)), key=lambda k: len(typed[k]))
    word = typed[position]
    if len(word) < 3:
        return ""
    letters = _KR_SYLLABLES if profile == "kr" else _VN_LETTERS
    for _ in range(20):
        at = rng.randrange(1, len(word) - 1) if profile == "vn" else rng.randrange(len(word) - 1)
        wrong = word[:at] + rng.choice(letters) + word[at + 1 :]
        if not any(w in counts or _known(w) for w in folded_words(wrong)):
            typed[position] = wrong
            street = " ".join(typed)
            return f"{street} {number}" if profile == "kr" else f"{number} {street}"
    return ""


def _known(word: str) -> bool:
    from parcels.models import SearchWord

    return SearchWord.objects.filter(word=word).exists()


# --- the floor: the statements search sends -----------------------------------------------


def capture(found: Sequence[Sample]) -> tuple[list[Captured], dict[str, str]]:
    """Search each sample in this process; return the statements each sent and the PREPAREs.

    The PREPARE statements are kept apart by name: the engine prepares each once per
    session, so a sample searched after another shows only the EXECUTE.
    """
    from django.db import connection

    from parcels.search import engine

    connection.ensure_connection()  # its set-up statements are no part of a search
    prepares: dict[str, str] = {}
    captured: list[Captured] = []
    for sample in found:
        calls: list[tuple[str, Any]] = []

        def record(
            execute: Any, sql: str, params: Any, many: bool, context: Any, calls: list = calls
        ) -> Any:
            calls.append((sql, params))
            return execute(sql, params, many, context)

        started = time.perf_counter()
        with connection.execute_wrapper(record):
            try:
                engine.search(sample.query)
            except engine.InvalidSearch:
                continue
        seconds = time.perf_counter() - started
        statements = []
        for sql, params in calls:
            prepared = _PREPARE.match(sql)
            if prepared:
                prepares[prepared[1]] = sql
            else:
                statements.append((sql, params))
        captured.append(Captured(sample, statements, seconds))
    return captured, prepares


def replay(
    connection: Any, prepared: set[str], captured: Captured, prepares: dict[str, str]
) -> bool:
    """Send the captured statements on a psycopg2 connection; prepare what it has not."""
    with connection.cursor() as cursor:
        for sql, params in captured.statements:
            executed = _EXECUTE.match(sql)
            if executed and executed[1] not in prepared:
                cursor.execute(prepares[executed[1]])
                prepared.add(executed[1])
            if params is None:
                cursor.execute(sql)
            else:
                cursor.execute(sql, params)
            if cursor.description is not None:
                cursor.fetchall()
    return True
