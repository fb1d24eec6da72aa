"""Append entries to the journal: gap-free, hash-chained, one writer at a time.

`append` is the only code that inserts journal entries on the register's write path
(the synthetic generator writes its legacy journal with COPY under the same lock).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.utils import timezone

from transactions.journal import hashing, tree
from transactions.journal.head import journal_head
from transactions.models import JournalEntry

# The transaction-level advisory lock every writer of the journal holds while it takes
# the next sequence number: one appender at a time is what a hash chain needs. Deeds
# take it after locking their parcels, always in that order, so no two deeds deadlock.
JOURNAL_LOCK = 0x4C414E44_4A524E4C  # "LANDJRNL"


def append(
    payload: dict[str, Any],
    *,
    recorded_by: AbstractBaseUser | None,
    document_sha256: str = "",
    idempotency_key: str | None = None,
    request_sha256: str = "",
) -> JournalEntry:
    """Append the deed `payload` after the last entry and return the new entry.

    Must run inside the deed's transaction, after its parcels are locked. The entry's
    time is now, or a microsecond after the last entry if the clock is behind it, so
    `recorded_at` never decreases along the sequence.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("journal.append runs inside the deed's transaction.")
    text = hashing.canonical_json(payload)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [JOURNAL_LOCK])
        sequence, prev_hash, last_at = journal_head(cursor)
    recorded_at = timezone.now()
    if last_at is not None and recorded_at <= last_at:
        recorded_at = last_at + dt.timedelta(microseconds=1)
    recorded_by_id = recorded_by.pk if recorded_by is not None else None
    entry = JournalEntry.objects.create(
        sequence=sequence + 1,
        kind=payload["kind"],
        payload=text,
        effective_date=dt.date.fromisoformat(payload["effective_date"]),
        recorded_at=recorded_at,
        recorded_by_id=recorded_by_id,
        idempotency_key=idempotency_key,
        request_sha256=request_sha256,
        document_sha256=document_sha256,
        prev_hash=prev_hash,
        entry_hash=hashing.entry_hash(
            prev_hash,
            sequence + 1,
            text,
            recorded_at=recorded_at,
            recorded_by=recorded_by_id,
            document_sha256=document_sha256,
        ),
    )
    if entry.sequence % tree.TILE_WIDTH == 0:
        # The entry completes a tile of the Merkle tree: store its hash (and any above).
        with connection.cursor() as cursor:
            tree.extend(cursor)
    return entry
