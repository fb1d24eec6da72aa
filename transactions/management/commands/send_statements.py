"""`manage.py send_statements --half 2026-2`: queue each parcel's six-monthly statement."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from transactions.applications.statements import Half, InvalidHalf, queue_statements


class Command(BaseCommand):
    help = (
        "Queue the six-monthly statement of every parcel with a recipient (confirmed "
        "subscribers, holders and lenders with an address) into the outbox; the mail worker "
        "sends them. Running it again for the same half queues nothing twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--half",
            required=True,
            help="The half-year: YYYY-1 (January to June) or YYYY-2 (July to December).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            half = Half.read(options["half"])
        except InvalidHalf as error:
            raise CommandError(str(error)) from None
        if half.last_day >= timezone.localdate():
            # Its statement would leave out what is still to come, and is sent only once.
            raise CommandError(
                f"The half-year {half} has not ended: send its statements from "
                f"{half.last_day + dt.timedelta(days=1)} on."
            )
        created = queue_statements(half)
        self.stdout.write(f"{created} statement(s) of {half} queued.")
