"""The payload of each registered deed: what a journal entry says, key by key.

A payload is a plain dict that `transactions.ledger.canonical_json` turns into the
text that is stored and hashed. Every value is an int, a string, a list or a dict:
fractions, amounts and dates are strings, so no float formatting can change the
hashed bytes. The builders below are the only place payloads are made (the notary
services, the synthetic generator and any import use them), and they refuse a deed
that would leave the register inconsistent, e.g. ownership shares not summing to 1.

Keys of every payload (schema 1):

    schema          1: the version of this layout
    kind            the JournalEntry.Kind value ("first_registration", "transfer", ...)
    effective_date  "YYYY-MM-DD": the day the deed takes legal effect
    parcel          {"id": int, "identifier": str}: the parcel row and its canonical identifier
    rights_ended    [int, ...]: ids of the Right rows the deed ends (valid_to = effective_date)
    rights_begun    [right, ...]: the Right rows the deed begins (valid_from = effective_date)

where a right is

    {"id": int, "holder": int (Party id), "kind": "ownership" | "mortgage" | ...,
     "share": "n/d" (e.g. "1/2", "1/1"), "certificate_number": str ("" when none)}

Keys that only some kinds carry:

    first_registration  rights_ended is []; rights_begun are the ownership rights, shares sum to 1
    transfer            transfer_type "sale" | "gift" | "inheritance"; price: decimal string,
                        "0" for a gift or an inheritance; currency: ISO 4217 code; rights_ended
                        are the ownership rights transferred, rights_begun the new ones
                        (shares sum to 1)
    mortgage            rights_begun is the one mortgage right (holder: the lender, share
                        "1/1"); amount: decimal string, the secured sum; currency
    discharge           rights_ended is the mortgage right discharged; rights_begun is []

Replaying the journal in sequence order rebuilds the Right table exactly: each entry
closes the rights in `rights_ended` at its effective date and opens those in
`rights_begun`, with `begun_by` / `ended_by` set to the entry's sequence.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

SCHEMA_VERSION = 1

OWNERSHIP = "ownership"
MORTGAGE = "mortgage"


class TransferType(enum.StrEnum):
    """How a land-use right passes to its new holders."""

    SALE = "sale"
    GIFT = "gift"
    INHERITANCE = "inheritance"


@dataclass(frozen=True, slots=True)
class NewRight:
    """A right that a deed begins: the Right row it becomes, less the dates and entries."""

    id: int
    holder_id: int
    kind: str
    share: Fraction = Fraction(1)
    certificate_number: str = ""

    def as_payload(self) -> dict[str, Any]:
        """Return the right as it is written in a payload."""
        return {
            "id": self.id,
            "holder": self.holder_id,
            "kind": self.kind,
            "share": format_share(self.share),
            "certificate_number": self.certificate_number,
        }


def format_share(share: Fraction) -> str:
    """Return `share` as "n/d", also for a whole ("1/1"), refusing shares outside (0, 1]."""
    # A Fraction is kept in lowest terms with a positive denominator.
    if not 0 < share.numerator <= share.denominator:
        raise ValueError(f"A share must be more than 0 and at most 1; got {share}.")
    return f"{share.numerator}/{share.denominator}"


def parse_share(text: str) -> Fraction:
    """Return the share written "n/d" in a payload."""
    numerator, denominator = text.split("/")
    return Fraction(int(numerator), int(denominator))


def _amount(value: Decimal | int, what: str) -> str:
    """Return a non-negative amount as a plain decimal string (no exponent)."""
    amount = Decimal(value)
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"The {what} must be a non-negative amount; got {value}.")
    return f"{amount:f}"


def _currency(code: str) -> str:
    if len(code) != 3 or not code.isalpha() or not code.isupper():
        raise ValueError(f"The currency must be an ISO 4217 code such as 'VND'; got {code!r}.")
    return code


def _ownership(rights: Sequence[NewRight]) -> list[dict[str, Any]]:
    """Return the payload form of ownership rights whose shares make the whole parcel."""
    if not rights:
        raise ValueError("A deed that grants ownership needs at least one holder.")
    if any(right.kind != OWNERSHIP for right in rights):
        raise ValueError("Only ownership rights can be granted by this deed.")
    holders = [right.holder_id for right in rights]
    if len(set(holders)) != len(holders):
        raise ValueError(f"A holder appears twice among the new rights: {holders}.")
    total = sum((right.share for right in rights), Fraction(0))
    if total != 1:
        raise ValueError(f"The holders' shares must sum to 1; they sum to {total}.")
    return [right.as_payload() for right in rights]


def _ended(right_ids: Sequence[int]) -> list[int]:
    if not right_ids:
        raise ValueError("The deed must end at least one right.")
    if len(set(right_ids)) != len(right_ids):
        raise ValueError(f"A right is ended twice: {list(right_ids)}.")
    return list(right_ids)


def _common(
    kind: str, *, parcel_id: int, identifier: str, effective_date: dt.date
) -> dict[str, Any]:
    if parcel_id <= 0 or not identifier:
        raise ValueError("A deed names its parcel by id and canonical identifier.")
    return {
        "schema": SCHEMA_VERSION,
        "kind": kind,
        "effective_date": effective_date.isoformat(),
        "parcel": {"id": parcel_id, "identifier": identifier},
    }


def first_registration_payload(
    *, parcel_id: int, identifier: str, effective_date: dt.date, rights: Sequence[NewRight]
) -> dict[str, Any]:
    """Return the payload of a parcel's first registration to its holders."""
    return _common(
        "first_registration",
        parcel_id=parcel_id,
        identifier=identifier,
        effective_date=effective_date,
    ) | {"rights_ended": [], "rights_begun": _ownership(rights)}


def transfer_payload(
    *,
    parcel_id: int,
    identifier: str,
    effective_date: dt.date,
    transfer_type: TransferType,
    price: Decimal | int,
    currency: str,
    rights_ended: Sequence[int],
    rights: Sequence[NewRight],
) -> dict[str, Any]:
    """Return the payload of a transfer of the whole parcel's land-use right."""
    transfer_type = TransferType(transfer_type)
    if transfer_type is not TransferType.SALE and Decimal(price) != 0:
        raise ValueError(f"A {transfer_type} has no price; got {price}.")
    return _common(
        "transfer", parcel_id=parcel_id, identifier=identifier, effective_date=effective_date
    ) | {
        "transfer_type": str(transfer_type),
        "price": _amount(price, "price"),
        "currency": _currency(currency),
        "rights_ended": _ended(rights_ended),
        "rights_begun": _ownership(rights),
    }


def mortgage_payload(
    *,
    parcel_id: int,
    identifier: str,
    effective_date: dt.date,
    right: NewRight,
    amount: Decimal | int,
    currency: str,
) -> dict[str, Any]:
    """Return the payload of a mortgage of the parcel to a lender."""
    if right.kind != MORTGAGE or right.share != 1:
        raise ValueError("A mortgage deed begins one mortgage right on the whole parcel.")
    return _common(
        "mortgage", parcel_id=parcel_id, identifier=identifier, effective_date=effective_date
    ) | {
        "amount": _amount(amount, "secured amount"),
        "currency": _currency(currency),
        "rights_ended": [],
        "rights_begun": [right.as_payload()],
    }


def discharge_payload(
    *, parcel_id: int, identifier: str, effective_date: dt.date, rights_ended: Sequence[int]
) -> dict[str, Any]:
    """Return the payload of the discharge of a mortgage."""
    return _common(
        "discharge", parcel_id=parcel_id, identifier=identifier, effective_date=effective_date
    ) | {"rights_ended": _ended(rights_ended), "rights_begun": []}
