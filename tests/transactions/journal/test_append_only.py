"""The journal and its checkpoints take INSERTs only: through the ORM, raw SQL and the admin.

Hardened (`manage.py harden_journal`), the application's role can no longer lift the
refusal either: it does not own the tables, their triggers' function nor their schema.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import psycopg2
import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import ProtectedError
from psycopg2.extensions import parse_dsn

from tests.factories import ParcelFactory, current_entry, deed, holders_now
from tests.transactions import factories as legacy
from tests.transactions.journal.test_ledger import SUPERUSER_URL, needs_superuser, person
from transactions.deeds import payloads, services
from transactions.deeds.services import DeedInput
from transactions.journal import checkpoints
from transactions.models import Checkpoint, JournalEntry, PersonalDataAccess

APPEND_ONLY = (JournalEntry, Checkpoint, PersonalDataAccess)
REFUSED = "append-only"


def register(user: User, national_id: str = "001080000301") -> JournalEntry:
    return services.record_first_registration(
        parcel_id=ParcelFactory().pk,
        holders=[(person("Nguyễn Văn An", national_id), 1)],
        deed=DeedInput(
            effective_date=dt.date(2020, 1, 1),
            recorded_by=user,
            expected_last_entry=current_entry(ParcelFactory().pk),
        ),
    )


@pytest.fixture
def journal(notary, signing_key) -> dict[str, Any]:
    """Return an entry with rights, an entry nothing refers to, and a checkpoint."""
    deed = register(notary)
    parcel = ParcelFactory()
    lone = legacy.append_entry(
        "discharge",
        payloads.discharge_payload(
            parcel_id=parcel.pk,
            identifier=parcel.identifier,
            effective_date=dt.date(2021, 1, 1),
            rights_ended=[999_999],
        ),
        effective_date=dt.date(2021, 1, 1),
    )
    PersonalDataAccess.objects.create(
        user=notary,
        party_id=json.loads(deed.payload)["parties"][0]["id"],
        fields="name,national_id",
        purpose="test",
        at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
    )
    return {"deed": deed, "lone": lone, "checkpoint": checkpoints.sign_checkpoint()}


def snapshot() -> list[list[dict[str, Any]]]:
    return [list(model.objects.order_by("pk").values()) for model in APPEND_ONLY]


def refused(error: type[Exception] | tuple[type[Exception], ...] = IntegrityError, match=REFUSED):
    """Expect `error` from a statement run in its own savepoint, so the test goes on."""

    class Refused:
        def __enter__(self) -> None:
            self.raises = pytest.raises(error, match=match)
            self.raises.__enter__()
            self.atomic = transaction.atomic()
            self.atomic.__enter__()

        def __exit__(self, *exc: Any) -> bool:
            self.atomic.__exit__(*exc)
            return bool(self.raises.__exit__(*exc))

    return Refused()


# --- through the ORM ------------------------------------------------------------------------


@pytest.mark.django_db
def test_orm_updates_of_journal_and_checkpoints_are_refused(journal):
    before = snapshot()
    deed, checkpoint = journal["deed"], journal["checkpoint"]
    with refused():
        JournalEntry.objects.filter(pk=deed.pk).update(kind="transfer")
    with refused():
        JournalEntry.objects.update(payload="{}")
    with refused():
        deed.payload = deed.payload.replace("Nguyễn", "Nguyen")
        deed.save()
    with refused():
        JournalEntry.objects.bulk_update([deed], ["payload"])
    with refused():
        Checkpoint.objects.filter(pk=checkpoint.pk).update(size=0)
    with refused():
        checkpoint.head_hash = "0" * 64
        checkpoint.save()
    assert snapshot() == before


@pytest.mark.django_db
def test_orm_deletes_of_journal_and_checkpoints_are_refused(journal):
    before = snapshot()
    with refused():
        journal["lone"].delete()
    with refused():
        JournalEntry.objects.filter(pk=journal["lone"].pk).delete()
    # An entry rights refer to is protected before any SQL is sent.
    with refused(ProtectedError, match="protected foreign keys"):
        journal["deed"].delete()
    with refused(ProtectedError, match="protected foreign keys"):
        JournalEntry.objects.all().delete()
    with refused():
        journal["checkpoint"].delete()
    with refused():
        Checkpoint.objects.all().delete()
    assert snapshot() == before


# --- through raw SQL --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE transactions_journalentry SET kind = 'transfer'",
        "UPDATE transactions_journalentry SET sequence = sequence + 100",
        "DELETE FROM transactions_journalentry WHERE sequence = 2",
        "UPDATE transactions_checkpoint SET size = 0",
        "DELETE FROM transactions_checkpoint",
        "UPDATE transactions_personaldataaccess SET purpose = 'x'",
        "DELETE FROM transactions_personaldataaccess",
    ],
)
def test_raw_sql_changes_are_refused(journal, statement):
    before = snapshot()
    with refused(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert snapshot() == before


# Committed rows: inside a test's transaction TRUNCATE meets its pending foreign-key checks.
@pytest.mark.django_db(transaction=True)
def test_raw_sql_truncates_are_refused(journal):
    before = snapshot()
    for statement, match in (
        ("TRUNCATE transactions_journalentry CASCADE", REFUSED),
        ("TRUNCATE transactions_journalentry", r"foreign key|append-only"),
        ("TRUNCATE transactions_checkpoint", REFUSED),
        ("TRUNCATE transactions_personaldataaccess, transactions_checkpoint", REFUSED),
    ):
        with refused(DatabaseError, match=match), connection.cursor() as cursor:
            cursor.execute(statement)
    assert snapshot() == before


@pytest.mark.django_db
def test_the_application_cannot_silence_the_triggers_with_replica_mode(journal):
    with refused(DatabaseError, match="permission denied"), connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")


@needs_superuser
@pytest.mark.django_db(transaction=True)
def test_replica_mode_does_not_silence_the_triggers_even_for_a_superuser(journal):
    before = snapshot()
    dsn = parse_dsn(SUPERUSER_URL) | {"dbname": connection.settings_dict["NAME"]}
    database = psycopg2.connect(**dsn)
    try:
        with database.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
            with pytest.raises(psycopg2.IntegrityError, match=REFUSED):
                cursor.execute("UPDATE transactions_journalentry SET kind = 'transfer'")
    finally:
        database.rollback()
        database.close()
    assert snapshot() == before


# --- through the admin ----------------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("admin-append-only"))
    return client


@pytest.mark.django_db
def test_admin_neither_changes_nor_deletes_journal_entries(admin_client, journal):
    before = snapshot()
    base = "/admin/transactions/journalentry/"
    pk = journal["deed"].pk
    assert admin_client.get(f"{base}{pk}/change/").status_code == 200  # readable
    assert admin_client.get(f"{base}{pk}/delete/").status_code == 403
    assert admin_client.post(f"{base}{pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.post(f"{base}{pk}/change/", {"kind": "transfer"}).status_code == 403
    assert admin_client.get(f"{base}add/").status_code == 403
    response = admin_client.post(
        base, {"action": "delete_selected", "_selected_action": [pk], "post": "yes"}
    )
    assert response.status_code in (200, 302, 403)
    assert snapshot() == before


@pytest.mark.django_db
def test_admin_neither_changes_nor_deletes_checkpoints(admin_client, journal):
    before = snapshot()
    base = "/admin/transactions/checkpoint/"
    pk = journal["checkpoint"].pk
    # Not in the admin at all (404), or read-only there (403): never changed.
    assert admin_client.post(f"{base}{pk}/delete/", {"post": "yes"}).status_code in (403, 404)
    assert admin_client.post(f"{base}{pk}/change/", {"size": 0}).status_code in (403, 404)
    response = admin_client.post(
        base, {"action": "delete_selected", "_selected_action": [pk], "post": "yes"}
    )
    assert response.status_code in (200, 302, 403, 404)
    assert snapshot() == before


# --- hardened ---------------------------------------------------------------------------------


def harden(*args: str) -> str:
    out = io.StringIO()
    call_command("harden_journal", *args, superuser_url=SUPERUSER_URL, stdout=out)
    return out.getvalue()


@pytest.fixture
def hardened(transactional_db):
    """Harden the test database; give the tables back at teardown, before the flush needs them."""
    harden()
    yield
    harden("--undo")


def owners() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT relowner::regrole::text FROM pg_class "
            "WHERE oid = ANY(ARRAY['transactions_journalentry', 'transactions_checkpoint', "
            "'transactions_personaldataaccess']::regclass[])"
        )
        return {row[0] for row in cursor.fetchall()}


@needs_superuser
@pytest.mark.django_db(transaction=True)
def test_hardened_journal_is_out_of_the_application_roles_reach(hardened):
    for statement in (
        "ALTER TABLE transactions_journalentry DISABLE TRIGGER ALL",
        "ALTER TABLE transactions_journalentry DISABLE TRIGGER "
        "transactions_journalentry_no_update_delete",
        "DROP TRIGGER transactions_checkpoint_no_truncate ON transactions_checkpoint",
        "ALTER TABLE transactions_journalentry OWNER TO CURRENT_USER",
        "TRUNCATE transactions_journalentry CASCADE",
        "TRUNCATE transactions_checkpoint",
        "UPDATE transactions_journalentry SET kind = kind",
        "DELETE FROM transactions_checkpoint",
        "DROP TABLE transactions_journalentry CASCADE",
        "DROP TABLE transactions_personaldataaccess",
        "CREATE OR REPLACE FUNCTION landinfo_refuse_change() RETURNS trigger "
        "LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END'",
        "ALTER SCHEMA public RENAME TO elsewhere",
    ):
        with (
            pytest.raises(DatabaseError, match=r"must be owner|permission denied"),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)


@needs_superuser
@pytest.mark.django_db(transaction=True)
def test_hardened_journal_still_records_deeds_and_checkpoints(hardened, notary, signing_key):
    entry = register(notary)
    services.record_transfer(
        parcel_id=json.loads(entry.payload)["parcel"]["id"],
        transferors=holders_now(json.loads(entry.payload)["parcel"]["id"]),
        recipients=[(person("Trần Thị Bình", "001080000302"), 1)],
        transfer_type="gift",
        deed=deed(notary, json.loads(entry.payload)["parcel"]["id"], dt.date(2021, 1, 1)),
    )
    checkpoints.sign_checkpoint()
    with connection.cursor() as cursor:  # the app still makes its own tables
        cursor.execute("CREATE TABLE landinfo_scratch (id int); DROP TABLE landinfo_scratch")
    out = io.StringIO()
    call_command("verify_ledger", stdout=out)
    assert "entries up to #2 are anchored" in out.getvalue()


@needs_superuser
@pytest.mark.django_db(transaction=True)
def test_harden_journal_is_idempotent_and_undo_gives_the_tables_back(journal):
    app = connection.settings_dict["USER"]
    try:
        assert "SELECT and INSERT" in harden()
        harden()
        assert owners() == {"landinfo_ledger_owner"}
    finally:
        harden("--undo")
    harden("--undo")
    assert owners() == {app}
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'public'")
        assert cursor.fetchone()[0] == "pg_database_owner"


@pytest.mark.django_db
def test_harden_journal_without_a_superuser_url_says_how_to_give_one(monkeypatch):
    monkeypatch.delenv("LANDINFO_SUPERUSER_DATABASE_URL", raising=False)
    with pytest.raises(CommandError, match="LANDINFO_SUPERUSER_DATABASE_URL"):
        call_command("harden_journal", stdout=io.StringIO())
