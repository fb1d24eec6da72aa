"""Back up the register: one folder that a restore can prove is the register as it was.

A backup holds, besides the database, the signed checkpoint that vouches for the
journal in it:

    landinfo-<database>-<UTC time>/
        database.dump     pg_dump --format=custom of the whole database
        checkpoint.json   the newest signed checkpoint, with the exact message it signs
        manifest.json     when, of what, by which pg_dump, and the SHA-256 of both files

A directory rather than one tar: pg_restore reads the dump where it lies (a tar would
be unpacked first, twice the disk for a national register), an auditor reads
checkpoint.json with any tool (and checks it with `openssl pkeyutl -verify`), and a
directory is renamed into place as atomically as a file. `tar` or `rsync` ship it as is.

Consistency: the checkpoint, the journal's head and the hardening state are read in one
REPEATABLE READ transaction whose snapshot pg_dump adopts (`pg_export_snapshot`,
`pg_dump --snapshot`), so the manifest describes exactly the journal in the dump. The
backup is written under a hidden `.partial` name, every file fsynced, then renamed and
its folder fsynced: a backup under its final name is whole.

This module also holds what restoring shares with backing up (transactions/operations/
restore.py): the folder's files, reading them back, and running the PostgreSQL client
programs. Connection secrets go to pg_dump and pg_restore in their environment
(PGPASSWORD), never on a command line, in a message or in a file of the backup.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from landinfo.srid import STORAGE_SRID
from transactions.journal import checkpoints, hashing
from transactions.journal.head import journal_head
from transactions.models import Checkpoint
from transactions.operations import superuser
from transactions.operations.hardening import is_hardened

FORMAT = "landinfo-backup-v1"
DUMP = "database.dump"
CHECKPOINT = "checkpoint.json"
MANIFEST = "manifest.json"
_CHUNK = 1 << 20
# The libpq connection keywords handed to pg_dump/pg_restore, and the variables that carry
# them: in the environment, the password never shows in `ps` or in a log.
_LIBPQ_ENVIRONMENT = {
    "host": "PGHOST",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "dbname": "PGDATABASE",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


class BackupError(Exception):
    """The backup was not made; nothing was left under its name."""


class RestoreRefused(Exception):
    """The backup cannot be restored; no database was touched."""


# --- making a backup ---------------------------------------------------------------------


def make_backup(
    *,
    output: Path | None = None,
    using: str = DEFAULT_DB_ALIAS,
    sign: bool = False,
    superuser_url: str = "",
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> Path:
    """Write one consistent backup of database `using` and return its directory.

    `output` is a folder to write the backup into (default LANDINFO["BACKUP_DIR"]), or,
    when it does not exist yet and its parent does, the backup's own path. With `sign`,
    or when the journal has no checkpoint at all, a fresh checkpoint is signed first
    (default database only). pg_dump connects as the application's role, or as the
    superuser of `superuser_url` when one is given.
    """
    pg_dump = find_program("pg_dump")
    database = connections[using].settings_dict
    name = str(database["NAME"])
    if sign or not _has_checkpoint(using):
        _sign_fresh(using, asked=sign)
    started = now()
    target = _backup_path(output, name, started)
    partial = target.with_name(f".{target.name}.partial")
    environment = _dump_environment(database, superuser_url)
    partial.mkdir(mode=0o700, parents=True)
    try:
        with _exported_snapshot(using) as (snapshot, state):
            _dump(pg_dump, snapshot, partial / DUMP, environment, name)
        # The dump holds personal data (national ID numbers): its owner's eyes only.
        (partial / DUMP).chmod(0o600)
        _fsync_file(partial / DUMP)
        _write_json(partial / CHECKPOINT, state["checkpoint"])
        _write_json(
            partial / MANIFEST,
            _manifest(
                partial,
                state,
                database,
                started=started,
                pg_dump=pg_dump,
                as_superuser=bool(superuser_url),
            ),
        )
        _fsync_directory(partial)
        partial.rename(target)
        _fsync_directory(target.parent)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return target


def _backup_path(output: Path | None, database: str, started: dt.datetime) -> Path:
    folder_name = f"landinfo-{database}-{started:%Y%m%dT%H%M%SZ}"
    if output is None:
        folder = Path(settings.LANDINFO["BACKUP_DIR"])
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return folder / folder_name
    if output.is_dir():
        return output / folder_name
    if output.exists():
        raise BackupError(f"{output} exists and is not a folder; name a new path or a folder.")
    if not output.parent.is_dir():
        raise BackupError(f"The folder {output.parent} does not exist; make it first.")
    return output


def _has_checkpoint(using: str) -> bool:
    return Checkpoint.objects.using(using).exists()


def _sign_fresh(using: str, *, asked: bool) -> None:
    """Sign a checkpoint of the current head: a backup nothing anchors proves nothing."""
    why = "--sign was given" if asked else "the journal has no signed checkpoint yet"
    if using != DEFAULT_DB_ALIAS:
        raise BackupError(
            f"{why.capitalize()}, and checkpoints are signed on the default database only; "
            "run `manage.py checkpoint_ledger` against that database first."
        )
    try:
        checkpoints.sign_checkpoint(if_changed=True)
    except ImproperlyConfigured as error:
        raise BackupError(
            f"{why.capitalize()} and none can be signed: {error} A backup must carry a signed "
            "checkpoint, or its restore could not prove the journal unaltered."
        ) from None


def _dump_environment(database: Mapping[str, Any], superuser_url: str) -> dict[str, str]:
    """Return pg_dump's environment: the application's connection, or the superuser's."""
    if not superuser_url:
        return libpq_environment(_django_dsn(database))
    return libpq_environment(superuser_dsn(superuser_url, str(database["NAME"])))


@contextmanager
def _exported_snapshot(using: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield a snapshot id for pg_dump and what the backup states, read in that snapshot."""
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
        snapshot, server_version = cursor.fetchone()
        mark = Checkpoint.objects.using(using).order_by("-size", "-signed_at").first()
        if mark is None:  # pragma: no cover - _sign_fresh made one, or refused
            raise BackupError("The journal has no signed checkpoint.")
        keys = public_keys()
        if keys and not checkpoints.verify_signature(mark, keys):
            raise BackupError(
                f"The newest checkpoint (#{mark.size}, key {mark.key_id[:16]}…) does not verify "
                "with the configured keys; run `manage.py verify_ledger` before backing up."
            )
        head = journal_head(cursor)
        yield (
            snapshot,
            {
                "checkpoint": checkpoint_document(mark),
                "journal": {"size": head.sequence, "head_hash": head.entry_hash},
                "hardened": is_hardened(cursor),
                "server_version": server_version,
            },
        )


def _dump(
    pg_dump: str, snapshot: str, file: Path, environment: Mapping[str, str], name: str
) -> None:
    """Run pg_dump of database `name` into `file`, in the exported `snapshot`."""
    try:
        run_program(
            [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={file}"],
            environment,
            what=f"pg_dump of database {name}",
        )
    except BackupError as error:
        if "permission denied for sequence" not in str(error):
            raise
        raise BackupError(
            f"{error} The journal was hardened by an older harden_journal, which left "
            "the application's role no SELECT on its sequences: run `manage.py "
            "harden_journal` again, or back up with --as-superuser."
        ) from None


def _manifest(
    folder: Path,
    state: Mapping[str, Any],
    database: Mapping[str, Any],
    *,
    started: dt.datetime,
    pg_dump: str,
    as_superuser: bool,
) -> dict[str, Any]:
    """Return manifest.json of the backup in `folder`, its dump and checkpoint written."""
    return {
        "format": FORMAT,
        "created_at": hashing.hashed_time(started),
        "database": str(database["NAME"]),
        "pg_dump_version": _version(pg_dump),
        "server_version": state["server_version"],
        "profile": settings.LANDINFO["PROFILE"],
        "storage_srid": STORAGE_SRID,
        "dumped_as": "superuser" if as_superuser else "application role",
        "app_role": database.get("USER") or "",
        "hardened": state["hardened"],
        "journal": state["journal"],
        "files": {
            filename: {
                "sha256": file_sha256(folder / filename),
                "bytes": (folder / filename).stat().st_size,
            }
            for filename in (DUMP, CHECKPOINT)
        },
    }


def checkpoint_document(mark: Checkpoint) -> dict[str, Any]:
    """Return `mark` as checkpoint.json holds it: its fields and the exact message signed."""
    return {
        "format": checkpoints.MESSAGE_VERSION,
        "algorithm": checkpoints.ALGORITHM,
        "size": mark.size,
        "head_hash": mark.head_hash,
        "signed_at": hashing.hashed_time(mark.signed_at),
        "key_id": mark.key_id,
        "signature": mark.signature,
        "message": checkpoints.message(mark.size, mark.head_hash, mark.signed_at).decode("ascii"),
    }


def public_keys() -> dict[str, Any]:
    """Return the configured public keys, refusing a restore when they cannot be read."""
    try:
        return checkpoints.public_keys()
    except ImproperlyConfigured as error:
        raise RestoreRefused(str(error)) from None


# --- the backup's files --------------------------------------------------------------------


def read_manifest(path: Path) -> dict[str, Any]:
    """Return the manifest of the backup at `path`, unchecked."""
    return read_json(path / MANIFEST)


def read_checkpoint(path: Path) -> dict[str, Any]:
    """Return the checkpoint of the backup at `path`, unchecked."""
    return read_json(path / CHECKPOINT)


def file_sha256(path: Path) -> str:
    """Return the hex SHA-256 of the file at `path`, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def read_json(path: Path) -> dict[str, Any]:
    """Return the JSON object in `path`, refusing a restore when there is none."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RestoreRefused(f"{path} is missing; the backup is incomplete.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RestoreRefused(f"{path} cannot be read as JSON: {error}.") from None
    if not isinstance(document, dict):
        raise RestoreRefused(f"{path} is not a JSON object.")
    return document


def _write_json(path: Path, document: Mapping[str, Any]) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(descriptor, "w", encoding="utf-8") as file:
        json.dump(document, file, indent=2, ensure_ascii=False, sort_keys=True)
        file.write("\n")
        file.flush()
        os.fsync(file.fileno())


def _fsync_file(path: Path) -> None:
    with path.open("rb") as file:
        os.fsync(file.fileno())


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# --- PostgreSQL client programs --------------------------------------------------------------


def find_program(name: str) -> str:
    """Return the path of the client program `name` (pg_dump, pg_restore)."""
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed or not on PATH: install the PostgreSQL client of the "
            "server's major version or newer (Debian: apt-get install postgresql-client-15)."
        )
    return found


def _version(program: str) -> str:
    completed = subprocess.run(  # noqa: S603 - a fixed program found by shutil.which
        [program, "--version"], capture_output=True, text=True, check=True
    )
    return completed.stdout.strip()


def run_program(command: list[str], environment: Mapping[str, str], *, what: str) -> None:
    """Run a libpq program, raising BackupError with its own message when it fails."""
    completed = subprocess.run(  # noqa: S603 - fixed programs; arguments are not shell-parsed
        command, env=dict(environment), capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        detail = completed.stderr.strip().splitlines()
        raise BackupError(f"{what} failed: {' '.join(detail[:3]) or completed.returncode}.")


def _django_dsn(database: Mapping[str, Any]) -> dict[str, str]:
    dsn = {
        "dbname": database.get("NAME"),
        "user": database.get("USER"),
        "password": database.get("PASSWORD"),
        "host": database.get("HOST"),
        "port": database.get("PORT"),
    }
    options = database.get("OPTIONS") or {}
    dsn.update({key: options[key] for key in _LIBPQ_ENVIRONMENT if key in options})
    return {key: str(value) for key, value in dsn.items() if value}


def superuser_dsn(url: str, dbname: str) -> dict[str, str]:
    """Return the superuser's connection keywords on `dbname`; a bad URL is a BackupError."""
    try:
        return superuser.dsn(url, dbname)
    except superuser.SuperuserUnavailable as error:
        raise BackupError(str(error)) from None


def libpq_environment(dsn: Mapping[str, str]) -> dict[str, str]:
    """Return the process environment for a libpq program connecting as `dsn` says."""
    unknown = set(dsn) - set(_LIBPQ_ENVIRONMENT)
    if unknown:
        raise BackupError(f"Connection options {', '.join(sorted(unknown))} are not supported.")
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    environment.update({_LIBPQ_ENVIRONMENT[key]: value for key, value in dsn.items()})
    return environment
