"""How a country writes its places, days, numbers, areas and amounts: part of its profile.

Pure functions over plain values, importable before Django is configured; the active
language and profile are picked in landinfo.formats, which every page, PDF and message
calls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True, slots=True)
class AdministrativeLevel:
    """A level of government the profile's units belong to.

    `level` is the value stored in AdministrativeUnit.level (1 the largest); `names` is
    what the level is called, by language.
    """

    level: int
    names: Mapping[str, str]

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names["en"]


@dataclass(frozen=True, slots=True)
class Formats:
    """How one language writes days, numbers, areas and amounts within one profile.

    `day` is a str.format template over y, m, d (ints). `amount` maps an ISO 4217 code
    to a template over `number` (the digits, grouped) and `code`; "*" for any other
    currency. `area` is a template over `number` and `unit`.
    """

    day: str
    thousands: str
    decimal: str
    area_unit: str
    area: str = "{number} {unit}"
    percent: str = "{number} %"
    amount: Mapping[str, str] = field(default_factory=lambda: {"*": "{code} {number}"})
    per_area: str = "{amount}/{unit}"

    def write_day(self, day: dt.date) -> str:
        return self.day.format(y=day.year, m=day.month, d=day.day)

    def write_number(self, value: float | Decimal, decimals: int = 0) -> str:
        """Return `value` rounded half away from zero to `decimals`, its digits grouped.

        Decimal rounding, as a surveyor rounds: 405.25 m² is 405.3, not the 405.2 that
        float formatting gives for a value stored as 405.2499999.
        """
        exact = Decimal(str(value)) if not isinstance(value, Decimal) else value
        rounded = exact.quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
        if rounded == 0:
            rounded = abs(rounded)  # no "-0.0"
        text = f"{rounded:,.{decimals}f}"
        return text.replace(",", "\0").replace(".", self.decimal).replace("\0", self.thousands)

    def write_area(self, value: float | Decimal, decimals: int) -> str:
        return self.area.format(number=self.write_number(value, decimals), unit=self.area_unit)

    def write_amount(self, value: float | Decimal, currency: str) -> str:
        template = self.amount.get(currency) or self.amount["*"]
        # Neither đồng nor won has a minor unit in circulation: amounts are whole.
        return template.format(number=self.write_number(value, 0), code=currency)

    def write_price(self, value: float | Decimal, currency: str) -> str:
        """Return a price per square metre: "12.500.000 đồng/m²", "125,000원/㎡"."""
        return self.per_area.format(amount=self.write_amount(value, currency), unit=self.area_unit)

    def write_percent(self, value: float, decimals: int = 1) -> str:
        """Return `value` (0.125 for 12.5 %) as a percentage."""
        return self.percent.format(number=self.write_number(value * 100, decimals))

    def as_json(self, area_decimals: int) -> dict[str, object]:
        """Return what the browser's formatter (site.js) needs to write as this does."""
        return {
            "day": self.day,
            "thousands": self.thousands,
            "decimal": self.decimal,
            "areaUnit": self.area_unit,
            "area": self.area,
            "areaDecimals": area_decimals,
            "percent": self.percent,
            "amount": dict(self.amount),
            "perArea": self.per_area,
        }


# Vietnamese: dd/mm/yyyy, leading zeros kept (days below 10 and months written with two
# figures, as Decree 30/2020/NĐ-CP asks of dates on administrative documents), the form
# land offices write days in figures in; "." groups thousands and "," marks decimals;
# the currency is named in words after the amount, as provincial land price tables do
# ("đồng/m²").
VI = Formats(
    day="{d:02d}/{m:02d}/{y}",
    thousands=".",
    decimal=",",
    area_unit="m²",
    percent="{number}%",
    amount={"VND": "{number} đồng", "KRW": "{number} won", "*": "{number} {code}"},
)
# Korean: "2001. 4. 17.", the form 행정업무의 운영 및 혁신에 관한 규정 시행규칙 제2조 prescribes
# for dates on official documents (figures, a point in place of 년·월·일, no leading
# zero), the same on every page and PDF, narrow columns included; "," groups thousands; the area unit is the
# one-character "㎡" of land ledgers (토지대장) and 등기부, set close to the figure as
# they print it, and the amount closes with "원".
KO = Formats(
    day="{y}. {m}. {d}.",
    thousands=",",
    decimal=".",
    area_unit="㎡",
    area="{number}{unit}",
    percent="{number}%",
    amount={"KRW": "{number}원", "VND": "{number}동", "*": "{number} {code}"},
)
# English: ISO 8601 days, as the JSON answers and every form's field write them, so a
# reader abroad never mistakes 04/06 for April or June; the currency's ISO code first.
EN = Formats(day="{y:04d}-{m:02d}-{d:02d}", thousands=",", decimal=".", area_unit="m²")

DEFAULT_FORMATS: Mapping[str, Formats] = {"vi": VI, "ko": KO, "en": EN}


def join_places(names: list[str], *, smallest_first: bool, separator: str) -> str:
    """Return place names (given largest first) as an address writes them."""
    ordered = list(reversed(names)) if smallest_first else list(names)
    return separator.join(name for name in ordered if name)
