"""The journal's head: its last entry, read in one place by every writer and reader.

The appender reads it under the journal lock to chain the next entry; checkpoints sign
it; a certificate names it; a backup records it. An empty journal's head is `EMPTY`:
size 0, chained to the genesis hash.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from landinfo.sql import table
from transactions.journal.hashing import GENESIS_HASH
from transactions.models import JournalEntry, Right


class Head(NamedTuple):
    sequence: int  # the journal's size
    entry_hash: str
    recorded_at: dt.datetime | None


EMPTY = Head(0, GENESIS_HASH, None)

HEAD_SQL = (
    "SELECT sequence, entry_hash, recorded_at "  # noqa: S608 - Django's table name
    f"FROM {JournalEntry._meta.db_table} ORDER BY sequence DESC LIMIT 1"
)


# A parcel's own head: the last entry that touched it (began, ended or voided one of its
# rights, made or retired it), NULL when none did. The parcel sheet shows it as
# `last_entry`; a deed sends it back as `expected_last_entry` and is refused as stale
# when the parcel moved on. `{parcel}`, `{made}` and `{retired}` name the columns of the
# parcel's id, created_by and retired_by in the caller's query.
LAST_ENTRY_SQL = (
    "greatest("  # noqa: S608 - Django's table name
    "(SELECT max(greatest(r.begun_by_id, r.ended_by_id, r.voided_by_id)) "
    f"FROM {table(Right)} r WHERE r.parcel_id = {{parcel}}), "
    "{made}, {retired})"
)


def journal_head(cursor: Any) -> Head:
    """Return the head of the journal as `cursor`'s connection sees it (`EMPTY` if none)."""
    cursor.execute(HEAD_SQL)
    row = cursor.fetchone()
    return Head(*row) if row else EMPTY
