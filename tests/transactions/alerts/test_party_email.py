"""A deed may give a new party's e-mail: kept on the party for alerts, never in the journal."""

from __future__ import annotations

import uuid

import pytest

from tests.factories import PartyFactory, national_id
from tests.transactions.alerts.conftest import held_parcel, mortgage_body
from transactions.alerts.receipts import recipients
from transactions.deeds.submit import MalformedDeed, submit
from transactions.models import Party

pytestmark = [pytest.mark.django_db, pytest.mark.every_profile]


def test_a_lender_described_by_the_deed_keeps_its_email_out_of_the_journal(notary):
    parcel, _holder = held_parcel()
    lender = {
        "kind": "organisation",
        "name": "Ngân hàng Thử nghiệm",
        "national_id": national_id(7, "organisation"),
        "email": "Alerts@Bank.Example",
    }
    entry = submit(
        mortgage_body(parcel, PartyFactory()) | {"lender": lender},
        user=notary,
        idempotency_key=str(uuid.uuid4()),
    )
    party = Party.objects.get(name="Ngân hàng Thử nghiệm")
    assert party.email == "alerts@bank.example"
    assert "bank.example" not in entry.payload.lower()
    assert "alerts@bank.example" in {r.email for r in recipients([parcel.pk])}


def test_a_party_email_that_is_not_an_address_is_refused(notary):
    parcel, _holder = held_parcel()
    lender = {"kind": "organisation", "name": "Ngân hàng B", "email": "not-an-address"}
    with pytest.raises(MalformedDeed):
        submit(
            mortgage_body(parcel, PartyFactory()) | {"lender": lender},
            user=notary,
            idempotency_key=str(uuid.uuid4()),
        )
