"""The outbox's worker side: take due messages, send them by their channel, mark them sent.

The queue is the `OutboxMessage` table, shared by any number of workers as the export
queue is (parcels.publishing.jobs): `claim` marks a batch of due rows "sending" with
SELECT ... FOR UPDATE SKIP LOCKED in a short transaction, so two workers never take the
same message, and the messages are sent outside it. A message the channel refused
(mail server down, timeout) goes back to "pending" with its next attempt later (10 s,
doubling, at most `MAX_BACKOFF`); one still "sending" after `SEND_TIMEOUT` lost its
worker and is taken again. Every attempt of a message carries the same Message-ID, so
the one case a retry can repeat (a worker killed between the server's "250 OK" and
its own commit) is recognisable by the receiving server and client as one message.

A channel is a row of `CHANNELS`: e-mail today; an SMS gateway or an app's push service
is another class with `open`, `send` and `close`, and messages naming its channel.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import smtplib
from collections.abc import Sequence
from typing import Any, Protocol

from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from landinfo.sql import table
from transactions.models import OutboxMessage

logger = logging.getLogger(__name__)

NOTIFY_CHANNEL = "landinfo_outbox"
BATCH = 50
FIRST_BACKOFF = dt.timedelta(seconds=10)
MAX_BACKOFF = dt.timedelta(seconds=60)
# A message still "sending" after this long lost its worker: another takes it again.
SEND_TIMEOUT = dt.timedelta(minutes=5)
# A message not delivered after this long is given up and marked failed (and logged).
GIVE_UP_AFTER = dt.timedelta(days=3)


class Verdict(enum.Enum):
    """What a channel's refusal of one message means for it and for the rest of the batch."""

    CONNECTION = "connection"  # the server is unreachable or broke off: everything waits
    LATER = "later"  # this address, for now (a temporary refusal): this message waits
    REFUSED = "refused"  # this address will never take it (a permanent refusal): given up


class Channel(Protocol):
    """How messages of one channel leave: one connection per batch."""

    def open(self) -> Any: ...

    def send(self, connection: Any, message: OutboxMessage) -> None:
        """Hand `message` over; raise when it was not accepted."""

    def verdict(self, error: Exception) -> Verdict:
        """Say what the error `send` raised means (see Verdict)."""

    def close(self, connection: Any) -> None: ...


class EmailChannel:
    """E-mail through Django's backend: SMTP in production, files under var/mail in the demo."""

    def open(self) -> Any:
        backend = mail.get_connection(fail_silently=False)
        backend.open()
        return backend

    def send(self, connection: Any, message: OutboxMessage) -> None:
        email = mail.EmailMessage(
            subject=settings.EMAIL_SUBJECT_PREFIX + message.subject,
            body=message.body,
            to=[message.address],
            headers={"Message-ID": message_id(message), "Auto-Submitted": "auto-generated"},
            connection=connection,
        )
        if email.send() != 1:
            raise OSError("The mail backend did not accept the message.")

    def verdict(self, error: Exception) -> Verdict:
        # A refusal names this message's recipient or its content, with an SMTP code:
        # 5xx is final (no such mailbox), 4xx is for later. Anything else (a refused
        # connection, a timeout, a dropped line) is the server's, and every message waits.
        if isinstance(error, smtplib.SMTPRecipientsRefused):
            codes = [code for code, _text in error.recipients.values()]
        elif isinstance(error, smtplib.SMTPResponseException) and not isinstance(
            error, smtplib.SMTPServerDisconnected
        ):
            codes = [error.smtp_code]
        else:
            return Verdict.CONNECTION
        return Verdict.REFUSED if codes and min(codes) >= 500 else Verdict.LATER

    def close(self, connection: Any) -> None:
        try:
            connection.close()
        except Exception:
            logger.debug("Closing the mail connection failed", exc_info=True)


CHANNELS: dict[str, Channel] = {"email": EmailChannel()}


def message_id(message: OutboxMessage) -> str:
    """Return the Message-ID every attempt of `message` carries."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(">") or "landinfo.invalid"
    return f"<outbox-{message.pk}.{message.created_at:%Y%m%d%H%M%S}@{domain}>"


def notify() -> None:
    """Wake listening workers when the caller's transaction commits."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, '')", [NOTIFY_CHANNEL])


_CLAIM = f"""
UPDATE {table(OutboxMessage)} SET status = 'sending', claimed_at = %(now)s,
       attempts = attempts + 1
WHERE id IN (
    SELECT id FROM {table(OutboxMessage)}
    WHERE (status = 'pending' AND next_attempt_at <= %(now)s)
       OR (status = 'sending' AND claimed_at < %(stale)s)
    ORDER BY next_attempt_at, id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
RETURNING id
"""  # noqa: S608 - Django's table name


def claim(*, now: dt.datetime | None = None, limit: int = BATCH) -> list[OutboxMessage]:
    """Mark up to `limit` due messages "sending" and return them, oldest due first."""
    now = now or timezone.now()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM, {"now": now, "stale": now - SEND_TIMEOUT, "limit": limit})
            ids = [row[0] for row in cursor.fetchall()]
        return list(OutboxMessage.objects.filter(pk__in=ids).order_by("next_attempt_at", "id"))


def send_due(*, now: dt.datetime | None = None) -> tuple[int, int]:
    """Send one batch of due messages; return (sent, failed attempts)."""
    now = now or timezone.now()
    messages = claim(now=now)
    sent = failed = 0
    by_channel: dict[str, list[OutboxMessage]] = {}
    for message in messages:
        by_channel.setdefault(message.channel, []).append(message)
    try:
        for name, batch in by_channel.items():
            done, refused = _send_batch(name, batch, now=now)
            sent += done
            failed += refused
    except (KeyboardInterrupt, SystemExit):
        # The worker is being stopped: what it has not handed over goes back to the queue
        # now, not after SEND_TIMEOUT. One being handed over at that moment may have
        # arrived; its retry carries the same Message-ID.
        for message in messages:
            _mine(message).update(status=OutboxMessage.Status.PENDING, next_attempt_at=now)
        raise
    return sent, failed


def _send_batch(name: str, batch: Sequence[OutboxMessage], *, now: dt.datetime) -> tuple[int, int]:
    channel = CHANNELS.get(name)
    if channel is None:
        for message in batch:
            _failed(message, f"No channel {name!r} is configured.", now=now)
        return 0, len(batch)
    sent = 0
    try:
        link = channel.open()
    except Exception as error:
        for message in batch:
            _retry(message, error, now=now)
        return 0, len(batch)
    failed = 0
    try:
        for index, message in enumerate(batch):
            try:
                channel.send(link, message)
            except Exception as error:
                verdict = channel.verdict(error)
                if verdict is Verdict.CONNECTION:  # the server: this one and the rest wait
                    for waiting in batch[index:]:
                        _retry(waiting, error, now=now)
                    return sent, failed + len(batch) - index
                # This address's own answer: the others in the batch go on.
                failed += 1
                if verdict is Verdict.REFUSED:
                    _failed(message, repr(error), now=now)
                else:
                    _retry(message, error, now=now)
                continue
            _sent(message)
            sent += 1
    finally:
        channel.close(link)
    return sent, failed


def _mine(message: OutboxMessage) -> Any:
    """The row while this attempt still holds it (not taken again by another worker)."""
    return OutboxMessage.objects.filter(
        pk=message.pk, status=OutboxMessage.Status.SENDING, claimed_at=message.claimed_at
    )


def _sent(message: OutboxMessage) -> None:
    # The body holds the one-time link: once the message is delivered, it is not kept.
    _mine(message).update(
        status=OutboxMessage.Status.SENT, sent_at=timezone.now(), body="", last_error=""
    )


def _retry(message: OutboxMessage, error: BaseException, *, now: dt.datetime) -> None:
    if now - message.created_at > GIVE_UP_AFTER:
        _failed(message, repr(error), now=now)
        return
    backoff = min(FIRST_BACKOFF * 2 ** max(0, message.attempts - 1), MAX_BACKOFF)
    _mine(message).update(
        status=OutboxMessage.Status.PENDING,
        next_attempt_at=now + backoff,
        last_error=repr(error)[:2000],
    )


def _failed(message: OutboxMessage, error: str, *, now: dt.datetime) -> None:
    logger.error("Outbox message %s to %s given up: %s", message.pk, message.channel, error)
    _mine(message).update(status=OutboxMessage.Status.FAILED, last_error=error[:2000])
