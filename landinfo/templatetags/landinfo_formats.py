"""Template filters for the figures people read (landinfo.formats: one rule each)."""

import decimal

from django import template

from landinfo import formats

register = template.Library()

Figure = float | int | decimal.Decimal | str | None


def _figure(value: Figure) -> decimal.Decimal | None:
    if value is None or value == "":
        return None
    try:
        return decimal.Decimal(str(value))
    except decimal.InvalidOperation:
        return None


@register.filter
def register_number(value: Figure, decimals: int = 0) -> str:
    """Return `value` with the page language's separators; "—" for none."""
    return formats.register_number(_figure(value), int(decimals))


@register.filter
def register_area(value: Figure) -> str:
    """Return an area in m² as every page and the certificate print it; "—" for none."""
    return formats.register_area(_figure(value))


@register.filter
def register_amount(value: Figure, currency: str | None = None) -> str:
    """Return an amount in `currency` (the profile's by default); "—" for none."""
    return formats.register_amount(_figure(value), currency or None)


@register.filter
def register_price(value: Figure, currency: str | None = None) -> str:
    """Return a price per square metre in `currency` (the profile's by default)."""
    return formats.register_price(_figure(value), currency or None)
