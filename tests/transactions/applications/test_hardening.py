"""A hardened database: applications are still filed and decided; their history is out of reach."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection

from tests.factories import user_with_role
from tests.transactions.applications.conftest import file, registered_parcel, sale
from tests.transactions.journal.test_append_only import harden
from tests.transactions.journal.test_ledger import needs_superuser
from transactions.applications import decisions, verify


@pytest.fixture
def hardened(transactional_db):
    harden()
    yield
    harden("--undo")


@needs_superuser
@pytest.mark.django_db(transaction=True)
def test_a_hardened_register_files_and_decides_and_cannot_rewrite_them(hardened):
    notary = user_with_role("notary", "notary-1")
    registrar = user_with_role("registrar", "registrar-1")
    parcel = registered_parcel(notary)
    first = file(sale(parcel), notary)
    second = file(sale(parcel, buyer=7), notary)
    decisions.decide(first.receipt_number, decision="register", by=registrar)
    decisions.decide(second.receipt_number, decision="refuse", reason="Stale.", by=registrar)
    assert verify.verify().ok

    for statement in (
        "UPDATE transactions_application SET body = '{}'",
        "UPDATE transactions_application SET office = 'x'",
        "DELETE FROM transactions_application",
        "UPDATE transactions_applicationevent SET reason = 'x'",
        "ALTER TABLE transactions_application DISABLE TRIGGER USER",
        "ALTER TABLE transactions_applicationevent DISABLE TRIGGER USER",
        "TRUNCATE transactions_applicationevent CASCADE",
        "CREATE OR REPLACE FUNCTION landinfo_application_receipt_fixed() RETURNS trigger "
        "LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'",
    ):
        with (
            pytest.raises(DatabaseError, match=r"must be owner|permission denied"),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    # The status columns stay the application's, and their trigger still guards the rest.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE transactions_application SET status = status")
    call_command("verify_ledger", stdout=open("/dev/null", "w"))  # noqa: SIM115
