"""`manage.py checkpoint_ledger`: sign, have witnessed and publish the journal's head (cron)."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from transactions.journal import checkpoints, hashing
from transactions.models import Checkpoint
from transactions.transparency import log, publish

_STOP = (signal.SIGTERM, signal.SIGINT)
RETRY_SECONDS = 5


class Command(BaseCommand):
    help = (
        "Sign one checkpoint of the journal (its size, head hash and Merkle root, as a C2SP "
        "checkpoint) with the ledger's Ed25519 key, have the witnesses of LANDINFO_WITNESSES "
        "cosign it, and store it. Meant for cron, e.g. hourly, or run with --every; copies "
        "(GET /tlog/checkpoint, /api/ledger/checkpoints) held elsewhere prove the journal's past."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-changed",
            action="store_true",
            help="Sign nothing when the newest checkpoint already covers the journal's head "
            "with its quorum of cosignatures.",
        )
        parser.add_argument(
            "--vkey",
            action="store_true",
            help="Print the log's verifier key (C2SP vkey: give it to witnesses and auditors) "
            "and sign nothing.",
        )
        parser.add_argument(
            "--every",
            type=int,
            metavar="SECONDS",
            help="Keep running: sign (if changed) every SECONDS until stopped (SIGTERM, Ctrl-C).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["vkey"]:
            try:
                self.stdout.write(checkpoints.log_signer().verifier.vkey)
            except ImproperlyConfigured as error:
                raise CommandError(str(error)) from error
            return
        every = options["every"]
        if every is None:
            publication = self._once(
                if_changed=options["if_changed"], verbosity=options["verbosity"]
            )
            if publication.refusals:
                # A refusal is a witness saying this register showed it another history:
                # cron must hear of it (exit status 1), not only the log.
                raise CommandError(
                    "A witness refused the checkpoint: " + "; ".join(publication.refusals)
                )
            return
        if every < 1:
            raise CommandError("--every is a number of seconds, 1 or more.")
        stop = threading.Event()
        before = {sign: signal.signal(sign, lambda *_: stop.set()) for sign in _STOP}
        try:
            while not stop.is_set():
                close_old_connections()
                publication = self._once(if_changed=True, verbosity=options["verbosity"])
                # A witness not reached yet (it is starting, or restarting) is asked again
                # soon rather than at the next period.
                stop.wait(min(every, RETRY_SECONDS) if publication.unreached else every)
        finally:
            for sign, handler in before.items():
                signal.signal(sign, handler)

    def _once(self, *, if_changed: bool, verbosity: int) -> publish.Publication:
        try:
            publication = publish.publish(if_changed=if_changed)
        except (ImproperlyConfigured, log.LogMismatch) as error:
            raise CommandError(str(error)) from error
        if publication.checkpoint is None:
            if verbosity > 1:
                self.stdout.write("The newest checkpoint covers the journal's head; none signed.")
        else:
            self.stdout.write(self._described(publication.checkpoint))
        return publication

    @staticmethod
    def _described(checkpoint: Checkpoint) -> str:
        quorum = log.quorum()
        if not log.witnesses():
            state = (
                "published without a witness (LANDINFO_WITNESSES is empty): nothing stops a "
                "lone log from showing two histories"
            )
        elif checkpoint.cosignatures >= quorum:
            state = "published"
        else:
            state = f"NOT published: {quorum} cosignatures needed (see the errors above)"
        return (
            f"Signed checkpoint: {checkpoint.size} entries, head {checkpoint.head_hash}, root "
            f"{checkpoint.root_hash}, at {hashing.hashed_time(checkpoint.signed_at)}, "
            f"{checkpoint.cosignatures} witness cosignature(s): {state}."
        )
