"""`manage.py harden_journal`: take the journal's tables out of the application's hands.

The append-only triggers (transactions/migrations/0004_append_only.py) refuse UPDATE,
DELETE and TRUNCATE, but the owner of a table can disable or drop its triggers, and
the owner of a schema can drop the tables in it. So this command, connected as a
PostgreSQL superuser, gives the journal's tables, their sequences, the triggers'
function and the schema they live in to a role nobody logs in as
(`landinfo_ledger_owner`, NOLOGIN), of which the application's role is not a member,
and grants the application SELECT and INSERT on the tables (USAGE and SELECT on their sequences,
USAGE and CREATE on the schema so migrations still make and drop its own tables).

The application can then still record deeds, checkpoints and audit rows, but can no
longer ALTER, DISABLE TRIGGER, DROP, TRUNCATE, UPDATE or DELETE them. `--undo` gives
everything back to the application's role: needed before a migration that alters
those tables. Both directions are idempotent.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

import psycopg2
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from psycopg2 import sql
from psycopg2.extensions import parse_dsn

OWNER_ROLE = "landinfo_ledger_owner"
URL_VARIABLE = "LANDINFO_SUPERUSER_DATABASE_URL"
APPEND_ONLY: tuple[str, ...] = importlib.import_module(
    "transactions.migrations.0004_append_only"
).APPEND_ONLY
TRIGGER_FUNCTION = "landinfo_refuse_change()"
# Who owns the public schema of a database PostgreSQL 14+ makes (CREATE DATABASE).
DEFAULT_SCHEMA_OWNER = "pg_database_owner"


class Command(BaseCommand):
    help = (
        f"Make the journal's tables ({', '.join(APPEND_ONLY)}) owned by the NOLOGIN role "
        f"{OWNER_ROLE} and leave the application's role SELECT and INSERT only, so that it "
        "can no longer disable their append-only triggers, drop, truncate, update or delete "
        f"them. Connects as a superuser (--superuser-url or {URL_VARIABLE}) to the "
        "application's database. --undo gives ownership back (before migrations that alter "
        "those tables). Idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--superuser-url",
            help=f"postgres:// URL of a superuser (default: ${URL_VARIABLE}); its database "
            "name is replaced by the application's.",
        )
        parser.add_argument(
            "--app-role",
            help="The role the application connects as (default: the USER of --database).",
        )
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help="The Django database alias to harden (default: 'default').",
        )
        parser.add_argument(
            "--undo", action="store_true", help="Give the tables back to the application's role."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        database = connections[options["database"]].settings_dict
        url = options["superuser_url"] or os.environ.get(URL_VARIABLE, "")
        if not url:
            raise CommandError(
                f"Give --superuser-url or set {URL_VARIABLE} to a PostgreSQL superuser's URL, "
                "e.g. postgres:///landinfo?host=/path/to/.pgdata&port=5433&user=postgres "
                "(scripts/setup writes it to .env for the project-local cluster)."
            )
        app_role = options["app_role"] or database.get("USER") or ""
        if not app_role:
            raise CommandError("The database settings name no USER: give --app-role.")
        if app_role == OWNER_ROLE:
            raise CommandError(f"The application cannot connect as {OWNER_ROLE}.")
        with _connect(url, database["NAME"]) as connection, connection.cursor() as cursor:
            _check_roles(cursor, app_role)
            if options["undo"]:
                _undo(cursor, app_role)
            else:
                _harden(cursor, app_role)
            problems = _check(cursor, app_role, hardened=not options["undo"])
            if problems:
                raise CommandError("; ".join(problems))
        if options["undo"]:
            self.stdout.write(
                f"Gave {', '.join(APPEND_ONLY)} in database {database['NAME']} back to role "
                f"{app_role}; run harden_journal again after the migrations."
            )
        else:
            self.stdout.write(
                f"Hardened database {database['NAME']}: {', '.join(APPEND_ONLY)} belong to "
                f"{OWNER_ROLE} (NOLOGIN); role {app_role} may SELECT and INSERT them, and no "
                "longer alter, truncate, update, delete or drop them. Run with --undo before "
                "a migration that alters them."
            )


def _connect(url: str, dbname: str) -> Any:
    """Return a connection as the superuser of `url` to the application's database."""
    if url.startswith("postgis://"):  # Django-style scheme: libpq knows postgres(ql)://
        url = "postgres://" + url.removeprefix("postgis://")
    try:
        dsn = parse_dsn(url)
    except psycopg2.ProgrammingError as error:
        raise CommandError(f"{URL_VARIABLE} is not a PostgreSQL URL: {error}") from None
    dsn["dbname"] = dbname
    try:
        connection = psycopg2.connect(**dsn)
    except psycopg2.OperationalError as error:
        raise CommandError(f"Cannot connect as the superuser: {error}".strip()) from None
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not cursor.fetchone()[0]:
            connection.close()
            raise CommandError(
                f"{URL_VARIABLE} must name a superuser: only one can move ownership away "
                "from the application's role."
            )
    return connection


def _check_roles(cursor: Any, app_role: str) -> None:
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [app_role])
    found = cursor.fetchone()
    if found is None:
        raise CommandError(f"There is no role {app_role!r}; give --app-role.")
    if found[0]:
        raise CommandError(
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
        [list(APPEND_ONLY)],
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
    if not _owner_exists(cursor):
        cursor.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(owner))
    cursor.execute(sql.SQL("ALTER ROLE {} NOLOGIN NOSUPERUSER NOINHERIT").format(owner))
    # The application must not reach the owner's privileges through membership.
    cursor.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", [app_role, OWNER_ROLE])
    if cursor.fetchone()[0]:
        cursor.execute(sql.SQL("REVOKE {} FROM {}").format(owner, app))
    for table in APPEND_ONLY:
        name = sql.Identifier(table)
        cursor.execute(sql.SQL("ALTER TABLE {} OWNER TO {}").format(name, owner))
        cursor.execute(sql.SQL("REVOKE ALL ON TABLE {} FROM PUBLIC, {}").format(name, app))
        cursor.execute(sql.SQL("GRANT SELECT, INSERT ON TABLE {} TO {}").format(name, app))
        for sequence in _sequences(cursor, table):
            seq = sql.SQL(sequence)  # regclass text: already quoted where needed
            cursor.execute(sql.SQL("ALTER SEQUENCE {} OWNER TO {}").format(seq, owner))
            cursor.execute(sql.SQL("REVOKE ALL ON SEQUENCE {} FROM PUBLIC, {}").format(seq, app))
            # SELECT reads the sequence's position only; pg_dump needs it, so that the
            # application's role can make backups (manage.py backup) without a superuser.
            cursor.execute(sql.SQL("GRANT USAGE, SELECT ON SEQUENCE {} TO {}").format(seq, app))
    # Whoever owns the function could make the triggers do nothing (CREATE OR REPLACE).
    cursor.execute(
        sql.SQL("ALTER FUNCTION {} OWNER TO {}").format(sql.SQL(TRIGGER_FUNCTION), owner)
    )
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
    cursor.execute(sql.SQL("ALTER FUNCTION {} OWNER TO {}").format(sql.SQL(TRIGGER_FUNCTION), app))
    for table in APPEND_ONLY:
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
    for table in APPEND_ONLY:
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
