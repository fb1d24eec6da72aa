"""`manage.py verify_ledger`: check the journal's chain, checkpoints and projection."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from transactions.applications import verify as applications
from transactions.journal import verify
from transactions.transparency import log

# FAIL lines printed before the summary; all are counted, and --json lists those kept.
_SHOWN = 50


class Command(BaseCommand):
    help = (
        "Verify the journal: its hash chain (gap-free, each entry hashing to its hash, "
        "canonical payloads), its signed checkpoints, and a replay of every entry compared "
        "with the current-state tables. Exits non-zero on any problem, printing "
        "'FAIL: entry #N: ...' lines first, lowest entry first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--skip-replay",
            action="store_true",
            help="Check the chain and the checkpoints only (no replay, no table comparison).",
        )
        parser.add_argument(
            "--json", action="store_true", help="Print a machine-readable report instead."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = verify.verify(replay=not options["skip_replay"], quorum=log.quorum())
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        filed = applications.verify()
        failures = report.first_failures()
        if options["json"]:
            answer = report.as_dict() | {
                "applications": {
                    "ok": filed.ok,
                    "applications": filed.applications,
                    "events": filed.events,
                    "failure_count": filed.failure_count,
                    "failures": filed.failures,
                }
            }
            answer["ok"] = report.ok and filed.ok
            self.stdout.write(json.dumps(answer, indent=2, ensure_ascii=False))
        else:
            for failure in failures[:_SHOWN]:
                self.stdout.write(f"FAIL: {failure}")
            if report.failure_count > _SHOWN:
                self.stdout.write(f"FAIL: ... and {report.failure_count - _SHOWN} more problems")
            for message in filed.failures[:_SHOWN]:
                self.stdout.write(f"FAIL: {message}")
            self.stdout.write(self._summary(report, skipped=options["skip_replay"], filed=filed))
        if not report.ok:
            raise CommandError(f"FAIL: {failures[0]}")
        if not filed.ok:
            raise CommandError(f"FAIL: {filed.failures[0]}")

    def _summary(self, report: verify.Report, *, skipped: bool, filed: applications.Report) -> str:
        lines = [f"Journal: {report.entries:,} entries checked (hash chain, payloads)."]
        if report.checkpoints and report.anchored:
            lines.append(
                f"Checkpoints: {report.checkpoints:,} checked; entries up to "
                f"#{report.anchored} are anchored by a valid checkpoint, "
                f"{report.unanchored:,} after it are not yet (manage.py checkpoint_ledger)."
            )
        elif report.checkpoints:
            lines.append(
                f"Checkpoints: {report.checkpoints:,} checked; none anchors an entry, so "
                f"{report.unanchored:,} entries are not anchored."
            )
        else:
            lines.append(
                "Checkpoints: none signed yet, so nothing outside the database anchors the "
                f"{report.unanchored:,} entries (manage.py checkpoint_ledger)."
            )
        lines.append(
            f"Transparency log: {report.tiles:,} stored tile hashes and "
            f"{report.checkpoint_notes:,} C2SP checkpoints (log signature, Merkle root) "
            f"checked, with {report.cosignatures:,} witness cosignatures."
        )
        if skipped:
            lines.append("Replay: skipped (--skip-replay).")
        elif report.replayed:
            rows = report.rows_compared
            lines.append(
                f"Replay: compared {rows.get('rights', 0):,} rights, "
                f"{rows.get('parcels', 0):,} parcels made or retired by deeds, "
                f"{rows.get('lineage', 0):,} lineage edges and {rows.get('parties', 0):,} "
                "parties stated by deeds with the tables."
            )
        lines.append(
            f"Applications: {filed.applications:,} applications and {filed.events:,} events "
            "checked (chain, receipts, decisions, the entries they name)."
        )
        lines.extend(f"Note: {note}" for note in report.notes)
        failure_count = report.failure_count + filed.failure_count
        verdict = (
            "OK"
            if report.ok and filed.ok
            else f"FAILED with {failure_count:,} problem" + ("s" if failure_count != 1 else "")
        )
        lines.append(f"{verdict} in {report.seconds:.2f} s.")
        return "\n".join(lines)
