"""The mail server down for 10 minutes while 200 applications are received, then up.

The worker is called as `manage.py send_alerts` calls it, on a simulated clock: every
alert must reach the server exactly once, counted by Message-ID and by (receipt,
address). And the one window no outbox closes: a server that accepted a message from
a worker that died before marking it sent.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from tests.factories import PartyFactory, user_with_role
from tests.transactions.alerts.conftest import confirmed, file_mortgage, held_parcel
from transactions.alerts import outbox
from transactions.models import OutboxMessage

PARCELS = 10
APPLICATIONS = 200
TICK = dt.timedelta(seconds=5)


def _drain(now: dt.datetime) -> tuple[int, int]:
    """Call the worker until nothing more is due at `now`; return (sent, failed attempts)."""
    sent = failed = 0
    while (result := outbox.send_due(now=now)) != (0, 0):
        sent, failed = sent + result[0], failed + result[1]
    return sent, failed


@pytest.mark.slow
def test_alerts_received_while_the_mail_server_is_down_are_each_delivered_once_when_it_is_up(
    smtp, notary
):
    parcels = []
    for n in range(PARCELS):
        parcel, _holder = held_parcel(f"owner-{n}@example.org")
        confirmed(f"a-{n}@example.org", parcel)
        confirmed(f"b-{n}@example.org", parcel)
        parcels.append(parcel)
    lender = PartyFactory()
    smtp.stop()  # connection refused from now on

    start = timezone.now()
    for n in range(APPLICATIONS):
        file_mortgage(parcels[n % PARCELS], lender, notary)
    expected = APPLICATIONS * 3
    assert OutboxMessage.objects.count() == expected

    clock, attempts_down = start, 0
    while clock <= start + dt.timedelta(minutes=10):
        sent, failed = _drain(clock)
        assert sent == 0
        attempts_down += failed
        clock += TICK
    assert smtp.mailbox.received == []
    assert attempts_down >= expected * 5  # each retried through the outage (backoff ≤ 60 s)
    assert not OutboxMessage.objects.exclude(status="pending").exists()

    smtp.start()
    for _ in range(100):
        _drain(clock)
        if not OutboxMessage.objects.exclude(status="sent").exists():
            break
        clock += TICK
    rows = {outbox.message_id(row): row for row in OutboxMessage.objects.all()}
    ids = Counter(message["Message-ID"] for message in smtp.messages)
    assert len(ids) == expected and set(ids) == set(rows)
    assert max(ids.values()) == 1
    delivered = Counter(
        (rows[r.message["Message-ID"]].application_id, address)
        for r in smtp.mailbox.received
        for address in r.to
    )
    assert len(delivered) == expected and max(delivered.values()) == 1
    assert {address for _, address in delivered} == {
        f"{who}-{n}@example.org" for who in ("owner", "a", "b") for n in range(PARCELS)
    }


def test_a_message_the_server_took_from_a_worker_that_died_is_sent_again_with_its_message_id(
    smtp, notary
):
    parcel, _holder = held_parcel("owner@example.org")
    confirmed("follower@example.org", parcel)
    file_mortgage(parcel, PartyFactory(), notary)
    now = timezone.now()
    # The worker claims the messages and hands them over, then dies before marking them.
    claimed = outbox.claim(now=now)
    channel = outbox.CHANNELS["email"]
    link = channel.open()
    for message in claimed:
        channel.send(link, message)
    channel.close(link)
    assert len(smtp.messages) == 2

    # Another worker leaves them alone while the first might still be sending ...
    assert _drain(now + outbox.SEND_TIMEOUT - dt.timedelta(seconds=1)) == (0, 0)
    # ... and takes them again once it cannot be: the server sees each Message-ID twice.
    assert _drain(now + outbox.SEND_TIMEOUT + dt.timedelta(seconds=1)) == (2, 0)
    ids = Counter(message["Message-ID"] for message in smtp.messages)
    assert sorted(ids.values()) == [2, 2]
    assert ids.keys() == {outbox.message_id(message) for message in claimed}
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}


def test_a_worker_stopped_while_sending_gives_its_batch_back_at_once(db, smtp, monkeypatch):
    parcel, _holder = held_parcel("stop@example.org")
    for n in range(3):
        confirmed(f"follower-{n}@example.org", parcel)
    file_mortgage(parcel, PartyFactory(kind="organisation"), user_with_role("notary", "n-stop"))
    handed = []

    class Stopping(outbox.EmailChannel):
        def send(self, connection, message):
            if handed:
                raise SystemExit(143)  # SIGTERM while the second is handed over
            handed.append(message.pk)
            super().send(connection, message)

    monkeypatch.setitem(outbox.CHANNELS, "email", Stopping())
    with pytest.raises(SystemExit):
        outbox.send_due()

    rows = OutboxMessage.objects.order_by("pk")
    assert [row.status for row in rows].count("sent") == 1
    assert all(row.status == "pending" for row in rows if row.pk not in handed)
    monkeypatch.setitem(outbox.CHANNELS, "email", outbox.EmailChannel())
    assert outbox.send_due() == (3, 0)  # at once, not after the send timeout
    assert len(smtp.messages) == 4


class _Refusing:
    """An SMTP server that refuses two addresses: one for good (550), one for now (451)."""

    def __init__(self) -> None:
        self.accepted: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address.startswith("gone@"):
            return "550 5.1.1 no such user"
        if address.startswith("busy@"):
            return "451 4.2.0 try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.accepted.extend(envelope.rcpt_tos)
        return "250 OK"


def test_one_mailbox_that_refuses_neither_stops_the_others_nor_holds_the_register(
    db, settings, registrar
):
    from aiosmtpd.controller import Controller

    from tests.transactions.alerts.conftest import SMTPServer
    from transactions.applications import decisions
    from transactions.exceptions import AlertsPending

    handler = _Refusing()
    port = SMTPServer().port
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        gone, _ = held_parcel("holder-1@example.org")
        busy, _ = held_parcel("holder-2@example.org")
        confirmed("gone@example.org", gone)
        confirmed("busy@example.org", busy)
        notary = user_with_role("notary", "n-refusing")
        first = file_mortgage(gone, PartyFactory(kind="organisation"), notary)
        second = file_mortgage(busy, PartyFactory(kind="organisation"), notary)

        sent, failed = outbox.send_due()

        assert (sent, failed) == (2, 2)  # the holders' alerts went; each refusal alone
        assert sorted(handler.accepted) == ["holder-1@example.org", "holder-2@example.org"]
        status = dict(OutboxMessage.objects.values_list("address", "status"))
        assert status["gone@example.org"] == "failed" and status["busy@example.org"] == "pending"
        # A mailbox that will never take the alert holds no registration back; one that
        # asks for later does, as a mail server that is down does.
        assert decisions.decide(first.receipt_number, decision="register", by=registrar).entry
        with pytest.raises(AlertsPending):
            decisions.decide(second.receipt_number, decision="register", by=registrar)
    finally:
        controller.stop()
