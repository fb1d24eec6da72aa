"""The transparency log: inclusion proofs at the bench journal's size, and what the tree adds.

Measured in a process of its own on the bench database (this file run as a script), so
that the server-side cost is the code's, not HTTP's:

- Inclusion proof of a random entry against the whole journal (`tree.inclusion`, as
  /api/ledger/proof/inclusion computes it): p95 server time, target ≤ 5 ms, and its size,
  target ≤ 1 KB (the audit path: 32 bytes a level). The floor is the one primary-key
  read any proof needs, the entry's hash. The HTTP answer (JSON, with the checkpoint
  note) is timed over gunicorn beside it.
- Appending an entry (`journal.append`, the register's one write path) with the tree's
  upkeep (a tile hash stored every 256 entries) against the same appends with that upkeep
  switched off, interleaved in rounds inside transactions that are rolled back. A deed
  is an append and more (checks, projection), so the ratio bounds what the tree adds to
  a deed from above; target ≤ 1.1 (issue 19: ≤ 10 %).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: the project on the path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import ROOT, Context, Measure, Row, percentile


def run(ctx: Context) -> list[Row]:
    proofs, appends = ctx.scaled(500, 50), ctx.scaled(2048, 512)
    measured = subprocess.run(
        [str(ctx.python), __file__, str(proofs), str(appends)],
        env=ctx.env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(measured.stdout.strip().splitlines()[-1])
    size = result["size"]
    http, answer_bytes = _http(ctx, size, ctx.scaled(200, 20))
    proof = Row(
        section="tlog",
        what=f"inclusion proof, journal of {size:,} entries (server time)",
        ours=Measure.of_latencies(result["proof_s"], seconds=sum(result["proof_s"])),
        floor_name="the entry's hash by primary key",
        floor=Measure.of_latencies(result["floor_s"], seconds=sum(result["floor_s"])),
        ratio_of="p95_ms",
        target="≤ 5 ms",
        note=f"audit path {result['proof_bytes']} bytes ({result['proof_hashes']} hashes; "
        f"target ≤ 1 KB); the HTTP answer with the checkpoint note is {answer_bytes} bytes, "
        f"p95 {_ms(http, 95)} ms over gunicorn",
    )
    append = Row(
        section="tlog",
        what=f"appending {appends:,} entries: with the tree's upkeep ÷ without",
        ours=Measure(
            count=appends, p50_ms=result["with_ms"], seconds=result["with_ms"] * appends / 1000
        ),
        floor_name="journal.append without the tree",
        floor=Measure(
            count=appends,
            p50_ms=result["without_ms"],
            seconds=result["without_ms"] * appends / 1000,
        ),
        ratio_of="p50_ms",
        target="≤ 1.1",
        note=f"mean ms per append over interleaved rounds; a 256th entry stores a tile hash "
        f"(p100 {result['boundary_ms']:.2f} ms); a deed is an append and more, so this bounds "
        "the tree's share of a deed from above",
    )
    return [proof, append]


def _ms(latencies: list[float], q: float) -> str:
    value = percentile(sorted(value * 1000 for value in latencies), q)
    return f"{value:.1f}" if value is not None else "–"


def _http(ctx: Context, size: int, count: int) -> tuple[list[float], int]:
    rng = random.Random(19)
    latencies, length = [], 0
    for _ in range(count):
        url = f"{ctx.base_url}/api/ledger/proof/inclusion?entry={rng.randint(1, size)}&size={size}"
        started = time.perf_counter()
        with urllib.request.urlopen(url, timeout=30) as response:
            body = response.read()
        latencies.append(time.perf_counter() - started)
        length = max(length, len(body))
    return latencies, length


def _measure(proofs: int, appends: int) -> dict[str, Any]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "landinfo.settings")
    django.setup()
    from django.db import connection

    from transactions.journal import tree
    from transactions.journal.head import journal_head

    rng = random.Random(1)
    with connection.cursor() as cursor:
        size = journal_head(cursor).sequence
        tree.root(cursor, size)  # warm the caches as a served log's are
        proof_s, floor_s, hashes = [], [], 0
        for _ in range(proofs):
            entry = rng.randint(1, size)
            started = time.perf_counter()
            proof = tree.inclusion(cursor, entry, size)
            proof_s.append(time.perf_counter() - started)
            hashes = max(hashes, len(proof.proof))
            started = time.perf_counter()
            tree.entry_hash(cursor, entry)
            floor_s.append(time.perf_counter() - started)
    with_ms, without_ms, boundary = _appends(appends)
    return {
        "size": size,
        "proof_s": proof_s,
        "floor_s": floor_s,
        "proof_hashes": hashes,
        "proof_bytes": hashes * 32,
        "with_ms": with_ms,
        "without_ms": without_ms,
        "boundary_ms": boundary,
    }


def _appends(count: int) -> tuple[float, float, float]:
    """Return mean ms per append with and without the tree's upkeep, and the slowest with it."""
    from django.db import transaction

    from transactions.journal import append as appending
    from transactions.journal import tree

    upkeep = tree.extend
    timings: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(4):
        for with_tree in (True, False):
            appending.tree.extend = upkeep if with_tree else (lambda cursor=None: 0)  # type: ignore[assignment]
            with transaction.atomic():
                for number in range(count // 4):
                    payload = {"effective_date": "2026-01-02", "kind": "transfer", "n": number}
                    started = time.perf_counter()
                    appending.append(payload, recorded_by=None)
                    timings[with_tree].append(time.perf_counter() - started)
                transaction.set_rollback(True)
    appending.tree.extend = upkeep
    return (
        statistics.fmean(timings[True]) * 1000,
        statistics.fmean(timings[False]) * 1000,
        max(timings[True]) * 1000,
    )


if __name__ == "__main__":
    print(json.dumps(_measure(int(sys.argv[1]), int(sys.argv[2]))))
