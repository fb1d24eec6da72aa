"""`manage.py generate_signing_key`: make the Ed25519 key that signs journal checkpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from landinfo.files import write_private
from transactions.journal import checkpoints


class Command(BaseCommand):
    help = (
        "Make the Ed25519 private key that signs checkpoints of the journal, in the PEM "
        "file LANDINFO_SIGNING_KEY_FILE names (mode 0600), and print its public key and "
        "key id. Refuses to replace an existing key unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace an existing key (rotation). Its public key is kept beside it, to be "
            "listed in LANDINFO_VERIFY_KEY_FILES so the checkpoints it signed still verify.",
        )
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="Do nothing when the key file exists (for scripts/setup).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = checkpoints.signing_key_file()
        if path.exists():
            if options["if_missing"]:
                if options["verbosity"] > 1:
                    self.stdout.write(f"The signing key {path} exists; nothing to do.")
                return
            if not options["force"]:
                raise CommandError(
                    f"The signing key {path} exists; keep it, or replace it with --force "
                    "(checkpoints it signed then verify only with its public key listed in "
                    "LANDINFO_VERIFY_KEY_FILES)."
                )
            self._keep_old_public_key(path)
        key = Ed25519PrivateKey.generate()
        write_private(path, checkpoints.private_key_pem(key))
        public = key.public_key()
        self.stdout.write(
            f"Wrote the ledger's signing key to {path} (mode 0600); keep a copy offline.\n"
            f"Key id: {checkpoints.key_id(public)}\n"
            f"Public key (give it to auditors):\n{checkpoints.public_key_pem(public)}"
        )

    def _keep_old_public_key(self, path: Path) -> None:
        try:
            old = checkpoints.signing_key().public_key()
        except ImproperlyConfigured as error:
            self.stderr.write(f"The old key cannot be read, so its public key is not kept: {error}")
            return
        kept = path.with_name(f"{path.stem}.{checkpoints.key_id(old)[:16]}.pub.pem")
        kept.write_text(checkpoints.public_key_pem(old), encoding="ascii")
        self.stdout.write(
            f"Kept the old public key in {kept}: add it to LANDINFO_VERIFY_KEY_FILES so the "
            "checkpoints it signed still verify."
        )
