"""A worker's sleep that PostgreSQL can cut short: LISTEN on a channel, wake on NOTIFY.

The background workers (exports, the outbox) poll their queue table as a fallback and
are woken at once when a row is queued (`pg_notify` in the queuing transaction).
"""

from __future__ import annotations

import select
import time

from django.db import connection


def listen(channel: str) -> bool:
    """LISTEN on `channel`; return whether this database connection can be woken."""
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute(f"LISTEN {channel}")
    return hasattr(connection.connection, "notifies")


def wait(seconds: float) -> None:
    """Sleep until a notification arrives on a channel listened to, or `seconds` pass."""
    raw = connection.connection
    if raw is None or not hasattr(raw, "notifies"):
        time.sleep(seconds)
        return
    readable, _, _ = select.select([raw], [], [], seconds)
    if readable:
        raw.poll()
        raw.notifies.clear()
