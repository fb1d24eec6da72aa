"""How the public sees the name of a right holder.

A person's name is personal data: the public register shows enough to tell holders
apart on one parcel, not enough to find the person. Organisations and the State hold
land in their own public name and are shown in full. The national ID number, the
birth year and the address of a party are never inputs here, so no output can
carry them.

The rules, by the shape of the name (or by `language_hint` when the caller knows):

- Vietnamese (family name first): the family name is kept and every other word is
  reduced to its initial: "Nguyễn Văn An" → "Nguyễn V. A.". A name reads as
  Vietnamese when its first word is a common Vietnamese family name (with or without
  diacritics) or it uses a letter only Vietnamese writes (đ, ă, ơ, ư, the hook above,
  the dot below).
- Korean (Hangul, 2 or more syllables, spaces ignored): the first and the last
  syllable are kept, those between become "*", as Korean public notices print them:
  "김민수" → "김*수", "남궁민수" → "남**수"; a two-syllable name keeps only the first:
  "이수" → "이*". Other names in a CJK script without spaces are masked the same way.
- Any other name: every word is reduced to its initial ("John Smith" → "J. S."). Which
  word is the family name cannot be known, so none is kept.

A name is first read as the register reads new input (`landinfo.profiles.text.
normalize_text`): an invisible or blank-looking character between two names (a
zero-width space or joiner, a direction mark, a Hangul filler, the braille blank) is a
word break the public must not see through, a soft hyphen or a variation selector is
nothing, an accent on no letter is dropped. Words are then runs of letters (and their
combining marks); anything else separates them: spaces, digits, punctuation. A
lower-case letter followed by a capital starts a new word too ("NguyễnVăn" from a name
stored before invisible separators were word breaks). Digits are never shown: a
national ID typed into the name field by mistake must not reach the public. New input
is normalised before it is stored (transactions.people); these rules also mask names
stored before that, which the append-only journal keeps as they were.

The family name is kept only when it can be one: a single Vietnamese syllable (at most
seven letters, one run of vowels). A longer first "word" is several names run together,
and is reduced to its initial like the others.
"""

from __future__ import annotations

import re
import unicodedata

from landinfo.profiles.text import fold_text, is_invisible, normalize_text

PERSON = "person"
# Kinds shown in full; any other kind, an unknown one included, is masked as a person.
PUBLIC_KINDS = frozenset({"organisation", "state"})

# The most common Vietnamese family names, folded (no diacritics, lower case); together
# they cover well over nine in ten Vietnamese.
_VIETNAMESE_FAMILY_NAMES = frozenset(
    """
    nguyen tran le pham hoang huynh phan vu vo dang bui do ho ngo duong ly dinh trinh dao
    mai luong ta ha kieu truong lam cao quach chau ton la luu thai doan tang to trieu vuong
    khuat kim ong giang tieu thach quan nghiem lai phung
    """.split()  # noqa: SIM905 - a list of 48 names reads better as words
)
# Letters and marks that only Vietnamese uses among Latin-script languages.
_VIETNAMESE_LETTERS = frozenset("đĐăĂơƠưƯ")
_VIETNAMESE_MARKS = frozenset({"\u0309", "\u0323", "\u031b"})  # hook above, dot below, horn

# Scripts whose names are written without spaces, one syllable (or ideograph) per name part.
_SYLLABIC_SCRIPTS = frozenset({"HANGUL", "CJK", "HIRAGANA", "KATAKANA"})
_HYPHENS = frozenset("-‐‑")
_WORD_PARTS = re.compile(r"([-‐‑])")  # hyphenated given names keep their hyphen: "J.-P."
# The longest Vietnamese syllables ("nghiêng", "khuyếch") have seven letters.
_LONGEST_SYLLABLE = 7
_VOWEL_RUNS = re.compile(r"[aeiouy]+")


def mask_party_name(name: str, kind: str, language_hint: str | None = None) -> str:
    """Return `name` as the public may see it: in full for organisations, masked for persons.

    `language_hint` ("vi", "ko", "en", ...) chooses the rule for a person's name when the
    caller knows the holder's language; without it the rule follows the name's script.
    """
    if kind in PUBLIC_KINDS:
        return name.strip()
    words = _words(normalize_text(name))
    if not words:
        return ""
    if all(_script(char) in _SYLLABIC_SCRIPTS for word in words for char in word):
        return _mask_syllables("".join(words))
    vietnamese = language_hint == "vi" if language_hint else _looks_vietnamese(words)
    # The family name is kept only when it is a Latin word: keeping the first word of a
    # mixed-script name ("김민수 Kim") could show a whole name.
    if vietnamese and len(words) > 1 and _is_latin(words[0]) and _one_syllable(words[0]):
        initials = [_initial(word) for word in words[1:]]
        return " ".join([words[0], *(initial for initial in initials if initial)])
    return " ".join(initial for initial in (_initial(word) for word in words) if initial)


def _is_letter(char: str) -> bool:
    """Return whether `char` is a letter or a combining mark, and not an invisible one."""
    return unicodedata.category(char)[0] in "LM" and not is_invisible(char)


def _words(name: str) -> list[str]:
    """Return the words of `name`: runs of letters, hyphenated ones kept whole ("Jean-Pierre").

    Any other character ends a word, and so does a capital after a lower-case letter.
    """
    words: list[str] = []
    word = ""
    for index, char in enumerate(name):
        if _is_letter(char):
            if word and word[-1].islower() and char.isupper():
                words.append(word)
                word = ""
            word += char
            continue
        following = name[index + 1 : index + 2]
        if char in _HYPHENS and word and following and _is_letter(following):
            word += char
            continue
        if word:
            words.append(word)
            word = ""
    if word:
        words.append(word)
    return words


def _one_syllable(word: str) -> bool:
    """Return whether `word` can be one Vietnamese syllable, as a family name is."""
    folded = fold_text(word)
    return len(folded) <= _LONGEST_SYLLABLE and len(_VOWEL_RUNS.findall(folded)) == 1


def _script(char: str) -> str:
    """Return the script Unicode names `char` with: "LATIN", "HANGUL", "CJK", ..."""
    return unicodedata.name(char, "").split(" ", 1)[0]


def _is_latin(word: str) -> bool:
    """Return whether every letter of `word` is a Latin one."""
    return all(_script(char) == "LATIN" for char in word if char.isalpha())


def _mask_syllables(name: str) -> str:
    """Return `name` with its first syllable kept, its last kept if there are 3 or more."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def _looks_vietnamese(words: list[str]) -> bool:
    """Return whether `words` read as a Vietnamese name, family name first."""
    if fold_text(words[0]) in _VIETNAMESE_FAMILY_NAMES:
        return True
    text = "".join(words)
    decomposed = unicodedata.normalize("NFD", text)
    return any(char in _VIETNAMESE_LETTERS for char in text) or any(
        mark in _VIETNAMESE_MARKS for mark in decomposed
    )


def _initial(word: str) -> str:
    """Return the initial of `word` and a full stop, per hyphenated part ("J.-P.")."""
    parts: list[str] = []
    for part in _WORD_PARTS.split(word):
        if _WORD_PARTS.fullmatch(part):
            parts.append(part)
            continue
        letter = next((char for char in part if char.isalpha()), None)
        if letter is not None:
            parts.append(letter + ".")
    return "".join(parts).strip("-‐‑")
