"""Text helpers shared by the profiles' parsers and the register's input. No Django here.

People type identifiers with or without diacritics, in precomposed or decomposed
Unicode, with full-width digits from an East Asian input method, in any case. The
parsers compare a folded form of what was typed; error messages quote the original.

Text pasted from documents, messengers and web pages also carries characters nobody
sees: zero-width spaces and joiners, direction marks, soft hyphens, byte-order marks,
variation selectors, Hangul fillers, control characters. `normalize_text` removes
them (a zero-width space, which separates words, becomes a space), so that what is
stored reads as it looks, and `is_invisible` lets the public masking of names treat
any of them in a stored name as the word break it looks like.
"""

from __future__ import annotations

import unicodedata

# Letters with a stroke have no Unicode decomposition, so stripping combining marks
# leaves them alone; "đ" is a letter of its own in Vietnamese but typed as "d" without
# diacritics. The Icelandic eth is a common look-alike picked from a symbol table.
_UNDECOMPOSABLE_LETTERS = str.maketrans({"đ": "d", "ð": "d"})

# Longer than any spelling of an identifier ("Tờ bản đồ số 12, thửa đất số 345, xã 00004"
# is 43); refusing longer text up front bounds the parsers' work on pasted documents.
MAX_INPUT_LENGTH = 200

_QUOTE_LIMIT = 60  # long enough for any identifier, short enough for one line of UI

# Default_Ignorable_Code_Point characters (Unicode, DerivedCoreProperties.txt) that are
# not of the general category Cf, which is_invisible tests by category: they render as
# nothing, or as blank, yet are letters or marks to a program (the Hangul fillers are
# letters: "김\u3164민수" looks like "김 민수").
_IGNORABLE_LETTERS_AND_MARKS = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u3164\uffa0"
)
_IGNORABLE_RANGES = (
    (0xFE00, 0xFE0F),  # variation selectors
    (0xE0100, 0xE01EF),  # variation selectors supplement
    (0xE0000, 0xE0FFF),  # tags and their unassigned neighbours
)
# Spaces that are not U+0020, and the zero-width space: a word break, as its name says,
# though Unicode files it under Cf. Line and paragraph breaks are spaces in a one-line field.
_ODD_SPACES = frozenset("\u200b")
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
    """Return whether `char` renders as nothing or blank: a control, format or ignorable character.

    Spaces are not invisible (they are seen as spaces); every other character a person
    cannot see is: controls (Cc), format characters (Cf: zero-width space and joiners,
    direction marks and embeddings, soft hyphen, byte-order mark, tags) and the other
    default-ignorable code points (variation selectors, Hangul fillers, ...).
    """
    if unicodedata.category(char) in {"Cc", "Cf"}:
        return not char.isspace()
    if char in _IGNORABLE_LETTERS_AND_MARKS:
        return True
    code = ord(char)
    return any(low <= code <= high for low, high in _IGNORABLE_RANGES)


def normalize_text(text: str) -> str:
    """Return `text` as it reads: NFC, invisible characters removed, spaces made one space.

    Every kind of space (no-break, ideographic, thin, line and paragraph separators,
    tabs and line breaks) and the zero-width space become one ASCII space; runs of
    spaces become one; the ends are trimmed. Other invisible characters (see
    `is_invisible`) are removed. NFC comes last, so that a letter and its accent
    separated by an invisible character are composed again.
    """
    kept = []
    for char in text:
        if char.isspace() or char in _ODD_SPACES:
            kept.append(" ")
        elif not is_invisible(char):
            kept.append(char)
    return " ".join(unicodedata.normalize("NFC", "".join(kept)).split())


def compact_number(text: str) -> str:
    """Return an identity number as its characters alone: "900101-1234567" → "9001011234567".

    NFKC turns full-width digits and hyphens ("９００１０１－１２３４５６７") into ASCII;
    spaces, invisible characters and the separators people type inside numbers
    (hyphens, dashes, dots, slashes) are dropped. Nothing else is changed: whether what
    is left is a valid number is the profile's to say.
    """
    return "".join(
        char
        for char in unicodedata.normalize("NFKC", text)
        if not (char.isspace() or char in _NUMBER_SEPARATORS or is_invisible(char))
    )
