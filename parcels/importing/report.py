"""The report of an import: counts by status and problem, the first problems, the CSV.

The problem table is read in SQL and COPYed out sorted by feature, so neither the
counts nor the report hold the file in memory.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import connection
from django.db.backends.utils import CursorWrapper

from parcels.importing.problems import ParcelFileError, Problem

_FIRST_PROBLEMS_SHOWN = 10


@dataclass(frozen=True, slots=True)
class ReportedProblem:
    """One row of the report."""

    fid: int
    identifier: str
    field: str
    reason: str


@dataclass(frozen=True, slots=True)
class Counts:
    """What the staging and problem tables hold once every check has run."""

    statuses: dict[str, int]  # staging status → features
    rejected: int  # features, each counted once
    noted: int  # features with a note (imported all the same)
    problems: dict[str, int]  # Problem value → features, most first
    first_problems: list[ReportedProblem]


_COUNT_STATUSES = "SELECT status, count(*) FROM import_staging GROUP BY status"
_COUNT_REJECTED = "SELECT count(DISTINCT seq) FROM import_problems WHERE rejects"
_COUNT_NOTED = "SELECT count(DISTINCT seq) FROM import_problems WHERE NOT rejects"
_COUNT_PROBLEMS = """
    SELECT kind, count(DISTINCT seq) AS features FROM import_problems WHERE rejects
    GROUP BY kind ORDER BY features DESC, kind
"""
_FIRST_PROBLEMS = """
    SELECT fid, identifier, field, reason FROM import_problems WHERE rejects
    ORDER BY seq, n LIMIT %(limit)s
"""
_EXAMPLES_OF = """
    SELECT reason FROM (
        SELECT DISTINCT ON (reason) reason, seq, n FROM import_problems
        WHERE kind = %(kind)s ORDER BY reason, seq, n
    ) AS examples
    ORDER BY seq, n LIMIT 3
"""
_WRITE_REPORT = """
    COPY (SELECT fid, identifier, field, reason FROM import_problems ORDER BY seq, n)
    TO STDOUT WITH (FORMAT csv, HEADER)
"""


def counts(cursor: CursorWrapper) -> Counts:
    """Return the counts of the staging and problem tables, and the first problems."""
    cursor.execute(_COUNT_STATUSES)
    statuses = dict(cursor.fetchall())
    cursor.execute(_COUNT_REJECTED)
    (rejected,) = cursor.fetchone()
    cursor.execute(_COUNT_NOTED)
    (noted,) = cursor.fetchone()
    cursor.execute(_COUNT_PROBLEMS)
    problems = dict(cursor.fetchall())
    cursor.execute(_FIRST_PROBLEMS, {"limit": _FIRST_PROBLEMS_SHOWN})
    first = [ReportedProblem(*row) for row in cursor.fetchall()]
    return Counts(statuses, rejected, noted, problems, first)


def examples_of(cursor: CursorWrapper, problem: Problem) -> list[str]:
    """Return up to three different reasons given for `problem`, first in the file first."""
    cursor.execute(_EXAMPLES_OF, {"kind": problem.value})
    return [reason for (reason,) in cursor.fetchall()]


def _open_report(path: str, chosen: Path | None) -> tuple[Path, BinaryIO]:
    """Return the report's path and file: the one chosen, else a new one in the report folder.

    A report of its own per run: two runs in the same second do not share one.
    """
    if chosen is not None:
        chosen.parent.mkdir(parents=True, exist_ok=True)
        return chosen, chosen.open("wb")
    folder = Path(settings.LANDINFO["IMPORT_REPORT_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"import-{Path(path).stem}-{stamp}"
    attempt = 1
    while True:
        candidate = folder / (f"{name}.csv" if attempt == 1 else f"{name}-{attempt}.csv")
        try:
            return candidate, candidate.open("xb")
        except FileExistsError:
            attempt += 1


def write_report(cursor: CursorWrapper, path: str, chosen: Path | None) -> Path:
    """Write the problems, sorted by feature, as CSV; return where."""
    try:
        target, report = _open_report(path, chosen)
        with report, connection.wrap_database_errors:
            cursor.copy_expert(_WRITE_REPORT, report)
    except OSError as error:
        where = chosen or settings.LANDINFO["IMPORT_REPORT_DIR"]
        raise ParcelFileError(
            f"The report cannot be written to {where} ({error.strerror or error}), so nothing "
            f"was imported; choose another place with --report."
        ) from error
    return target
