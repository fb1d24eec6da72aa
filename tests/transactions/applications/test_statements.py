"""The six-monthly statement of a parcel, and `send_statements` queueing it once per address."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from tests.transactions.applications.test_pages import OWNERS, _parcel, file_mortgage
from transactions import audit
from transactions.applications import decisions, statements
from transactions.models import AlertSubscription, OutboxMessage, Party

pytestmark = pytest.mark.django_db


def _this_half() -> statements.Half:
    today = timezone.localdate()
    return statements.Half(today.year, 1 if today.month <= 6 else 2)


def test_the_statement_counts_reads_by_role_and_names_no_reader(notary, registrar):
    parcel = _parcel(notary)
    first = file_mortgage(parcel, notary)
    file_mortgage(parcel, notary, amount=200)
    decisions.decide(first.receipt_number, decision="register", reason="", by=registrar)
    audit.current_holders(parcel.pk, user=notary, purpose="deed form: transfer")
    audit.current_holders(parcel.pk, user=notary, purpose="deed form: transfer")
    audit.current_holders(parcel.pk, user=registrar, purpose="application 1")

    with translation.override("en"):  # the statement is worded in the active language
        found = statements.statement(parcel.pk, _this_half())
    subject, body = statements.render_statement(found, "en")

    # Three holders (the two owners, the lender registered above), read twice by the
    # notary and once by the registrar.
    assert found.reads_by_role == {"notary": 6, "registrar": 3}
    assert [status for _, _, status in found.applications] == ["Registered", "Received"]
    assert [kind for _, kind, _ in found.registrations][-1] == "Mortgage"
    assert "Notaries: 6" in body and "Registrars: 3" in body
    for secret in (*OWNERS, notary.username, registrar.username):
        assert secret not in body and secret not in subject


def test_another_half_holds_none_of_it(notary):
    parcel = _parcel(notary)
    file_mortgage(parcel, notary)
    half = _this_half()
    earlier = statements.Half(half.year - 1, half.number)

    found = statements.statement(parcel.pk, earlier)

    assert found.applications == [] and found.registrations == [] and found.reads_by_role == {}


def test_send_statements_queues_one_per_address_and_parcel_once(notary):
    parcel = _parcel(notary)
    Party.objects.filter(name=OWNERS[0]).update(email="an@example.org")
    AlertSubscription.objects.create(
        email="neighbour@example.org",
        parcel=parcel,
        language="vi",
        created_at=timezone.now(),
        confirmed_at=timezone.now(),
    )
    AlertSubscription.objects.create(  # never confirmed: no statement
        email="unconfirmed@example.org", parcel=parcel, language="en", created_at=timezone.now()
    )
    this = _this_half()  # a half is sent once it has ended: the one before
    half = str(
        statements.Half(this.year, 1) if this.number == 2 else statements.Half(this.year - 1, 2)
    )

    call_command("send_statements", "--half", half)
    call_command("send_statements", "--half", half)

    sent = OutboxMessage.objects.filter(purpose="statement").order_by("address")
    assert [(m.address, m.language, m.parcel_id) for m in sent] == [
        ("an@example.org", settings.LANGUAGE_CODE, parcel.pk),
        ("neighbour@example.org", "vi", parcel.pk),
    ]
    assert all(half in m.key and "@" not in m.key for m in sent)


@pytest.mark.parametrize("half", ["2026", "2026-3", "26-1", "9999-1"])
def test_send_statements_refuses_a_half_it_cannot_read_or_to_come(half):
    with pytest.raises(CommandError):
        call_command("send_statements", "--half", half)


def test_send_statements_refuses_the_half_that_has_not_ended():
    with pytest.raises(CommandError, match="has not ended"):
        call_command("send_statements", "--half", str(_this_half()))


def test_a_half_is_read_as_written():
    half = statements.Half.read("2026-2")
    assert (half.first_day, half.last_day) == (dt.date(2026, 7, 1), dt.date(2026, 12, 31))
