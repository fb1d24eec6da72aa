"""The alert's "I did not agree to this" link: on hold once; a decided application says so."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from tests.factories import PartyFactory
from tests.transactions.alerts.conftest import confirmed, file_mortgage, held_parcel
from transactions.alerts import objections, outbox
from transactions.applications import decisions
from transactions.models import Application, ApplicationEvent, OutboxMessage

# Alerts read the profile's parcel numbers and time zone: checked under each profile.
pytestmark = [pytest.mark.django_db, pytest.mark.every_profile]


def objection_link(smtp) -> str:
    found = re.search(
        r"https://landinfo\.test(/alerts/object/[\w-]+)", smtp.messages[-1].get_content()
    )
    assert found
    return found.group(1)


def test_the_objection_link_puts_the_application_on_hold_once(smtp, notary):
    parcel, holder = held_parcel("holder@example.org")
    notary.first_name = "VPCC Số 5"  # the office the register knows the account by
    notary.save(update_fields=["first_name"])
    application = file_mortgage(parcel, PartyFactory(), notary, contract={"office": "Gọi 0900"})
    outbox.send_due()
    path = objection_link(smtp)
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")

    shown = browser.get(path)
    text = shown.content.decode()
    assert shown.status_code == 200 and "object-button" in text
    assert str(application.receipt_number) in text and "VPCC Số 5" in text
    assert "0900" not in text  # text typed with the deed is the registrar's to read
    assert holder.name not in text and holder.national_id not in text
    assert shown["Referrer-Policy"] == "same-origin"
    application.refresh_from_db()
    assert application.status == Application.Status.RECEIVED  # GET changed nothing

    held = browser.post(path)
    assert b"The application is on hold" in held.content
    application.refresh_from_db()
    assert application.status == Application.Status.ON_HOLD
    event = ApplicationEvent.objects.filter(application=application).order_by("-sequence").first()
    # Recorded in the register's language, whoever reads it later.
    with translation.override(settings.LANGUAGE_CODE):
        said = gettext(objections.REASON) % {"message": OutboxMessage.objects.get().pk}
        expected = f"{said} {gettext(objections.BY_HOLDER)}"  # the alert went to the holder
    assert event.by_id is None and event.reason == expected
    assert holder.name not in event.reason and "holder@example.org" not in event.reason
    assert OutboxMessage.objects.get().objected_at is not None

    again = browser.post(path)
    assert b"This link was used already" in again.content
    assert ApplicationEvent.objects.filter(application=application).count() == 2


@pytest.mark.parametrize("decision", ["refuse", "register"])
def test_an_objection_to_a_decided_application_says_to_contact_the_office(
    smtp, notary, registrar, decision
):
    parcel, _holder = held_parcel("holder@example.org")
    application = file_mortgage(parcel, PartyFactory(), notary)
    outbox.send_due()
    # The registrar role's permission to decide (until roles.py grants it, here).
    registrar.user_permissions.add(Permission.objects.get(codename="decide_application"))
    registrar = User.objects.get(pk=registrar.pk)
    decisions.decide(application.receipt_number, decision=decision, reason="Checked.", by=registrar)
    page = Client(HTTP_ACCEPT_LANGUAGE="en").post(objection_link(smtp))
    assert b"decided already" in page.content and b"land registration office" in page.content
    assert OutboxMessage.objects.filter(purpose="receipt_alert").get().objected_at is None


def test_a_followers_objection_says_it_was_not_a_holders(smtp, notary):
    parcel, _holder = held_parcel("holder@example.org")
    confirmed("follower@example.org", parcel)
    application = file_mortgage(parcel, PartyFactory(), notary)
    outbox.send_due()
    mail = next(m for m in smtp.messages if m["To"] == "follower@example.org")
    path = re.search(r"https://landinfo\.test(/alerts/object/[\w-]+)", mail.get_content())

    Client().post(path.group(1))

    event = ApplicationEvent.objects.filter(application=application).order_by("-sequence").first()
    with translation.override(settings.LANGUAGE_CODE):
        assert event.status == "on_hold" and gettext(objections.BY_FOLLOWER) in event.reason
        assert "follower@example.org" not in event.reason


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_objection_link_says_so_and_offers_no_button(client, method):
    answer = getattr(client, method)("/alerts/object/" + "x" * 32)
    page = answer.content.decode()
    assert answer.status_code == 404
    assert 'id="link-unknown"' in page and "object-button" not in page
