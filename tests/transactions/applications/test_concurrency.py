"""Fifty notaries filing on one parcel at once; registrars deciding at once.

Each thread has its own PostgreSQL connection and transaction, as requests do in
production; a barrier releases them together.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from tests.factories import user_with_role
from tests.transactions.applications.conftest import file, registered_parcel, sale
from transactions.applications import decisions, verify
from transactions.exceptions import DeedRefused, OutOfOrder, StaleDeed
from transactions.models import Application, ApplicationEvent, JournalEntry

pytestmark = [pytest.mark.slow, pytest.mark.every_profile]

FILERS = 50


def race(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run the jobs at once, each in its own thread and connection; return results or errors."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(index: int, job: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = job()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return results


def test_fifty_applications_at_once_get_gap_free_receipts_in_order(transactional_db):
    notaries = [user_with_role("notary", f"notary-{n}") for n in range(5)]
    registrar = user_with_role("registrar", "registrar-1")
    parcel = registered_parcel(notaries[0])
    bodies = [sale(parcel, buyer=10 + n) for n in range(FILERS)]

    results = race(
        [lambda n=n: file(bodies[n], notaries[n % len(notaries)]) for n in range(FILERS)]
    )

    assert all(isinstance(result, Application) for result in results), results
    rows = list(Application.objects.order_by("receipt_number"))
    assert [row.receipt_number for row in rows] == list(range(1, FILERS + 1))
    times = [row.received_at for row in rows]
    assert times == sorted(times) and len(set(times)) == FILERS
    events = list(ApplicationEvent.objects.order_by("sequence"))
    assert [event.sequence for event in events] == list(range(1, FILERS + 1))
    assert [event.application_id for event in events] == list(range(1, FILERS + 1))

    # Out of order: the last cannot go first; the first goes, then the second is stale.
    with pytest.raises(OutOfOrder):
        decisions.decide(FILERS, decision="register", by=registrar)
    decisions.decide(1, decision="register", by=registrar)
    with pytest.raises(StaleDeed):
        decisions.decide(2, decision="register", by=registrar)
    assert verify.verify().ok


def test_two_registrars_at_once_never_register_the_later_first(transactional_db):
    notary = user_with_role("notary", "notary-1")
    registrars = [user_with_role("registrar", f"registrar-{n}") for n in (1, 2)]
    parcel = registered_parcel(notary)
    first = file(sale(parcel, buyer=20), notary)
    second = file(sale(parcel, buyer=21), notary)
    entries = JournalEntry.objects.count()

    results = race(
        [
            lambda: decisions.decide(second.receipt_number, decision="register", by=registrars[0]),
            lambda: decisions.decide(first.receipt_number, decision="register", by=registrars[1]),
        ]
    )

    assert isinstance(results[0], DeedRefused), results  # out of order, or stale after the first
    assert not isinstance(results[1], Exception), results
    assert JournalEntry.objects.count() == entries + 1
    assert Application.objects.get(pk=first.receipt_number).status == "registered"
    assert Application.objects.get(pk=second.receipt_number).status == "received"
    assert verify.verify().ok
