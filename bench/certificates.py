"""Time parcel certificates on the register in DATABASE_URL: issue, render, verify.

    .venv/bin/python bench/certificates.py [--count 50] [--language vi]

Picks `count` current parcels that have rights (the counter clerk's case), issues each
certificate as the public would get it, renders the PDF and verifies its code; prints
p50/p95/max of each step in milliseconds, beside the parcel sheet's query (the floor:
the same register read for the map, with no drawing or signing). Not a test: timings
on shared machines are noisy, so the script reports and never judges.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "landinfo.settings")

import django

django.setup()

from django.contrib.auth.models import AnonymousUser  # noqa: E402
from django.db import connection  # noqa: E402

from transactions.certificates.issue import issue_certificate, verify_certificate  # noqa: E402
from transactions.certificates.pdf import render_pdf  # noqa: E402
from transactions.selectors import parcel_sheet  # noqa: E402


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered):7.1f}  p95 {p95:7.1f}  max {ordered[-1]:7.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--language", default="vi", choices=("vi", "ko", "en"))
    options = parser.parse_args()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT p.id FROM parcels_parcel p JOIN transactions_right r "
            "ON r.parcel_id = p.id AND r.valid_to IS NULL AND r.voided_by_id IS NULL "
            "WHERE p.valid_to IS NULL ORDER BY p.id LIMIT %s",
            [options.count],
        )
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        sys.exit("No current parcel with rights: load data first (make demo).")
    steps: dict[str, list[float]] = {"sheet (floor)": [], "issue": [], "render": [], "verify": []}
    sizes = []
    render_pdf(
        issue_certificate(ids[0], user=AnonymousUser(), language=options.language, verify_url=str)
    )  # fonts load once per process: not a clerk's wait
    for pk in ids:
        start = time.perf_counter()
        parcel_sheet(pk)
        steps["sheet (floor)"].append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        certificate = issue_certificate(
            pk, user=AnonymousUser(), language=options.language, verify_url=lambda c: "/verify/" + c
        )
        steps["issue"].append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        pdf = render_pdf(certificate)
        steps["render"].append((time.perf_counter() - start) * 1000)
        sizes.append(len(pdf))
        start = time.perf_counter()
        assert verify_certificate(certificate.code).genuine
        steps["verify"].append((time.perf_counter() - start) * 1000)
    total = [a + b for a, b in zip(steps["issue"], steps["render"], strict=True)]
    print(f"{len(ids)} certificates ({options.language}), milliseconds:")
    for name, samples in steps.items():
        print(f"  {name:<14} {_percentiles(samples)}")
    print(f"  {'issue+render':<14} {_percentiles(total)}")
    print(f"  PDF size: median {statistics.median(sizes) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
