"""What a public query parameter may hold, read once for every view.

Public parameters reach PostgreSQL and Python's date arithmetic. Unchecked, three
kinds of text turned into 500s: a NUL character (PostgreSQL text cannot hold one;
psycopg2 raises before sending), an integer beyond bigint (`offset=2**63`), and a
moment with no UTC or local equivalent (`9999-12-31T23:00:00-14:00`: Python's
datetime ends in year 9999). `refusal_of_text` is applied to every request by
`landinfo.middleware.PublicParametersMiddleware`; views read numbers and moments
with `parse_integer` and `parse_moment`, which raise InvalidParameter with a message
a person can act on, and map it to their API's error body.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone
from django.utils.translation import gettext as _

from landinfo.dates import DAY_PATTERN, parse_day
from landinfo.profiles.text import quote_input

# PostgreSQL's bigint, the type of every id and of LIMIT/OFFSET.
BIGINT_MAX = 2**63 - 1

# Characters no PostgreSQL text (UTF-8 database) can hold: NUL, and the UTF-16
# surrogates, which are not characters and cannot be encoded in UTF-8.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

# No time zone on Earth is further than this from UTC (PostgreSQL refuses past ±15:59).
MAX_UTC_OFFSET = dt.timedelta(hours=14)
# Longer than any ISO 8601 moment (with microseconds and an offset).
_MOMENT_MAX_LENGTH = 40
_MOMENT_FORM = "YYYY-MM-DDTHH:MM[:SS][+HH:MM]"


class InvalidParameter(ValueError):
    """A query parameter the register cannot use; the message names it and says why."""

    status = 400


def refusal_of_text(name: str, text: str) -> str | None:
    """Return why `text` (a parameter's name or value, or a path) is refused, or None."""
    if _UNSTORABLE.search(text):
        return _(
            "%(name)s holds a character that is not text (NUL or a lone surrogate); remove it."
        ) % {"name": name}
    return None


def parse_integer(name: str, text: str, *, minimum: int, maximum: int = BIGINT_MAX) -> int:
    """Return the whole number in `text`, from `minimum` to `maximum`; refuse anything else."""
    try:
        value = int(text.strip())
    except ValueError:  # also more digits than Python reads (4300)
        raise InvalidParameter(
            _("%(name)s must be a whole number; got %(text)s.")
            % {"name": name, "text": quote_input(text[:40])}
        ) from None
    if not minimum <= value <= maximum:
        raise InvalidParameter(
            _("%(name)s must be from %(minimum)s to %(maximum)s; got %(text)s.")
            % {"name": name, "minimum": minimum, "maximum": maximum, "text": text[:40]}
        )
    return value


def parse_date(name: str, text: str) -> dt.date:
    """Return the day written YYYY-MM-DD in `text`; refuse any other text."""
    try:
        return parse_day(text.strip())
    except ValueError:
        raise InvalidParameter(
            _("%(name)s must be a date written YYYY-MM-DD; got %(text)s.")
            % {"name": name, "text": quote_input(text[:40])}
        ) from None


def parse_moment(name: str, text: str) -> dt.datetime:
    """Return the aware moment in `text` (ISO 8601; without an offset: the register's zone).

    Refused: any other text, an offset no time zone has, and a moment so close to the
    ends of the calendar that it has no UTC or local equivalent.
    """
    text = text.strip()
    refusal = InvalidParameter(
        _("%(name)s must be a moment written %(form)s; got %(text)s.")
        % {"name": name, "form": _MOMENT_FORM, "text": quote_input(text[:40])}
    )
    if len(text) > _MOMENT_MAX_LENGTH or not DAY_PATTERN.match(text):
        raise refusal
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise refusal from None
    offset = moment.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise InvalidParameter(
            _("%(name)s must have a UTC offset from -14:00 to +14:00; got %(text)s.")
            % {"name": name, "text": quote_input(text)}
        )
    try:
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        # Both are computed later: PostgreSQL compares in UTC, days are the register's.
        moment.astimezone(dt.UTC)
        timezone.localtime(moment)
    except OverflowError:
        raise InvalidParameter(
            _("%(name)s must lie between 0001-01-02 and 9999-12-30; got %(text)s.")
            % {"name": name, "text": quote_input(text)}
        ) from None
    return moment


def parse_day_of(name: str, text: str) -> dt.date:
    """Return the day of a date or a date-time (its day in the register's time zone)."""
    text = text.strip()
    if len(text) == len("YYYY-MM-DD"):
        return parse_date(name, text)
    return timezone.localtime(parse_moment(name, text)).date()
