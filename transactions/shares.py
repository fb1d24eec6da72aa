"""A share of a parcel: the fraction of the whole a right holds, read and written one way.

A share is written "n/d" wherever it leaves Python, a whole included ("1/1"): in a
payload (hashed, so its text must never drift), in the API, on a form, on a
certificate. It is stored as two integer columns (`share_numerator`,
`share_denominator`), so neither term may pass `LARGEST_TERM`. A person may type it
with spaces, or "1" for the whole (`Share.read`); a payload holds it exactly as
`Share.text` wrote it (`Share.parse`).
"""

from __future__ import annotations

import re
from fractions import Fraction
from numbers import Rational

# The columns are PostgreSQL integers: a finer fraction cannot be registered.
LARGEST_TERM = 2**31 - 1
# What a person may type: "n/d" or "n", spaces around the terms, ten digits at most each.
_TYPED = re.compile(r"\s*([0-9]{1,10})\s*(?:/\s*([0-9]{1,10})\s*)?")


class InvalidShare(ValueError):
    """Raised by `Share.read` with a `code` saying why: "invalid", "zero" or "large"."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class Share(Fraction):
    """A fraction of a whole parcel (a Fraction: sums and comparisons are exact)."""

    __slots__ = ()

    @classmethod
    def of(cls, numerator: int, denominator: int) -> Share:
        """Return the share stored as these two columns."""
        return cls(numerator, denominator)

    @classmethod
    def parse(cls, text: str) -> Share:
        """Return the share written "n/d" by `text` (a payload's, the register's own)."""
        numerator, denominator = text.split("/")
        return cls(int(numerator), int(denominator))

    @classmethod
    def read(cls, text: object) -> Share:
        """Return the share a person typed ("1/2", " 1 / 2 ", "1"), reduced.

        Raise InvalidShare when it is not written so, has the denominator 0, or has a
        term larger than the register stores once reduced.
        """
        match = _TYPED.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise InvalidShare("invalid")
        numerator, denominator = int(match[1]), int(match[2] or 1)
        if denominator == 0:
            raise InvalidShare("zero")
        share = cls(numerator, denominator)
        if max(share.numerator, share.denominator) > LARGEST_TERM:
            raise InvalidShare("large")
        return share

    @staticmethod
    def as_registered(numerator: int, denominator: int) -> str:
        """Return the share the two columns hold, written "n/d" as registered (unreduced)."""
        return f"{numerator}/{denominator}"

    @staticmethod
    def printed(numerator: int, denominator: int) -> str:
        """Return the share as a page or certificate prints it: "" for the whole.

        A share (VN: phần quyền, KR: 지분) is printed only for co-ownership: a sole
        holder's "1/1" is no share, and a Korean 등기부 writes 지분 only for 공유
        (부동산등기법 제48조 ④); a mortgage burdens the whole parcel.
        """
        return "" if numerator == denominator else f"{numerator}/{denominator}"

    @staticmethod
    def text(share: Rational) -> str:
        """Return `share` (any fraction) written "n/d", a whole too ("1/1")."""
        return f"{share.numerator}/{share.denominator}"
