"""The backup drill: back up, destroy, restore, and prove the journal against its checkpoint.

A small register is recorded with the services, checkpointed, and given one more deed
after the checkpoint; `manage.py backup` dumps the test database; `manage.py restore`
restores it into scratch databases (named test_landinfo_durability_drill…, dropped
by the fixture whatever happens) as the cluster's superuser. The negative drills damage
the backup's files, or the journal itself, and expect the restore to say so.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import stat
from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from psycopg2 import sql
from psycopg2.extensions import parse_dsn

from tests import factories
from tests.factories import ParcelFactory, current_entry, holders_now
from tests.transactions.journal.test_ledger import person
from transactions.deeds import services
from transactions.deeds.services import DeedInput, PartyInput
from transactions.journal import checkpoints, verify
from transactions.models import JournalEntry, Right
from transactions.operations import backup
from transactions.operations.hardening import OWNER_ROLE
from transactions.operations.restore import database_alias

SUPERUSER_URL = os.environ.get("LANDINFO_SUPERUSER_DATABASE_URL", "")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not SUPERUSER_URL,
        reason="LANDINFO_SUPERUSER_DATABASE_URL is not set: a restore needs a superuser",
    ),
]
SCRATCH = "test_landinfo_durability_drill"
# An address where nothing listens: a restore that tried to connect would say so.
NOWHERE = "postgres://nobody@127.0.0.1:1/postgres"


# --- the cluster, as the superuser ------------------------------------------------------------


def superuser(dbname: str = "postgres") -> Any:
    database = psycopg2.connect(**{**parse_dsn(SUPERUSER_URL), "dbname": dbname})
    database.autocommit = True
    return database


def databases(prefix: str = SCRATCH) -> set[str]:
    with superuser() as database, database.cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database WHERE starts_with(datname, %s)", [prefix])
        found = {row[0] for row in cursor.fetchall()}
    database.close()
    return found


def drop(name: str) -> None:
    database = superuser()
    try:
        with database.cursor() as cursor:
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    finally:
        database.close()


@pytest.fixture
def scratch() -> Iterator[str]:
    """Return the name of a scratch database; drop it and every restore beside it afterwards."""
    for name in databases():  # left by a run that was killed before its finalizer
        drop(name)
    yield SCRATCH
    for name in databases():
        drop(name)


def url(name: str) -> str:
    """Return the application's URL for database `name` (the test database's role)."""
    default = connection.settings_dict
    return (
        f"postgis://{default['USER']}:{default['PASSWORD']}@{default['HOST'] or '127.0.0.1'}:"
        f"{default['PORT'] or 5432}/{name}"
    )


# --- a register to back up --------------------------------------------------------------------


def record_register(notary: User) -> None:
    """Register two parcels, transfer one, mortgage it, checkpoint, then transfer the other."""
    home, field = ParcelFactory(), ParcelFactory()

    def deed(day: dt.date, parcel: int) -> DeedInput:
        return factories.deed(notary, parcel, day)

    for parcel, holder in ((home, "001080000301"), (field, "001080000302")):
        services.record_first_registration(
            parcel_id=parcel.pk,
            holders=[(person(f"Chủ {holder[-3:]}", holder), Fraction(1))],
            deed=deed(dt.date(2020, 1, 1), parcel.pk),
        )
    services.record_transfer(
        parcel_id=home.pk,
        transferors=holders_now(home.pk),
        recipients=[(person("Phạm Thị Dung", "001080000303"), Fraction(1))],
        transfer_type="sale",
        price=Decimal("900000000"),
        deed=deed(dt.date(2021, 1, 1), home.pk),
    )
    services.record_mortgage(
        parcel_id=home.pk,
        lender=PartyInput(kind="organisation", name="Ngân hàng Thử"),
        amount=300_000_000,
        deed=deed(dt.date(2021, 6, 1), home.pk),
    )
    checkpoints.sign_checkpoint()
    services.record_transfer(  # after the checkpoint: anchored only by the chain
        parcel_id=field.pk,
        transferors=holders_now(field.pk),
        recipients=[(person("Hoàng Văn Em", "001080000304"), Fraction(1))],
        transfer_type="gift",
        deed=deed(dt.date(2022, 1, 1), field.pk),
    )


@pytest.fixture
def made(signing_key, notary, tmp_path) -> Path:
    """Return a backup of the test database holding the register above."""
    record_register(notary)
    call_command("backup", output=tmp_path / "backup", stdout=io.StringIO())
    return tmp_path / "backup"


def restore(path: Path, name: str, *args: str, superuser_url: str = SUPERUSER_URL) -> str:
    out = io.StringIO()
    call_command(
        "restore",
        str(path),
        *args,
        database_url=url(name),
        superuser_url=superuser_url,
        stdout=out,
    )
    return out.getvalue()


def rewrite(path: Path, filename: str, document: dict[str, Any]) -> None:
    """Replace one JSON file of a backup and fix its manifest's hash, as a forger would."""
    (path / filename).write_text(json.dumps(document), encoding="utf-8")
    manifest = backup.read_manifest(path)
    manifest["files"][filename]["sha256"] = backup.file_sha256(path / filename)
    (path / backup.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def journal_of(name: str) -> list[tuple[int, str]]:
    database = superuser(name)
    try:
        with database.cursor() as cursor:
            cursor.execute(
                "SELECT sequence, entry_hash FROM transactions_journalentry ORDER BY sequence"
            )
            return cursor.fetchall()
    finally:
        database.close()


def owner_of_journal(name: str) -> str:
    database = superuser(name)
    try:
        with database.cursor() as cursor:
            cursor.execute(
                "SELECT relowner::regrole::text FROM pg_class "
                "WHERE oid = 'transactions_journalentry'::regclass"
            )
            return cursor.fetchone()[0]
    finally:
        database.close()


# --- the drill --------------------------------------------------------------------------------


def test_backup_holds_the_dump_the_signed_checkpoint_and_a_manifest_of_their_hashes(made):
    manifest = backup.read_manifest(made)
    mark = backup.read_checkpoint(made)
    entries = list(JournalEntry.objects.values_list("sequence", "entry_hash"))
    assert manifest["database"] == connection.settings_dict["NAME"]
    assert manifest["journal"] == {"size": 5, "head_hash": entries[-1][1]}
    assert (mark["size"], mark["head_hash"]) == entries[3]
    assert mark["message"].encode() == checkpoints.message(
        mark["size"],
        mark["head_hash"],
        dt.datetime.strptime(mark["signed_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC),
    )
    for name in (backup.DUMP, backup.CHECKPOINT):
        assert manifest["files"][name]["sha256"] == backup.file_sha256(made / name)
    assert manifest["pg_dump_version"].startswith("pg_dump (PostgreSQL)")
    assert not manifest["hardened"]
    # Personal data is in the dump: readable by its owner only; no partial folder is left.
    assert {stat.S_IMODE((made / name).stat().st_mode) for name in os.listdir(made)} == {0o600}
    assert sorted(os.listdir(made.parent)) == ["backup", "keys"]


def test_drill_restored_register_verifies_and_its_head_matches_the_checkpoint(made, scratch):
    source = journal_of(connection.settings_dict["NAME"])
    rights = sorted(Right.objects.values_list("id", "holder_id", "valid_to", "ended_by_id"))

    out = restore(made, scratch)
    assert "entry #4 matches the backup's signed checkpoint" in out
    assert journal_of(scratch) == source
    with database_alias({**connection.settings_dict, "NAME": scratch}) as alias:
        report = verify.verify(using=alias)
        assert report.ok, report.first_failures()
        assert (report.entries, report.anchored, report.unanchored) == (5, 4, 1)
        restored = Right.objects.using(alias).values_list(
            "id", "holder_id", "valid_to", "ended_by_id"
        )
        assert sorted(restored) == rights

    # Destroy it, and restore again into the same name.
    drop(scratch)
    restore(made, scratch)
    assert journal_of(scratch) == source

    # A restore never overwrites a register by accident; --force keeps the one it replaces.
    with pytest.raises(CommandError, match=r"holds \d+ tables; give --force"):
        restore(made, scratch)
    out = restore(made, scratch, "--force")
    (replaced,) = databases(f"{scratch}__replaced_")
    assert f"kept as {replaced}" in out
    assert journal_of(replaced) == journal_of(scratch) == source


def test_restore_refuses_a_dump_with_one_byte_changed_before_touching_any_database(made, scratch):
    dump = made / backup.DUMP
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0x01
    dump.write_bytes(bytes(data))
    # A superuser URL where nothing listens: any connection would fail differently.
    with pytest.raises(CommandError, match=r"database\.dump does not have the SHA-256"):
        restore(made, scratch, superuser_url=NOWHERE)
    assert databases() == set()


def test_restore_refuses_a_checkpoint_whose_signature_does_not_match(made, scratch):
    mark = backup.read_checkpoint(made)
    # A forger who rewrote the journal's head would have to change the signed hash.
    rewrite(made, backup.CHECKPOINT, {**mark, "head_hash": "ab" * 32})
    with pytest.raises(CommandError, match="invalid signature"):
        restore(made, scratch, superuser_url=NOWHERE)
    assert databases() == set()


def test_restore_refuses_a_checkpoint_signed_by_a_key_the_register_does_not_know(made, scratch):
    mark = backup.read_checkpoint(made)
    stranger = Ed25519PrivateKey.generate()
    signed_at = dt.datetime.strptime(mark["signed_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=dt.UTC
    )
    signature = stranger.sign(checkpoints.message(mark["size"], mark["head_hash"], signed_at))
    forged = {
        **mark,
        "key_id": checkpoints.key_id(stranger.public_key()),
        "signature": signature.hex(),
    }
    rewrite(made, backup.CHECKPOINT, forged)
    with pytest.raises(CommandError, match="not among the configured keys"):
        restore(made, scratch, superuser_url=NOWHERE)
    assert databases() == set()


def test_hardened_register_restores_hardened_and_an_edited_journal_fails_the_restore(
    made, scratch, tmp_path
):
    restore(made, scratch)
    settings_dict = {**connection.settings_dict, "NAME": scratch}
    with database_alias(settings_dict) as alias:
        call_command(
            "harden_journal", database=alias, superuser_url=SUPERUSER_URL, stdout=io.StringIO()
        )
        call_command("backup", database=alias, output=tmp_path / "hardened", stdout=io.StringIO())
    assert backup.read_manifest(tmp_path / "hardened")["hardened"]
    copy = f"{scratch}_copy"
    out = restore(tmp_path / "hardened", copy)
    assert "hardened again" in out
    assert owner_of_journal(copy) == OWNER_ROLE

    # The superuser changes one byte of a payload before the checkpoint, triggers off.
    database = superuser(scratch)
    try:
        with database.cursor() as cursor:
            cursor.execute("ALTER TABLE transactions_journalentry DISABLE TRIGGER USER")
            cursor.execute(
                "UPDATE transactions_journalentry SET payload = replace(payload, '900000000', "
                "'900000001') WHERE sequence = 3"
            )
            assert cursor.rowcount == 1
            for trigger in ("no_update_delete", "no_truncate"):
                cursor.execute(
                    "ALTER TABLE transactions_journalentry "
                    f"ENABLE ALWAYS TRIGGER transactions_journalentry_{trigger}"
                )
    finally:
        database.close()
    with database_alias(settings_dict) as alias:
        call_command("backup", database=alias, output=tmp_path / "edited", stdout=io.StringIO())

    out = io.StringIO()
    with pytest.raises(CommandError, match="Restore FAILED: verify_ledger: entry #3") as failed:
        call_command(
            "restore",
            str(tmp_path / "edited"),
            database_url=url(f"{scratch}_edited"),
            superuser_url=SUPERUSER_URL,
            stdout=out,
        )
    (kept,) = databases(f"{scratch}_edited__failed_")
    assert f"kept for inspection as {kept}" in str(failed.value)
    assert f"{scratch}_edited" not in databases()
    assert "FAIL: verify_ledger: entry #3" in out.getvalue()
    assert owner_of_journal(kept) == OWNER_ROLE


def test_backup_without_any_checkpoint_signs_one_and_without_a_key_is_refused(
    notary, tmp_path, settings
):
    settings.LANDINFO = {
        **settings.LANDINFO,
        "SIGNING_KEY_FILE": tmp_path / "keys" / "missing.pem",
        "VERIFY_KEY_FILES": [],
    }
    record_register_without_checkpoint(notary)
    with pytest.raises(CommandError, match="no signed checkpoint yet and none can be signed"):
        call_command("backup", output=tmp_path, stdout=io.StringIO())
    assert os.listdir(tmp_path) == []

    call_command("generate_signing_key", stdout=io.StringIO())
    call_command("backup", output=tmp_path / "signed", stdout=io.StringIO())
    mark = backup.read_checkpoint(tmp_path / "signed")
    head = JournalEntry.objects.order_by("-sequence").first()
    assert (mark["size"], mark["head_hash"]) == (head.sequence, head.entry_hash)


def record_register_without_checkpoint(notary: User) -> None:
    parcel = ParcelFactory()
    services.record_first_registration(
        parcel_id=parcel.pk,
        holders=[(person("Chủ 305", "001080000305"), Fraction(1))],
        deed=DeedInput(
            effective_date=dt.date(2020, 1, 1),
            recorded_by=notary,
            expected_last_entry=current_entry(parcel.pk),
        ),
    )


def test_backup_without_pg_dump_is_refused_and_leaves_nothing(signing_key, tmp_path, monkeypatch):
    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    with pytest.raises(CommandError, match="pg_dump is not installed"):
        call_command("backup", output=tmp_path / "none", stdout=io.StringIO())
    assert sorted(os.listdir(tmp_path)) == ["keys"]


def test_backup_never_writes_the_database_password(made):
    password = connection.settings_dict["PASSWORD"]
    assert password
    for name in os.listdir(made):
        assert password.encode() not in (made / name).read_bytes()


def test_restore_without_a_superuser_url_is_refused_before_touching_any_database(
    made, scratch, monkeypatch
):
    monkeypatch.delenv("LANDINFO_SUPERUSER_DATABASE_URL")
    with pytest.raises(CommandError, match="LANDINFO_SUPERUSER_DATABASE_URL"):
        restore(made, scratch, superuser_url="")
    assert databases() == set()
