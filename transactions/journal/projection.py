"""Write what a journal entry says into the current-state tables.

The services call `apply` right after appending the entry, in the same transaction;
nothing else writes rights, or the lifespans and lineage of parcels made by deeds.
`verify_ledger` replays the journal with its own reading of the same rules
(transactions/journal/verify.py) and compares, so a mistake in either shows.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, cast

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon

from landinfo.profiles.base import LONG_TERM
from landinfo.srid import STORAGE_SRID
from parcels.models import Parcel, ParcelLineage
from transactions.models import JournalEntry, Right
from transactions.shares import Share


class ProjectionMismatch(RuntimeError):
    """The entry names a row in a state it cannot be in: a bug, never a user's error."""


def _expect(count: int, wanted: int, what: str, entry: JournalEntry) -> None:
    if count != wanted:
        raise ProjectionMismatch(f"entry #{entry.sequence}: {what}: {count} rows of {wanted}")


def apply(entry: JournalEntry, payload: dict[str, Any]) -> None:
    """Void, end, retire, make and begin what `payload` says, as entry `entry`."""
    day = entry.effective_date
    voided = payload.get("rights_voided", [])
    if voided:
        count = Right.objects.filter(pk__in=voided, voided_by__isnull=True).update(voided_by=entry)
        _expect(count, len(voided), "rights voided", entry)
    ended = payload.get("rights_ended", [])
    if ended:
        count = Right.objects.filter(
            pk__in=ended, valid_to__isnull=True, voided_by__isnull=True
        ).update(valid_to=day, ended_by=entry)
        _expect(count, len(ended), "rights ended", entry)
    retired = payload.get("parcels_retired", [])
    if retired:
        count = Parcel.objects.filter(pk__in=retired, valid_to__isnull=True).update(
            valid_to=day, retired_by=entry
        )
        _expect(count, len(retired), "parcels retired", entry)
    created = payload.get("parcels_created", [])
    if created:
        Parcel.objects.bulk_create(_parcel(parcel, day, entry) for parcel in created)
        ParcelLineage.objects.bulk_create(
            ParcelLineage(parent_id=parent, child_id=child["id"], entry=entry)
            for parent in retired
            for child in created
        )
    parcel_id = payload["parcel"]["id"]
    Right.objects.bulk_create(
        _right(right, parcel_id, day, entry) for right in payload["rights_begun"]
    )


def _parcel(parcel: dict[str, Any], day: dt.date, entry: JournalEntry) -> Parcel:
    return Parcel(
        id=parcel["id"],
        identifier=parcel["identifier"],
        admin_unit_id=parcel["admin_unit"],
        land_use=parcel["land_use"],
        registered_area=Decimal(parcel["registered_area"]),
        address=parcel["address"],
        boundary=cast(MultiPolygon, GEOSGeometry(parcel["boundary"], srid=STORAGE_SRID)),
        valid_from=day,
        created_by=entry,
    )


def _right(right: dict[str, Any], parcel_id: int, day: dt.date, entry: JournalEntry) -> Right:
    share = Share.parse(right["share"])
    valid_to = right.get("valid_to")
    term = right.get("term", "")  # absent in payloads written before it (payloads.py)
    return Right(
        id=right["id"],
        parcel_id=right.get("parcel", parcel_id),
        holder_id=right["holder"],
        kind=right["kind"],
        share_numerator=share.numerator,
        share_denominator=share.denominator,
        certificate_number=right["certificate_number"],
        origin=right.get("origin", ""),
        use_form=right.get("use_form", ""),
        long_term=term == LONG_TERM,
        term_end=dt.date.fromisoformat(term) if term and term != LONG_TERM else None,
        attached_assets=right.get("attached_assets", ""),
        certificate_serial=right.get("certificate_serial", ""),
        valid_from=dt.date.fromisoformat(right["valid_from"]) if "valid_from" in right else day,
        valid_to=dt.date.fromisoformat(valid_to) if valid_to else None,
        begun_by=entry,
    )
