"""Deeds for tests, written as the register writes them: a valid hash chain, real payloads.

Each helper appends one journal entry (built by `transactions.deeds.payloads`, hashed by
`transactions.journal.hashing`) and applies it to the Right table the way a replay would, so
tests of the read side get a register with any dates they need (effective and
recorded) without going through the services' checks. `subdivide` and `merge` link
parcels the test made itself and do not state them in the payload, so `verify_ledger`
does not accept a register built with them: tests of the write side and of the ledger
use `transactions.deeds.services`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db import connection
from django.utils import timezone

from landinfo.profiles import get_profile
from parcels.models import Parcel, ParcelLineage
from transactions.deeds import payloads
from transactions.journal.hashing import GENESIS_HASH, canonical_json, entry_hash
from transactions.models import JournalEntry, Party, Right

Holders = Sequence[tuple[Party, Fraction]]


def append_entry(
    kind: str,
    payload: dict[str, Any],
    *,
    effective_date: dt.date,
    recorded_at: dt.datetime | None = None,
) -> JournalEntry:
    """Append an entry chained to the last one; `recorded_at` defaults to now."""
    last = JournalEntry.objects.order_by("-sequence").first()
    sequence = last.sequence + 1 if last else 1
    prev_hash = last.entry_hash if last else GENESIS_HASH
    text = canonical_json(payload)
    recorded_at = recorded_at or timezone.now()
    return JournalEntry.objects.create(
        sequence=sequence,
        kind=kind,
        payload=text,
        effective_date=effective_date,
        recorded_at=recorded_at,
        prev_hash=prev_hash,
        entry_hash=entry_hash(prev_hash, sequence, text, recorded_at=recorded_at),
    )


def _right_ids(count: int) -> list[int]:
    """Reserve ids for new rights: a payload names its rights before they are inserted."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('transactions_right', 'id')) "
            "FROM generate_series(1, %s)",
            [count],
        )
        return [row[0] for row in cursor.fetchall()]


def _new_rights(holders: Holders, kind: str = payloads.OWNERSHIP) -> list[payloads.NewRight]:
    ids = _right_ids(len(holders))
    return [
        payloads.NewRight(right_id, party.pk, kind, share, f"CT {right_id:06d}")
        for right_id, (party, share) in zip(ids, holders, strict=True)
    ]


def _begin(parcel: Parcel, rights: Sequence[payloads.NewRight], entry: JournalEntry) -> list[Right]:
    return [
        Right.objects.create(
            id=new.id,
            parcel=parcel,
            holder_id=new.holder_id,
            kind=new.kind,
            share_numerator=new.share.numerator,
            share_denominator=new.share.denominator,
            certificate_number=new.certificate_number,
            valid_from=entry.effective_date,
            begun_by=entry,
        )
        for new in rights
    ]


def _end(rights: Sequence[Right], entry: JournalEntry) -> None:
    for right in rights:
        right.valid_to = entry.effective_date
        right.ended_by = entry
        right.save(update_fields=["valid_to", "ended_by"])


def register(parcel: Parcel, holders: Holders, *, on: dt.date, **entry: Any) -> list[Right]:
    """Register the parcel's first owners; return their rights."""
    new = _new_rights(holders)
    payload = payloads.first_registration_payload(
        parcel_id=parcel.pk, identifier=parcel.identifier, effective_date=on, rights=new
    )
    return _begin(
        parcel, new, append_entry("first_registration", payload, effective_date=on, **entry)
    )


def transfer(
    parcel: Parcel,
    holders: Holders,
    *,
    on: dt.date,
    transfer_type: payloads.TransferType = payloads.TransferType.SALE,
    price: Decimal | int = 1_000_000_000,
    **entry: Any,
) -> list[Right]:
    """Transfer the whole ownership of the parcel to `holders`; return their rights."""
    ended = list(
        Right.objects.filter(parcel=parcel, kind=payloads.OWNERSHIP, valid_to__isnull=True)
    )
    new = _new_rights(holders)
    payload = payloads.transfer_payload(
        parcel_id=parcel.pk,
        identifier=parcel.identifier,
        effective_date=on,
        transfer_type=transfer_type,
        price=price if transfer_type == payloads.TransferType.SALE else 0,
        currency=get_profile().currency,
        rights_ended=[right.pk for right in ended],
        rights=new,
    )
    journal_entry = append_entry("transfer", payload, effective_date=on, **entry)
    _end(ended, journal_entry)
    return _begin(parcel, new, journal_entry)


def mortgage(parcel: Parcel, lender: Party, *, on: dt.date, amount: int = 500_000_000) -> Right:
    """Mortgage the parcel to `lender`; return the mortgage right."""
    (new,) = _new_rights([(lender, Fraction(1))], kind=payloads.MORTGAGE)
    payload = payloads.mortgage_payload(
        parcel_id=parcel.pk,
        identifier=parcel.identifier,
        effective_date=on,
        right=new,
        amount=amount,
        currency=get_profile().currency,
    )
    (right,) = _begin(parcel, [new], append_entry("mortgage", payload, effective_date=on))
    return right


def discharge(right: Right, *, on: dt.date) -> JournalEntry:
    """Discharge the mortgage `right`."""
    parcel = right.parcel
    payload = payloads.discharge_payload(
        parcel_id=parcel.pk,
        identifier=parcel.identifier,
        effective_date=on,
        rights_ended=[right.pk],
    )
    journal_entry = append_entry("discharge", payload, effective_date=on)
    _end([right], journal_entry)
    return journal_entry


def _lineage_entry(
    kind: str, parcel: Parcel, retired: Sequence[Parcel], on: dt.date, **parts: Any
) -> JournalEntry:
    """Append a subdivision or merge that retires `retired` and ends the rights on them."""
    ended = list(Right.objects.filter(parcel__in=retired, valid_to__isnull=True).order_by("pk"))
    # transactions.deeds.payloads has no builder for subdivision and merge yet: the common
    # keys of every payload, plus the parcels involved.
    payload = {
        "schema": payloads.SCHEMA_VERSION,
        "kind": kind,
        "effective_date": on.isoformat(),
        "parcel": {"id": parcel.pk, "identifier": parcel.identifier},
        "rights_ended": [right.pk for right in ended],
        "rights_begun": [],
        **parts,
    }
    entry = append_entry(kind, payload, effective_date=on)
    _end(ended, entry)
    for old in retired:
        old.valid_to = on
        old.save(update_fields=["valid_to"])
    return entry


def subdivide(parent: Parcel, children: Sequence[Parcel], *, on: dt.date) -> JournalEntry:
    """Split `parent` into `children` (already created, valid from `on`) and retire it."""
    entry = _lineage_entry(
        "subdivision", parent, [parent], on, children=[child.identifier for child in children]
    )
    for child in children:
        ParcelLineage.objects.create(parent=parent, child=child, entry=entry)
    return entry


def merge(parents: Sequence[Parcel], child: Parcel, *, on: dt.date) -> JournalEntry:
    """Merge `parents` into `child` (already created, valid from `on`) and retire them."""
    entry = _lineage_entry(
        "merge", child, parents, on, parents=[parent.identifier for parent in parents]
    )
    for parent in parents:
        ParcelLineage.objects.create(parent=parent, child=child, entry=entry)
    return entry
