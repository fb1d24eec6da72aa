"""The witness's two files: its private key and its state (the newest checkpoint cosigned).

The state is a small JSON file, replaced whole on each change (written to a temporary
file, flushed to disk, renamed over the old one), so a crash leaves either the old state
or the new one, never half of each. The check of a request against the state and the
write of the new state happen under one exclusive lock (flock on a lock file beside the
state), so two concurrent requests, in threads or processes, cannot roll it back
(c2sp.org/tlog-witness, the race under "add-checkpoint"). The lock is on a separate file
because the state file itself is replaced: a lock on its old inode would not exclude a
reader that opened the new one.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from landinfo.files import write_private
from transactions.journal.merkle import HASH_SIZE

FORMAT = "landinfo-witness-state-v1"


class WitnessFileError(Exception):
    """The witness's key or state file is missing, unreadable or not what it should be."""


@dataclass(frozen=True)
class Cosigned:
    """The newest checkpoint the witness cosigned for one log."""

    size: int
    root: bytes


class StateFile:
    """The witness's memory, per log origin, of the newest checkpoint it cosigned."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock_path = path.with_name(path.name + ".lock")

    @classmethod
    def create(cls, path: Path) -> StateFile:
        """Write an empty state (a new witness) at `path`; refuse to replace one."""
        if path.exists():
            raise WitnessFileError(
                f"The state file {path} exists: a witness that forgets what it cosigned "
                "could cosign a rolled-back or forked log. Keep it."
            )
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        state = cls(path)
        state._write({})
        return state

    def read(self) -> dict[str, Cosigned]:
        """Return the state (without the lock: for a look at it, not to change it)."""
        try:
            data = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            raise WitnessFileError(
                f"The state file {self.path} does not exist. On a witness's first start "
                f"only, make an empty one with `manage.py witness --init-state --state "
                f"{self.path}`; a witness that loses its state must not start afresh."
            ) from None
        except OSError as error:
            raise WitnessFileError(
                f"The state file {self.path} cannot be read ({error.strerror})."
            ) from None
        except ValueError as error:
            raise WitnessFileError(f"The state file {self.path} is not JSON ({error}).") from None
        return _logs(data, self.path)

    @contextmanager
    def update(self) -> Iterator[dict[str, Cosigned]]:
        """Yield the state to change under the lock; write it back if the block ends well."""
        with open(self.lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            logs = self.read()
            before = dict(logs)
            yield logs
            if logs != before:
                self._write(logs)

    def _write(self, logs: dict[str, Cosigned]) -> None:
        entries = {
            origin: {"size": c.size, "root": base64.b64encode(c.root).decode()}
            for origin, c in sorted(logs.items())
        }
        data = json.dumps({"format": FORMAT, "logs": entries}, indent=2, ensure_ascii=False)
        write_private(self.path, (data + "\n").encode())


def _logs(data: object, path: Path) -> dict[str, Cosigned]:
    refused = WitnessFileError(f"{path} is not a witness's state file ({FORMAT}).")
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise refused
    try:
        logs = {
            str(origin): Cosigned(
                int(entry["size"]), base64.b64decode(entry["root"], validate=True)
            )
            for origin, entry in data["logs"].items()
        }
    except (KeyError, TypeError, ValueError, AttributeError, binascii.Error):
        raise refused from None
    if any(c.size < 0 or len(c.root) != HASH_SIZE for c in logs.values()):
        raise refused
    return logs


def read_key(path: Path) -> Ed25519PrivateKey:
    """Return the witness's Ed25519 private key from its PEM (PKCS8) file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise WitnessFileError(
            f"The witness's key {path} does not exist; make one with "
            f"`manage.py witness --generate-key --name <name> --key {path}`."
        ) from None
    except OSError as error:
        raise WitnessFileError(
            f"The witness's key {path} cannot be read ({error.strerror}); check its owner "
            "and mode (0600, readable by the user that runs the witness)."
        ) from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as error:
        raise WitnessFileError(f"{path} is not an unencrypted PEM private key ({error}).") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise WitnessFileError(f"{path} holds a {type(key).__name__}, not an Ed25519 key.")
    return key


def write_new_key(path: Path) -> Ed25519PrivateKey:
    """Make a new Ed25519 key and write it to `path` (0600); refuse to replace a key."""
    if path.exists():
        raise WitnessFileError(
            f"The witness's key {path} exists; a new key is a new witness to every log "
            "that trusts this one. Keep it, or remove it yourself first."
        )
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    write_private(path, pem)
    return key
