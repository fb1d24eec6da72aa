"""Text helpers shared by the profiles' parsers and the register's input. No Django here.

People type identifiers with or without diacritics, in precomposed or decomposed
Unicode, with full-width digits from an East Asian input method, in any case. The
parsers compare a folded form of what was typed; error messages quote the original.

Text pasted from documents, messengers and web pages also carries characters nobody
sees: zero-width spaces and joiners, direction marks, soft hyphens, byte-order marks,
variation selectors, Hangul fillers, control characters. `normalize_text` is the one
cleaning of everything people type or paste, whatever it is for: names, addresses and
reasons on deeds, parcel identifiers, search text, unit codes and identity numbers. An
invisible or blank-looking character between two words is the word break it stands
for, so that words are never run together ("Trần<ZWJ>An" is "Trần An"), and the
public masking of names (transactions.masking) sees the same words as the register
stores.
"""

from __future__ import annotations

import functools
import unicodedata

# Letters with a stroke have no Unicode decomposition, so stripping combining marks
# leaves them alone; "đ" is a letter of its own in Vietnamese but typed as "d" without
# diacritics. The Icelandic eth is a common look-alike picked from a symbol table.
_UNDECOMPOSABLE_LETTERS = str.maketrans({"đ": "d", "ð": "d"})

# Longer than any spelling of an identifier ("Tờ bản đồ số 12, thửa đất số 345, xã 00004"
# is 43); refusing longer text up front bounds the parsers' work on pasted documents.
MAX_INPUT_LENGTH = 200

_QUOTE_LIMIT = 60  # long enough for any identifier, short enough for one line of UI

# Characters that look blank and are no space to Unicode: the Hangul fillers are letters
# ("김\u3164민수" looks like "김 민수"), the braille blank a symbol, the Khitan filler a
# mark. Each is a word break, as a space is.
BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800\U00016fe4")
# Invisible characters that sit inside a word, removed without a break: the soft hyphen
# (a place a word may be hyphenated), and the default-ignorable marks that choose a form
# of the character before them (the combining grapheme joiner, Khmer inherent vowels,
# Mongolian and Unicode variation selectors).
_INSIDE_WORD = frozenset("\u00ad\u034f\u17b4\u17b5\u180b\u180c\u180d\u180f")
_INSIDE_WORD_RANGES = (
    (0xFE00, 0xFE0F),  # variation selectors
    (0xE0100, 0xE01EF),  # variation selectors supplement
)
# Default_Ignorable_Code_Point characters (DerivedCoreProperties.txt) outside the
# categories is_invisible tests: tags and their unassigned neighbours.
_IGNORABLE_RANGES = ((0xE0000, 0xE0FFF),)
# Separators people put inside an identity number: "900101-1234567", "001 080 000 001",
# "0100.112.437", "0312687878 - 001", "900101/1234567". NFKC has already turned the
# full-width forms into these.
_NUMBER_SEPARATORS = frozenset("-‐‑‒–—―−./_")


def fold_text(text: str) -> str:
    """Return `text` casefolded, without diacritics, with compatibility forms unified.

    "Tờ bản đồ SỐ 12" and "to ban do so 12" fold to the same string; so do "Đ" and "d",
    NFC and NFD input, and full-width "１２" and "12". Hangul survives unchanged: its
    syllables decompose into conjoining jamo, which are letters rather than combining
    marks, and are composed again at the end.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return unicodedata.normalize("NFC", bare.translate(_UNDECOMPOSABLE_LETTERS))


def quote_input(text: str) -> str:
    """Return `text` quoted for an error message, on one line, shortened if it is long.

    Runs of whitespace become one space, as pasted text often wraps; repr() escapes
    other control characters, so a message never carries a terminal escape.
    """
    shown = " ".join(text.split())
    if len(shown) > _QUOTE_LIMIT:
        shown = shown[: _QUOTE_LIMIT - 1] + "…"
    return repr(shown)


def is_invisible(char: str) -> bool:
    """Return whether `char` renders as nothing or blank, and is not a space.

    Spaces are not invisible (they are seen as spaces); every other character a person
    cannot see is: controls (Cc), format characters (Cf: zero-width space and joiners,
    direction marks and embeddings, soft hyphen, byte-order mark, tags), the blank-looking
    fillers (`BLANK_LOOKING`) and the other default-ignorable code points (variation
    selectors, ...).
    """
    if unicodedata.category(char) in {"Cc", "Cf"}:
        return not char.isspace()
    return char in BLANK_LOOKING or _inside_word(char) or _in(char, _IGNORABLE_RANGES)


def _in(char: str, ranges: tuple[tuple[int, int], ...]) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in ranges)


def _inside_word(char: str) -> bool:
    return char in _INSIDE_WORD or _in(char, _INSIDE_WORD_RANGES)


def _is_space(char: str) -> bool:
    """Return whether `char` is a space of any kind (tabs and line breaks included)."""
    return char.isspace() or unicodedata.category(char) in {"Zs", "Zl", "Zp"}


def _is_mark(char: str) -> bool:
    return unicodedata.category(char)[0] == "M"


def _carries_marks(char: str) -> bool:
    """Return whether a combining mark after `char` has a base: a letter, digit or mark."""
    return unicodedata.category(char)[0] in "LNM"


# Parsers normalise the same text several times per request (search reads a query as
# an identifier, then a lot, then words); the function is pure, so repeats are free.
@functools.lru_cache(maxsize=4096)
def normalize_text(text: str) -> str:
    """Return `text` as it reads: NFC, one ASCII space between words, trimmed.

    Every kind of space (no-break, ideographic, thin, line and paragraph separators,
    tabs and line breaks) is a space. Every other invisible or blank-looking character
    (`is_invisible`: format and control characters, Hangul fillers, the braille blank,
    ...) is a word break too, except where it cannot separate words: the soft hyphen and
    variation selectors sit inside a word and are removed; one between two digits is
    removed ("90001<ZWSP>-1-5" and "9000<ZWSP>1-1-5" are the number a person sees), and
    so is one between a letter and its accent, which stays on the letter. A combining
    mark with no letter or digit before it (after a space, at the start) is dropped: it
    accents nothing. Runs of breaks are one space. NFC comes last, so that a decomposed
    letter and its accents are composed.
    """
    kept: list[str] = []
    space = hidden = False  # since the last character kept: a space, an invisible break
    for char in text:
        if _inside_word(char):
            continue
        if _is_space(char):
            space = True
            continue
        if is_invisible(char):
            hidden = True
            continue
        if space or hidden:
            joined = (
                not space
                and bool(kept)
                and (
                    (kept[-1].isdecimal() and char.isdecimal())
                    or (_is_mark(char) and _carries_marks(kept[-1]))
                )
            )
            if kept and not joined:
                kept.append(" ")
            space = hidden = False
        if _is_mark(char) and not (kept and _carries_marks(kept[-1])):
            continue
        kept.append(char)
    return " ".join(unicodedata.normalize("NFC", "".join(kept)).split())


def compact_number(text: str) -> str:
    """Return an identity number as its characters alone: "900101-1234567" → "9001011234567".

    The text is cleaned as any typed text is (`normalize_text`); NFKC turns full-width
    digits and hyphens ("９００１０１－１２３４５６７") into ASCII; spaces and the
    separators people type inside numbers (hyphens, dashes, dots, slashes) are dropped.
    Nothing else is changed: whether what is left is a valid number is the profile's
    to say.
    """
    return "".join(
        char
        for char in unicodedata.normalize("NFKC", normalize_text(text))
        if not (char.isspace() or char in _NUMBER_SEPARATORS)
    )
