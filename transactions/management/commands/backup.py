"""`manage.py backup`: one consistent backup (pg_dump + the signed checkpoint + a manifest)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from transactions.operations import backup, superuser
from transactions.operations.backup import BackupError


class Command(BaseCommand):
    help = (
        "Write one backup of the database: a pg_dump (custom format), the newest signed "
        "checkpoint of the journal (checkpoint.json, verifiable outside the database) and "
        "a manifest with both files' SHA-256, in a folder made atomically under --output "
        "(default LANDINFO_BACKUP_DIR). pg_dump connects as the application's role "
        "(DATABASE_URL), or as the superuser with --as-superuser. With no checkpoint yet, "
        "one is signed first; none can be, the backup is refused."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            help="A folder to write the backup into, or the new backup folder's own path "
            "(default: LANDINFO_BACKUP_DIR).",
        )
        parser.add_argument(
            "--sign",
            action="store_true",
            help="Sign a fresh checkpoint of the journal's head first (needs the signing key).",
        )
        parser.add_argument(
            "--as-superuser",
            action="store_true",
            help=f"Dump as the superuser of ${superuser.URL_VARIABLE} instead of the "
            "application's role.",
        )
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help="The Django database alias to back up (default: 'default').",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        superuser_url = ""
        if options["as_superuser"]:
            superuser_url = superuser.configured_url()
            if not superuser_url:
                raise CommandError(
                    f"--as-superuser needs ${superuser.URL_VARIABLE} (a superuser's URL)."
                )
        try:
            path = backup.make_backup(
                output=options["output"],
                using=options["database"],
                sign=options["sign"],
                superuser_url=superuser_url,
            )
        except BackupError as error:
            raise CommandError(f"No backup made: {error}") from error
        manifest = backup.read_manifest(path)
        journal = manifest["journal"]
        checkpoint = backup.read_checkpoint(path)
        self.stdout.write(
            f"Backed up database {manifest['database']} to {path}: journal of "
            f"{journal['size']:,} entries, anchored by the checkpoint of #{checkpoint['size']} "
            f"signed at {checkpoint['signed_at']} (key {checkpoint['key_id'][:16]}…); dump "
            f"{manifest['files'][backup.DUMP]['bytes']:,} bytes, SHA-256 "
            f"{manifest['files'][backup.DUMP]['sha256']}."
        )
