"""`manage.py witness`: run an independent witness of transparency logs (c2sp.org/tlog-witness).

    manage.py witness --generate-key --name witness.example/w1 --key var/witness/key.pem
    manage.py witness --init-state --state var/witness/state.json
    manage.py witness --name witness.example/w1 --key var/witness/key.pem \\
        --state var/witness/state.json --log "<the register's vkey>" --listen 127.0.0.1:7380

It never touches a database: it holds only its key and its state file.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from transactions.journal import notes
from transactions.witness import state
from transactions.witness.protocol import Witness
from transactions.witness.server import make_server


class Command(BaseCommand):
    help = (
        "Run a witness: cosign the checkpoints of the logs given by --log when they are "
        "consistent with what it cosigned before (POST /add-checkpoint). With "
        "--generate-key, make its key and print its verifier key; with --init-state, make "
        "its empty state file (first start only)."
    )
    # A witness stands apart from the register: no system checks, no migrations, no database.
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", help="The witness's key name, e.g. witness.example/w1.")
        parser.add_argument("--key", type=Path, help="Its Ed25519 private key (PEM, 0600).")
        parser.add_argument("--state", type=Path, help="Its state file (JSON).")
        parser.add_argument(
            "--log",
            action="append",
            default=[],
            metavar="VKEY",
            help="The verifier key of a log to witness (its name is the log's origin); repeat "
            "for more logs, or for a log's old and new keys.",
        )
        parser.add_argument("--listen", default="127.0.0.1:7380", help="host:port (port 0: any).")
        parser.add_argument("--generate-key", action="store_true", help="Make the key (--key).")
        parser.add_argument(
            "--if-missing", action="store_true", help="With --generate-key: keep an existing key."
        )
        parser.add_argument("--init-state", action="store_true", help="Make an empty --state.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["generate_key"]:
                self._generate_key(options)
            elif options["init_state"]:
                state.StateFile.create(_required(options, "state"))
                self.stdout.write(f"Wrote an empty witness state to {options['state']}.")
            else:
                self._serve(options)
        except state.WitnessFileError as error:
            raise CommandError(str(error)) from error

    def _generate_key(self, options: dict[str, Any]) -> None:
        name, path = _required(options, "name"), _required(options, "key")
        _check_name(name)
        if options["if_missing"] and path.exists():
            key = state.read_key(path)
        else:
            key = state.write_new_key(path)
            self.stdout.write(f"Wrote the witness's key to {path} (mode 0600).")
        # The vkey (type 0x04) is what a log's operator configures to trust this witness.
        self.stdout.write(notes.cosigner(name, key).vkey)

    def _serve(self, options: dict[str, Any]) -> None:
        name = _required(options, "name")
        _check_name(name)
        key = state.read_key(_required(options, "key"))
        state_file = state.StateFile(_required(options, "state"))
        state_file.read()  # a missing or broken state fails now, not at the first request
        if not options["log"]:
            raise CommandError("Give the verifier key of at least one log with --log.")
        try:
            logs = [notes.parse_vkey(vkey) for vkey in options["log"]]
        except ValueError as error:
            raise CommandError(f"--log: {error}") from error
        if any(log.key_type != notes.ED25519 for log in logs):
            raise CommandError("--log takes a log's signing key (type 0x01), not a witness's.")
        host, _, port = options["listen"].rpartition(":")
        if not host or not port.isdecimal():
            raise CommandError(
                f"--listen is host:port, e.g. 127.0.0.1:7380; got {options['listen']!r}."
            )
        witness = Witness(name=name, key=key, logs=logs, state=state_file)
        _log_to_stderr()
        server = make_server(witness, host, int(port))
        bound_host, bound_port = server.server_address[:2]
        origins = ", ".join(sorted(witness.logs))
        self.stdout.write(
            f"Witness {witness.verifier.vkey} listening on http://{bound_host!s}:{bound_port} "
            f"for {origins}."
        )
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()


def _required(options: dict[str, Any], name: str) -> Any:
    if not options[name]:
        raise CommandError(f"Give --{name}.")
    return options[name]


def _check_name(name: str) -> None:
    try:
        notes.check_name(name)
    except ValueError as error:
        raise CommandError(f"--name: {error}") from error


def _log_to_stderr() -> None:
    """Send the witness's log (requests, refused checkpoints) to stderr, a line each."""
    logger = logging.getLogger("landinfo.witness")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
