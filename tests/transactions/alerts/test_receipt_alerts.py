"""An application's alerts reach a real SMTP server: one per subscriber and holder, no personal data."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from django.utils import timezone

from landinfo.profiles import get_profile
from tests.factories import PartyFactory
from tests.transactions.alerts.conftest import confirmed, file_mortgage, held_parcel
from transactions.alerts import outbox
from transactions.alerts.subscriptions import email_address
from transactions.models import AlertSubscription, OutboxMessage

# Alerts read the profile's parcel numbers and time zone: checked under each profile.
pytestmark = [pytest.mark.django_db, pytest.mark.every_profile]

OFFICE = "Văn phòng công chứng Số 3"


def test_a_receipt_alerts_each_subscriber_and_holder_once_with_its_facts_and_no_personal_data(
    smtp, notary
):
    parcel, holder = held_parcel("Owner-1@Example.org")
    confirmed("follower@example.org", parcel)
    confirmed("other@example.org", parcel, language="ko")
    AlertSubscription.objects.create(  # never confirmed: gets nothing
        email="pending@example.org", parcel=parcel, language="en", created_at=timezone.now()
    )
    opted_out = confirmed("gone@example.org", parcel)
    AlertSubscription.objects.filter(pk=opted_out.pk).update(unsubscribed_at=timezone.now())
    lender = PartyFactory()

    notary.first_name = OFFICE  # the office the register knows the account by
    notary.save(update_fields=["first_name"])
    application = file_mortgage(parcel, lender, notary, contract={"office": "Gọi 0900 để hủy"})
    assert outbox.send_due() == (3, 0)

    recipients = Counter(address for r in smtp.mailbox.received for address in r.to)
    assert recipients == Counter(
        {"owner-1@example.org": 1, "follower@example.org": 1, "other@example.org": 1}
    )
    ids = [m["Message-ID"] for m in smtp.messages]
    assert len(set(ids)) == 3
    english = next(r.message for r in smtp.mailbox.received if r.to == ["follower@example.org"])
    text = english.get_content()
    display = get_profile().display_stored(parcel.identifier)
    assert display in english["Subject"] and str(application.receipt_number) in english["Subject"]
    for fact in (display, "Mortgage", f"Receipt number: {application.receipt_number}", OFFICE):
        assert fact in text, fact
    assert "0900" not in text  # what the notary typed as the office reaches no owner
    assert re.search(r"https://landinfo\.test/alerts/object/[\w-]{20,}", text)
    assert re.search(r"https://landinfo\.test/alerts/unsubscribe/[\w-]{20,}", text)
    for message in smtp.messages:
        whole = message.as_string() + message.get_content()
        for personal in (holder.name, holder.national_id, lender.name, lender.national_id):
            assert personal not in whole
    # Sent: the one-time links are no longer kept in the database.
    assert set(OutboxMessage.objects.values_list("status", "body")) == {("sent", "")}


def test_an_address_is_folded_and_checked():
    assert email_address("  Owner@Example.ORG ") == "owner@example.org"


def test_links_in_mail_never_take_the_filers_host(client, smtp, settings):
    """A filer's request naming another host (an allowed name, another port) changes no link."""
    from tests.factories import api_token_for, user_with_role
    from tests.transactions.alerts.conftest import mortgage_body

    settings.LANDINFO = {**settings.LANDINFO, "PUBLIC_URL": ""}  # unset: still not the Host
    notary = user_with_role("notary", "notary-host")
    parcel, _holder = held_parcel("owner-host@example.org")
    response = client.post(
        "/api/applications/",
        data=json.dumps(mortgage_body(parcel, PartyFactory(kind="organisation"))),
        content_type="application/json",
        headers={
            "Authorization": f"Token {api_token_for(notary)}",
            "Idempotency-Key": "host-1",
            "Host": "testserver:1",
        },
    )
    assert response.status_code == 201, response.content
    outbox.send_due()
    text = smtp.messages[-1].get_content()
    links = re.findall(r"https?://[^/\s]+", text)
    assert links and set(links) == {"http://127.0.0.1:8000"}  # not http://testserver:1
