"""The applications' own chain: receipt numbers and events, gap-free and hash-chained.

Every event is appended here, under one advisory lock held to the end of its
transaction, so receipt numbers and event sequences have no gaps and follow the order
of commits. An event's hash is the journal's (`hashing.entry_hash`) over its canonical
payload, so the two chains are read and verified the same way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.utils import timezone

from landinfo.sql import table
from transactions.journal import hashing
from transactions.models import Application, ApplicationEvent

# The transaction-level advisory lock of the applications' chain ("LANDAPPL").
APPLICATION_LOCK = 0x4C414E44_4150504C

_HEAD_SQL = (
    "SELECT sequence, event_hash, at "  # noqa: S608 - Django's table name
    f"FROM {table(ApplicationEvent)} ORDER BY sequence DESC LIMIT 1"
)
_LAST_RECEIPT_SQL = f"SELECT coalesce(max(receipt_number), 0) FROM {table(Application)}"  # noqa: S608


def lock() -> None:
    """Take the chain's lock for the rest of the transaction (one appender at a time)."""
    if not connection.in_atomic_block:
        raise RuntimeError("The applications' chain is appended inside a transaction.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [APPLICATION_LOCK])


def next_receipt_number() -> int:
    """Return the receipt number the next application gets (call under `lock`)."""
    with connection.cursor() as cursor:
        cursor.execute(_LAST_RECEIPT_SQL)
        (last,) = cursor.fetchone()
    return int(last) + 1


def now_after_head() -> dt.datetime:
    """Return now, or a microsecond after the last event if the clock is behind it."""
    with connection.cursor() as cursor:
        cursor.execute(_HEAD_SQL)
        row = cursor.fetchone()
    moment = timezone.now()
    if row is not None and moment <= row[2]:
        moment = row[2] + dt.timedelta(microseconds=1)
    return moment


def body_sha256(body_text: str) -> str:
    """Return the SHA-256 of an application's canonical body, as its receipt event chains it."""
    return hashlib.sha256(body_text.encode()).hexdigest()


def receipt_payload(application: Application) -> dict[str, Any]:
    """Return what the receipt event states: the application's fixed columns, the body by hash."""
    return {
        "event": "received",
        "receipt_number": application.receipt_number,
        "kind": application.kind,
        "parcels": list(application.parcels),
        "request_sha256": application.request_sha256,
        "body_sha256": body_sha256(application.body),
        "document_sha256": application.document_sha256,
        "expected_last_entry": application.expected_last_entry,
        "office": application.office,
        "status_code_sha256": hashlib.sha256(application.status_code.encode()).hexdigest(),
    }


def append(
    application: Application,
    status: str,
    *,
    by: AbstractBaseUser | None,
    reason: str = "",
    at: dt.datetime | None = None,
    payload: dict[str, Any] | None = None,
) -> ApplicationEvent:
    """Append the event moving `application` to `status`; return it (call under `lock`).

    The receipt's payload is `receipt_payload`; a later event's names its application,
    its new status, its reason and, for a registration, the journal entry.
    """
    with connection.cursor() as cursor:
        cursor.execute(_HEAD_SQL)
        row = cursor.fetchone()
    sequence, prev_hash = (row[0], row[1]) if row else (0, hashing.GENESIS_HASH)
    at = at or now_after_head()
    body = payload or {
        "event": status,
        "receipt_number": application.receipt_number,
        "reason": reason,
    }
    text = hashing.canonical_json(body)
    by_id = by.pk if by is not None else None
    return ApplicationEvent.objects.create(
        sequence=sequence + 1,
        application_id=application.receipt_number,
        status=status,
        reason=reason,
        at=at,
        by_id=by_id,
        payload=text,
        prev_hash=prev_hash,
        event_hash=hashing.entry_hash(
            prev_hash, sequence + 1, text, recorded_at=at, recorded_by=by_id
        ),
    )
