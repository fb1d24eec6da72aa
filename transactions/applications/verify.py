"""Verify the applications' chain: its events, the receipts they fix, the decisions they state.

Read in one REPEATABLE READ snapshot, events streamed in sequence order:

1. the chain: gap-free, each event naming the hash before it and hashing to its own
   (`hashing.entry_hash` over its canonical payload), times never decreasing;
2. each application: its first event is its receipt, whose payload must still equal
   what its row says (`log.receipt_payload`: a changed body, parcel list, filer's office
   or code shows here), each later step a move the rules allow from the status before
   it, and its row's status, decision time and entry those of its last event;
3. registrations both ways: a `registered` event names the journal entry (and its
   hash) whose payload names the application back, and no journal entry names an
   application that was not registered as it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from transactions.applications import log
from transactions.journal import hashing
from transactions.models import Application

_CHUNK = 5_000
MAX_FAILURES = 1_000
# The moves an application may make: from the status before to the next.
MOVES: dict[str | None, set[str]] = {
    None: {"received"},
    "received": {"on_hold", "registered", "refused", "withdrawn"},
    "on_hold": {"received", "registered", "refused", "withdrawn"},
}
_CLOSED = {"registered", "refused", "withdrawn"}


@dataclass(slots=True)
class Report:
    events: int = 0
    applications: int = 0
    failures: list[str] = field(default_factory=list)
    failure_count: int = 0

    @property
    def ok(self) -> bool:
        return self.failure_count == 0

    def fail(self, message: str) -> None:
        self.failure_count += 1
        if len(self.failures) < MAX_FAILURES:
            self.failures.append(message)


_EVENTS = (
    "SELECT sequence, application_id, status, reason, at, by_id, payload, prev_hash, "
    "event_hash FROM transactions_applicationevent ORDER BY sequence"
)


def verify(*, using: str = DEFAULT_DB_ALIAS) -> Report:
    """Check the applications' chain, receipts and decisions; return what was found."""
    report = Report()
    connection = connections[using]
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=using):
        if outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        last: dict[int, tuple[str, Any, dict[str, Any]]] = {}
        _check_chain(connection, report, last)
        _check_applications(report, last, using)
        _check_journal_names(connection, report)
    return report


def _events(connection: Any) -> Iterator[tuple[Any, ...]]:
    connection.ensure_connection()
    with connection.connection.cursor(name="landinfo_verify_applications") as cursor:
        cursor.itersize = _CHUNK
        cursor.execute(_EVENTS)
        yield from cursor


def _check_chain(
    connection: Any, report: Report, last: dict[int, tuple[str, Any, dict[str, Any]]]
) -> None:
    prev_hash, previous_at, expected = hashing.GENESIS_HASH, None, 1
    receipts = _receipt_rows()
    for row in _events(connection):
        sequence, receipt, status, reason, at, by_id, text, prev, own = row
        report.events += 1
        where = f"application event #{sequence} (application {receipt})"
        if sequence != expected:
            report.fail(f"{where}: expected event #{expected}; events are missing or reordered")
        expected = sequence + 1
        if prev != prev_hash:
            report.fail(f"{where}: does not name the hash of the event before it")
        if hashing.entry_hash(prev, sequence, text, recorded_at=at, recorded_by=by_id) != own:
            report.fail(f"{where}: its hash does not match its contents (it was changed)")
        prev_hash = own
        if previous_at is not None and at < previous_at:
            report.fail(f"{where}: recorded before the event before it")
        previous_at = at
        payload = _payload(text, where, report)
        _check_step(report, where, receipt, status, reason, payload, last, receipts)
        last[receipt] = (status, at, payload)


def _payload(text: str, where: str, report: Report) -> dict[str, Any]:
    try:
        payload = json.loads(text)
    except ValueError:
        report.fail(f"{where}: its payload is not JSON")
        return {}
    if not isinstance(payload, dict) or hashing.canonical_json(payload) != text:
        report.fail(f"{where}: its payload is not canonical JSON")
        return payload if isinstance(payload, dict) else {}
    return payload


def _receipt_rows() -> dict[int, dict[str, Any]]:
    """Return what each application's row says its receipt was (by receipt number)."""
    rows = {}
    for application in Application.objects.order_by("receipt_number").iterator(chunk_size=_CHUNK):
        rows[application.receipt_number] = log.receipt_payload(application)
    return rows


def _check_step(
    report: Report,
    where: str,
    receipt: int,
    status: str,
    reason: str,
    payload: dict[str, Any],
    last: dict[int, tuple[str, Any, dict[str, Any]]],
    receipts: dict[int, dict[str, Any]],
) -> None:
    before = last.get(receipt, (None, None, {}))[0]
    if status not in MOVES.get(before, set()):
        report.fail(f"{where}: {before or 'nothing'} cannot become {status}")
    if payload.get("event") != status or payload.get("receipt_number") != receipt:
        report.fail(f"{where}: its payload states another event or application")
    if status == "received" and before is None and payload != receipts.get(receipt):
        report.fail(
            f"{where}: the application's row no longer says what its receipt recorded "
            "(body, parcels, office or code changed)"
        )
    # The hash covers the payload: a reason column changed beside it shows here.
    if payload.get("reason", "") != reason:
        report.fail(f"{where}: its reason column differs from its payload")


def _check_applications(
    report: Report, last: dict[int, tuple[str, Any, dict[str, Any]]], using: str
) -> None:
    expected = 1
    rows = Application.objects.using(using).order_by("receipt_number")
    for application in rows.select_related("entry").iterator(chunk_size=_CHUNK):
        report.applications += 1
        receipt = application.receipt_number
        where = f"application {receipt}"
        if receipt != expected:
            report.fail(f"{where}: expected receipt number {expected}; receipts are missing")
        expected = receipt + 1
        found = last.get(receipt)
        if found is None:
            report.fail(f"{where}: has no receipt event")
            continue
        status, at, payload = found
        if application.status != status:
            report.fail(f"{where}: its row says {application.status}, its last event {status}")
        if status in _CLOSED and application.decided_at != at:
            report.fail(f"{where}: its decision time differs from its last event's")
        _check_registration(report, where, application, status, payload)


def _check_registration(
    report: Report, where: str, application: Application, status: str, payload: dict[str, Any]
) -> None:
    entry = application.entry
    if status != "registered":
        if entry is not None:
            report.fail(f"{where}: names journal entry #{entry.sequence} but was not registered")
        return
    if entry is None or payload.get("entry") != entry.sequence:
        report.fail(f"{where}: its registration and its row name different journal entries")
        return
    if payload.get("entry_hash") != entry.entry_hash:
        report.fail(f"{where}: journal entry #{entry.sequence} is not the one registered")
    if json.loads(entry.payload).get("application") != application.receipt_number:
        report.fail(f"{where}: journal entry #{entry.sequence} does not name it")


_NAMED = (
    "SELECT j.sequence, (j.payload::jsonb ->> 'application')::bigint "
    "FROM transactions_journalentry j "
    "LEFT JOIN transactions_application a ON a.entry_id = j.sequence "
    # The text test first: only entries that name an application are parsed.
    "WHERE j.payload LIKE '%\"application\":%' AND j.payload::jsonb ? 'application' "
    "AND (a.receipt_number IS NULL "
    "     OR a.receipt_number <> (j.payload::jsonb ->> 'application')::bigint)"
)


def _check_journal_names(connection: Any, report: Report) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_NAMED)
        for sequence, receipt in cursor.fetchall():
            report.fail(
                f"journal entry #{sequence} names application {receipt}, which was not "
                "registered as it"
            )
