"""Time what the public rate limit adds to a lookup, on the register in DATABASE_URL.

    .venv/bin/python bench/ratelimit.py [--requests 1000]

Sends `/api/parcels/search?q=<identifier>` through the whole middleware stack
in-process (Django's test client, no network), in alternating blocks with the
rate-limit counter on (the deployed setting, at a rate no run reaches) and off
(django-ratelimit's RATELIMIT_ENABLE): the floor is the same request without the
count. Prints p50/p95 of each and their ratio. Not a test: it reports, never judges.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "landinfo.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from bench.harness import percentile  # noqa: E402
from parcels.models import Parcel  # noqa: E402

BLOCK = 200  # requests per block; blocks alternate so drift hits both sides alike


def _block(client: Client, identifiers: list[str]) -> list[float]:
    """Return the milliseconds of BLOCK lookups by identifier."""
    times = []
    for i in range(BLOCK):
        started = time.perf_counter()
        answer = client.get("/api/parcels/search", {"q": identifiers[i % len(identifiers)]})
        times.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:
            sys.exit(f"lookup answered {answer.status_code}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="per side (default 1000)")
    options = parser.parse_args()
    identifiers = list(Parcel.objects.values_list("identifier", flat=True)[:BLOCK])
    if not identifiers:
        sys.exit("no parcels: load the demo (make demo) or point DATABASE_URL at a register")
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.LANDINFO["RATE_LIMITS"]["lookup"] = "1000000000/m"
    client = Client(REMOTE_ADDR="203.0.113.5")  # a documentation address: counted, never limited
    _block(client, identifiers)  # warm: connections, prepared statements, the counter's table
    counted: list[float] = []
    floor: list[float] = []
    for _ in range(max(1, options.requests // BLOCK)):
        counted += _block(client, identifiers)
        with override_settings(RATELIMIT_ENABLE=False):
            floor += _block(client, identifiers)
    counted.sort()
    floor.sort()
    for name, times in (("counted", counted), ("not counted (floor)", floor)):
        print(
            f"{name:>20}: p50 {percentile(times, 50):.2f} ms, "
            f"p95 {percentile(times, 95):.2f} ms (n={len(times)})"
        )
    print(
        f"{'ratio':>20}: p50 {percentile(counted, 50) / percentile(floor, 50):.2f}, "
        f"p95 {percentile(counted, 95) / percentile(floor, 95):.2f}"
    )


if __name__ == "__main__":
    main()
