"""verify_ledger: a clean journal passes; every kind of tampering is caught and located.

The journal is built with the register's own services (every kind of deed), signed
with a key made in a temporary folder, then tampered with as the database superuser
would: triggers disabled in the same transaction, rows changed, triggers put back.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import psycopg2
import pytest
from django.contrib.auth.models import User
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.management import CommandError, call_command
from django.db import connection
from psycopg2.extensions import parse_dsn

from landinfo.srid import STORAGE_SRID
from parcels.models import Parcel
from tests import factories
from tests.factories import (
    ParcelFactory,
    PartyFactory,
    current_entry,
    entry_parcel,
    holders_now,
    mortgage_now,
    user_with_role,
)
from tests.transactions import factories as legacy
from transactions.deeds import services
from transactions.deeds.services import ChildParcel, DeedInput, PartyInput
from transactions.journal import checkpoints, hashing
from transactions.models import Checkpoint, JournalEntry, Party, Right

SUPERUSER_URL = os.environ.get("LANDINFO_SUPERUSER_DATABASE_URL", "")
needs_superuser = pytest.mark.skipif(
    not SUPERUSER_URL,
    reason="LANDINFO_SUPERUSER_DATABASE_URL is not set (scripts/setup writes it for the "
    "project-local cluster): tampering with the journal needs a PostgreSQL superuser",
)
committed = pytest.mark.django_db(transaction=True)
HALF, QUARTER = Fraction(1, 2), Fraction(1, 4)


# --- building a journal with the services --------------------------------------------------


def person(name: str, national_id: str) -> PartyInput:
    return PartyInput(kind="person", name=name, national_id=national_id)


@dataclass
class History:
    """A journal of every kind of deed, and what tests tamper with."""

    parcel: Parcel  # registered, transferred, mortgaged, subdivided
    other: Parcel  # registered, given away, the gift reversed
    entries: dict[str, int]  # deed name -> sequence

    @property
    def size(self) -> int:
        return max(self.entries.values())


def record_history(
    notary: User, registrar: User, *, checkpoint_at: tuple[int, ...] = ()
) -> History:
    """Record ten deeds of every kind; sign a checkpoint after each entry in `checkpoint_at`."""
    parcel, other = ParcelFactory(), ParcelFactory()
    entries: dict[str, int] = {}

    def record(name: str, entry: JournalEntry) -> None:
        entries[name] = entry.sequence
        if entry.sequence in checkpoint_at:
            checkpoints.sign_checkpoint()

    def deed(day: dt.date, parcels: Any, user: User = notary) -> DeedInput:
        return factories.deed(user, parcels, day, document_sha256="d" * 64)

    record(
        "register",
        services.record_first_registration(
            parcel_id=parcel.pk,
            holders=[
                (person("Nguyễn Văn An", "001080000101"), HALF),
                (person("Trần Thị Bình", "001080000102"), HALF),
            ],
            deed=deed(dt.date(2020, 1, 1), parcel.pk),
        ),
    )
    an = Right.objects.get(parcel=parcel, holder__name="Nguyễn Văn An").holder_id
    record(
        "sale",
        services.record_transfer(
            parcel_id=parcel.pk,
            transferors=[(an, QUARTER)],
            recipients=[(person("Lê Văn Cường", "001080000103"), QUARTER)],
            transfer_type="sale",
            price=Decimal("1000000000"),
            deed=deed(dt.date(2021, 1, 1), parcel.pk),
        ),
    )
    record(
        "mortgage",
        services.record_mortgage(
            parcel_id=parcel.pk,
            lender=PartyInput(kind="organisation", name="Ngân hàng Thử"),
            amount=500_000_000,
            deed=deed(dt.date(2021, 6, 1), parcel.pk),
        ),
    )
    record(
        "discharge",
        services.record_discharge(
            parcel_id=parcel.pk,
            mortgage_id=mortgage_now(parcel.pk),
            deed=deed(dt.date(2022, 1, 1), parcel.pk),
        ),
    )
    record(
        "register other",
        services.record_first_registration(
            parcel_id=other.pk,
            holders=[(person("Phạm Văn Dũng", "001080000104"), 1)],
            deed=deed(dt.date(2020, 1, 1), other.pk),
        ),
    )
    record(
        "gift",
        services.record_transfer(
            parcel_id=other.pk,
            transferors=holders_now(other.pk),
            recipients=[(person("Hoàng Thị Em", "001080000105"), 1)],
            transfer_type="gift",
            deed=deed(dt.date(2022, 6, 1), other.pk),
        ),
    )
    record(
        "reversal",
        services.record_correction(
            corrects=entries["gift"],
            mode="reverse",
            reason="The deed of gift was not signed by the donor.",
            deed=deed(dt.date(2022, 7, 1), entry_parcel(entries["gift"]), registrar),
        ),
    )
    x0, y0 = parcel.boundary.extent[:2]
    halves = [
        ChildParcel(MultiPolygon(Polygon.from_bbox((x0, y0, x0 + 10, y0 + 20)), srid=STORAGE_SRID)),
        ChildParcel(
            MultiPolygon(Polygon.from_bbox((x0 + 10, y0, x0 + 20, y0 + 20)), srid=STORAGE_SRID)
        ),
    ]
    split = services.subdivide_parcel(
        parcel_id=parcel.pk, children=halves, deed=deed(dt.date(2023, 1, 1), parcel.pk)
    )
    record("subdivision", split)
    children = Parcel.objects.filter(created_by=split).values_list("pk", flat=True)
    merged = services.merge_parcels(
        parcel_ids=list(children), deed=deed(dt.date(2023, 6, 1), list(children))
    )
    record("merge", merged)
    record(
        "inheritance",
        services.record_transfer(
            parcel_id=Parcel.objects.get(created_by=merged).pk,
            transferors=holders_now(Parcel.objects.get(created_by=merged).pk),
            recipients=[(person("Vũ Văn Giang", "001080000106"), 1)],
            transfer_type="inheritance",
            deed=deed(dt.date(2024, 1, 1), Parcel.objects.get(created_by=merged).pk),
        ),
    )
    return History(parcel, other, entries)


def verify(*args: str) -> str:
    """Run verify_ledger; return its output, or raise CommandError (output in .output)."""
    out = io.StringIO()
    try:
        call_command("verify_ledger", *args, stdout=out)
    except CommandError as error:
        error.output = out.getvalue()  # type: ignore[attr-defined]
        raise
    return out.getvalue()


def failing(*args: str) -> tuple[str, list[str]]:
    """Run verify_ledger expecting it to fail; return its error and its FAIL lines."""
    with pytest.raises(CommandError) as info:
        verify(*args)
    lines = [line for line in info.value.output.splitlines() if line.startswith("FAIL: ")]
    assert lines and str(info.value) == lines[0], info.value.output
    return str(info.value), lines


def noted() -> list[str]:
    """Run verify_ledger expecting it to pass; return its Note lines."""
    return [line for line in verify().splitlines() if line.startswith("Note: entry #")]


def failing_json() -> str:
    """Run verify_ledger --json expecting it to fail; return its report."""
    with pytest.raises(CommandError) as info:
        verify("--json")
    return info.value.output


# --- tampering as the superuser ---------------------------------------------------------------


@contextmanager
def as_superuser(*tables: str) -> Iterator[Any]:
    """Yield a superuser's cursor on the test database with the tables' triggers off.

    `session_replication_role = replica` silences foreign keys, not the append-only
    triggers (ENABLE ALWAYS): those are disabled by name and put back, ALWAYS again,
    in the same transaction, which commits at the end.
    """
    dsn = parse_dsn(SUPERUSER_URL)
    dsn["dbname"] = connection.settings_dict["NAME"]
    database = psycopg2.connect(**dsn)
    try:
        with database, database.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
            for table in tables:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            yield cursor
            for table in tables:
                for trigger in (f"{table}_no_update_delete", f"{table}_no_truncate"):
                    cursor.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {trigger}")
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgname LIKE '%%_no_%%' AND tgenabled <> 'A'"
            )
            assert cursor.fetchone()[0] == 0
    finally:
        database.close()


Change = Callable[[int, str, dt.datetime, str], tuple[str, dt.datetime, str]]


def rewrite_from(cursor: Any, start: int, change: Change) -> None:
    """Rewrite entries from `start` on with `change`, recomputing every hash after it."""
    cursor.execute(
        "SELECT sequence, payload, recorded_at, recorded_by_id, document_sha256, prev_hash "
        "FROM transactions_journalentry WHERE sequence >= %s ORDER BY sequence",
        [start],
    )
    rows = cursor.fetchall()
    prev = rows[0][5]
    for sequence, payload, recorded_at, recorded_by, document, _ in rows:
        payload, recorded_at, document = change(sequence, payload, recorded_at, document)
        digest = hashing.entry_hash(
            prev,
            sequence,
            payload,
            recorded_at=recorded_at,
            recorded_by=recorded_by,
            document_sha256=document,
        )
        cursor.execute(
            "UPDATE transactions_journalentry SET payload = %s, recorded_at = %s, "
            "document_sha256 = %s, prev_hash = %s, entry_hash = %s WHERE sequence = %s",
            [payload, recorded_at, document, prev, digest, sequence],
        )
        prev = digest


def edit_payload(sequence: int, edit: Callable[[dict[str, Any]], None]) -> Change:
    """Return a change that edits the payload of entry `sequence` and keeps it canonical."""

    def change(at: int, payload: str, recorded_at: dt.datetime, document: str) -> Any:
        if at == sequence:
            data = json.loads(payload)
            edit(data)
            payload = hashing.canonical_json(data)
        return payload, recorded_at, document

    return change


# --- a clean journal passes -----------------------------------------------------------------


@pytest.mark.django_db
def test_clean_journal_of_every_kind_of_deed_passes(notary, registrar, signing_key):
    history = record_history(notary, registrar, checkpoint_at=(3, 6))
    checkpoints.sign_checkpoint()
    output = verify()
    assert "FAIL" not in output and "OK in" in output
    assert f"{history.size} entries checked" in output
    assert "anchored by a valid checkpoint, 0 after it" in output
    report = json.loads(verify("--json"))
    assert report["ok"] and report["entries"] == history.size == 10
    assert report["checkpoints"] == 3 and report["anchored"] == 10
    assert report["rows_compared"]["rights"] == Right.objects.count()
    # The parent, its two children, the merged parcel: every parcel a deed made or retired.
    assert report["rows_compared"]["parcels"] == 4
    assert report["rows_compared"]["lineage"] == 4
    assert report["rows_compared"]["parties"] == Party.objects.count()  # each one stated
    assert "Replay: skipped" in verify("--skip-replay")


@pytest.mark.django_db
def test_entries_after_the_last_checkpoint_are_reported_as_not_yet_anchored(
    notary, registrar, signing_key
):
    record_history(notary, registrar, checkpoint_at=(7,))
    output = verify()
    assert "entries up to #7 are anchored by a valid checkpoint, 3 after it are not yet" in output


@pytest.mark.django_db
def test_journal_written_by_schema_1_helpers_without_parties_replays(signing_key):
    """Payloads of older writers have no "parties" nor "parcels_created": rights still replay."""
    parcel, holder, buyer, bank = (
        ParcelFactory(),
        PartyFactory(),
        PartyFactory(),
        PartyFactory(kind=Party.Kind.ORGANISATION),
    )
    legacy.register(parcel, [(holder, Fraction(1))], on=dt.date(2001, 1, 1))
    mortgage = legacy.mortgage(parcel, bank, on=dt.date(2002, 1, 1))
    legacy.discharge(mortgage, on=dt.date(2003, 1, 1))
    legacy.transfer(parcel, [(buyer, Fraction(1))], on=dt.date(2004, 1, 1))
    report = json.loads(verify("--json"))
    assert report["ok"], report
    assert report["rows_compared"] == {"rights": 3, "parcels": 0, "lineage": 0, "parties": 0}


@pytest.mark.django_db
def test_generated_register_passes(signing_key):
    call_command("generate_parcels", count=200, seed=1, stdout=io.StringIO())
    checkpoints.sign_checkpoint()
    report = json.loads(verify("--json"))
    assert report["ok"], report["failures"]
    assert report["entries"] == JournalEntry.objects.count() > 200
    assert report["rows_compared"]["rights"] == Right.objects.count()


# --- the replay's own reading of the rules -------------------------------------------------------


@pytest.mark.django_db
def test_changed_right_in_the_projection_is_named_by_the_entry_that_began_it(
    notary, registrar, signing_key
):
    history = record_history(notary, registrar)
    right = Right.objects.get(begun_by=history.entries["sale"], holder__name="Lê Văn Cường")
    stranger = PartyFactory()
    Right.objects.filter(pk=right.pk).update(holder=stranger)
    error, lines = failing()
    assert error == (
        f"FAIL: entry #{history.entries['sale']}: right {right.pk} differs from the journal: "
        f"holder_id is {stranger.pk} in the table, {right.holder_id} by the journal"
    )
    assert len(lines) == 1


@pytest.mark.django_db
def test_right_missing_from_the_projection_is_named(notary, registrar, signing_key):
    history = record_history(notary, registrar)
    # The discharge never reached the table: the mortgage is still open there.
    Right.objects.filter(ended_by=history.entries["discharge"]).update(valid_to=None, ended_by=None)
    error, _ = failing()
    assert error.startswith(f"FAIL: entry #{history.entries['discharge']}: right ")
    assert "ended_by_id is None in the table" in error


@pytest.mark.django_db
def test_changed_party_is_named_without_showing_personal_data(notary, registrar, signing_key):
    history = record_history(notary, registrar)
    party = Party.objects.get(name="Vũ Văn Giang")
    Party.objects.filter(pk=party.pk).update(name="Someone Else", national_id="009999999999")
    error, lines = failing()
    assert error == (
        f"FAIL: entry #{history.entries['inheritance']}: party {party.pk} differs from the "
        "journal: name differs; national_id differs"
    )
    output = "\n".join(lines)
    for personal in ("Vũ Văn Giang", "Someone Else", "009999999999", "001080000106"):
        assert personal not in output


@pytest.mark.django_db
def test_parcel_made_by_a_deed_with_another_boundary_is_named(notary, registrar, signing_key):
    history = record_history(notary, registrar)
    child = Parcel.objects.filter(created_by=history.entries["subdivision"]).first()
    moved = MultiPolygon(Polygon.from_bbox((0, 0, 10, 10)), srid=STORAGE_SRID)
    Parcel.objects.filter(pk=child.pk).update(boundary=moved)
    error, _ = failing()
    assert error == (
        f"FAIL: entry #{history.entries['subdivision']}: parcel {child.pk} differs from the "
        "journal: boundary differs"
    )


# --- tampering with the journal itself ------------------------------------------------------------


@needs_superuser
@committed
def test_one_changed_byte_of_a_payload_is_named(notary, registrar, signing_key):
    history = record_history(notary, registrar)
    sale = history.entries["sale"]
    with as_superuser("transactions_journalentry") as cursor:
        cursor.execute(
            "UPDATE transactions_journalentry SET payload = "
            'replace(payload, \'"price":"1000000000"\', \'"price":"9000000000"\') '
            "WHERE sequence = %s",
            [sale],
        )
        assert cursor.rowcount == 1
    error, lines = failing()
    assert error.startswith(f"FAIL: entry #{sale}: its content does not hash to its entry_hash")
    assert len(lines) == 1


@needs_superuser
@committed
def test_deleted_entry_is_named(notary, registrar, signing_key):
    history = record_history(notary, registrar)
    gone = history.entries["discharge"]
    with as_superuser("transactions_journalentry") as cursor:
        cursor.execute("DELETE FROM transactions_journalentry WHERE sequence = %s", [gone])
    error, _ = failing()
    assert error == f"FAIL: entry #{gone}: missing: the journal skips #{gone} after #{gone - 1}"
    assert failing("--skip-replay")[0] == error


@needs_superuser
@committed
def test_swapped_entries_are_named(notary, registrar, signing_key):
    history = record_history(notary, registrar)
    first, second = history.entries["mortgage"], history.entries["gift"]
    with as_superuser("transactions_journalentry") as cursor:
        for old, new in ((first, 1000), (second, first), (1000, second)):
            cursor.execute(
                "UPDATE transactions_journalentry SET sequence = %s WHERE sequence = %s",
                [new, old],
            )
    error, _ = failing()
    assert error.startswith(f"FAIL: entry #{first}: prev_hash is not the hash of entry")


@needs_superuser
@committed
def test_swapped_payloads_are_named(notary, registrar, signing_key):
    history = record_history(notary, registrar)
    first, second = history.entries["register"], history.entries["register other"]
    with as_superuser("transactions_journalentry") as cursor:
        cursor.execute(
            "UPDATE transactions_journalentry j SET payload = o.payload "
            "FROM transactions_journalentry o WHERE (j.sequence, o.sequence) IN ((%s, %s), (%s, %s))",
            [first, second, second, first],
        )
        assert cursor.rowcount == 2
    error, _ = failing()
    assert error.startswith(f"FAIL: entry #{first}: its content does not hash")


@needs_superuser
@committed
def test_changed_recording_time_is_named(notary, registrar, signing_key):
    history = record_history(notary, registrar)
    moved = history.entries["gift"]
    with as_superuser("transactions_journalentry") as cursor:
        cursor.execute(
            "UPDATE transactions_journalentry SET recorded_at = recorded_at - interval '1 day' "
            "WHERE sequence = %s",
            [moved],
        )
    error, lines = failing()
    assert error.startswith(f"FAIL: entry #{moved}: its content does not hash")
    assert any("recording time went back" in line for line in lines)


@needs_superuser
@committed
def test_changed_right_row_is_named_when_the_journal_is_untouched(notary, registrar, signing_key):
    history = record_history(notary, registrar)
    right = Right.objects.get(begun_by=history.entries["register"], holder__name="Trần Thị Bình")
    with as_superuser() as cursor:
        cursor.execute(
            "UPDATE transactions_right SET share_numerator = 3, share_denominator = 4 "
            "WHERE id = %s",
            [right.pk],
        )
    error, _ = failing()
    assert error.startswith(
        f"FAIL: entry #{history.entries['register']}: right {right.pk} differs from the journal: "
        "share_numerator is 3 in the table, 1 by the journal"
    )


@needs_superuser
@committed
def test_rewritten_tail_with_recomputed_hashes_fails_the_checkpoint_after_it(
    notary, registrar, signing_key
):
    history = record_history(notary, registrar, checkpoint_at=(3, 6, 10))
    assert history.size == 10
    signed_at_6 = hashing.hashed_time(Checkpoint.objects.get(size=6).signed_at)

    def swap_document(sequence: int, payload: str, at: dt.datetime, document: str) -> Any:
        return payload, at, ("e" * 64 if sequence == 5 else document)

    with as_superuser("transactions_journalentry") as cursor:
        rewrite_from(cursor, 5, swap_document)
    error, lines = failing()
    assert error == (
        f"FAIL: entry #6: entries up to #6 no longer match the checkpoint signed at "
        f"{signed_at_6}; the journal was rewritten after #3"
    )
    # The chain and the replay hold: only the checkpoints tell, the signed head hash and
    # the signed Merkle root of #6 (#10's fail as well: a note says so).
    assert len(lines) == 2
    assert lines[1].startswith(
        f"FAIL: entry #6: the C2SP checkpoint of #6 signed at {signed_at_6} signed a Merkle root"
    )
    assert failing("--skip-replay")[0] == error
    report = json.loads(failing_json())
    assert report["anchored"] == 3 and report["unanchored"] == 7
    assert any("1 later checkpoint" in note for note in report["notes"])


@needs_superuser
@committed
def test_deleted_tail_fails_the_checkpoint_that_covered_it(notary, registrar, signing_key):
    record_history(notary, registrar, checkpoint_at=(6, 10))
    with as_superuser("transactions_journalentry") as cursor:
        cursor.execute("DELETE FROM transactions_journalentry WHERE sequence > 8")
    error, _ = failing("--skip-replay")
    assert error.startswith("FAIL: entry #10: entries up to #10 no longer match the checkpoint")
    assert error.endswith("the journal ends at #8; entries after #6 were deleted or rewritten")


@needs_superuser
@committed
def test_forged_checkpoint_is_named(notary, registrar, signing_key):
    record_history(notary, registrar, checkpoint_at=(6,))
    with as_superuser("transactions_checkpoint") as cursor:
        cursor.execute(
            "UPDATE transactions_checkpoint SET size = 5, head_hash = "
            "(SELECT entry_hash FROM transactions_journalentry WHERE sequence = 5)"
        )
    error, _ = failing()
    assert error.startswith("FAIL: entry #5: the checkpoint of #5 signed at ")
    assert error.endswith("has an invalid signature: it was altered or forged")


@needs_superuser
@committed
def test_rewritten_entry_that_ends_an_ended_right_is_named_by_the_replay(
    notary, registrar, signing_key
):
    history = record_history(notary, registrar)
    ended = Right.objects.get(ended_by=history.entries["sale"], holder__name="Nguyễn Văn An")

    def end_it_again(payload: dict[str, Any]) -> None:
        payload["rights_ended"] = [ended.pk]

    with as_superuser("transactions_journalentry") as cursor:
        rewrite_from(
            cursor,
            history.entries["discharge"],
            edit_payload(history.entries["discharge"], end_it_again),
        )
    error, lines = failing()
    assert error == (
        f"FAIL: entry #{history.entries['discharge']}: ends right {ended.pk}, which entry "
        f"#{history.entries['sale']} ended on 2021-01-01"
    )
    assert len(lines) == 1


@needs_superuser
@committed
def test_rewritten_entry_whose_shares_do_not_add_up_is_named_by_the_replay(
    notary, registrar, signing_key
):
    history = record_history(notary, registrar)
    first = history.entries["register"]

    def quarter(payload: dict[str, Any]) -> None:
        payload["rights_begun"][1]["share"] = "1/4"

    with as_superuser("transactions_journalentry") as cursor:
        rewrite_from(cursor, first, edit_payload(first, quarter))
    error, _ = failing()
    assert error == (
        f"FAIL: entry #{first}: leaves the ownership shares of parcel {history.parcel.pk} "
        "summing to 3/4, not 1 (nor 0)"
    )


# --- deeds dated before what they act on ------------------------------------------------------
# Written past the services (which refuse them), as an older release could: the replay
# names them in notes and goes on checking; an entry is never rewritten, so they pass.


@pytest.mark.django_db
def test_replay_names_a_right_begun_before_its_parcel_existed(signing_key):
    parcel = ParcelFactory(valid_from=dt.date(2010, 5, 1))  # a survey parcel
    (right,) = legacy.register(parcel, [(PartyFactory(), Fraction(1))], on=dt.date(1, 1, 1))
    lines = noted()
    assert (
        f"Note: entry #{right.begun_by_id}: begins right {right.pk} on parcel {parcel.pk} "
        "on 0001-01-01, before the parcel existed (2010-05-01)"
        " (a date refused now)"
    ) in lines
    assert len(lines) == 1, lines


@pytest.mark.django_db
def test_replay_names_a_right_begun_before_a_deed_made_its_parcel(notary, signing_key):
    parcel = ParcelFactory()
    x0, y0 = parcel.boundary.extent[:2]
    split = services.subdivide_parcel(
        parcel_id=parcel.pk,
        children=[
            ChildParcel(
                MultiPolygon(Polygon.from_bbox((x0, y0, x0 + 10, y0 + 20)), srid=STORAGE_SRID)
            ),
            ChildParcel(
                MultiPolygon(Polygon.from_bbox((x0 + 10, y0, x0 + 20, y0 + 20)), srid=STORAGE_SRID)
            ),
        ],
        deed=DeedInput(
            effective_date=dt.date(2022, 1, 1),
            recorded_by=notary,
            expected_last_entry=current_entry(parcel.pk),
        ),
    )
    child = Parcel.objects.filter(created_by=split).order_by("pk").first()
    (right,) = legacy.register(child, [(PartyFactory(), Fraction(1))], on=dt.date(2021, 1, 1))
    lines = noted()
    assert (
        f"Note: entry #{right.begun_by_id}: begins right {right.pk} on parcel {child.pk} on "
        f"2021-01-01, before entry #{split.sequence} made the parcel (2022-01-01)"
        " (a date refused now)"
    ) in lines


@pytest.mark.django_db
def test_replay_names_a_mortgage_dated_before_its_grantors_held_the_parcel(signing_key):
    parcel, bank = ParcelFactory(), PartyFactory(kind=Party.Kind.ORGANISATION)
    (owner,) = legacy.register(parcel, [(PartyFactory(), Fraction(1))], on=dt.date(2020, 1, 1))
    mortgage = legacy.mortgage(parcel, bank, on=dt.date(2019, 6, 1))
    lines = noted()
    assert (
        f"Note: entry #{mortgage.begun_by_id}: mortgages parcel {parcel.pk} on 2019-06-01, "
        f"before its holder's right {owner.pk} began (2020-01-01)"
        " (a date refused now)"
    ) in lines


@pytest.mark.django_db
def test_replay_names_a_transfer_dated_before_a_mortgage_its_holders_granted(signing_key):
    parcel, bank = ParcelFactory(), PartyFactory(kind=Party.Kind.ORGANISATION)
    legacy.register(parcel, [(PartyFactory(), Fraction(1))], on=dt.date(2020, 1, 1))
    mortgage = legacy.mortgage(parcel, bank, on=dt.date(2024, 1, 1))
    (bought,) = legacy.transfer(parcel, [(PartyFactory(), Fraction(1))], on=dt.date(2023, 6, 1))
    lines = noted()
    assert (
        f"Note: entry #{bought.begun_by_id}: transfers parcel {parcel.pk} on 2023-06-01, "
        f"before its holders granted mortgage right {mortgage.pk} (2024-01-01)"
        " (a date refused now)"
    ) in lines


@pytest.mark.django_db
def test_entries_after_a_misdated_one_are_still_checked(signing_key):
    parcel, later = ParcelFactory(valid_from=dt.date(2010, 5, 1)), ParcelFactory()
    legacy.register(parcel, [(PartyFactory(), Fraction(1))], on=dt.date(2000, 1, 1))
    (right,) = legacy.register(later, [(PartyFactory(), Fraction(1))], on=dt.date(2021, 1, 1))
    stranger = PartyFactory()
    Right.objects.filter(pk=right.pk).update(holder=stranger)
    error, _ = failing()
    assert error == (
        f"FAIL: entry #{right.begun_by_id}: right {right.pk} differs from the journal: "
        f"holder_id is {stranger.pk} in the table, {right.holder_id} by the journal"
    )


@pytest.mark.django_db
def test_replay_names_a_correction_dated_before_the_entry_it_corrects(
    notary, registrar, signing_key
):
    from django.db import transaction

    from transactions.deeds import payloads
    from transactions.journal import append as journal
    from transactions.journal import projection

    parcel = ParcelFactory()
    registration = services.record_first_registration(
        parcel_id=parcel.pk,
        holders=[(person("Nguyễn Văn An", "001080000101"), 1)],
        deed=DeedInput(
            effective_date=dt.date(2020, 1, 1),
            recorded_by=notary,
            expected_last_entry=current_entry(parcel.pk),
        ),
    )
    with transaction.atomic():
        payload = payloads.correction_payload(
            parcel_id=parcel.pk,
            identifier=parcel.identifier,
            effective_date=dt.date(2019, 12, 31),
            corrects=registration.sequence,
            mode=payloads.CorrectionMode.REVERSE,
            reason="Nhầm.",
            rights_voided=list(
                Right.objects.filter(begun_by=registration).values_list("pk", flat=True)
            ),
            rights=[],
        )
        correction = journal.append(payload, recorded_by=registrar)
        projection.apply(correction, payload)
    lines = noted()
    assert (
        f"Note: entry #{correction.sequence}: corrects entry #{registration.sequence} of "
        "2020-01-01 on 2019-12-31, an earlier day"
        " (a date refused now)"
    ) in lines


# --- national IDs stored in another spelling --------------------------------------------------


def _legacy_registration(parcel: Parcel, party: Party, stated: str, user: User) -> None:
    """Record a first registration as the register did before numbers had one spelling:
    the deed states the number as typed, and the party row holds it so."""
    from django.db import transaction

    from transactions.deeds import payloads
    from transactions.journal import append as journal
    from transactions.journal import projection

    with transaction.atomic():
        (right_id,) = services._next_ids("transactions_right", 1)
        payload = payloads.first_registration_payload(
            parcel_id=parcel.pk,
            identifier=parcel.identifier,
            effective_date=dt.date(2020, 1, 1),
            rights=[payloads.NewRight(right_id, party.pk, payloads.OWNERSHIP, Fraction(1))],
            parties=[payloads.PartyStatement(party.pk, party.kind, party.name, stated)],
        )
        projection.apply(journal.append(payload, recorded_by=user), payload)


@pytest.mark.django_db
def test_verify_ledger_passes_after_stored_numbers_are_given_one_spelling(capsys):
    import importlib

    from django.apps import apps

    notary = user_with_role("notary", "notary-spelling")
    migration = importlib.import_module("transactions.migrations.0005_national_id_spelling")
    spelled = {
        "001-080-000-011": "001080000011",  # the form's spelling
        "001080000012".translate({c: c + 0xFEE0 for c in range(0x30, 0x3A)}): "001080000012",
        "001 080 000 013": "001080000013",
    }
    parties = []
    for typed in [*spelled, "001-080-000-014", "001080000014"]:  # the last two: one person twice
        party = PartyFactory(name=f"Người {len(parties)}", national_id=typed)
        _legacy_registration(ParcelFactory(), party, typed, notary)
        parties.append(party)
    assert "OK" in verify()

    migration.normalise(apps, connection.schema_editor())
    stored = dict(
        Party.objects.filter(pk__in=[p.pk for p in parties]).values_list("pk", "national_id")
    )
    assert [stored[p.pk] for p in parties[:3]] == list(spelled.values())
    # Two parties with one number: left as they were, and reported by id, not by number.
    assert [stored[p.pk] for p in parties[3:]] == ["001-080-000-014", "001080000014"]
    report = capsys.readouterr().out
    assert f"Parties {parties[3].pk}, {parties[4].pk}" in report and "001" not in report
    assert "OK" in verify()
    # A number changed in a digit is still a difference.
    Party.objects.filter(pk=parties[0].pk).update(national_id="001080000019")
    with pytest.raises(CommandError) as failed:
        verify()
    assert "national_id" in failed.value.output  # type: ignore[attr-defined]
