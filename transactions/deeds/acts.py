"""The act of the register each kind of deed is recorded by, called with its checked terms.

Each function takes what the kind's serializer checked (transactions.deeds.serializers)
and the `DeedInput` every deed carries, and calls the service that records the act
(transactions.deeds.services) with its own arguments. The table of kinds names them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext

from transactions.deeds import services
from transactions.deeds.payloads import Particulars
from transactions.deeds.services import ChildParcel, DeedInput
from transactions.exceptions import DeedRefused
from transactions.models import JournalEntry
from transactions.shares import Share


def _shares(holders: list[Mapping[str, Any]]) -> list[tuple[Any, Share]]:
    return [(holder["party"], holder["share"]) for holder in holders]


def _particulars(data: dict[str, Any]) -> dict[str, Any]:
    """Return the particulars a deed states (serializers.RightParticularsSerializer) as arguments."""
    stated = data.get("particulars") or {}
    return {
        "particulars": Particulars(
            **{key: stated.get(key, "") for key in Particulars.__dataclass_fields__}
        ),
        "certificate_number": stated.get("certificate_number", ""),
    }


def first_registration(data: dict[str, Any], deed: DeedInput) -> JournalEntry:
    return services.record_first_registration(
        parcel_id=data["parcel"], holders=_shares(data["holders"]), deed=deed, **_particulars(data)
    )


def transfer(data: dict[str, Any], deed: DeedInput) -> JournalEntry:
    return services.record_transfer(
        parcel_id=data["parcel"],
        recipients=_shares(data["recipients"]),
        transfer_type=data["transfer_type"],
        price=data["price"].normalize(),
        currency=data["currency"] or None,
        transferors=_shares(data["transferors"]),
        deed=deed,
        **_particulars(data),
    )


def mortgage(data: dict[str, Any], deed: DeedInput) -> JournalEntry:
    return services.record_mortgage(
        parcel_id=data["parcel"],
        lender=data["lender"],
        amount=data["amount"].normalize(),
        currency=data["currency"] or None,
        deed=deed,
    )


def discharge(data: dict[str, Any], deed: DeedInput) -> JournalEntry:
    return services.record_discharge(
        parcel_id=data["parcel"], mortgage_id=data["mortgage"], deed=deed
    )


def subdivision(data: dict[str, Any], deed: DeedInput) -> JournalEntry:
    children = []
    for child in data["children"]:
        boundary = child["boundary"].clone()
        boundary.srid = data["crs"]
        children.append(
            ChildParcel(boundary=boundary, land_use=child["land_use"], address=child["address"])
        )
    return services.subdivide_parcel(
        parcel_id=data["parcel"],
        children=children,
        tolerance_m2=data["tolerance_m2"],
        deed=deed,
    )


def merge(data: dict[str, Any], deed: DeedInput) -> JournalEntry:
    return services.merge_parcels(parcel_ids=data["parcels"], address=data["address"], deed=deed)


def correction(data: dict[str, Any], deed: DeedInput) -> JournalEntry:
    target = JournalEntry.objects.filter(sequence=data["corrects"]).only("payload").first()
    if target is not None:
        parcel_id = json.loads(target.payload)["parcel"]["id"]
        if parcel_id != data["parcel"]:
            raise DeedRefused(
                gettext(
                    "Entry #%(entry)s is a deed on parcel %(parcel)s, not on parcel %(given)s; "
                    "check the entry's number."
                )
                % {"entry": data["corrects"], "parcel": parcel_id, "given": data["parcel"]}
            )
    return services.record_correction(
        corrects=data["corrects"],
        mode=data["mode"],
        reason=data["reason"],
        holders=_shares(data["holders"]),
        deed=deed,
    )
