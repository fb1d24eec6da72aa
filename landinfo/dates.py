"""Days as the public interface writes them: one form, YYYY-MM-DD."""

import datetime as dt
import re

from django.conf import settings
from django.utils import timezone

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


def register_moment(moment: dt.datetime) -> str:
    """Return `moment` as people read it: the register's local time, naming its zone.

    "2026-12-07 01:30:12 (UTC+09:00, Asia/Seoul)": the register's time zone is the
    profile's (settings.TIME_ZONE), so a certificate issued at 01:30 in Seoul says the
    7th, as the reader's calendar does, and the offset keeps it unambiguous abroad.
    """
    local = timezone.localtime(moment, timezone.get_default_timezone())
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} (UTC{offset[:3]}:{offset[3:]}, {settings.TIME_ZONE})"
