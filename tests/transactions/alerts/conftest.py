"""A real SMTP server in the test process (aiosmtpd), and parcels whose holder has an address."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from fractions import Fraction
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.factories import DEED_DAY, ParcelFactory, PartyFactory, current_entry
from tests.transactions.factories import register
from transactions.applications.receipt import file_application
from transactions.models import AlertSubscription


@dataclass
class Received:
    to: list[str]
    message: EmailMessage
    at: float


@dataclass
class Mailbox:
    """What the SMTP server accepted, in order."""

    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.received.append(Received(list(envelope.rcpt_tos), message, time.time()))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


class SMTPServer:
    """An aiosmtpd server on a fixed free port that can be stopped and started again."""

    def __init__(self) -> None:
        self.mailbox = Mailbox()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        return [received.message for received in self.mailbox.received]


@pytest.fixture
def smtp(settings):
    """A running SMTP server, and Django's SMTP backend pointed at it."""
    server = SMTPServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "registry@landinfo.test"
    settings.LANDINFO = {**settings.LANDINFO, "PUBLIC_URL": "https://landinfo.test"}
    yield server
    server.stop()


def held_parcel(email: str = "", **party: Any):
    """Return a parcel registered to one holder (with `email` on file) and the holder."""
    parcel: Any = ParcelFactory()
    holder: Any = PartyFactory(email=email, **party)
    register(parcel, [(holder, Fraction(1))], on=DEED_DAY - dt.timedelta(days=400))
    return parcel, holder


def confirmed(email: str, parcel, language: str = "en") -> AlertSubscription:
    now = dt.datetime.now(dt.UTC)
    return AlertSubscription.objects.create(
        email=email, parcel=parcel, language=language, created_at=now, confirmed_at=now
    )


def mortgage_body(parcel, lender, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "mortgage",
        "parcel": parcel.pk,
        "effective_date": DEED_DAY.isoformat(),
        "expected_last_entry": current_entry(parcel),
        "lender": lender.pk,
        "amount": "900000000",
        **extra,
    }


def file_mortgage(parcel, lender, notary, **extra: Any):
    """File an application of a mortgage on `parcel`; return it."""
    return file_application(
        mortgage_body(parcel, lender, **extra),
        user=notary,
        idempotency_key=str(uuid.uuid4()),
    )
