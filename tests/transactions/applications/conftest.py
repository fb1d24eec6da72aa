"""Applications: a parcel with a holder who has an e-mail address, and deeds to file on it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from tests.factories import ParcelFactory, current_entry, holders_now, national_id, user_with_role
from transactions.alerts import outbox
from transactions.applications.receipt import file_application
from transactions.deeds import services
from transactions.deeds.services import DeedInput, PartyInput
from transactions.models import Party

REGISTERED_ON = dt.date(2020, 1, 1)
DAY = "2024-03-01"
HOLDER_EMAIL = "holder@example.org"


@pytest.fixture(autouse=True)
def reviewed(settings):
    settings.LANDINFO = {**settings.LANDINFO, "REGISTRATION_MODE": "reviewed"}


@pytest.fixture
def second_registrar(db):
    return user_with_role("registrar", "registrar-2")


def registered_parcel(by, *, email: str = HOLDER_EMAIL):
    """Return a parcel registered to one person, who has an address on file."""
    parcel = ParcelFactory()
    entry = services.record_first_registration(
        parcel_id=parcel.pk,
        holders=[(PartyInput(kind="person", name="Nguyễn Văn An", national_id=national_id(1)), 1)],
        deed=DeedInput(
            effective_date=REGISTERED_ON,
            recorded_by=by,
            expected_last_entry=current_entry(parcel.pk),
        ),
    )
    Party.objects.filter(rights__begun_by=entry).update(email=email)
    return parcel


@pytest.fixture
def parcel(notary):
    return registered_parcel(notary)


def sale(parcel, *, buyer: int = 2, expected: int | None = None, **extra: Any) -> dict[str, Any]:
    """Return the body of a sale of the whole parcel to a new person."""
    return {
        "kind": "transfer",
        "parcel": parcel.pk,
        "effective_date": DAY,
        "expected_last_entry": current_entry(parcel.pk) if expected is None else expected,
        "transfer_type": "sale",
        "price": "2500000000",
        "transferors": [
            {"party": party, "share": f"{share.numerator}/{share.denominator}"}
            for party, share in holders_now(parcel)
        ],
        "recipients": [
            {
                "party": {
                    "kind": "person",
                    "name": f"Người mua {buyer}",
                    "national_id": national_id(buyer),
                },
                "share": "1/1",
            }
        ],
        **extra,
    }


def mortgage(parcel, *, expected: int | None = None) -> dict[str, Any]:
    """Return the body of a mortgage of the parcel to a new bank."""
    return {
        "kind": "mortgage",
        "parcel": parcel.pk,
        "effective_date": DAY,
        "expected_last_entry": current_entry(parcel.pk) if expected is None else expected,
        "lender": {
            "kind": "organisation",
            "name": "Ngân hàng A",
            "national_id": national_id(3, "organisation"),
        },
        "amount": "500000000",
    }


def file(body: dict[str, Any], user, *, key: str | None = None, deliver: bool = True):
    """File `body` as `user`; with `deliver`, hand its alerts over (Django's test mailbox).

    A registration waits for its alerts (decisions.alerts_pending), as the worker would
    have sent them; `deliver=False` keeps them queued.
    """
    application = file_application(body, user=user, idempotency_key=key or str(uuid.uuid4()))
    if deliver:
        while outbox.send_due() != (0, 0):
            pass
    return application
