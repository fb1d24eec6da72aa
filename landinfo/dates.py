"""Days as the public interface writes them: one form, YYYY-MM-DD."""

import datetime as dt
import re

# The form every `as_of`, `start` and `end` parameter is written in.
DAY_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_day(text: str) -> dt.date:
    """Return the day written YYYY-MM-DD in `text`; raise ValueError for any other text.

    `date.fromisoformat` alone also takes "20240101" and week dates; the interface
    promises one form. A day that does not exist (2024-02-30) is a ValueError too.
    """
    if not DAY_PATTERN.fullmatch(text):
        raise ValueError(text)
    return dt.date.fromisoformat(text)
