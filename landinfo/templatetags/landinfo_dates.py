"""Template filters for the days and moments people read (landinfo.dates: one rule each)."""

import datetime as dt

from django import template

from landinfo.dates import parse_day
from landinfo.dates import register_day as _register_day
from landinfo.dates import register_moment as _register_moment

register = template.Library()


@register.filter
def register_day(day: dt.date | str | None) -> str:
    """Return `day` as the page's language writes it, as the certificate does; "—" for none.

    A day already written YYYY-MM-DD (the journal's JSON-ready rows) is read first.
    """
    if not isinstance(day, str):
        return _register_day(day)
    try:
        return _register_day(parse_day(day))
    except ValueError:
        return day


@register.filter
def register_moment(moment: dt.datetime | None) -> str:
    """Return `moment` in the register's time zone, naming it; "" for none (landinfo.dates)."""
    return _register_moment(moment) if moment else ""
