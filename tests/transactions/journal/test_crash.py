"""A deed killed mid-transaction leaves nothing behind, and its retry records it once.

No hook in the register's code stops the deed: the test holds a row lock on the right
the transfer ends (SELECT ... FOR UPDATE from another connection). The deed locks its
parcel, appends its journal entry and then waits on that row in projection.apply, its
entry inserted but uncommitted. pg_stat_activity and pg_locks show it waiting there;
then it dies:

- its backend is terminated (pg_terminate_backend), as when PostgreSQL kills a session
  or the server restarts;
- its client process is SIGKILLed (a gunicorn worker killed by the OOM killer): the
  backend lives on, finishes the statement it waited for once the lock is released,
  and rolls back when it finds its client gone.

Either way: no journal entry, no right, party or parcel changed, the tables still equal
a replay of the journal, the next deed takes the next sequence number (the journal
numbers entries max + 1 under its lock, no sequence object, so no gap), and the same
deed retried with its Idempotency-Key is recorded exactly once.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any

import psycopg2
import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError, connection

from parcels.models import Parcel
from tests.factories import ParcelFactory, current_entry, deed, holders_now
from tests.transactions.journal.test_ledger import person
from transactions.deeds import services
from transactions.deeds.services import DeedInput, PartyInput
from transactions.journal import verify
from transactions.models import JournalEntry, Party, Right

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

REQUEST_SHA256 = "c" * 64
WAIT = 20.0  # seconds for the deed to reach the lock, or its backend to go


def transfer(*, username: str, parcel_id: int, key: str) -> JournalEntry:
    """Record the deed the tests kill: a gift of the whole parcel, with an Idempotency-Key."""
    return services.record_transfer(
        parcel_id=parcel_id,
        transferors=holders_now(parcel_id),
        recipients=[
            (PartyInput(kind="person", name="Vũ Thị Giang", national_id="001080000401"), 1)
        ],
        transfer_type="gift",
        deed=DeedInput(
            effective_date=dt.date(2024, 1, 1),
            recorded_by=User.objects.get(username=username),
            idempotency_key=key,
            request_sha256=REQUEST_SHA256,
            expected_last_entry=current_entry(parcel_id),
        ),
    )


@pytest.fixture
def parcel(notary) -> Parcel:
    """Return a parcel registered to one person, by a committed deed."""
    parcel = ParcelFactory()
    services.record_first_registration(
        parcel_id=parcel.pk,
        holders=[(person("Đỗ Văn Hải", "001080000402"), Fraction(1))],
        deed=deed(notary, parcel.pk, dt.date(2020, 1, 1)),
    )
    return parcel


def connect() -> Any:
    """Return a new connection to the test database as the application's role."""
    settings = connection.settings_dict
    return psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
    )


@pytest.fixture
def locker(parcel) -> Iterator[Any]:
    """Hold, in another transaction, the row lock on the right the transfer must end."""
    (right,) = Right.objects.filter(parcel=parcel, valid_to__isnull=True)
    database = connect()
    try:
        with database.cursor() as cursor:
            cursor.execute("SELECT id FROM transactions_right WHERE id = %s FOR UPDATE", [right.pk])
        yield database
    finally:
        database.close()


def backend_pid(database: Any) -> int:
    with database.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def wait_for(what: str, check: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def blocked_deed(observer: Any, locker_pid: int) -> tuple[int, str]:
    """Return the pid and query of the deed's backend once it waits on the locker's row."""

    def waiting() -> tuple[int, str] | None:
        with observer.cursor() as cursor:
            cursor.execute(
                "SELECT pid, query FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid)) "
                "AND state = 'active' AND wait_event_type = 'Lock'",
                [locker_pid],
            )
            return cursor.fetchone()

    return wait_for("the deed to wait on the locked right", waiting)


def locks_held(observer: Any, pid: int) -> set[tuple[str, str, str]]:
    """Return (lock type, relation or '', mode) of the granted locks of backend `pid`."""
    with observer.cursor() as cursor:
        cursor.execute(
            "SELECT locktype, coalesce(relation::regclass::text, ''), mode FROM pg_locks "
            "WHERE pid = %s AND granted",
            [pid],
        )
        return set(cursor.fetchall())


def state() -> dict[str, Any]:
    """Return everything a deed may change, to compare before and after."""
    return {
        "journal": list(JournalEntry.objects.values_list("sequence", "entry_hash")),
        "rights": list(Right.objects.order_by("id").values()),
        "parties": list(Party.objects.order_by("id").values()),
        "parcels": list(Parcel.objects.order_by("id").values_list("id", "valid_to", "retired_by")),
    }


def assert_deed_left_nothing_and_retries_once(before: dict[str, Any], notary, parcel, key) -> None:
    assert state() == before
    report = verify.verify()
    assert report.ok, report.first_failures()
    last = before["journal"][-1][0]

    entry = transfer(username=notary.username, parcel_id=parcel.pk, key=key)
    assert entry.sequence == last + 1  # no gap where the killed deed was
    again = transfer(username=notary.username, parcel_id=parcel.pk, key=key)
    assert again.sequence == entry.sequence
    assert getattr(again, "replayed", False)
    assert JournalEntry.objects.filter(idempotency_key=key).count() == 1
    assert JournalEntry.objects.count() == len(before["journal"]) + 1
    (holder,) = Right.objects.filter(parcel=parcel, valid_to__isnull=True)
    assert holder.holder.national_id == "001080000401"
    assert verify.verify().ok


def test_deed_whose_backend_is_terminated_mid_transaction_leaves_no_trace(notary, parcel, locker):
    before = state()
    outcome: dict[str, BaseException | JournalEntry] = {}

    def run() -> None:
        try:
            outcome["result"] = transfer(
                username=notary.username, parcel_id=parcel.pk, key="crash-terminated"
            )
        except BaseException as error:  # the test inspects it
            outcome["result"] = error
        finally:
            connection.close()

    deed = threading.Thread(target=run)
    observer = connect()
    observer.autocommit = True
    try:
        deed.start()
        pid, query = blocked_deed(observer, backend_pid(locker))
        # It waits in projection.apply, ending the old right, after its journal INSERT:
        # it holds the journal's advisory lock and the write lock only an INSERT takes on
        # the journal (nothing else writes it), its entry written but not committed.
        assert query.startswith('UPDATE "transactions_right"')
        held = locks_held(observer, pid)
        assert ("advisory", "", "ExclusiveLock") in held
        assert ("relation", "transactions_journalentry", "RowExclusiveLock") in held
        with observer.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            assert cursor.fetchone()[0]
        deed.join(WAIT)
        assert not deed.is_alive()
    finally:
        observer.close()
        locker.rollback()
    assert isinstance(outcome["result"], DatabaseError)
    assert_deed_left_nothing_and_retries_once(before, notary, parcel, "crash-terminated")


def test_deed_whose_client_process_is_killed_mid_transaction_leaves_no_trace(
    notary, parcel, locker
):
    before = state()
    environment = {key: value for key, value in os.environ.items() if key != "TEST_DATABASE_NAME"}
    settings = connection.settings_dict
    environment["DATABASE_URL"] = (
        f"postgis://{settings['USER']}:{settings['PASSWORD']}@{settings['HOST'] or '127.0.0.1'}"
        f":{settings['PORT'] or 5432}/{settings['NAME']}"
    )
    environment["DJANGO_SETTINGS_MODULE"] = "landinfo.settings"
    script = (
        "import django; django.setup()\n"
        "from tests.transactions.journal.test_crash import transfer\n"
        f"transfer(username={notary.username!r}, parcel_id={parcel.pk}, key='crash-killed')\n"
        "print('recorded')\n"
    )
    client = subprocess.Popen(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", script],
        env=environment,
        cwd=os.getcwd(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    observer = connect()
    observer.autocommit = True
    try:
        pid, query = blocked_deed(observer, backend_pid(locker))
        assert query.startswith('UPDATE "transactions_right"')
        assert ("relation", "transactions_journalentry", "RowExclusiveLock") in locks_held(
            observer, pid
        )
        client.send_signal(signal.SIGKILL)
        client.wait(WAIT)
        # The backend outlives its client, still waiting, its entry still uncommitted.
        assert blocked_deed(observer, backend_pid(locker))[0] == pid
        locker.rollback()

        def gone() -> bool:
            with observer.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
                return cursor.fetchone()[0] == 0

        wait_for("the orphaned backend to roll back and exit", gone)
    finally:
        observer.close()
        if client.poll() is None:
            client.kill()
        client.communicate()
    assert client.returncode == -signal.SIGKILL
    assert_deed_left_nothing_and_retries_once(before, notary, parcel, "crash-killed")
