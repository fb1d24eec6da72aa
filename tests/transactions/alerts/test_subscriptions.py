"""Subscribing: double opt-in, the same answer for every address, the limits, opting out."""

from __future__ import annotations

import re

import pytest
from django.core.cache import caches
from django.test import Client
from django.utils import timezone

from tests.factories import ParcelFactory, PartyFactory
from tests.transactions.alerts.conftest import file_mortgage, held_parcel
from transactions.alerts import outbox
from transactions.alerts.subscriptions import CONFIRM, LIMIT_REACHED
from transactions.models import AlertSubscription, OutboxMessage

pytestmark = [pytest.mark.django_db, pytest.mark.every_profile]

API = "/api/alerts/subscriptions"


@pytest.fixture(autouse=True)
def _fresh_counters():
    """Rate-limit counts live outside the test's transaction."""
    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


def ask(client: Client, email: str, parcel: int):
    return client.post(API, {"email": email, "parcel": parcel}, content_type="application/json")


def link(smtp, address: str, kind: str) -> str:
    """Return the path of the last `kind` link mailed to `address`."""
    for received in reversed(smtp.mailbox.received):
        if received.to == [address]:
            found = re.search(
                rf"https://landinfo\.test(/alerts/{kind}/[\w-]+)", received.message.get_content()
            )
            if found:
                return found.group(1)
    raise AssertionError(f"no {kind} link mailed to {address}")


def test_the_api_answers_the_same_for_new_known_and_full_addresses(client, settings):
    settings.LANDINFO = {**settings.LANDINFO, "ALERT_MAX_PARCELS": 2}
    first, second, third = ParcelFactory(), ParcelFactory(), ParcelFactory()
    new = ask(client, "New@Example.org", first.pk)
    again = ask(client, "new@example.org", first.pk)
    ask(client, "new@example.org", second.pk)
    full = ask(client, "new@example.org", third.pk)  # a third parcel: above the limit of 2
    stranger = ask(client, "stranger@example.org", third.pk)
    answers = {(r.status_code, r.content) for r in (new, again, full, stranger)}
    assert len(answers) == 1 and new.status_code == 202
    assert new.json()["status"] == "accepted"
    assert set(AlertSubscription.objects.values_list("email", "parcel_id", "confirmed_at")) == {
        ("new@example.org", first.pk, None),
        ("new@example.org", second.pk, None),
        ("stranger@example.org", third.pk, None),
    }
    # What differs goes to the address itself: two links for the first parcel, one for the
    # second, and the word that it follows the most parcels it may.
    mailed = list(
        OutboxMessage.objects.filter(address="new@example.org").values_list("purpose", "parcel_id")
    )
    assert sorted(mailed) == sorted(
        [(CONFIRM, first.pk), (CONFIRM, first.pk), (CONFIRM, second.pk), (LIMIT_REACHED, third.pk)]
    )
    assert all(
        len(token) == 64
        for token in OutboxMessage.objects.filter(purpose=CONFIRM).values_list(
            "token_sha256", flat=True
        )
    )


def test_an_address_at_its_limit_is_told_each_time_and_an_opted_out_parcel_counts_anew(
    client, settings
):
    settings.LANDINFO = {**settings.LANDINFO, "ALERT_MAX_PARCELS": 1}
    followed, dropped, other = ParcelFactory(), ParcelFactory(), ParcelFactory()
    now = timezone.now()
    AlertSubscription.objects.create(
        email="full@example.org", parcel=followed, language="en", created_at=now, confirmed_at=now
    )
    AlertSubscription.objects.create(
        email="full@example.org",
        parcel=dropped,
        language="en",
        created_at=now,
        confirmed_at=now,
        unsubscribed_at=now,
    )
    assert ask(client, "full@example.org", dropped.pk).status_code == 202
    assert ask(client, "full@example.org", other.pk).status_code == 202
    purposes = OutboxMessage.objects.filter(address="full@example.org").values_list("purpose")
    assert sorted(purposes) == [(LIMIT_REACHED,), (LIMIT_REACHED,)]
    assert AlertSubscription.objects.get(parcel=dropped).unsubscribed_at is not None


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"email": "not an address", "parcel": 1}, 400),
        ({"email": "a@example.org"}, 400),
        ({"email": "a@" + "x" * 250 + ".org", "parcel": 1}, 400),
        ({"email": "a@example.org", "parcel": 999_999}, 404),
    ],
)
def test_a_malformed_request_or_an_unknown_parcel_is_refused(client, body, status):
    response = client.post(API, body, content_type="application/json")
    assert response.status_code == status
    assert set(response.json()) == {"error", "detail"}
    assert not OutboxMessage.objects.exists()


def test_one_address_gets_at_most_a_few_messages_a_day(client, settings):
    settings.LANDINFO = {**settings.LANDINFO, "ALERT_MAILS_PER_DAY": 3}
    parcels = [ParcelFactory() for _ in range(5)]
    for parcel in parcels:
        assert (
            ask(
                Client(REMOTE_ADDR=f"203.0.113.{parcel.pk % 250}"), "victim@example.org", parcel.pk
            ).status_code
            == 202
        )
    assert OutboxMessage.objects.filter(address="victim@example.org").count() == 3


def test_requests_past_the_client_rate_are_refused_429(settings):
    settings.LANDINFO = {
        **settings.LANDINFO,
        "RATE_LIMITS": {**settings.LANDINFO["RATE_LIMITS"], "alerts": "2/h"},
    }
    parcel = ParcelFactory()
    client = Client(REMOTE_ADDR="198.51.100.20")
    assert [ask(client, f"p{n}@example.org", parcel.pk).status_code for n in range(3)] == [
        202,
        202,
        429,
    ]
    form = client.post("/alerts/subscribe", {"email": "q@example.org", "parcel": parcel.pk})
    assert form.status_code == 429
    assert ask(Client(REMOTE_ADDR="198.51.100.21"), "r@example.org", parcel.pk).status_code == 202


def test_only_a_confirmed_address_is_alerted_and_only_post_confirms(smtp, notary):
    parcel, _holder = held_parcel()
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = browser.post("/alerts/subscribe", {"email": "me@example.org", "parcel": parcel.pk})
    assert page.status_code == 202 and b"Check your mailbox" in page.content
    outbox.send_due()
    confirm = link(smtp, "me@example.org", "confirm")

    file_mortgage(parcel, PartyFactory(), notary)
    outbox.send_due()
    assert [r.to for r in smtp.mailbox.received] == [["me@example.org"]]  # the link only

    for _ in range(2):  # a mail scanner opening the link changes nothing
        shown = browser.get(confirm)
        assert shown.status_code == 200 and b"confirm-button" in shown.content
    assert AlertSubscription.objects.get(email="me@example.org").confirmed_at is None
    done = browser.post(confirm)
    assert done.status_code == 200 and b"You will get alerts" in done.content
    assert AlertSubscription.objects.get(email="me@example.org").confirmed_at is not None

    file_mortgage(parcel, PartyFactory(), notary)
    outbox.send_due()
    assert [r.to for r in smtp.mailbox.received][-1] == ["me@example.org"]
    assert "/alerts/object/" in smtp.messages[-1].get_content()
    assert browser.get("/alerts/confirm/not-a-token").status_code == 404


def test_a_holder_alerted_by_default_can_stop_the_alerts_and_get_no_more(smtp, notary):
    parcel, _holder = held_parcel("holder@example.org")
    file_mortgage(parcel, PartyFactory(), notary)
    outbox.send_due()
    stop = link(smtp, "holder@example.org", "unsubscribe")
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert b"unsubscribe-button" in browser.get(stop).content
    assert not AlertSubscription.objects.exists()  # GET changed nothing
    assert b"No more alerts" in browser.post(stop).content
    row = AlertSubscription.objects.get()
    assert (row.email, row.parcel_id, row.confirmed_at) == ("holder@example.org", parcel.pk, None)
    assert row.unsubscribed_at is not None

    file_mortgage(parcel, PartyFactory(), notary)
    assert outbox.send_due() == (0, 0)
    assert len(smtp.messages) == 1


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Chu.Dat@Example.ORG", "chu.dat@example.org"),
        ("chu@example.org\u200b", "chu@example.org"),  # a zero-width space is no character
        ("chu@ví-dụ.vn", "chu@xn--v-d-rma6749a.vn"),  # one spelling of the domain
        ('"chu"@example.org', None),  # quoted: another spelling of chu@example.org
        ("chu@localhost", None),
        ("chu@[127.0.0.1]", None),
        ("c hu@example.org", None),
    ],
)
def test_an_address_has_one_spelling(typed, stored):
    from transactions.alerts.subscriptions import InvalidAddress, email_address

    if stored is None:
        with pytest.raises(InvalidAddress):
            email_address(typed)
    else:
        assert email_address(typed) == stored
