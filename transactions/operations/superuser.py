"""How LandInfo connects as a PostgreSQL superuser, for the few acts its own role may not do.

Hardening the journal moves ownership away from the application's role, and a restore
creates a database, its extensions and the objects of the journal's owner role: only a
superuser can. Its URL is LANDINFO_SUPERUSER_DATABASE_URL (or a command's --superuser-url), never
Django's DATABASES: the application itself must not run with those rights.

The connection is plain psycopg2, made and closed by the act that needs it; the URL's
database name is replaced by the one the act works on.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg2
from psycopg2.extensions import parse_dsn

URL_VARIABLE = "LANDINFO_SUPERUSER_DATABASE_URL"


class SuperuserUnavailable(Exception):
    """No superuser connection could be made; the message says why."""


def configured_url() -> str:
    """Return the superuser's URL from the environment ("" when unset)."""
    return os.environ.get(URL_VARIABLE, "")


def dsn(url: str, dbname: str) -> dict[str, str]:
    """Return the libpq connection keywords of `url`, on database `dbname`."""
    if url.startswith("postgis://"):  # Django-style scheme: libpq knows postgres(ql)://
        url = "postgres://" + url.removeprefix("postgis://")
    try:
        keywords = parse_dsn(url)
    except psycopg2.ProgrammingError as error:
        raise SuperuserUnavailable(f"{URL_VARIABLE} is not a PostgreSQL URL: {error}") from None
    return {**keywords, "dbname": dbname}


@contextmanager
def superuser_cursor(
    url: str, dbname: str, *, autocommit: bool = True, why: str = ""
) -> Iterator[Any]:
    """Yield a cursor as the superuser of `url` on `dbname`, checked to be one.

    With `autocommit` (CREATE DATABASE needs it) each statement stands alone; without,
    everything done runs in one transaction, committed only when the block ends without
    an exception. `why` completes the refusal of a URL that names no superuser.
    """
    keywords = dsn(url, dbname)
    try:
        connection = psycopg2.connect(**keywords)
    except psycopg2.OperationalError as error:
        raise SuperuserUnavailable(f"Cannot connect as the superuser: {error}".strip()) from None
    connection.autocommit = autocommit
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if not cursor.fetchone()[0]:
                raise SuperuserUnavailable(f"{URL_VARIABLE} must name a superuser{why}.")
            yield cursor
        if not autocommit:
            connection.commit()
    finally:
        connection.close()  # without a commit, what the block did is rolled back
