"""Guesses spread over many addresses delay the account; the owner's own browser signs in."""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from landinfo.accounts.delays import counter_key, delay_after
from landinfo.models import AccountNotice, SignInDelay
from tests.landinfo.accounts.conftest import ADMIN_ADDRESS
from tests.landinfo.accounts.helpers import OFFICE, PASSWORD, browser, code, make_user, sign_in

pytestmark = pytest.mark.django_db

# Eight addresses, none of them past django-axes' username+address limit.
ATTACKERS = [f"203.0.113.{n}" for n in range(1, 9)]


@pytest.fixture(autouse=True)
def _delay(monkeypatch, settings):
    """A first wait long enough that no test outruns it (the rest as configured)."""
    monkeypatch.setitem(settings.LANDINFO["SIGN_IN_DELAY"], "FIRST_SECONDS", 600)
    monkeypatch.setitem(settings.LANDINFO["SIGN_IN_DELAY"], "MAX_SECONDS", 3600)


def test_guesses_from_many_addresses_are_delayed_and_told_while_the_owners_browser_signs_in(
    mailoutbox,
):
    planner = make_user("planner", "planner", email="planner@landinfo.test")
    office = browser(OFFICE)
    assert sign_in(office, planner).status_code == 302  # the owner, some day before
    office.post("/accounts/logout/")
    after = settings.LANDINFO["SIGN_IN_DELAY"]["AFTER"]
    answers = []
    for attempt in range(32):  # 4 from each address: under the address lock (5)
        answer = sign_in(browser(ATTACKERS[attempt % 8]), planner, password=f"guess-{attempt}")
        answers.append(answer.status_code)
        if answer.status_code == 429:
            assert 1 <= int(answer["Retry-After"]) <= 600
    assert answers == [200] * after + [429] * (32 - after)
    # The owner and the administrators were told, once.
    assert sorted(tuple(mail.to) for mail in mailoutbox) == [(ADMIN_ADDRESS,), (planner.email,)]
    assert "203.0.113.1" in mailoutbox[0].body
    # The right password from an unknown browser waits too; the owner's browser does not.
    assert sign_in(browser(ATTACKERS[0]), planner).status_code == 429
    assert sign_in(browser(OFFICE), planner).status_code == 429  # a new browser at the office
    assert sign_in(office, planner)["Location"] == "http://testserver/"
    # And at that sign-in the owner reads what happened.
    assert "sign-ins to your account failed" in office.get("/").content.decode()


def test_the_delay_doubles_with_each_checked_failure_up_to_its_cap(monkeypatch, settings):
    config = settings.LANDINFO["SIGN_IN_DELAY"]
    monkeypatch.setitem(config, "FIRST_SECONDS", 2)
    monkeypatch.setitem(config, "MAX_SECONDS", 300)
    after = config["AFTER"]
    assert [delay_after(after - 1 + n).total_seconds() for n in range(10)] == [
        0,
        2,
        4,
        8,
        16,
        32,
        64,
        128,
        256,
        300,
    ]
    user = make_user("notary")
    for attempt in range(after):
        sign_in(browser(ATTACKERS[attempt % 8]), user, password="wrong")
    delay = SignInDelay.objects.get(key=counter_key(user.username))
    assert delay.failures == after
    for _ in range(3):  # refused before any check: not counted
        assert sign_in(browser(ATTACKERS[0]), user, password="wrong").status_code == 429
    assert SignInDelay.objects.get(key=counter_key(user.username)).failures == after
    # The wait over (moved back, not slept through), the next wrong guess waits twice as long.
    SignInDelay.objects.filter(key=counter_key(user.username)).update(
        retry_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert sign_in(browser(ATTACKERS[1]), user, password="wrong").status_code == 200
    delay = SignInDelay.objects.get(key=counter_key(user.username))
    assert delay.failures == after + 1
    assert delay.retry_at - delay.last_failure == dt.timedelta(seconds=4)


def test_a_quiet_window_ends_the_burst(settings):
    user = make_user("notary")
    after = settings.LANDINFO["SIGN_IN_DELAY"]["AFTER"]
    for attempt in range(after - 1):
        sign_in(browser(ATTACKERS[attempt]), user, password="wrong")
    window = dt.timedelta(minutes=settings.LANDINFO["SIGN_IN_DELAY"]["WINDOW_MINUTES"], seconds=1)
    SignInDelay.objects.filter(key=counter_key(user.username)).update(
        last_failure=timezone.now() - window
    )
    assert sign_in(browser(ATTACKERS[0]), user, password="wrong").status_code == 200
    assert sign_in(browser(ATTACKERS[1]), user).status_code == 302
    assert SignInDelay.objects.get(key=counter_key(user.username)).failures == 1


def test_wrong_authenticator_codes_from_many_addresses_delay_the_account(otp_required, mailoutbox):
    notary = make_user("notary", device=True, email="notary@landinfo.test")
    after = settings.LANDINFO["SIGN_IN_DELAY"]["AFTER"]
    for attempt in range(after):  # the password is known; the code is guessed
        assert sign_in(browser(ATTACKERS[attempt]), notary, "000000").status_code == 200
    device = TOTPDevice.objects.get(user=notary)
    assert sign_in(browser(ATTACKERS[5]), notary, code(device)).status_code == 429
    assert len(mailoutbox) == 2
    assert AccountNotice.objects.get(user=notary).kind == AccountNotice.Kind.SIGN_IN_DELAYED


def test_a_known_browser_is_known_to_its_account_only_and_forgotten_with_the_password():
    owner, other = make_user("notary", "owner"), make_user("notary", "other")
    office = browser(OFFICE)
    assert sign_in(office, owner).status_code == 302
    office.post("/accounts/logout/")  # the browser stays known: a cookie of its own
    for user in (owner, other):
        for attempt in range(settings.LANDINFO["SIGN_IN_DELAY"]["AFTER"]):
            sign_in(browser(ATTACKERS[attempt]), user, password="wrong")
    assert sign_in(office, other).status_code == 429  # known to the owner's account only
    owner.set_password("a new password for the owner 7")
    owner.save()
    assert sign_in(office, owner, password="a new password for the owner 7").status_code == 429


def test_a_program_is_told_in_json(settings):
    user = make_user("notary")
    for attempt in range(settings.LANDINFO["SIGN_IN_DELAY"]["AFTER"]):
        sign_in(browser(ATTACKERS[attempt]), user, password="wrong")
    answer = sign_in(browser(), user, HTTP_ACCEPT="application/json")
    assert answer.status_code == 429
    assert "Try again in" in answer.json()["detail"]
    assert answer["Cache-Control"] == "no-store"


def test_the_admin_sign_in_is_delayed_too(settings):
    root = make_user(None, "root", is_superuser=True, is_staff=True)
    for attempt in range(settings.LANDINFO["SIGN_IN_DELAY"]["AFTER"]):
        browser(ATTACKERS[attempt]).post("/admin/login/", {"username": "root", "password": "x"})
    answer = browser().post("/admin/login/", {"username": root.username, "password": PASSWORD})
    assert answer.status_code == 429
