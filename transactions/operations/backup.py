"""Back up the register and restore it, proving on restore that the journal was not altered.

A backup is what a restore needs to answer "is this the register as it was?", so it
holds, besides the database, the signed checkpoint that vouches for the journal in it:

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

Restore checks the files' hashes and the checkpoint's signature against the configured
public keys before it connects to any database; restores into a fresh database made by
the superuser (LANDINFO_SUPERUSER_DATABASE_URL: extensions and the ledger owner's
objects need one); re-applies `harden_journal` when the source was hardened; replays
the journal (`replay.verify`) and checks that the entry at the checkpoint's size has the
hash it signed. Only then does the restored database take the target's name. A restore
that fails verification is left, for inspection, as `<target>__failed_<time>`.

Connection secrets go to pg_dump and pg_restore in their environment (PGPASSWORD),
never on a command line, in a message or in a file of the backup.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import environ
import psycopg2
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.utils import load_backend
from psycopg2 import sql
from psycopg2.extensions import parse_dsn

from landinfo.srid import STORAGE_SRID
from transactions.journal import checkpoints, hashing
from transactions.journal import verify as replay
from transactions.management.commands.harden_journal import OWNER_ROLE
from transactions.models import Checkpoint

FORMAT = "landinfo-backup-v1"
DUMP = "database.dump"
CHECKPOINT = "checkpoint.json"
MANIFEST = "manifest.json"
SUPERUSER_URL_VARIABLE = "LANDINFO_SUPERUSER_DATABASE_URL"
# PostgreSQL truncates longer identifiers silently; a restore's names must stay distinct.
_MAX_IDENTIFIER = 63
_CHUNK = 1 << 20
# Checks, 0.1 s apart, that nobody is connected to a database about to be replaced.
_SESSION_WAITS = 30
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
# Reasons a failed restore prints before its verdict.
FAILURES_SHOWN = 10


class BackupError(Exception):
    """The backup was not made; nothing was left under its name."""


class RestoreRefused(Exception):
    """The backup cannot be restored; no database was touched."""


class RestoreFailed(Exception):
    """The restored database does not match its backup's checkpoint; it is kept to inspect."""

    def __init__(self, message: str, *, database: str, reasons: list[str]) -> None:
        super().__init__(message)
        self.database = database
        self.reasons = reasons


@dataclass(frozen=True, slots=True)
class Backup:
    """A backup on disk, its manifest and checkpoint read and checked."""

    path: Path
    manifest: dict[str, Any]
    checkpoint: dict[str, Any]

    @property
    def dump(self) -> Path:
        return self.path / DUMP


@dataclass(slots=True)
class Restored:
    """What a restore did."""

    database: str
    entries: int
    checkpoint_size: int
    hardened: bool
    replaced: str | None = None


# --- backup ------------------------------------------------------------------------------


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
    pg_dump = _program("pg_dump")
    database = connections[using].settings_dict
    name = str(database["NAME"])
    if sign or not _has_checkpoint(using):
        _sign_fresh(using, asked=sign)
    started = now()
    target = _backup_path(output, name, started)
    partial = target.with_name(f".{target.name}.partial")
    dump_env = (
        _libpq_environment(_superuser_dsn(superuser_url, name))
        if superuser_url
        else _libpq_environment(_django_dsn(database))
    )
    partial.mkdir(mode=0o700, parents=True)
    try:
        with _exported_snapshot(using) as (snapshot, state):
            try:
                _run(
                    [
                        pg_dump,
                        "--format=custom",
                        f"--snapshot={snapshot}",
                        f"--file={partial / DUMP}",
                    ],
                    dump_env,
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
        # The dump holds personal data (national ID numbers): its owner's eyes only.
        (partial / DUMP).chmod(0o600)
        _fsync_file(partial / DUMP)
        _write_json(partial / CHECKPOINT, state["checkpoint"])
        manifest = {
            "format": FORMAT,
            "created_at": hashing.hashed_time(started),
            "database": name,
            "pg_dump_version": _version(pg_dump),
            "server_version": state["server_version"],
            "profile": settings.LANDINFO["PROFILE"],
            "storage_srid": STORAGE_SRID,
            "dumped_as": "superuser" if superuser_url else "application role",
            "app_role": database.get("USER") or "",
            "hardened": state["hardened"],
            "journal": state["journal"],
            "files": {
                filename: {
                    "sha256": _sha256(partial / filename),
                    "bytes": (partial / filename).stat().st_size,
                }
                for filename in (DUMP, CHECKPOINT)
            },
        }
        _write_json(partial / MANIFEST, manifest)
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
        keys = _public_keys()
        if keys and not checkpoints.verify_signature(mark, keys):
            raise BackupError(
                f"The newest checkpoint (#{mark.size}, key {mark.key_id[:16]}…) does not verify "
                "with the configured keys; run `manage.py verify_ledger` before backing up."
            )
        cursor.execute(
            "SELECT sequence, entry_hash FROM transactions_journalentry "
            "ORDER BY sequence DESC LIMIT 1"
        )
        head = cursor.fetchone() or (0, hashing.GENESIS_HASH)
        cursor.execute(
            "SELECT relowner::regrole::text = %s FROM pg_class "
            "WHERE oid = 'transactions_journalentry'::regclass",
            [OWNER_ROLE],
        )
        (hardened,) = cursor.fetchone()
        yield (
            snapshot,
            {
                "checkpoint": checkpoint_document(mark),
                "journal": {"size": head[0], "head_hash": head[1]},
                "hardened": hardened,
                "server_version": server_version,
            },
        )


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


# --- reading and checking a backup ---------------------------------------------------------


def read_manifest(path: Path) -> dict[str, Any]:
    """Return the manifest of the backup at `path`, unchecked."""
    return _read_json(path / MANIFEST)


def read_checkpoint(path: Path) -> dict[str, Any]:
    """Return the checkpoint of the backup at `path`, unchecked."""
    return _read_json(path / CHECKPOINT)


def read_backup(path: Path) -> Backup:
    """Return the backup at `path`, refusing it unless its files and checkpoint check out.

    Reads files only: the hashes in the manifest, then the checkpoint's signature with
    the configured public keys (LANDINFO_SIGNING_KEY_FILE, LANDINFO_VERIFY_KEY_FILES).
    """
    if not path.is_dir():
        raise RestoreRefused(f"{path} is not a backup folder (manage.py backup writes one).")
    manifest = _read_json(path / MANIFEST)
    if manifest.get("format") != FORMAT:
        raise RestoreRefused(
            f"{path / MANIFEST} is not a {FORMAT} manifest (format {manifest.get('format')!r})."
        )
    files = manifest.get("files")
    if not isinstance(files, dict) or set(files) != {DUMP, CHECKPOINT}:
        raise RestoreRefused(f"{path / MANIFEST} does not list {DUMP} and {CHECKPOINT}.")
    for filename, expected in files.items():
        if not isinstance(expected, dict):
            raise RestoreRefused(f"{path / MANIFEST} does not state the hash of {filename}.")
        actual = _sha256(path / filename) if (path / filename).is_file() else None
        if actual is None:
            raise RestoreRefused(f"{path / filename} is missing; the backup is incomplete.")
        if actual != expected.get("sha256"):
            raise RestoreRefused(
                f"{path / filename} does not have the SHA-256 its manifest states (it is "
                f"{actual}, the manifest says {expected.get('sha256')}): the file was "
                "damaged or altered after the backup. Use another backup."
            )
    checkpoint = _read_json(path / CHECKPOINT)
    _check_checkpoint(checkpoint, path / CHECKPOINT)
    journal = manifest.get("journal", {})
    if not isinstance(journal.get("size"), int) or journal["size"] < checkpoint["size"]:
        raise RestoreRefused(
            f"The manifest's journal ({journal.get('size')} entries) is shorter than the "
            f"checkpoint it carries ({checkpoint['size']} entries)."
        )
    return Backup(path=path, manifest=manifest, checkpoint=checkpoint)


def _check_checkpoint(document: Mapping[str, Any], where: Path) -> None:
    try:
        mark = Checkpoint(
            size=int(document["size"]),
            head_hash=str(document["head_hash"]),
            signed_at=dt.datetime.strptime(document["signed_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                tzinfo=dt.UTC
            ),
            key_id=str(document["key_id"]),
            signature=str(document["signature"]),
        )
        checkpoints.message(mark.size, mark.head_hash, mark.signed_at)
    except (KeyError, TypeError, ValueError) as error:
        raise RestoreRefused(f"{where} is not a checkpoint: {error}.") from None
    keys = _public_keys()
    if not keys:
        raise RestoreRefused(
            "No public key is configured (LANDINFO_SIGNING_KEY_FILE, LANDINFO_VERIFY_KEY_FILES), "
            f"so the checkpoint in {where} cannot be verified; configure the register's keys."
        )
    if mark.key_id not in keys:
        raise RestoreRefused(
            f"The checkpoint in {where} is signed by key {mark.key_id[:16]}…, which is not among "
            "the configured keys: this backup is not from this register, or that key's public "
            "PEM is missing from LANDINFO_VERIFY_KEY_FILES."
        )
    if not checkpoints.verify_signature(mark, keys):
        raise RestoreRefused(
            f"The checkpoint in {where} (#{mark.size}, signed at {document['signed_at']}) has an "
            "invalid signature: it was altered or forged. Use another backup."
        )


def _public_keys() -> dict[str, Any]:
    try:
        return checkpoints.public_keys()
    except ImproperlyConfigured as error:
        raise RestoreRefused(str(error)) from None


# --- restore -------------------------------------------------------------------------------


def restore_backup(
    path: Path,
    *,
    database_url: str = "",
    superuser_url: str = "",
    force: bool = False,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> Restored:
    """Restore the backup at `path` into the database of `database_url` (default: configured).

    Refuses (RestoreRefused) before touching a database when the backup does not check
    out, the superuser URL is missing, or the target holds tables and `force` is not
    given. Raises RestoreFailed, the restored database kept under another name, when the
    restored journal does not verify or does not match the signed checkpoint.
    """
    backup = read_backup(path)
    pg_restore = _program("pg_restore")
    target = _django_settings(database_url)
    name = str(target["NAME"])
    superuser_url = superuser_url or configured_superuser_url()
    if not superuser_url:
        raise RestoreRefused(
            f"Set {SUPERUSER_URL_VARIABLE} (or give --superuser-url) to a PostgreSQL "
            "superuser's URL: a restore creates the database, its extensions and the "
            "ledger owner's objects."
        )
    stamp = f"{now():%Y%m%dT%H%M%S}"
    staging, failed, replaced = (
        f"{name}__restoring",
        f"{name}__failed_{stamp}",
        f"{name}__replaced_{stamp}",
    )
    if len(replaced.encode()) > _MAX_IDENTIFIER:
        raise RestoreRefused(
            f"The database name {name!r} is too long to restore beside it ({replaced!r} "
            f"exceeds {_MAX_IDENTIFIER} bytes); restore into a shorter name."
        )
    app_role = str(target.get("USER") or "")
    with _superuser(superuser_url, "postgres") as cursor:
        _check_target(cursor, superuser_url, name, app_role, backup, force=force)
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(staging)))
        if backup.manifest.get("hardened"):
            _ensure_owner_role(cursor)
        # template0: an empty database; the dump makes the extensions and everything else.
        cursor.execute(
            sql.SQL("CREATE DATABASE {} OWNER {} TEMPLATE template0").format(
                sql.Identifier(staging), sql.Identifier(app_role)
            )
        )
    try:
        _run(
            [
                pg_restore,
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={staging}",  # the rest of the connection is in the environment
                str(backup.dump),
            ],
            _libpq_environment(_superuser_dsn(superuser_url, staging)),
            what=f"pg_restore into {staging}",
        )
    except BackupError as error:
        with _superuser(superuser_url, "postgres") as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(staging)))
        raise RestoreRefused(f"{error} Nothing was restored; {name} is untouched.") from None
    restored = Restored(
        database=name,
        entries=0,
        checkpoint_size=backup.checkpoint["size"],
        hardened=bool(backup.manifest.get("hardened")),
    )
    with database_alias({**target, "NAME": staging}) as alias:
        reasons: list[str] = []
        if restored.hardened:
            try:
                call_command(
                    "harden_journal",
                    database=alias,
                    superuser_url=superuser_url,
                    stdout=io.StringIO(),
                )
            except CommandError as error:
                reasons.append(f"harden_journal: {error}")
        found, restored.entries = _verify_restored(alias, backup)
        reasons.extend(found)
    with _superuser(superuser_url, "postgres") as cursor:
        if reasons:
            _rename(cursor, staging, failed)
            raise RestoreFailed(
                f"Restore FAILED: {reasons[0]}",
                database=failed,
                reasons=reasons,
            )
        if _exists(cursor, name):
            _rename(cursor, name, replaced)
            restored.replaced = replaced
        _rename(cursor, staging, name)
    return restored


def _check_target(
    cursor: Any, superuser_url: str, name: str, app_role: str, backup: Backup, *, force: bool
) -> None:
    if not app_role:
        raise RestoreRefused("The target database's URL names no user (the application's role).")
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [app_role])
    found = cursor.fetchone()
    if found is None:
        raise RestoreRefused(
            f"There is no role {app_role!r} in the target cluster; make it (scripts/setup does) "
            "before restoring."
        )
    source_role = backup.manifest.get("app_role")
    if source_role and source_role != app_role:
        raise RestoreRefused(
            f"The backup's tables belong to role {source_role!r}, the target's application "
            f"connects as {app_role!r}; restore with a URL for {source_role!r}."
        )
    if not _exists(cursor, name):
        return
    tables = _user_tables(superuser_url, name)
    if tables and not force:
        raise RestoreRefused(
            f"Database {name} holds {tables} tables; give --force to replace it (it is kept, "
            "renamed, until you drop it)."
        )
    # A client that just disconnected leaves its backend listed for a moment: wait it out.
    for _ in range(_SESSION_WAITS):
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        (sessions,) = cursor.fetchone()
        if not sessions:
            break
        time.sleep(0.1)
    if sessions:
        raise RestoreRefused(
            f"Database {name} has {sessions} open connections; stop the server and workers "
            "before replacing it."
        )


def _user_tables(superuser_url: str, name: str) -> int:
    """Return how many tables and views of `name` belong to no extension."""
    with _superuser(superuser_url, name) as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p', 'v', 'm') "
            "AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') "
            "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
            "AND d.objid = c.oid AND d.deptype = 'e')"
        )
        (count,) = cursor.fetchone()
    return int(count)


def _ensure_owner_role(cursor: Any) -> None:
    """Make the ledger owner role the dump's hardened objects belong to, if this cluster lacks it."""
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [OWNER_ROLE])
    if cursor.fetchone() is None:
        cursor.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(OWNER_ROLE)))


def _verify_restored(alias: str, backup: Backup) -> tuple[list[str], int]:
    """Return what is wrong with the restored journal (nothing: []) and its length."""
    report = replay.verify(using=alias)
    reasons = [f"verify_ledger: {failure}" for failure in report.first_failures()]
    if report.failure_count > len(report.failures):
        reasons.append(f"verify_ledger: ... {report.failure_count} problems in all")
    mark = backup.checkpoint
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT sequence, entry_hash FROM transactions_journalentry "
            "WHERE sequence = %s OR sequence = (SELECT max(sequence) FROM transactions_journalentry)",
            [mark["size"]],
        )
        rows = dict(cursor.fetchall())
    head_size = max(rows, default=0)
    at_mark = rows.get(mark["size"]) if mark["size"] else hashing.GENESIS_HASH
    if at_mark is None:
        reasons.append(
            f"the restored journal has {head_size} entries, fewer than the {mark['size']} "
            "the signed checkpoint covers"
        )
    elif at_mark != mark["head_hash"]:
        reasons.append(
            f"entry #{mark['size']} of the restored journal hashes to {at_mark}, but the "
            f"signed checkpoint says {mark['head_hash']}: the journal was rewritten"
        )
    journal = backup.manifest["journal"]
    head_hash = rows.get(head_size, hashing.GENESIS_HASH)
    if (head_size, head_hash) != (journal["size"], journal["head_hash"]):
        reasons.append(
            f"the restored journal ends at #{head_size} ({head_hash[:16]}…), the manifest at "
            f"#{journal['size']} ({str(journal['head_hash'])[:16]}…)"
        )
    return reasons, head_size


def _rename(cursor: Any, old: str, new: str) -> None:
    cursor.execute(
        sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(old), sql.Identifier(new))
    )


def _exists(cursor: Any, name: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
    return cursor.fetchone() is not None


# --- connections ---------------------------------------------------------------------------


def configured_superuser_url() -> str:
    """Return the superuser's URL from the environment ("" when unset)."""
    return os.environ.get(SUPERUSER_URL_VARIABLE, "")


def _django_settings(database_url: str) -> dict[str, Any]:
    """Return Django's settings for the target: the default database's, or `database_url`'s."""
    base = dict(connections[DEFAULT_DB_ALIAS].settings_dict)
    if not database_url:
        return base
    try:
        parsed = environ.Env.db_url_config(database_url)
    except (ValueError, KeyError) as error:
        raise RestoreRefused(f"--database-url is not a database URL: {error}") from None
    keys = ("NAME", "USER", "PASSWORD", "HOST", "PORT")
    return {**base, **{key: parsed.get(key, "") for key in keys}, "OPTIONS": base["OPTIONS"]}


@contextmanager
def database_alias(database: Mapping[str, Any]) -> Iterator[str]:
    """Yield a temporary Django alias for `database` (a settings dict), closed afterwards.

    The connection is made here and handed to `connections`, not added to the settings:
    nothing that lists the configured databases (migrate, the test runner) sees it.
    """
    alias = f"landinfo_restore_{uuid.uuid4().hex[:8]}"
    backend = load_backend(database["ENGINE"])
    wrapper = backend.DatabaseWrapper({**database, "CONN_MAX_AGE": 0, "TEST": {}}, alias)
    connections[alias] = wrapper
    try:
        yield alias
    finally:
        wrapper.close()
        del connections[alias]


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


def _superuser_dsn(url: str, dbname: str) -> dict[str, str]:
    if url.startswith("postgis://"):  # Django-style scheme: libpq knows postgres(ql)://
        url = "postgres://" + url.removeprefix("postgis://")
    try:
        dsn = parse_dsn(url)
    except psycopg2.ProgrammingError as error:
        raise BackupError(f"{SUPERUSER_URL_VARIABLE} is not a PostgreSQL URL: {error}") from None
    return {**dsn, "dbname": dbname}


@contextmanager
def _superuser(url: str, dbname: str) -> Iterator[Any]:
    """Yield an autocommit cursor as the superuser of `url` on `dbname`."""
    try:
        connection = psycopg2.connect(**_superuser_dsn(url, dbname))
    except psycopg2.OperationalError as error:
        raise RestoreRefused(f"Cannot connect as the superuser: {error}".strip()) from None
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if not cursor.fetchone()[0]:
                raise RestoreRefused(f"{SUPERUSER_URL_VARIABLE} must name a superuser.")
            yield cursor
    finally:
        connection.close()


def _libpq_environment(dsn: Mapping[str, str]) -> dict[str, str]:
    """Return the process environment for a libpq program connecting as `dsn` says."""
    unknown = set(dsn) - set(_LIBPQ_ENVIRONMENT)
    if unknown:
        raise BackupError(f"Connection options {', '.join(sorted(unknown))} are not supported.")
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    environment.update({_LIBPQ_ENVIRONMENT[key]: value for key, value in dsn.items()})
    return environment


# --- files and programs --------------------------------------------------------------------


def _program(name: str) -> str:
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


def _run(command: list[str], environment: Mapping[str, str], *, what: str) -> None:
    """Run a libpq program, raising BackupError with its own message when it fails."""
    completed = subprocess.run(  # noqa: S603 - fixed programs; arguments are not shell-parsed
        command, env=dict(environment), capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        detail = completed.stderr.strip().splitlines()
        raise BackupError(f"{what} failed: {' '.join(detail[:3]) or completed.returncode}.")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _read_json(path: Path) -> dict[str, Any]:
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
