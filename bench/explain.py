"""Explain what a search runs: each statement the engine sends for a query, with its plan.

    .venv/bin/python bench/explain.py --parcels 1000000 "Nguyễn" "217 Hoàng Di"

Searches each query in this process on the bench database `landinfo_bench_<N>` (made by
bench/run.py), capturing its statements as the lookups section's floor does
(bench.searches.capture), then runs each again under EXPLAIN (ANALYZE, BUFFERS) and
prints its time and plan: where a search row misses its target, this says which
statement, on which index, over how many rows.
"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import closing
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import searches
from bench.run import _context


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=1_000_000)
    parser.add_argument("--plans", action="store_true", help="print every plan, not only slow ones")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for the replay session, to try one (gin_fuzzy_search_limit=2000)",
    )
    parser.add_argument("queries", nargs="+")
    options = parser.parse_args()
    ctx = _context(options.parcels, False, 8799)
    searches.django_on(ctx)
    found = [searches.Sample("explain", query, "") for query in options.queries]
    captured, prepares = searches.capture(found)
    with closing(ctx.connect()) as connection, connection.cursor() as cursor:
        for setting in options.set:
            name, _, value = setting.partition("=")
            cursor.execute("SELECT set_config(%s, %s, false)", [name, value])
        for name, prepare in prepares.items():
            cursor.execute(prepare)
            print(f"(prepared {name})")
        for item in captured:
            print(f"\n=== {item.sample.query!r}: {item.seconds * 1000:.1f} ms in-process")
            for sql, params in item.statements:
                # Once unmeasured: a new session's first transform loads PROJ's tables.
                cursor.execute(sql, params)
                started = time.perf_counter()
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                plan = [row[0] for row in cursor.fetchall()]
                took = (time.perf_counter() - started) * 1000
                first = " ".join(sql.split())[:100]
                print(f"--- {took:.1f} ms: {first}")
                print(f"    params: {str(params)[:300]}")
                if options.plans or took > 5:
                    print("\n".join("    " + line for line in plan))


if __name__ == "__main__":
    main()
