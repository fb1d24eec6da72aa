"""Alerts: from an application's receipt to its alerts handed to the mail server.

LandInfo: `manage.py send_alerts` runs as its own process, as `make demo` and docker/
run it, sending to an SMTP server (aiosmtpd) in this process, which notes when each
message arrives. N applications (mortgages of current parcels, each parcel with two
confirmed subscribers) are filed one after another by `file_application` in another
process, a short pause apart, as notaries' deeds arrive. Each alert's latency is its
arrival at the server minus its application's `received_at` (one clock: one machine).
Every alert must arrive, once: a missing or doubled one is an error.

The floor: the same number of messages of the same size sent straight to the same
server with smtplib, one connection each, timed from the call to the arrival.

Target (issue 18): p95 ≤ 30 s with the worker running. The ratio says what the outbox,
its NOTIFY and the worker's batch cost beside a bare SMTP send.
"""

from __future__ import annotations

import json
import os
import re
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import closing
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script (the filer): the project on the path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import ROOT, Context, Measure, Row

SECTION = "alerts"
SUBSCRIBERS = 2  # confirmed subscribers of each parcel filed on
PAUSE_S = 0.05  # between two applications: arrivals, not a batch


class _Arrivals:
    """The SMTP server's handler: the arrival time of each Message-ID, and each recipient."""

    def __init__(self) -> None:
        self.at: dict[str, list[float]] = {}
        self.recipients: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        arrived = time.time()
        headers = BytesHeaderParser().parsebytes(envelope.content)
        with self.lock:
            self.at.setdefault(str(headers["Message-ID"]), []).append(arrived)
            self.recipients.update(envelope.rcpt_tos)
        return "250 OK"

    def count(self) -> int:
        with self.lock:
            return sum(len(times) for times in self.at.values())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(ctx: Context) -> list[Row]:
    """Time receipt → alert at the server with the worker running; beside a bare send."""
    from aiosmtpd.controller import Controller

    applications = ctx.scaled(200, 20)
    arrivals = _Arrivals()
    port = _free_port()
    server = Controller(arrivals, hostname="127.0.0.1", port=port)
    server.start()
    env = {
        **ctx.env,
        "DJANGO_EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "DJANGO_DEFAULT_FROM_EMAIL": "bench@landinfo.invalid",
    }
    worker = subprocess.Popen(
        [str(ctx.python), str(ROOT / "manage.py"), "send_alerts", "--poll", "10"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    try:
        time.sleep(2)  # the worker listens before the first receipt
        filed = subprocess.run(
            [str(ctx.python), __file__, "--file", str(applications)],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        receipts = json.loads(filed.stdout.strip().splitlines()[-1])
        expected = applications * SUBSCRIBERS
        deadline = time.monotonic() + 120
        while arrivals.count() < expected and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1)  # a doubled message would arrive now
        ours = _ours(ctx, arrivals, receipts, expected)
        floor = _floor(port, arrivals, count=expected)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        server.stop()
    return [
        Row(
            section=SECTION,
            what=f"receipt → alert at the SMTP server, {applications} applications one after "
            f"another ({PAUSE_S * 1000:.0f} ms apart), {SUBSCRIBERS} subscribers each, "
            "`send_alerts` running",
            ours=ours,
            floor_name="the same number of messages sent straight to the same server "
            "(smtplib, a connection each)",
            floor=floor,
            ratio_of="p95_ms",
            target="≤ 30000 ms",
            note=f"{ours.count} alerts of {expected} arrived, each once"
            if not ours.errors
            else f"{ours.errors} alerts missing or doubled",
        )
    ]


def _ours(ctx: Context, arrivals: _Arrivals, receipts: list[int], expected: int) -> Measure:
    """Measure arrival − received_at of each alert of the filed applications."""
    with closing(ctx.connect()) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT o.id, extract(epoch FROM a.received_at) FROM transactions_outboxmessage o "
            "JOIN transactions_application a ON a.receipt_number = o.application_id "
            "WHERE a.receipt_number = ANY(%s) AND o.purpose = 'receipt_alert'",
            [receipts],
        )
        received = {int(pk): float(at) for pk, at in cursor.fetchall()}
    latencies: list[float] = []
    errors = abs(len(received) - expected)
    with arrivals.lock:
        at = {_outbox_id(mid): times for mid, times in arrivals.at.items()}
    last = 0.0
    for pk, received_at in received.items():
        times = at.get(pk, [])
        if len(times) != 1:
            errors += 1
            continue
        latencies.append(times[0] - received_at)
        last = max(last, times[0])
    # The rate: alerts per second from the first receipt to the last arrival.
    seconds = last - min(received.values(), default=last)
    return Measure.of_latencies(latencies, seconds=seconds, errors=errors)


def _outbox_id(message_id: str) -> int:
    found = re.match(r"<outbox-(\d+)\.", message_id)
    return int(found.group(1)) if found else -1


def _floor(port: int, arrivals: _Arrivals, *, count: int) -> Measure:
    """Send `count` alert-sized messages straight to the server; time call → arrival."""
    latencies: list[float] = []
    body = "x" * 900  # an alert's text is about this long
    for n in range(count):
        message = EmailMessage()
        message["From"], message["To"] = "bench@landinfo.invalid", f"floor-{n}@example.org"
        message["Subject"], message["Message-ID"] = "floor", f"<floor-{n}.{time.time()}@bench>"
        message.set_content(body)
        started = time.time()
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.send_message(message)
        with arrivals.lock:
            arrived = arrivals.at.get(message["Message-ID"], [started])[0]
        latencies.append(arrived - started)
    return Measure.of_latencies(latencies, seconds=sum(latencies) or 1.0)


# --- the filer (a process of its own, with Django on the bench database) --------------------


def file_applications(count: int) -> list[int]:
    """File `count` mortgage applications on parcels with subscribers; return their receipts."""
    import datetime as dt
    import uuid

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "landinfo.settings")
    django.setup()
    from django.contrib.auth.models import Group, User
    from django.utils import timezone

    from transactions.applications.receipt import file_application
    from transactions.deeds.services import last_entry
    from transactions.models import AlertSubscription, Party, Right

    user, _ = User.objects.get_or_create(username="bench-alerts-notary")
    user.groups.add(Group.objects.get(name="notary"))
    user = User.objects.get(pk=user.pk)
    lender = Party.objects.filter(kind=Party.Kind.ORGANISATION).order_by("id").first()
    # Parcels from the end of the register: the transfers section takes its from the start.
    parcels = list(
        Right.objects.filter(
            kind=Right.Kind.OWNERSHIP, valid_to__isnull=True, parcel__valid_to__isnull=True
        )
        .order_by("-parcel_id")
        .values_list("parcel_id", flat=True)
        .distinct()[:count]
    )
    now = timezone.now()
    for parcel in parcels:
        for n in range(SUBSCRIBERS):
            AlertSubscription.objects.get_or_create(
                email=f"bench-{n}-{parcel}@example.org",
                parcel_id=parcel,
                defaults={"language": "en", "created_at": now, "confirmed_at": now},
            )
    receipts = []
    for parcel in parcels:
        body = {
            "kind": "mortgage",
            "parcel": parcel,
            "effective_date": dt.date.today().isoformat(),
            "expected_last_entry": last_entry([parcel]),
            "lender": lender.pk if lender else 1,
            "amount": "1000000000",
        }
        application = file_application(body, user=user, idempotency_key=str(uuid.uuid4()))
        receipts.append(application.receipt_number)
        time.sleep(PAUSE_S)
    return receipts


if __name__ == "__main__":
    if sys.argv[1:2] == ["--file"]:
        print(json.dumps(file_applications(int(sys.argv[2]))))
