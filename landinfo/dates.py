"""Days and moments: as the public interface writes them, and as people read them.

The interface (parameters, JSON) writes a day one way everywhere, YYYY-MM-DD. People
read days as their language writes them on official papers in the profile's country, the
same on every page as on the certificate (`register_day`; the rule is the profile's,
landinfo.profiles.conventions), and moments in the register's time zone, named
(`register_moment`). Templates use the filters of the same names (landinfo_dates).
"""

import datetime as dt
import re

from django.conf import settings
from django.utils import timezone

from landinfo.formats import language_formats

# The form every `as_of`, `start` and `end` parameter is written in.
DAY_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")

NO_DAY = "—"


def parse_day(text: str) -> dt.date:
    """Return the day written YYYY-MM-DD in `text`; raise ValueError for any other text.

    `date.fromisoformat` alone also takes "20240101" and week dates; the interface
    promises one form. A day that does not exist (2024-02-30) is a ValueError too.
    """
    if not DAY_PATTERN.fullmatch(text):
        raise ValueError(text)
    return dt.date.fromisoformat(text)


def register_day(day: dt.date | None, language: str | None = None) -> str:
    """Return `day` as `language` (the active one by default) writes it; a dash for none.

    A moment (a datetime) gives its day in the register's time zone: a deed recorded at
    01:30 in Seoul is of the 7th there, whatever day it was in UTC.
    """
    if day is None:
        return NO_DAY
    if isinstance(day, dt.datetime):
        day = timezone.localtime(day, timezone.get_default_timezone()).date()
    return language_formats(language).write_day(day)


def register_moment(moment: dt.datetime, language: str | None = None) -> str:
    """Return `moment` as people read it: the register's local time, naming its zone.

    "07/12/2026 01:30:12 (UTC+09:00, Asia/Seoul)" in Vietnamese: the register's time zone
    is the profile's (settings.TIME_ZONE), so a certificate issued at 01:30 in Seoul says
    the 7th, as the reader's calendar does, and the offset keeps it unambiguous abroad.
    The day is written as `language` (the active one by default) writes days.
    """
    local = timezone.localtime(moment, timezone.get_default_timezone())
    offset = local.strftime("%z")
    day = register_day(local.date(), language)
    return f"{day} {local:%H:%M:%S} (UTC{offset[:3]}:{offset[3:]}, {settings.TIME_ZONE})"
