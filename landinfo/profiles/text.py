"""Text helpers shared by the profiles' identifier parsers. No Django here.

People type identifiers with or without diacritics, in precomposed or decomposed
Unicode, with full-width digits from an East Asian input method, in any case. The
parsers compare a folded form of what was typed; error messages quote the original.
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
