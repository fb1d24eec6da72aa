"""Restore a backup, proving on the way that the journal in it was not altered.

Restore checks the files' hashes and the checkpoint's signature against the configured
public keys before it connects to any database; restores into a fresh database made by
the superuser (LANDINFO_SUPERUSER_DATABASE_URL: extensions and the objects of the
journal's owner role need one); hardens the journal again (operations/hardening.py)
when the source was hardened; verifies the journal (transactions/journal/verify.py)
and checks that the entry at the checkpoint's size has the hash it signed. Only then
does the restored database take the target's name. A restore that fails verification is
left, for inspection, as `<target>__failed_<time>`; the database it replaces is kept as
`<target>__replaced_<time>`.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import environ
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import load_backend
from psycopg2 import sql

from transactions.journal import checkpoints, hashing, verify
from transactions.journal.head import journal_head
from transactions.models import Checkpoint, JournalEntry
from transactions.operations import superuser
from transactions.operations.backup import (
    CHECKPOINT,
    DUMP,
    FORMAT,
    MANIFEST,
    BackupError,
    RestoreRefused,
    file_sha256,
    find_program,
    libpq_environment,
    public_keys,
    read_json,
    run_program,
    superuser_dsn,
)
from transactions.operations.hardening import HardeningRefused, ensure_owner_role, harden_journal

# PostgreSQL truncates longer identifiers silently; a restore's names must stay distinct.
_MAX_IDENTIFIER = 63
# Checks, 0.1 s apart, that nobody is connected to a database about to be replaced.
_SESSION_WAITS = 30
# Reasons a failed restore prints before its verdict.
FAILURES_SHOWN = 10


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


class _Names(NamedTuple):
    """The databases of one restore: its target, and the names it restores and keeps under."""

    target: str
    staging: str
    failed: str
    replaced: str


# --- reading and checking a backup ---------------------------------------------------------


def read_backup(path: Path) -> Backup:
    """Return the backup at `path`, refusing it unless its files and checkpoint check out.

    Reads files only: the hashes in the manifest, then the checkpoint's signature with
    the configured public keys (LANDINFO_SIGNING_KEY_FILE, LANDINFO_VERIFY_KEY_FILES).
    """
    if not path.is_dir():
        raise RestoreRefused(f"{path} is not a backup folder (manage.py backup writes one).")
    manifest = read_json(path / MANIFEST)
    if manifest.get("format") != FORMAT:
        raise RestoreRefused(
            f"{path / MANIFEST} is not a {FORMAT} manifest (format {manifest.get('format')!r})."
        )
    _check_files(path, manifest)
    checkpoint = read_json(path / CHECKPOINT)
    _check_checkpoint(checkpoint, path / CHECKPOINT)
    journal = manifest.get("journal", {})
    if not isinstance(journal.get("size"), int) or journal["size"] < checkpoint["size"]:
        raise RestoreRefused(
            f"The manifest's journal ({journal.get('size')} entries) is shorter than the "
            f"checkpoint it carries ({checkpoint['size']} entries)."
        )
    return Backup(path=path, manifest=manifest, checkpoint=checkpoint)


def _check_files(path: Path, manifest: Mapping[str, Any]) -> None:
    """Refuse the backup unless its files have the SHA-256 its manifest states."""
    files = manifest.get("files")
    if not isinstance(files, dict) or set(files) != {DUMP, CHECKPOINT}:
        raise RestoreRefused(f"{path / MANIFEST} does not list {DUMP} and {CHECKPOINT}.")
    for filename, expected in files.items():
        if not isinstance(expected, dict):
            raise RestoreRefused(f"{path / MANIFEST} does not state the hash of {filename}.")
        actual = file_sha256(path / filename) if (path / filename).is_file() else None
        if actual is None:
            raise RestoreRefused(f"{path / filename} is missing; the backup is incomplete.")
        if actual != expected.get("sha256"):
            raise RestoreRefused(
                f"{path / filename} does not have the SHA-256 its manifest states (it is "
                f"{actual}, the manifest says {expected.get('sha256')}): the file was "
                "damaged or altered after the backup. Use another backup."
            )


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
    keys = public_keys()
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
    pg_restore = find_program("pg_restore")
    target = _django_settings(database_url)
    superuser_url = superuser_url or superuser.configured_url()
    if not superuser_url:
        raise RestoreRefused(
            f"Set {superuser.URL_VARIABLE} (or give --superuser-url) to a PostgreSQL "
            "superuser's URL: a restore creates the database, its extensions and the "
            "ledger owner's objects."
        )
    names = _names(str(target["NAME"]), now())
    app_role = str(target.get("USER") or "")
    _create_staging(superuser_url, names, app_role, backup, force=force)
    _load(pg_restore, backup, superuser_url, names)
    restored = Restored(
        database=names.target,
        entries=0,
        checkpoint_size=backup.checkpoint["size"],
        hardened=bool(backup.manifest.get("hardened")),
    )
    reasons = _check_restored(restored, backup, {**target, "NAME": names.staging}, superuser_url)
    _put_in_place(superuser_url, names, restored, reasons)
    return restored


def _names(name: str, started: dt.datetime) -> _Names:
    """Return the names of a restore into `name`, refusing a name too long to restore beside."""
    stamp = f"{started:%Y%m%dT%H%M%S}"
    names = _Names(
        target=name,
        staging=f"{name}__restoring",
        failed=f"{name}__failed_{stamp}",
        replaced=f"{name}__replaced_{stamp}",
    )
    if len(names.replaced.encode()) > _MAX_IDENTIFIER:
        raise RestoreRefused(
            f"The database name {name!r} is too long to restore beside it ({names.replaced!r} "
            f"exceeds {_MAX_IDENTIFIER} bytes); restore into a shorter name."
        )
    return names


def _create_staging(
    superuser_url: str, names: _Names, app_role: str, backup: Backup, *, force: bool
) -> None:
    """Check the target, then make the empty database the dump is restored into."""
    with _superuser(superuser_url, "postgres") as cursor:
        _check_target(cursor, superuser_url, names.target, app_role, backup, force=force)
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(names.staging)))
        if backup.manifest.get("hardened"):
            # The dump's hardened objects belong to the owner role: the cluster needs it.
            ensure_owner_role(cursor)
        # template0: an empty database; the dump makes the extensions and everything else.
        cursor.execute(
            sql.SQL("CREATE DATABASE {} OWNER {} TEMPLATE template0").format(
                sql.Identifier(names.staging), sql.Identifier(app_role)
            )
        )


def _load(pg_restore: str, backup: Backup, superuser_url: str, names: _Names) -> None:
    """Run pg_restore into the staging database; on failure drop it and refuse."""
    try:
        run_program(
            [
                pg_restore,
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={names.staging}",  # the rest of the connection is in the environment
                str(backup.dump),
            ],
            libpq_environment(superuser_dsn(superuser_url, names.staging)),
            what=f"pg_restore into {names.staging}",
        )
    except BackupError as error:
        with _superuser(superuser_url, "postgres") as cursor:
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(names.staging))
            )
        raise RestoreRefused(
            f"{error} Nothing was restored; {names.target} is untouched."
        ) from None


def _check_restored(
    restored: Restored, backup: Backup, staging: Mapping[str, Any], superuser_url: str
) -> list[str]:
    """Harden the staging database again if its source was; return what is wrong with it."""
    with database_alias(staging) as alias:
        reasons: list[str] = []
        if restored.hardened:
            try:
                harden_journal(
                    superuser_url=superuser_url,
                    dbname=str(staging["NAME"]),
                    app_role=str(staging.get("USER") or ""),
                )
            except HardeningRefused as error:
                reasons.append(f"harden_journal: {error}")
        found, restored.entries = _verify_restored(alias, backup)
        reasons.extend(found)
    return reasons


def _put_in_place(
    superuser_url: str, names: _Names, restored: Restored, reasons: list[str]
) -> None:
    """Give the staging database the target's name, or keep it as failed when `reasons`."""
    with _superuser(superuser_url, "postgres") as cursor:
        if reasons:
            _rename(cursor, names.staging, names.failed)
            raise RestoreFailed(
                f"Restore FAILED: {reasons[0]}",
                database=names.failed,
                reasons=reasons,
            )
        if _exists(cursor, names.target):
            _rename(cursor, names.target, names.replaced)
            restored.replaced = names.replaced
        _rename(cursor, names.staging, names.target)


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
    _wait_for_sessions(cursor, name)


def _wait_for_sessions(cursor: Any, name: str) -> None:
    """Refuse to replace `name` while anyone is connected to it."""
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


def _verify_restored(alias: str, backup: Backup) -> tuple[list[str], int]:
    """Return what is wrong with the restored journal (nothing: []) and its length."""
    report = verify.verify(using=alias)
    reasons = [f"verify_ledger: {failure}" for failure in report.first_failures()]
    if report.failure_count > len(report.failures):
        reasons.append(f"verify_ledger: ... {report.failure_count} problems in all")
    mark = backup.checkpoint
    with connections[alias].cursor() as cursor:
        head = journal_head(cursor)
        at_mark = _entry_hash(cursor, mark["size"])
    if at_mark is None:
        reasons.append(
            f"the restored journal has {head.sequence} entries, fewer than the {mark['size']} "
            "the signed checkpoint covers"
        )
    elif at_mark != mark["head_hash"]:
        reasons.append(
            f"entry #{mark['size']} of the restored journal hashes to {at_mark}, but the "
            f"signed checkpoint says {mark['head_hash']}: the journal was rewritten"
        )
    journal = backup.manifest["journal"]
    if (head.sequence, head.entry_hash) != (journal["size"], journal["head_hash"]):
        reasons.append(
            f"the restored journal ends at #{head.sequence} ({head.entry_hash[:16]}…), the "
            f"manifest at #{journal['size']} ({str(journal['head_hash'])[:16]}…)"
        )
    return reasons, head.sequence


def _entry_hash(cursor: Any, sequence: int) -> str | None:
    """Return the hash of entry `sequence` (the genesis hash for 0), None when there is none."""
    if not sequence:
        return hashing.GENESIS_HASH
    cursor.execute(
        f"SELECT entry_hash FROM {JournalEntry._meta.db_table} WHERE sequence = %s",  # noqa: S608
        [sequence],
    )
    row = cursor.fetchone()
    return row[0] if row else None


def _rename(cursor: Any, old: str, new: str) -> None:
    cursor.execute(
        sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(old), sql.Identifier(new))
    )


def _exists(cursor: Any, name: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
    return cursor.fetchone() is not None


# --- connections ---------------------------------------------------------------------------


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


@contextmanager
def _superuser(url: str, dbname: str) -> Iterator[Any]:
    """Yield an autocommit cursor as the superuser of `url` on `dbname`."""
    try:
        with superuser.superuser_cursor(url, dbname) as cursor:
            yield cursor
    except superuser.SuperuserUnavailable as error:
        raise RestoreRefused(str(error)) from None
