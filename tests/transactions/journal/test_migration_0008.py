"""A register written before migration 0008 (what a right records) verifies after it.

The register is written as the code before the migration wrote it: payloads of the
shape it made (no particulars, no holder kind), appended to the journal, projected into
the tables of schema 0007 by SQL. Then the migration runs forward and verify_ledger
replays the journal against the new columns, which must read "not stated".
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
from fractions import Fraction

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from tests.factories import ParcelFactory, national_id
from transactions.deeds import payloads
from transactions.journal import append as journal
from transactions.models import JournalEntry, Party, Right

OLD_RIGHT_KEYS = {"id", "holder", "kind", "share", "certificate_number"}
OLD_PARTY_KEYS = {"id", "kind", "name", "national_id"}
NEW_COLUMNS = (
    "origin",
    "use_form",
    "long_term",
    "term_end",
    "attached_assets",
    "certificate_serial",
)


def _columns(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return {c.name for c in connection.introspection.get_table_description(cursor, table)}


def _old_party(kind: str, name: str, number: str | None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO transactions_party (kind, name, national_id, birth_year, address, email) "
            "VALUES (%s, %s, %s, NULL, '', '') RETURNING id",
            [kind, name, number],
        )
        return cursor.fetchone()[0]


def _right_ids(count: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('transactions_right', 'id')) "
            "FROM generate_series(1, %s)",
            [count],
        )
        return [row[0] for row in cursor.fetchall()]


def _old_projection(entry: JournalEntry, payload: dict) -> None:
    """Project an entry into the tables of schema 0007, as projection.apply did then."""
    with connection.cursor() as cursor:
        for right_id in payload["rights_ended"]:
            cursor.execute(
                "UPDATE transactions_right SET valid_to = %s, ended_by_id = %s WHERE id = %s",
                [entry.effective_date, entry.sequence, right_id],
            )
        for right in payload["rights_begun"]:
            numerator, denominator = right["share"].split("/")
            cursor.execute(
                "INSERT INTO transactions_right (id, parcel_id, holder_id, kind, "
                "share_numerator, share_denominator, certificate_number, valid_from, "
                "begun_by_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    right["id"],
                    payload["parcel"]["id"],
                    right["holder"],
                    right["kind"],
                    numerator,
                    denominator,
                    right["certificate_number"],
                    entry.effective_date,
                    entry.sequence,
                ],
            )


def _record(payload: dict) -> str:
    with transaction.atomic():
        entry = journal.append(payload, recorded_by=None)
        _old_projection(entry, payload)
    return entry.payload


def _write_old_register() -> list[str]:
    """Write a first registration, a transfer of a share and a mortgage as before 0008."""
    parcel = ParcelFactory()
    numbers = [national_id(n) for n in random.sample(range(60, 99), 3)]
    first = _old_party("person", "Nguyễn Văn Cũ", numbers[0])
    second = _old_party("person", "Trần Thị Cũ", numbers[1])
    bank = _old_party("organisation", "Ngân hàng Cũ", None)
    buyer = _old_party("person", "Lê Văn Mới", numbers[2])
    statement = {
        first: payloads.PartyStatement(first, "person", "Nguyễn Văn Cũ", numbers[0]),
        second: payloads.PartyStatement(second, "person", "Trần Thị Cũ", numbers[1]),
        bank: payloads.PartyStatement(bank, "organisation", "Ngân hàng Cũ", ""),
        buyer: payloads.PartyStatement(buyer, "person", "Lê Văn Mới", numbers[2]),
    }
    half = Fraction(1, 2)
    ids = _right_ids(2)
    registered = payloads.first_registration_payload(
        parcel_id=parcel.pk,
        identifier=parcel.identifier,
        effective_date=dt.date(2001, 4, 17),
        rights=[
            payloads.NewRight(ids[0], first, payloads.OWNERSHIP, half, "AB 000001"),
            payloads.NewRight(ids[1], second, payloads.OWNERSHIP, half, "AB 000001"),
        ],
        parties=[statement[first], statement[second]],
    )
    (bought,) = _right_ids(1)
    transferred = payloads.transfer_payload(
        parcel_id=parcel.pk,
        identifier=parcel.identifier,
        effective_date=dt.date(2010, 6, 11),
        transfer_type=payloads.TransferType.SALE,
        price=900_000_000,
        currency="VND",
        rights_ended=[ids[0]],
        ended_share=half,
        rights=[payloads.NewRight(bought, buyer, payloads.OWNERSHIP, half)],
        parties=[statement[buyer]],
    )
    (lien,) = _right_ids(1)
    mortgaged = payloads.mortgage_payload(
        parcel_id=parcel.pk,
        identifier=parcel.identifier,
        effective_date=dt.date(2012, 1, 5),
        right=payloads.NewRight(lien, bank, payloads.MORTGAGE),
        amount=300_000_000,
        currency="VND",
        parties=[statement[bank]],
    )
    texts = [_record(payload) for payload in (registered, transferred, mortgaged)]
    for text in texts:
        payload = json.loads(text)
        assert all(set(r) == OLD_RIGHT_KEYS for r in payload["rights_begun"])
        assert all(set(p) == OLD_PARTY_KEYS for p in payload["parties"])
    return texts


def _verify() -> str:
    out = io.StringIO()
    call_command("verify_ledger", stdout=out)  # CommandError on any failure
    return out.getvalue()


@pytest.mark.every_profile
@pytest.mark.django_db(transaction=True)
def test_a_register_written_before_migration_0008_verifies_after_it():
    call_command("migrate", "transactions", "0007", verbosity=0)
    try:
        assert not set(NEW_COLUMNS) & _columns("transactions_right")
        assert "holder_kind" not in _columns("transactions_party")
        texts = _write_old_register()
    finally:
        call_command("migrate", "transactions", verbosity=0)
    assert set(NEW_COLUMNS) <= _columns("transactions_right")
    # The entries are the bytes they were, and their hashes chain as before.
    assert [entry.payload for entry in JournalEntry.objects.order_by("sequence")] == texts
    report = _verify()
    assert "FAIL" not in report
    # What the old deeds did not state reads "not stated" in the new columns.
    for right in Right.objects.all():
        assert (right.origin, right.use_form, right.long_term, right.term_end) == (
            "",
            "",
            False,
            None,
        )
        assert (right.attached_assets, right.certificate_serial) == ("", "")
    assert set(Party.objects.values_list("holder_kind", flat=True)) == {""}
