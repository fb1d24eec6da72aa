"""`manage.py restore`: restore a backup, then prove its journal against its signed checkpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from transactions.operations import restore, superuser
from transactions.operations.backup import BackupError, RestoreRefused
from transactions.operations.restore import RestoreFailed


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup`. Checks the files' SHA-256 and the "
        "checkpoint's signature (configured keys) before touching any database; restores "
        "into a new database as the superuser ($LANDINFO_SUPERUSER_DATABASE_URL), hardens "
        "its journal again when the source was hardened, verifies the journal and that it "
        "matches the signed checkpoint, and only then gives it the target's name. A "
        "restore that fails verification exits non-zero and is kept as <target>__failed_<time>."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", type=Path, help="The backup folder.")
        parser.add_argument(
            "--database-url",
            default="",
            help="The database to restore into, as the application connects to it "
            "(default: DATABASE_URL). Created when missing.",
        )
        parser.add_argument(
            "--superuser-url",
            default="",
            help=f"A superuser's URL (default: ${superuser.URL_VARIABLE}).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace a database that holds tables; it is kept, renamed "
            "<target>__replaced_<time>, until you drop it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            restored = restore.restore_backup(
                options["backup"],
                database_url=options["database_url"],
                superuser_url=options["superuser_url"],
                force=options["force"],
            )
        except (RestoreRefused, BackupError) as error:
            raise CommandError(f"Restore refused: {error}") from error
        except RestoreFailed as error:
            for reason in error.reasons[: restore.FAILURES_SHOWN]:
                self.stdout.write(f"FAIL: {reason}")
            raise CommandError(
                f"Restore FAILED: {error.reasons[0]}. The restored database is kept for "
                f"inspection as {error.database}; drop it when done."
            ) from error
        lines = [
            f"Restored {options['backup']} into database {restored.database}: journal of "
            f"{restored.entries:,} entries verified (chain, checkpoints, replay); entry "
            f"#{restored.checkpoint_size} matches the backup's signed checkpoint."
        ]
        if restored.hardened:
            lines.append("The journal's tables are hardened again (harden_journal).")
        if restored.replaced:
            lines.append(
                f"The database it replaced is kept as {restored.replaced}; drop it when satisfied."
            )
        self.stdout.write("\n".join(lines))
