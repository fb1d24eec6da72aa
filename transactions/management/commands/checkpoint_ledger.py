"""`manage.py checkpoint_ledger`: sign the journal's current head (run it from cron)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from transactions.journal import checkpoints, hashing


class Command(BaseCommand):
    help = (
        "Sign one checkpoint of the journal (its size and head hash) with the ledger's "
        "Ed25519 key and store it. Meant for cron, e.g. hourly; copies of the checkpoints "
        "(GET /api/ledger/checkpoints) held elsewhere prove the journal's past."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-changed",
            action="store_true",
            help="Sign nothing when the newest checkpoint already covers the journal's head.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            checkpoint = checkpoints.sign_checkpoint(if_changed=options["if_changed"])
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        if checkpoint is None:
            if options["verbosity"] > 1:
                self.stdout.write("The newest checkpoint covers the journal's head; none signed.")
            return
        self.stdout.write(
            f"Signed checkpoint: {checkpoint.size} entries, head {checkpoint.head_hash}, "
            f"at {hashing.hashed_time(checkpoint.signed_at)}, key {checkpoint.key_id[:16]}…"
        )
