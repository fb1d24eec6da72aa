"""The payload builders of transactions.deeds.payloads: content, canonical form and refusals."""

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest

from transactions.deeds import payloads
from transactions.deeds.payloads import NewRight, TransferType
from transactions.journal import hashing
from transactions.shares import Share

DAY = dt.date(2020, 3, 1)
PARCEL = {"parcel_id": 7, "identifier": "90001-3-12", "effective_date": DAY}


def _owners(*shares: Fraction) -> list[NewRight]:
    return [
        NewRight(100 + n, 10 + n, payloads.OWNERSHIP, share, "CA 000100")
        for n, share in enumerate(shares)
    ]


def test_first_registration_payload_carries_what_replay_needs():
    payload = payloads.first_registration_payload(
        rights=_owners(Fraction(1, 2), Fraction(1, 2)), **PARCEL
    )
    assert payload == {
        "schema": 1,
        "kind": "first_registration",
        "effective_date": "2020-03-01",
        "parcel": {"id": 7, "identifier": "90001-3-12"},
        "rights_ended": [],
        "rights_begun": [
            {
                "id": 100,
                "holder": 10,
                "kind": "ownership",
                "share": "1/2",
                "certificate_number": "CA 000100",
            },
            {
                "id": 101,
                "holder": 11,
                "kind": "ownership",
                "share": "1/2",
                "certificate_number": "CA 000100",
            },
        ],
    }
    assert hashing.canonical_json(payload).startswith('{"effective_date":"2020-03-01","kind":')


def test_a_whole_share_is_written_one_over_one():
    payload = payloads.first_registration_payload(rights=_owners(Fraction(1)), **PARCEL)
    assert payload["rights_begun"][0]["share"] == "1/1"
    assert Share.parse("1/1") == 1


@pytest.mark.parametrize("shares", [(Fraction(1, 2),), (Fraction(1, 2), Fraction(2, 3))])
def test_ownership_shares_not_summing_to_one_are_refused(shares):
    with pytest.raises(ValueError, match="sum to 1"):
        payloads.first_registration_payload(rights=_owners(*shares), **PARCEL)


def test_the_same_holder_twice_is_refused():
    rights = [
        NewRight(1, 5, "ownership", Fraction(1, 2)),
        NewRight(2, 5, "ownership", Fraction(1, 2)),
    ]
    with pytest.raises(ValueError, match="twice"):
        payloads.first_registration_payload(rights=rights, **PARCEL)


def test_transfer_payload_names_type_price_and_rights_ended():
    payload = payloads.transfer_payload(
        transfer_type=TransferType.SALE,
        price=Decimal("1250000000"),
        currency="VND",
        rights_ended=[100, 101],
        rights=_owners(Fraction(1)),
        **PARCEL,
    )
    assert payload["transfer_type"] == "sale"
    assert payload["price"] == "1250000000"
    assert payload["rights_ended"] == [100, 101]


def test_a_gift_with_a_price_is_refused():
    with pytest.raises(ValueError, match="no price"):
        payloads.transfer_payload(
            transfer_type=TransferType.GIFT,
            price=10,
            currency="VND",
            rights_ended=[1],
            rights=_owners(Fraction(1)),
            **PARCEL,
        )


def test_mortgage_and_discharge_payloads():
    right = NewRight(300, 2, payloads.MORTGAGE)
    mortgage = payloads.mortgage_payload(right=right, amount=500_000_000, currency="VND", **PARCEL)
    assert mortgage["rights_begun"][0]["kind"] == "mortgage"
    assert mortgage["amount"] == "500000000"
    discharge = payloads.discharge_payload(rights_ended=[300], **PARCEL)
    assert discharge["rights_ended"] == [300] and discharge["rights_begun"] == []


def test_a_mortgage_of_part_of_a_parcel_is_refused():
    with pytest.raises(ValueError, match="whole parcel"):
        payloads.mortgage_payload(
            right=NewRight(1, 2, payloads.MORTGAGE, Fraction(1, 2)),
            amount=1,
            currency="VND",
            **PARCEL,
        )


@pytest.mark.parametrize("currency", ["vnd", "VN", "€€€"])
def test_a_currency_that_is_not_an_iso_code_is_refused(currency):
    with pytest.raises(ValueError, match="ISO 4217"):
        payloads.mortgage_payload(
            right=NewRight(1, 2, payloads.MORTGAGE), amount=1, currency=currency, **PARCEL
        )
