"""Template filters for the register's dates and times."""

import datetime as dt

from django import template

from landinfo.dates import register_moment as _register_moment

register = template.Library()


@register.filter
def register_moment(moment: dt.datetime | None) -> str:
    """Return `moment` in the register's time zone, naming it (landinfo.dates)."""
    return _register_moment(moment) if moment else ""
