"""Send the outbox's messages (transactions.alerts.outbox): alerts, confirmation links.

    manage.py send_alerts            # forever; woken by NOTIFY, polling as a fallback
    manage.py send_alerts --once     # send what is due now, then stop

A sibling of export_worker rather than one worker for both queues: an export of a
million parcels runs for minutes, and an alert waiting behind it would miss the
30-second target (issue 18); an alert is also a duty of the register (transactions),
an export of the map's layers (parcels), which cannot import it. Start as many as
you like: they share the outbox through SELECT ... FOR UPDATE SKIP LOCKED. A worker
stopped mid-send leaves its batch "sending"; another takes it after SEND_TIMEOUT,
with the same Message-ID.
"""

from __future__ import annotations

import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import OperationalError, connection
from django.db.models import Min
from django.utils import timezone

from landinfo import listening
from transactions.alerts import outbox
from transactions.models import OutboxMessage


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


class Command(BaseCommand):
    help = "Send queued alerts and confirmation links (the outbox), as they fall due."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Send what is due now, then stop.")
        parser.add_argument(
            "--poll",
            type=float,
            default=10.0,
            help="Most seconds between looks at the outbox when no notification came (10).",
        )

    def handle(self, *args: Any, once: bool = False, poll: float = 10.0, **options: Any) -> None:
        signal.signal(signal.SIGTERM, _stop)
        if once:
            while (result := outbox.send_due()) != (0, 0):
                self._report(*result)
            return
        self.stdout.write(f"Alert sender waiting for messages (poll every {poll:g} s).")
        wakeable = False
        while True:
            try:
                if not wakeable:
                    wakeable = listening.listen(outbox.NOTIFY_CHANNEL)
                sent, failed = outbox.send_due()
                if sent or failed:
                    self._report(sent, failed)
                    if sent:
                        continue  # more may be due at once: a batch is BATCH messages
                listening.wait(min(poll, self._until_due()))
            except OperationalError as error:
                self.stderr.write(f"Database unavailable ({error}); retrying in {poll:g} s.")
                connection.close()
                wakeable = False
                time.sleep(poll)
            except KeyboardInterrupt:
                return

    def _until_due(self) -> float:
        """Seconds until the next pending message is due (a retry after a failure)."""
        due = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).aggregate(
            at=Min("next_attempt_at")
        )["at"]
        if due is None:
            return float("inf")
        return max(0.05, (due - timezone.now()).total_seconds())

    def _report(self, sent: int, failed: int) -> None:
        if failed:
            self.stderr.write(f"Outbox: {sent} sent, {failed} to retry (see last_error).")
        else:
            self.stdout.write(f"Outbox: {sent} sent.")
