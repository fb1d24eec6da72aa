"""How search reads typed text: the same words the index holds, with where each was typed.

The index is built by the SQL function `landinfo_search_tokens` (migration 0007); this
module reads a query the same way in Python, so that what a person types meets the
words stored: folded (no case, no diacritics, full-width forms unified), cut at every
character that is neither a letter nor a digit, and between a digit and a letter.
"예시1동362-1" reads as 예시 1 동 362 1 whether or not the spaces were typed. A test
compares the two readings on every demo address and unit name.

Each word keeps the span of the typed text it came from, so that the parts of a query
that name places can be taken out and the rest read as a lot number.
"""

from __future__ import annotations

import unicodedata
from typing import NamedTuple

from landinfo.profiles.text import fold_text


class Word(NamedTuple):
    text: str  # folded
    start: int  # span in the typed text
    end: int


def _folded(char: str) -> str:
    # NFKC first, as the SQL does: "①" and "²" become digits before anything else.
    return fold_text(unicodedata.normalize("NFKC", char))


def _is_ascii_digit(char: str) -> bool:
    return "0" <= char <= "9"


def read_words(text: str) -> list[Word]:
    """Return the words of `text` as the index holds them, each with its typed span."""
    words: list[Word] = []
    current: list[str] = []
    start = end = 0

    def close() -> None:
        if current:
            words.append(Word("".join(current), start, end))
            current.clear()

    for position, char in enumerate(text):
        for folded in _folded(char):
            if not folded.isalnum():
                close()
                continue
            if current and _is_ascii_digit(current[-1]) != _is_ascii_digit(folded):
                close()
            if not current:
                start = position
            current.append(folded)
            end = position + 1
    close()
    return words


def folded_words(text: str) -> list[str]:
    """Return the folded words of `text`, in order, repeated ones included."""
    return [word.text for word in read_words(text)]


def tsquery_word(word: str, *, prefix: bool = False) -> str:
    """Return `word` as a lexeme of a tsquery (quoted: any character is literal)."""
    quoted = "'" + word.replace("'", "''").replace("\\", "\\\\") + "'"
    return quoted + (":*" if prefix else "")
