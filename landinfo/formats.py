"""Numbers, areas, amounts and prices as people read them: the profile's, in their language.

One home for how the register prints a figure to a person: pages, PDFs, mails and the
human text of JSON answers call these (templates: the landinfo_formats filters; the
browser: site.js's LandInfoFormats, fed `browser_formats()`). JSON fields stay machine
formats (plain decimals, ISO days). Days and moments are landinfo.dates'.
"""

from __future__ import annotations

import decimal

from django.conf import settings
from django.utils import translation

from landinfo.profiles import get_profile
from landinfo.profiles.conventions import Formats

Figure = float | int | decimal.Decimal
NO_FIGURE = "—"


def language_formats(language: str | None = None) -> Formats:
    """Return how `language` (the active one by default) writes in the register's profile."""
    return get_profile().formats_for(
        language or translation.get_language() or settings.LANGUAGE_CODE
    )


def area_unit(language: str | None = None) -> str:
    """Return how `language` writes the square metre in the profile: "m²", "㎡"."""
    return language_formats(language).area_unit


def register_number(value: Figure | None, decimals: int = 0, language: str | None = None) -> str:
    """Return `value` with the separators of `language` ("1.234.567,5" in Vietnamese)."""
    if value is None:
        return NO_FIGURE
    return language_formats(language).write_number(value, decimals)


def register_area(
    value: Figure | None, language: str | None = None, *, decimals: int | None = None
) -> str:
    """Return an area in m² as the profile prints every area: "405,9 m²", "405.9㎡".

    A parcel's area (registered, or of its boundary) has the profile's decimals on every
    page and paper. `decimals` is for what is no parcel's area: a gap, an overlap or a
    tolerance between surveys, of a few hundredths of a square metre.
    """
    if value is None:
        return NO_FIGURE
    places = get_profile().area_decimals if decimals is None else decimals
    return language_formats(language).write_area(value, places)


def register_amount(
    value: Figure | None, currency: str | None = None, language: str | None = None
) -> str:
    """Return an amount of money: "1.250.000.000 đồng", "1,250,000,000원", "VND 1,250,000"."""
    if value is None:
        return NO_FIGURE
    return language_formats(language).write_amount(value, currency or get_profile().currency)


def register_price(
    value: Figure | None, currency: str | None = None, language: str | None = None
) -> str:
    """Return a price per square metre: "12.500.000 đồng/m²", "125,000원/㎡"."""
    if value is None:
        return NO_FIGURE
    return language_formats(language).write_price(value, currency or get_profile().currency)


def register_percent(value: float | None, decimals: int = 1, language: str | None = None) -> str:
    """Return a fraction (0.125) as a percentage: "12,5%" in Vietnamese."""
    if value is None:
        return NO_FIGURE
    return language_formats(language).write_percent(value, decimals)


def browser_formats(language: str | None = None) -> dict[str, object]:
    """Return what site.js needs to write as these functions do, for the page's language."""
    profile = get_profile()
    return {
        **language_formats(language).as_json(profile.area_decimals),
        "currency": profile.currency,
        "timeZone": settings.TIME_ZONE,
    }
