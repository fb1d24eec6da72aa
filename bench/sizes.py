"""Print the sizes of the register's tables and indexes in a bench database, as Markdown.

    .venv/bin/python bench/sizes.py landinfo_bench_1000000 [landinfo_bench_100000 ...]

For bench/README.md's notes on 10M parcels: sizes grow linearly with the parcels, so two
sizes a decade apart say what 10M needs in memory and on disk.
"""

from __future__ import annotations

import sys
from contextlib import closing
from pathlib import Path

import psycopg2
from environ import Env

ROOT = Path(__file__).resolve().parent.parent
TABLES = (
    "parcels_parcel",
    "parcels_landprice",
    "parcels_parcellineage",
    "parcels_searchword",
    "transactions_right",
    "transactions_party",
    "transactions_journalentry",
)


def sizes(url: str) -> tuple[int, list[tuple[str, str, int]]]:
    """Return the parcel count and (table, relation, bytes) for each table, heap and indexes."""
    with closing(psycopg2.connect(url)) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM parcels_parcel")
        (parcels,) = cursor.fetchone()
        rows = []
        for table in TABLES:
            cursor.execute("SELECT pg_table_size(%s::regclass)", [table])
            rows.append((table, "(table, with TOAST)", cursor.fetchone()[0]))
            cursor.execute(
                "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) "
                "FROM pg_index WHERE indrelid = %s::regclass ORDER BY 1",
                [table],
            )
            rows += [(table, name, size) for name, size in cursor.fetchall()]
        return parcels, rows


def main() -> None:
    env = Env()
    env.read_env(str(ROOT / ".env"))
    base = env.str("DATABASE_URL").replace("postgis://", "postgresql://", 1)
    databases = sys.argv[1:] or ["landinfo_bench_1000000"]
    results = [sizes(base.rsplit("/", 1)[0] + "/" + name) for name in databases]
    header = " | ".join(f"{parcels:,} parcels" for parcels, _ in results)
    print(f"| table | relation | {header} |")
    print("| --- | --- |" + " --- |" * len(results))
    for index, (table, relation, _) in enumerate(results[0][1]):
        figures = " | ".join(f"{rows[index][2] / 2**20:,.1f} MiB" for _, rows in results)
        print(f"| {table} | {relation} | {figures} |")


if __name__ == "__main__":
    main()
