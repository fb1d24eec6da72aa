"""The few rules every hand-written SQL statement of LandInfo follows, in one place.

Reads that must be fast at national scale are written as SQL (DESIGN.md's targets), not
built by the ORM. They share:

- `read_cursor(model)`: a cursor on the database that serves reads of `model` (a
  replica when one is configured, `landinfo.db_router`), never the primary by accident;
- `fetch_rows`/`rows`: rows as dicts by column name;
- `alive(alias)`: the lifespan test of a row with `valid_from`/`valid_to` on a day;
- `table(model)`: a model's table name, from Django, so SQL follows a renamed table;
- `Statement`/`fetch_prepared`: statements prepared once per database session.
"""

from __future__ import annotations

import hashlib
import re
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

import psycopg2.errors
from django.db import DatabaseError, connections, models, router


def table(model: type[models.Model]) -> str:
    """Return the table of `model`, as Django created it."""
    return model._meta.db_table


def alive(alias: str = "", day: str = "day") -> str:
    """Return the SQL test that a row of `alias` was in force on the parameter `day`.

    In force from `valid_from` (included) to `valid_to` (excluded, NULL: still in force),
    the half-open lifespan every dated table of the register uses.
    """
    column = f"{alias}." if alias else ""
    return (
        f"{column}valid_from <= %({day})s"
        f" AND ({column}valid_to IS NULL OR {column}valid_to > %({day})s)"
    )


def alive_during(alias: str) -> str:
    """Return the SQL test that a row of `alias` was in force at any time from the
    parameter `start` to `end` (both included): begun by the end, not ended by the start."""
    return (
        f"{alias}.valid_from <= %(end)s"
        f" AND ({alias}.valid_to IS NULL OR {alias}.valid_to > %(start)s)"
    )


@contextmanager
def read_cursor(model: type[models.Model]) -> Iterator[Any]:
    """Yield a cursor on the database that serves reads of `model` (a replica may)."""
    with connections[router.db_for_read(model)].cursor() as cursor:
        yield cursor


def rows(cursor: Any) -> list[dict[str, Any]]:
    """Return what `cursor` fetched as dicts by column name."""
    columns = [column.name for column in cursor.description]
    return [dict(zip(columns, values, strict=True)) for values in cursor.fetchall()]


def fetch_rows(model: type[models.Model], sql: str, params: Any = None) -> list[dict[str, Any]]:
    """Return the rows of `sql`, read where reads of `model` are served, as dicts."""
    with read_cursor(model) as cursor:
        cursor.execute(sql, params)
        return rows(cursor)


# --- statements prepared once per database session ----------------------------------------


class Statement(NamedTuple):
    """A statement to PREPARE once per session and EXECUTE with values in `parameters` order."""

    name: str
    sql: str  # with %(name)s placeholders, run as is when the prepared form is lost
    prepare: str
    execute: str
    parameters: tuple[str, ...]


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")

# The statements each database session has prepared; a session that ends drops its entry.
_PREPARED: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def statement(name: str, sql: str, types: dict[str, str]) -> Statement:
    """Return `sql` as a statement to prepare; `types` gives each parameter's SQL type.

    The name carries a digest of the SQL, so that a session kept by a connection pooler
    across deployments never runs the statement of an older release.
    """
    order = tuple(types)
    body = _PLACEHOLDER.sub(lambda match: f"${order.index(match[1]) + 1}", sql)
    full_name = f"landinfo_{name}_{hashlib.sha256(sql.encode()).hexdigest()[:12]}"
    return Statement(
        name=full_name,
        sql=sql,
        prepare=f"PREPARE {full_name} ({', '.join(types.values())}) AS {body.replace('%%', '%')}",
        execute=f"EXECUTE {full_name} ({', '.join(['%s'] * len(order))})",
        parameters=order,
    )


def fetch_prepared(
    model: type[models.Model], prepared_statement: Statement, params: dict[str, Any]
) -> list[dict[str, Any]]:
    """Return the rows of a statement, preparing it first if this session has not.

    Read where reads of `model` are served. A pooler in transaction mode hands
    statements to any server session, which may have the statement prepared already
    (then it is used) or not (then the plain SQL runs, and the next call prepares it
    again). Inside a transaction the error stands: it has aborted the transaction.
    """
    connection = connections[router.db_for_read(model)]
    with connection.cursor() as cursor:
        prepared = _PREPARED.setdefault(connection.connection, set())
        name = prepared_statement.name
        try:
            if name not in prepared:
                try:
                    cursor.execute(prepared_statement.prepare)
                except DatabaseError as error:
                    if not _recoverable(
                        error, psycopg2.errors.DuplicatePreparedStatement, connection
                    ):
                        raise
                prepared.add(name)
            values = [params[parameter] for parameter in prepared_statement.parameters]
            cursor.execute(prepared_statement.execute, values)
        except DatabaseError as error:
            if not _recoverable(error, psycopg2.errors.InvalidSqlStatementName, connection):
                raise
            prepared.discard(name)
            cursor.execute(prepared_statement.sql, params)
        return rows(cursor)


def _recoverable(error: DatabaseError, cause: type[Exception], connection: Any) -> bool:
    return isinstance(error.__cause__, cause) and not connection.in_atomic_block
