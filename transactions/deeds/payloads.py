"""The payload of each registered deed: what a journal entry says, key by key.

A payload is a plain dict that `transactions.journal.hashing.canonical_json` turns into the
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

and a right may carry what the certificate states of it, each key written only when the
deed states it (absent: not stated, as in every payload written before these keys), so
the payloads of earlier entries keep their meaning and their hashes:

    origin              the profile's code of where the right comes from (VN: nguồn gốc
                        sử dụng, e.g. "allocated_with_levy"; KR: 등기원인, e.g.
                        "preservation"): landinfo.profiles.base.JurisdictionProfile
    use_form            the profile's code of its form of use (VN: "private" | "common")
    term                "long_term", or the last day of use "YYYY-MM-DD" (VN: thời hạn)
    attached_assets     text: the assets attached to the land the certificate states
    certificate_serial  the serial of the certificate's paper (VN: số phát hành)

Keys a deed carries when it needs them (absent means empty):

    parties         [party, ...]: who the holders of rights_begun are, as the deed
                    states it: {"id": int, "kind": str, "name": str, "national_id": str}
                    ("" when none), and "holder_kind": the profile's code of the kind
                    of holder (landinfo.profiles.base.HolderKind) when the deed states
                    one. Written by the services; a replay checks the Party
                    table against the last statement of each party.
    rights_voided   [int, ...]: ids of rights a correction declares never to have been
                    (voided_by = the entry); they stay in the table for "as known at T"
    parcels_retired [int, ...]: parcels the deed retires (valid_to = effective_date)
    parcels_created [parcel, ...]: parcels the deed makes (valid_from = effective_date):
                    {"id": int, "identifier": str, "admin_unit": int, "land_use": str,
                     "registered_area": "123.45", "address": str, "boundary": WKT in
                     the storage CRS, coordinates on a millimetre grid}

and a right in rights_begun may name its own "parcel" (default: the deed's parcel),
"valid_from" (default: the effective date) and "valid_to" (default: none).

Keys of each kind:

    first_registration  rights_ended is []; rights_begun are the ownership rights, shares sum to 1
    transfer            transfer_type "sale" | "gift" | "inheritance"; price: decimal string,
                        "0" for a gift or an inheritance; currency: ISO 4217 code;
                        transferred: "n/d", the share of the parcel that changed hands;
                        rights_ended are the rights it came from (and the earlier rights
                        of recipients who already held a share), rights_begun the new ones
                        (what the transferors keep, and the recipients' shares)
    mortgage            rights_begun is the one mortgage right (holder: the lender, share
                        "1/1"); amount: decimal string, the secured sum; currency
    discharge           rights_ended is the mortgage right discharged; rights_begun is []
    subdivision         parcel is the parent; parcels_retired [parent]; parcels_created the
                        children; tolerance_m2: the stated tolerance of gaps and overlaps;
                        rights_ended the parent's rights, rights_begun their copies on
                        each child
    merge               parcel is the new parcel; parcels_retired the parents;
                        parcels_created [the new parcel]; rights_ended the parents' rights,
                        rights_begun their copies on the new parcel
    correction          corrects: the sequence of the entry corrected; mode "reverse" |
                        "amend"; reason: text; rights_voided the rights the corrected entry
                        began (and, for a reversal, those it ended); rights_begun the
                        restored or amended rights, with their own valid_from

Replaying the journal in sequence order rebuilds the Right table, the lifespans of
parcels made or retired by deeds, and their lineage exactly: each entry voids
rights_voided, ends rights_ended (valid_to = effective date, ended_by = the entry),
retires parcels_retired, makes parcels_created (every retired parcel a parent of every
created one) and begins rights_begun (begun_by = the entry).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from landinfo.profiles.base import LONG_TERM
from transactions.shares import Share

SCHEMA_VERSION = 1

OWNERSHIP = "ownership"
MORTGAGE = "mortgage"


class TransferType(enum.StrEnum):
    """How a land-use right passes to its new holders."""

    SALE = "sale"
    GIFT = "gift"
    INHERITANCE = "inheritance"


@dataclass(frozen=True, slots=True)
class Particulars:
    """What the certificate states of a right besides its holder and share (module doc)."""

    origin: str = ""
    use_form: str = ""
    term: str = ""  # "", "long_term" or "YYYY-MM-DD"
    attached_assets: str = ""
    certificate_serial: str = ""

    def __post_init__(self) -> None:
        if self.term and self.term != LONG_TERM:
            dt.date.fromisoformat(self.term)  # a ValueError names what is wrong

    def as_payload(self) -> dict[str, str]:
        """Return the keys a payload's right carries: only those stated."""
        return {
            key: value
            for key, value in (
                ("origin", self.origin),
                ("use_form", self.use_form),
                ("term", self.term),
                ("attached_assets", self.attached_assets),
                ("certificate_serial", self.certificate_serial),
            )
            if value
        }

    @classmethod
    def of(cls, right: Any) -> Particulars:
        """Return the particulars a Right row holds."""
        term = (
            LONG_TERM if right.long_term else right.term_end.isoformat() if right.term_end else ""
        )
        return cls(
            origin=right.origin,
            use_form=right.use_form,
            term=term,
            attached_assets=right.attached_assets,
            certificate_serial=right.certificate_serial,
        )

    def replace(self, **changes: str) -> Particulars:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, slots=True)
class NewRight:
    """A right that a deed begins: the Right row it becomes, less the dates and entries."""

    id: int
    holder_id: int
    kind: str
    share: Fraction = Fraction(1)
    certificate_number: str = ""
    # Only when they differ from the deed's parcel and effective date (see the module doc).
    parcel_id: int | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    particulars: Particulars | None = None

    def as_payload(self) -> dict[str, Any]:
        """Return the right as it is written in a payload."""
        right: dict[str, Any] = {
            "id": self.id,
            "holder": self.holder_id,
            "kind": self.kind,
            "share": format_share(self.share),
            "certificate_number": self.certificate_number,
        }
        if self.particulars is not None:
            right.update(self.particulars.as_payload())
        if self.parcel_id is not None:
            right["parcel"] = self.parcel_id
        if self.valid_from is not None:
            right["valid_from"] = self.valid_from.isoformat()
        if self.valid_to is not None:
            right["valid_to"] = self.valid_to.isoformat()
        return right


@dataclass(frozen=True, slots=True)
class PartyStatement:
    """Who a holder is, as the deed states it (see "parties" in the module doc)."""

    id: int
    kind: str
    name: str
    national_id: str = ""
    holder_kind: str = ""  # written only when stated (module doc)

    def as_payload(self) -> dict[str, Any]:
        statement = {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "national_id": self.national_id,
        }
        if self.holder_kind:
            statement["holder_kind"] = self.holder_kind
        return statement


@dataclass(frozen=True, slots=True)
class NewParcel:
    """A parcel a subdivision or merge makes, as its payload states it."""

    id: int
    identifier: str
    admin_unit_id: int
    land_use: str
    registered_area: Decimal
    address: str
    boundary_wkt: str  # storage CRS, millimetre grid: the exact text the row is made from

    def as_payload(self) -> dict[str, Any]:
        if not self.boundary_wkt.startswith("MULTIPOLYGON"):
            raise ValueError("A parcel's boundary is a MULTIPOLYGON.")
        return {
            "id": self.id,
            "identifier": self.identifier,
            "admin_unit": self.admin_unit_id,
            "land_use": self.land_use,
            "registered_area": _area(self.registered_area),
            "address": self.address,
            "boundary": self.boundary_wkt,
        }


class CorrectionMode(enum.StrEnum):
    """What a correction does to the entry it corrects."""

    REVERSE = "reverse"  # the deed is undone: its rights void, the rights it ended restored
    AMEND = "amend"  # the deed stands with other holders or shares


def format_share(share: Fraction) -> str:
    """Return `share` as "n/d", also for a whole ("1/1"), refusing shares outside (0, 1]."""
    # A Fraction is kept in lowest terms with a positive denominator.
    if not 0 < share.numerator <= share.denominator:
        raise ValueError(f"A share must be more than 0 and at most 1; got {share}.")
    return Share.text(share)


def _amount(value: Decimal | int, what: str) -> str:
    """Return a non-negative amount as a plain decimal string (no exponent)."""
    amount = Decimal(value)
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"The {what} must be a non-negative amount; got {value}.")
    return f"{amount:f}"


def _area(value: Decimal) -> str:
    area = Decimal(value).quantize(Decimal("0.01"))
    if not area > 0:
        raise ValueError(f"A registered area must be positive; got {value}.")
    return f"{area:f}"


def _parties(parties: Sequence[PartyStatement], rights: Sequence[NewRight]) -> list[dict[str, Any]]:
    """Return the statements of the holders of `rights`: each holder once, none missing."""
    by_id = {party.id: party for party in parties}
    holders = list(dict.fromkeys(right.holder_id for right in rights))
    missing = [holder for holder in holders if holder not in by_id]
    if missing:
        raise ValueError(f"The deed does not state who holders {missing} are.")
    return [by_id[holder].as_payload() for holder in holders]


def _currency(code: str) -> str:
    if len(code) != 3 or not code.isalpha() or not code.isupper():
        raise ValueError(f"The currency must be an ISO 4217 code such as 'VND'; got {code!r}.")
    return code


def _ownership(rights: Sequence[NewRight], whole: Fraction = Fraction(1)) -> list[dict[str, Any]]:
    """Return the payload form of ownership rights whose shares sum to `whole`."""
    if not rights:
        raise ValueError("A deed that grants ownership needs at least one holder.")
    if any(right.kind != OWNERSHIP for right in rights):
        raise ValueError("Only ownership rights can be granted by this deed.")
    holders = [right.holder_id for right in rights]
    if len(set(holders)) != len(holders):
        raise ValueError(f"A holder appears twice among the new rights: {holders}.")
    total = sum((right.share for right in rights), Fraction(0))
    if total != whole:
        raise ValueError(f"The holders' shares must sum to {whole}; they sum to {total}.")
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


def _stated(payload: dict[str, Any], parties: Sequence[PartyStatement]) -> dict[str, Any]:
    """Add the statements of the holders the payload begins rights for, when given."""
    if parties:
        rights = [
            NewRight(r["id"], r["holder"], r["kind"], Share.parse(r["share"]))
            for r in payload["rights_begun"]
        ]
        payload["parties"] = _parties(parties, rights)
    return payload


def first_registration_payload(
    *,
    parcel_id: int,
    identifier: str,
    effective_date: dt.date,
    rights: Sequence[NewRight],
    parties: Sequence[PartyStatement] = (),
) -> dict[str, Any]:
    """Return the payload of a parcel's first registration to its holders."""
    payload = _common(
        "first_registration",
        parcel_id=parcel_id,
        identifier=identifier,
        effective_date=effective_date,
    ) | {"rights_ended": [], "rights_begun": _ownership(rights)}
    return _stated(payload, parties)


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
    ended_share: Fraction = Fraction(1),
    transferred: Fraction | None = None,
    parties: Sequence[PartyStatement] = (),
) -> dict[str, Any]:
    """Return the payload of a transfer of the parcel's land-use right, whole or a share.

    `ended_share` is the sum of the shares of `rights_ended`; the new rights must sum
    to it, so the parcel stays whole. `transferred` (default: all of it) is the share
    that changed hands.
    """
    transfer_type = TransferType(transfer_type)
    if transfer_type is not TransferType.SALE and Decimal(price) != 0:
        raise ValueError(f"A {transfer_type} has no price; got {price}.")
    transferred = ended_share if transferred is None else transferred
    if not 0 < transferred <= ended_share:
        raise ValueError(f"The share transferred must be within (0, {ended_share}].")
    payload = _common(
        "transfer", parcel_id=parcel_id, identifier=identifier, effective_date=effective_date
    ) | {
        "transfer_type": str(transfer_type),
        "price": _amount(price, "price"),
        "currency": _currency(currency),
        "rights_ended": _ended(rights_ended),
        "rights_begun": _ownership(rights, ended_share),
    }
    if transferred != 1:
        payload["transferred"] = format_share(transferred)
    return _stated(payload, parties)


def mortgage_payload(
    *,
    parcel_id: int,
    identifier: str,
    effective_date: dt.date,
    right: NewRight,
    amount: Decimal | int,
    currency: str,
    parties: Sequence[PartyStatement] = (),
) -> dict[str, Any]:
    """Return the payload of a mortgage of the parcel to a lender."""
    if right.kind != MORTGAGE or right.share != 1:
        raise ValueError("A mortgage deed begins one mortgage right on the whole parcel.")
    payload = _common(
        "mortgage", parcel_id=parcel_id, identifier=identifier, effective_date=effective_date
    ) | {
        "amount": _amount(amount, "secured amount"),
        "currency": _currency(currency),
        "rights_ended": [],
        "rights_begun": [right.as_payload()],
    }
    return _stated(payload, parties)


def discharge_payload(
    *, parcel_id: int, identifier: str, effective_date: dt.date, rights_ended: Sequence[int]
) -> dict[str, Any]:
    """Return the payload of the discharge of a mortgage."""
    return _common(
        "discharge", parcel_id=parcel_id, identifier=identifier, effective_date=effective_date
    ) | {"rights_ended": _ended(rights_ended), "rights_begun": []}


def _moved_rights(
    rights_ended: Sequence[int], rights: Sequence[NewRight], created: Sequence[NewParcel]
) -> tuple[list[int], list[dict[str, Any]]]:
    """Return rights_ended and rights_begun of a deed that moves rights onto new parcels."""
    made = {parcel.id for parcel in created}
    if any(right.parcel_id not in made for right in rights):
        raise ValueError("Each right the deed begins must name one of the parcels it makes.")
    for parcel_id in made:
        owned = sum(
            (r.share for r in rights if r.parcel_id == parcel_id and r.kind == OWNERSHIP),
            Fraction(0),
        )
        if owned not in (0, 1):
            raise ValueError(f"The ownership shares of new parcel {parcel_id} sum to {owned}.")
    ended = _ended(rights_ended) if rights_ended else []
    return ended, [r.as_payload() for r in rights]


def subdivision_payload(
    *,
    parent_id: int,
    identifier: str,
    effective_date: dt.date,
    children: Sequence[NewParcel],
    tolerance_m2: Decimal,
    rights_ended: Sequence[int],
    rights: Sequence[NewRight],
) -> dict[str, Any]:
    """Return the payload of the subdivision of a parcel into `children`."""
    if len(children) < 2:
        raise ValueError("A subdivision makes at least two parcels.")
    ended, begun = _moved_rights(rights_ended, rights, children)
    return _common(
        "subdivision", parcel_id=parent_id, identifier=identifier, effective_date=effective_date
    ) | {
        "tolerance_m2": f"{Decimal(tolerance_m2):f}",
        "parcels_retired": [parent_id],
        "parcels_created": [child.as_payload() for child in children],
        "rights_ended": ended,
        "rights_begun": begun,
    }


def merge_payload(
    *,
    parent_ids: Sequence[int],
    effective_date: dt.date,
    merged: NewParcel,
    rights_ended: Sequence[int],
    rights: Sequence[NewRight],
) -> dict[str, Any]:
    """Return the payload of the merge of adjacent parcels into `merged`."""
    if len(set(parent_ids)) < 2 or len(set(parent_ids)) != len(parent_ids):
        raise ValueError("A merge joins two or more different parcels.")
    ended, begun = _moved_rights(rights_ended, rights, [merged])
    return _common(
        "merge", parcel_id=merged.id, identifier=merged.identifier, effective_date=effective_date
    ) | {
        "parcels_retired": list(parent_ids),
        "parcels_created": [merged.as_payload()],
        "rights_ended": ended,
        "rights_begun": begun,
    }


def correction_payload(
    *,
    parcel_id: int,
    identifier: str,
    effective_date: dt.date,
    corrects: int,
    mode: CorrectionMode,
    reason: str,
    rights_voided: Sequence[int],
    rights: Sequence[NewRight],
    parties: Sequence[PartyStatement] = (),
) -> dict[str, Any]:
    """Return the payload of a correction of entry `corrects`: never an edit of it."""
    mode = CorrectionMode(mode)
    if not reason.strip():
        raise ValueError("A correction states its reason.")
    if not rights_voided:
        raise ValueError("A correction voids at least one right.")
    if any(right.valid_from is None for right in rights):
        raise ValueError("A right a correction begins states its own valid_from.")
    payload = _common(
        "correction", parcel_id=parcel_id, identifier=identifier, effective_date=effective_date
    ) | {
        "corrects": corrects,
        "mode": str(mode),
        "reason": reason.strip(),
        "rights_voided": _ended(rights_voided),
        "rights_ended": [],
        "rights_begun": [right.as_payload() for right in rights],
    }
    return _stated(payload, parties)
