"""Take the journal's tables out of the application's hands (`manage.py harden_journal`).

The append-only triggers (transactions/migrations/0004_append_only.py) refuse UPDATE,
DELETE and TRUNCATE, but the owner of a table can disable or drop its triggers, and
the owner of a schema can drop the tables in it. So hardening, connected as a
PostgreSQL superuser, gives the journal's tables, their sequences, the triggers'
function and the schema they live in to a role nobody logs in as
(`landinfo_ledger_owner`, NOLOGIN), of which the application's role is not a member,
and grants the application SELECT and INSERT on the tables (USAGE and SELECT on their sequences,
USAGE and CREATE on the schema so migrations still make and drop its own tables).

The application can then still record deeds, checkpoints and audit rows, but can no
longer ALTER, DISABLE TRIGGER, DROP, TRUNCATE, UPDATE or DELETE them. The applications'
events are hardened alike; the applications themselves too, except that the application
may UPDATE the three columns that project their events (status, decided_at, entry_id),
which their own trigger lets change, and nothing else. Undoing gives
everything back to the application's role: needed before a migration that alters
those tables. Both directions are idempotent, and each runs in one transaction that
commits only when the result checks out.
"""

from __future__ import annotations

import importlib
from typing import Any

from psycopg2 import sql

from transactions.models import JournalEntry
from transactions.operations.superuser import SuperuserUnavailable, superuser_cursor

OWNER_ROLE = "landinfo_ledger_owner"
APPEND_ONLY: tuple[str, ...] = (
    *importlib.import_module("transactions.migrations.0004_append_only").APPEND_ONLY,
    "transactions_applicationevent",
    importlib.import_module("transactions.migrations.0007_transparency_log").TREE,
)
# Tables the application may change in these columns only (the projection of events).
PROJECTED: dict[str, tuple[str, ...]] = {
    "transactions_application": ("status", "decided_at", "entry_id"),
}
HARDENED: tuple[str, ...] = (*APPEND_ONLY, *PROJECTED)
TRIGGER_FUNCTIONS = ("landinfo_refuse_change()", "landinfo_application_receipt_fixed()")
# Who owns the public schema of a database PostgreSQL 14+ makes (CREATE DATABASE).
DEFAULT_SCHEMA_OWNER = "pg_database_owner"
_WHY_SUPERUSER = ": only one can move ownership away from the application's role"


class HardeningRefused(Exception):
    """The journal's tables were left as they were; the message says why."""


def harden_journal(*, superuser_url: str, dbname: str, app_role: str, undo: bool = False) -> None:
    """Give the journal's tables of `dbname` to OWNER_ROLE (with `undo`: back to `app_role`).

    Connects as the superuser of `superuser_url`; refuses an application role that is a
    superuser (it bypasses every permission) or that is the owner role itself.
    """
    if app_role == OWNER_ROLE:
        raise HardeningRefused(f"The application cannot connect as {OWNER_ROLE}.")
    try:
        with superuser_cursor(
            superuser_url, dbname, autocommit=False, why=_WHY_SUPERUSER
        ) as cursor:
            _check_roles(cursor, app_role)
            if undo:
                _undo(cursor, app_role)
            else:
                _harden(cursor, app_role)
            problems = _check(cursor, app_role, hardened=not undo)
            if problems:
                raise HardeningRefused("; ".join(problems))
    except SuperuserUnavailable as error:
        raise HardeningRefused(str(error)) from None


def is_hardened(cursor: Any) -> bool:
    """Return whether the journal, as `cursor` sees it, belongs to OWNER_ROLE."""
    cursor.execute(
        "SELECT relowner::regrole::text = %s FROM pg_class WHERE oid = %s::regclass",
        [OWNER_ROLE, JournalEntry._meta.db_table],
    )
    return bool(cursor.fetchone()[0])


def ensure_owner_role(cursor: Any) -> None:
    """Make OWNER_ROLE (NOLOGIN) in the cluster of `cursor`, a superuser's, if it lacks it."""
    if not _owner_exists(cursor):
        cursor.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(OWNER_ROLE)))


def _check_roles(cursor: Any, app_role: str) -> None:
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [app_role])
    found = cursor.fetchone()
    if found is None:
        raise HardeningRefused(f"There is no role {app_role!r}; give --app-role.")
    if found[0]:
        raise HardeningRefused(
            f"Role {app_role} is a superuser: it bypasses every permission, so no ownership "
            "keeps it from the triggers. Let the application connect as an ordinary role."
        )


def _owner_exists(cursor: Any) -> bool:
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [OWNER_ROLE])
    return cursor.fetchone() is not None


def _schemas(cursor: Any) -> list[str]:
    cursor.execute(
        "SELECT DISTINCT relnamespace::regnamespace::text FROM pg_class "
        "WHERE oid = ANY(%s::regclass[])",
        [list(HARDENED)],
    )
    return [row[0] for row in cursor.fetchall()]


def _sequences(cursor: Any, table: str) -> list[str]:
    """Return the sequences that belong to `table` (serial and identity columns)."""
    cursor.execute(
        "SELECT d.objid::regclass::text FROM pg_depend d JOIN pg_class s ON s.oid = d.objid "
        "WHERE d.refobjid = %s::regclass AND d.classid = 'pg_class'::regclass "
        "AND s.relkind = 'S' AND d.deptype IN ('a', 'i')",
        [table],
    )
    return [row[0] for row in cursor.fetchall()]


def _harden(cursor: Any, app_role: str) -> None:
    owner, app = sql.Identifier(OWNER_ROLE), sql.Identifier(app_role)
    ensure_owner_role(cursor)
    cursor.execute(sql.SQL("ALTER ROLE {} NOLOGIN NOSUPERUSER NOINHERIT").format(owner))
    # The application must not reach the owner's privileges through membership.
    cursor.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", [app_role, OWNER_ROLE])
    if cursor.fetchone()[0]:
        cursor.execute(sql.SQL("REVOKE {} FROM {}").format(owner, app))
    for table in HARDENED:
        _give_table(cursor, table, owner, app, PROJECTED.get(table, ()))
    # Whoever owns a function could make its triggers do nothing (CREATE OR REPLACE).
    for function in TRIGGER_FUNCTIONS:
        cursor.execute(sql.SQL("ALTER FUNCTION {} OWNER TO {}").format(sql.SQL(function), owner))
    # The owner of a schema may drop any table in it: the application (the database's
    # owner, hence pg_database_owner) keeps the right to create its own tables only.
    for schema in _schemas(cursor):
        cursor.execute(
            "SELECT pg_has_role(%s, nspowner, 'USAGE') FROM pg_namespace WHERE nspname = %s",
            [app_role, schema],
        )
        if cursor.fetchone()[0]:
            name = sql.Identifier(schema)
            cursor.execute(sql.SQL("ALTER SCHEMA {} OWNER TO {}").format(name, owner))
            cursor.execute(sql.SQL("GRANT USAGE, CREATE ON SCHEMA {} TO {}").format(name, app))


def _give_table(
    cursor: Any,
    table: str,
    owner: sql.Identifier,
    app: sql.Identifier,
    updatable: tuple[str, ...] = (),
) -> None:
    """Give `table` and its sequences to `owner`, leaving `app` reading and appending.

    `updatable`: the columns `app` may still UPDATE (the table's trigger says how).
    """
    name = sql.Identifier(table)
    cursor.execute(sql.SQL("ALTER TABLE {} OWNER TO {}").format(name, owner))
    cursor.execute(sql.SQL("REVOKE ALL ON TABLE {} FROM PUBLIC, {}").format(name, app))
    cursor.execute(sql.SQL("GRANT SELECT, INSERT ON TABLE {} TO {}").format(name, app))
    if updatable:
        columns = sql.SQL(", ").join(sql.Identifier(column) for column in updatable)
        cursor.execute(sql.SQL("GRANT UPDATE ({}) ON TABLE {} TO {}").format(columns, name, app))
    for sequence in _sequences(cursor, table):
        seq = sql.SQL(sequence)  # regclass text: already quoted where needed
        cursor.execute(sql.SQL("ALTER SEQUENCE {} OWNER TO {}").format(seq, owner))
        cursor.execute(sql.SQL("REVOKE ALL ON SEQUENCE {} FROM PUBLIC, {}").format(seq, app))
        # SELECT reads the sequence's position only; pg_dump needs it, so that the
        # application's role can make backups (manage.py backup) without a superuser.
        cursor.execute(sql.SQL("GRANT USAGE, SELECT ON SEQUENCE {} TO {}").format(seq, app))


def _undo(cursor: Any, app_role: str) -> None:
    if not _owner_exists(cursor):
        return  # never hardened
    owner, app = sql.Identifier(OWNER_ROLE), sql.Identifier(app_role)
    for schema in _schemas(cursor):
        cursor.execute(
            "SELECT nspowner::regrole::text = %s FROM pg_namespace WHERE nspname = %s",
            [OWNER_ROLE, schema],
        )
        if cursor.fetchone()[0]:
            name = sql.Identifier(schema)
            cursor.execute(
                sql.SQL("ALTER SCHEMA {} OWNER TO {}").format(
                    name, sql.Identifier(DEFAULT_SCHEMA_OWNER)
                )
            )
            cursor.execute(sql.SQL("REVOKE USAGE, CREATE ON SCHEMA {} FROM {}").format(name, app))
    for function in TRIGGER_FUNCTIONS:
        cursor.execute(sql.SQL("ALTER FUNCTION {} OWNER TO {}").format(sql.SQL(function), app))
    for table in HARDENED:
        cursor.execute(sql.SQL("ALTER TABLE {} OWNER TO {}").format(sql.Identifier(table), app))
        for sequence in _sequences(cursor, table):
            cursor.execute(sql.SQL("ALTER SEQUENCE {} OWNER TO {}").format(sql.SQL(sequence), app))
        # Nothing of the owner role is left on the table after the ownership moved back.
        cursor.execute(
            sql.SQL("REVOKE ALL ON TABLE {} FROM {}").format(sql.Identifier(table), owner)
        )


def _check(cursor: Any, app_role: str, *, hardened: bool) -> list[str]:
    """Return what is not as it should be after hardening (or undoing it)."""
    problems = []
    for table in HARDENED:
        cursor.execute(
            "SELECT relowner::regrole::text, "
            "has_table_privilege(%(app)s, oid, 'SELECT'), "
            "has_table_privilege(%(app)s, oid, 'INSERT'), "
            "has_table_privilege(%(app)s, oid, 'UPDATE'), "
            "has_table_privilege(%(app)s, oid, 'DELETE'), "
            "has_table_privilege(%(app)s, oid, 'TRUNCATE'), "
            "pg_has_role(%(app)s, relowner, 'MEMBER') "
            "FROM pg_class WHERE oid = %(table)s::regclass",
            {"app": app_role, "table": table},
        )
        owner, select, insert, update, delete, truncate, member = cursor.fetchone()
        if not (select and insert):
            problems.append(f"role {app_role} cannot SELECT and INSERT {table}")
        if hardened and (owner != OWNER_ROLE or member or update or delete or truncate):
            problems.append(f"role {app_role} still owns or may change {table}")
        if not hardened and owner != app_role:
            problems.append(f"{table} belongs to {owner}, not to {app_role}")
    return problems
