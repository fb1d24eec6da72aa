"""Applications: received with the deed checked, decided in order of receipt, four eyes, chained."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import IntegrityError, InternalError

from tests.transactions.applications.conftest import file, mortgage, registered_parcel, sale
from transactions.alerts import outbox
from transactions.applications import decisions, verify
from transactions.exceptions import (
    AlertsPending,
    ApplicationClosed,
    DeedRefused,
    IdempotencyKeyReused,
    OnHold,
    OutOfOrder,
    SameOfficer,
    StaleDeed,
)
from transactions.models import Application, ApplicationEvent, JournalEntry, OutboxMessage, Party

pytestmark = pytest.mark.every_profile


@pytest.fixture(autouse=True)
def _english(settings):
    """Ask in English unless a test says otherwise: the messages are asserted in English."""
    settings.LANGUAGE_CODE = "en"


def entries() -> int:
    return JournalEntry.objects.count()


def test_a_filed_sale_is_received_in_order_and_not_registered(parcel, notary):
    before, parties = entries(), Party.objects.count()

    first = file(sale(parcel), notary)
    second = file(mortgage(parcel), notary)

    assert (first.receipt_number, second.receipt_number) == (1, 2)
    assert first.received_at < second.received_at
    assert first.status == second.status == Application.Status.RECEIVED
    assert first.parcels == [parcel.pk] and first.kind == "transfer"
    assert len(first.status_code) == 10
    # Checked as a registration would be, but nothing of the deed was written.
    assert entries() == before and Party.objects.count() == parties
    assert list(ApplicationEvent.objects.values_list("sequence", "status")) == [
        (1, "received"),
        (2, "received"),
    ]
    assert verify.verify().ok


def test_a_deed_the_register_would_refuse_is_refused_at_receipt(parcel, notary):
    stale = sale(parcel, expected=0)
    with pytest.raises(StaleDeed):
        file(stale, notary)
    not_theirs = sale(parcel)
    not_theirs["transferors"][0]["share"] = "1/2"
    with pytest.raises(DeedRefused, match="shares must add up"):
        file(not_theirs, notary)
    assert not Application.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_registering_records_the_entry_naming_the_application(parcel, notary, registrar):
    application = file(sale(parcel), notary)

    decision = decisions.decide(application.receipt_number, decision="register", by=registrar)

    entry = decision.entry
    assert entry is not None and json.loads(entry.payload)["application"] == 1
    assert entry.recorded_by_id == registrar.pk
    application.refresh_from_db()
    assert application.status == "registered" and application.entry_id == entry.sequence
    assert application.decided_at == decision.event.at
    call_command("verify_ledger", stdout=open("/dev/null", "w"))  # noqa: SIM115
    # Asked again (a retried request), it answers with what it did.
    again = decisions.decide(application.receipt_number, decision="register", by=registrar)
    assert again.replayed and again.entry == entry and entries() == entry.sequence


def test_the_account_that_filed_an_application_never_decides_it(parcel, registrar):
    application = file(sale(parcel), registrar)
    for decision in ("register", "refuse"):
        with pytest.raises(SameOfficer):
            decisions.decide(
                application.receipt_number, decision=decision, reason="x", by=registrar
            )


def test_a_notary_cannot_decide(parcel, notary, second_registrar):
    application = file(sale(parcel), second_registrar)
    with pytest.raises(SameOfficer):
        decisions.decide(application.receipt_number, decision="register", by=notary)


def test_a_later_application_waits_until_the_earlier_is_decided(parcel, notary, registrar):
    first = file(sale(parcel), notary)
    second = file(mortgage(parcel), notary)

    with pytest.raises(OutOfOrder, match="application 1"):
        decisions.decide(second.receipt_number, decision="register", by=registrar)
    second.refresh_from_db()
    assert second.status == "received" and not second.entry_id

    decisions.decide(first.receipt_number, decision="refuse", reason="Thiếu giấy tờ", by=registrar)
    decided = decisions.decide(second.receipt_number, decision="register", by=registrar)
    assert decided.application.status == "registered"
    assert verify.verify().ok


def test_a_later_application_made_against_the_old_state_is_stale_after_the_earlier(
    parcel, notary, registrar
):
    first = file(sale(parcel), notary)
    second = file(mortgage(parcel), notary)
    decisions.decide(first.receipt_number, decision="register", by=registrar)

    with pytest.raises(StaleDeed):
        decisions.decide(second.receipt_number, decision="register", by=registrar)
    decisions.decide(
        second.receipt_number, decision="refuse", reason="The parcel was sold.", by=registrar
    )
    assert Application.objects.get(pk=2).status == "refused"


def test_a_later_application_on_another_parcel_does_not_wait(notary, registrar):
    one, two = registered_parcel(notary), registered_parcel(notary)
    file(sale(one), notary)
    other = file(sale(two, buyer=5), notary)
    assert decisions.decide(other.receipt_number, decision="register", by=registrar).entry


def test_refusing_needs_a_reason_and_a_decided_application_stays_decided(parcel, notary, registrar):
    application = file(sale(parcel), notary)
    for blank in ("  ", "\u200b", "\u3164 \u2800"):
        with pytest.raises(DeedRefused, match="reason"):
            decisions.decide(
                application.receipt_number, decision="refuse", reason=blank, by=registrar
            )
    with pytest.raises(DeedRefused, match="reason"):
        decisions.release(application.receipt_number, reason="\u200b", by=registrar)
    decisions.decide(application.receipt_number, decision="refuse", reason="Sai giá", by=registrar)
    with pytest.raises(ApplicationClosed):
        decisions.decide(application.receipt_number, decision="register", by=registrar)
    with pytest.raises(ApplicationClosed):
        decisions.hold(application.receipt_number, reason="objection", by=None)


def test_hold_release_and_withdraw(parcel, notary, registrar):
    application = file(sale(parcel), notary)
    decisions.hold(application.receipt_number, reason="The holder objected by the alert.", by=None)
    # A second objection changes nothing.
    decisions.hold(application.receipt_number, reason="again", by=None)
    assert Application.objects.get(pk=1).status == "on_hold"
    decisions.release(application.receipt_number, reason="Checked with the holder.", by=registrar)
    with pytest.raises(SameOfficer):
        decisions.withdraw(application.receipt_number, by=registrar)
    decisions.withdraw(application.receipt_number, reason="The buyer withdrew.", by=notary)
    statuses = list(ApplicationEvent.objects.values_list("status", flat=True))
    assert statuses == ["received", "on_hold", "received", "withdrawn"]
    assert verify.verify().ok


def test_an_application_on_hold_is_registered_only_once_released(parcel, notary, registrar):
    application = file(sale(parcel), notary)
    decisions.hold(application.receipt_number, reason="objection", by=None)

    with pytest.raises(OnHold):
        decisions.decide(application.receipt_number, decision="register", by=registrar)

    decisions.release(
        application.receipt_number, reason="The holder came in and signed.", by=registrar
    )
    assert decisions.decide(application.receipt_number, decision="register", by=registrar).entry


def test_no_registration_before_the_alerts_reached_the_mail_server(parcel, notary, registrar):
    application = file(sale(parcel), notary, deliver=False)
    assert OutboxMessage.objects.filter(application=application).count() == 1

    with pytest.raises(AlertsPending):
        decisions.decide(application.receipt_number, decision="register", by=registrar)
    assert Application.objects.get(pk=application.pk).status == "received"

    assert outbox.send_due() == (1, 0)
    assert decisions.decide(application.receipt_number, decision="register", by=registrar).entry


def test_a_retried_filing_returns_the_application_and_a_reused_key_is_refused(parcel, notary):
    body = sale(parcel)
    first = file(body, notary, key="k-1")
    again = file(body, notary, key="k-1")
    assert again.receipt_number == first.receipt_number and again.replayed
    with pytest.raises(IdempotencyKeyReused):
        file(mortgage(parcel), notary, key="k-1")
    assert Application.objects.count() == 1


def test_an_unknown_or_absurd_receipt_number_is_not_found(registrar):
    for number in (0, 99, 2**70):
        with pytest.raises(DeedRefused) as refused:
            decisions.decide(number, decision="refuse", reason="x", by=registrar)
        assert refused.value.status == 404


# --- tamper evidence ---------------------------------------------------------------------------


def test_the_database_refuses_to_change_a_receipt_or_an_event(parcel, notary):
    file(sale(parcel), notary)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE waits for no deferred check
    for statement in (
        "UPDATE transactions_application SET body = '{}'",
        "UPDATE transactions_application SET parcels = '{1}'",
        "DELETE FROM transactions_application",
        "UPDATE transactions_applicationevent SET reason = 'x'",
        "DELETE FROM transactions_applicationevent",
        "TRUNCATE transactions_applicationevent CASCADE",
    ):
        with (
            pytest.raises((IntegrityError, InternalError), match="refused"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)


def _behind_the_triggers(statement: str) -> None:
    """Change a table as its owner could, with the triggers off (what verify must catch)."""
    with connection.cursor() as cursor:
        # The test's own deferred foreign-key checks first: ALTER TABLE waits for none.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in ("transactions_application", "transactions_applicationevent"):
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        cursor.execute(statement)
    # The test's transaction is rolled back, the triggers' ALTER TABLE with it.


@pytest.mark.parametrize(
    ("statement", "found"),
    [
        (
            "UPDATE transactions_application SET body = replace(body, '2500000000', '25')",
            "row no longer says",
        ),
        ("UPDATE transactions_application SET status = 'refused'", "its row says refused"),
        (
            "UPDATE transactions_applicationevent SET reason = 'x' WHERE sequence = 2",
            "reason column differs",
        ),
        (
            "UPDATE transactions_applicationevent SET payload = replace(payload, 'objection', 'x')",
            "hash does not match",
        ),
        ("DELETE FROM transactions_applicationevent WHERE sequence = 2", "events are missing"),
        (
            "DELETE FROM transactions_applicationevent WHERE sequence = 3",
            "its row says on_hold, its last event received",
        ),
    ],
)
def test_verify_names_a_change_made_behind_the_triggers(
    parcel, notary, registrar, statement, found
):
    file(sale(parcel), notary)
    file(mortgage(parcel), notary)
    decisions.hold(2, reason="objection", by=None)
    assert verify.verify().ok

    _behind_the_triggers(statement)

    report = verify.verify()
    assert not report.ok
    assert any(found in failure for failure in report.failures), report.failures


def test_the_parcel_sheet_lists_undecided_applications_until_decided(
    client, parcel, notary, registrar
):
    file(sale(parcel), notary)
    decisions.hold(1, reason="objection", by=None)
    file(mortgage(parcel), notary)

    pending = client.get(f"/api/parcels/{parcel.pk}").json()["pending_applications"]

    assert [(a["receipt_number"], a["kind"], a["status"]) for a in pending] == [
        (1, "transfer", "on_hold"),
        (2, "mortgage", "received"),
    ]
    decisions.decide(1, decision="refuse", reason="Objection upheld.", by=registrar)
    decisions.decide(2, decision="refuse", reason="Withdrawn by phone.", by=registrar)
    assert client.get(f"/api/parcels/{parcel.pk}").json()["pending_applications"] == []


def test_holders_have_their_time_to_object_before_a_registration(
    parcel, notary, registrar, settings
):
    from transactions.applications import office
    from transactions.exceptions import ObjectionWindow

    settings.LANDINFO = {**settings.LANDINFO, "OBJECTION_MINUTES": 24 * 60}
    application = file(sale(parcel), notary)

    with pytest.raises(ObjectionWindow, match="may be registered from"):
        decisions.decide(application.receipt_number, decision="register", by=registrar)
    assert office.in_objection_window(application)
    # The holder objects within it; a refusal may come at any time.
    decisions.hold(application.receipt_number, reason="objection", by=None)
    decisions.decide(
        application.receipt_number, decision="refuse", reason="Chủ đất phản đối.", by=registrar
    )

    later = file(sale(parcel, buyer=8), notary)
    settings.LANDINFO = {**settings.LANDINFO, "OBJECTION_MINUTES": 0}  # the time ran out
    assert decisions.decide(later.receipt_number, decision="register", by=registrar).entry
