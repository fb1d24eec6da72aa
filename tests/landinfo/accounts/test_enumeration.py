"""Signing in tells nobody which usernames name an account.

Every answer of the sign-in forms (the status, the page, Retry-After, the work done on
the server before answering) is the same for a username that names an account and for
one made up: the address lock (django-axes) and the account's delay (delays.py) count
and refuse both alike, and what is told to the owner is told after the answer is sent.
"""

import re

import pytest
from django.conf import settings
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.signals import request_finished
from django.db import close_old_connections, connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from landinfo.accounts import delays
from landinfo.models import AccountNotice, SignInDelay
from tests.landinfo.accounts.helpers import browser, make_user

pytestmark = pytest.mark.django_db

ATTACKERS = [f"203.0.113.{n}" for n in range(1, 9)]
REAL, INVENTED = "real-notary", "invented-notary"
# What differs between two answers by design: the CSRF token, and the username typed,
# which the form shows again.
_CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+|csrf_token&quot;: &quot;[^&]+')


@pytest.fixture(autouse=True)
def _long_delay(monkeypatch, settings):
    """A first wait that no test outruns, so the statuses do not depend on the clock."""
    monkeypatch.setitem(settings.LANDINFO["SIGN_IN_DELAY"], "FIRST_SECONDS", 600)
    monkeypatch.setitem(settings.LANDINFO["SIGN_IN_DELAY"], "MAX_SECONDS", 3600)


def _seen(username: str, addresses: list[str], path: str = "/accounts/login/") -> list[tuple]:
    """Return what an attacker sees of wrong passwords for `username`, one per address."""
    seen = []
    for ip in addresses:
        answer = browser(ip).post(path, {"username": username, "password": "wrong guess"})
        page = _CSRF.sub(r"\1…", answer.content.decode()).replace(username, "USERNAME")
        seen.append((answer.status_code, answer.get("Retry-After"), page))
    return seen


def _statuses(seen: list[tuple]) -> list[int]:
    return [status for status, _retry, _page in seen]


@pytest.mark.parametrize("otp", [False, True], ids=["password", "password-and-code"])
def test_an_invented_username_gets_the_answers_an_account_gets_from_many_addresses(
    otp, monkeypatch, settings
):
    monkeypatch.setitem(settings.LANDINFO, "NOTARY_OTP_REQUIRED", otp)
    make_user("notary", REAL, device=True)
    spread = [ATTACKERS[n % len(ATTACKERS)] for n in range(12)]  # under the address lock
    real, invented = _seen(REAL, spread), _seen(INVENTED, spread)
    after = settings.LANDINFO["SIGN_IN_DELAY"]["AFTER"]
    assert _statuses(real) == [200] * after + [429] * (12 - after)  # the account's delay
    assert invented == real


def test_an_invented_username_is_locked_at_one_address_as_an_account_is():
    make_user("notary", REAL)
    one = [ATTACKERS[0]] * (settings.AXES_FAILURE_LIMIT + 2)
    real, invented = _seen(REAL, one), _seen(INVENTED, one)
    assert 429 in _statuses(real)
    assert invented == real


def test_an_invented_username_is_refused_by_the_admin_sign_in_as_an_account_is():
    make_user(None, REAL, is_staff=True, is_superuser=True)
    spread = [ATTACKERS[n % len(ATTACKERS)] for n in range(9)]
    real = _seen(REAL, spread, "/admin/login/")
    invented = _seen(INVENTED, spread, "/admin/login/")
    assert 429 in _statuses(real)
    assert invented == real


class _CountingHasher(MD5PasswordHasher):
    """MD5, counting the passwords it hashes: a slow hash is what timing would show."""

    algorithm = "counting_md5"
    hashed = 0

    def encode(self, password, salt):
        type(self).hashed += 1
        return super().encode(password, salt)


def _work(username: str, ip: str) -> tuple[int, int]:
    """Return (statements, password hashes) of one wrong sign-in of `username`."""
    _CountingHasher.hashed = 0
    with CaptureQueriesContext(connection) as queries:
        browser(ip).post("/accounts/login/", {"username": username, "password": "wrong guess"})
    return len(queries), _CountingHasher.hashed


def test_a_wrong_password_costs_the_server_the_same_for_an_invented_username(monkeypatch, settings):
    settings.PASSWORD_HASHERS = [f"{__name__}._CountingHasher"]
    # Telling the owner happens after the answer is sent (the test below); the test
    # client counts that work in the request.
    monkeypatch.setattr(delays.notices, "tell", lambda *args, **kwargs: None)
    make_user("notary", REAL)
    after = settings.LANDINFO["SIGN_IN_DELAY"]["AFTER"]
    for attempt in range(after + 2):  # counting, the failure that starts the wait, refusing
        ip = ATTACKERS[attempt % len(ATTACKERS)]
        assert _work(INVENTED, ip) == _work(REAL, ip), f"attempt {attempt + 1}"


def test_the_owner_is_told_of_failed_sign_ins_after_the_answer_is_sent(mailoutbox, settings):
    """Telling (a row, two mails) takes time an attacker could measure: it waits for the answer."""
    user = make_user("notary", REAL, email="notary@landinfo.test")
    for attempt in range(settings.LANDINFO["SIGN_IN_DELAY"]["AFTER"] - 1):
        delays.record_failure(RequestFactory().post("/", REMOTE_ADDR=ATTACKERS[attempt]), REAL)
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR=ATTACKERS[7])

    def view(request):
        delays.record_failure(request, REAL)  # the failure that starts the wait
        return HttpResponse("the form again")

    response = delays.SignInDelayMiddleware(view)(request)
    assert mailoutbox == [] and not AccountNotice.objects.filter(user=user).exists()
    # The server has sent the answer and closes it (keeping the test's connection open,
    # as the test client does).
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    assert len(mailoutbox) == 2 and AccountNotice.objects.filter(user=user).count() == 1


def test_invented_usernames_cannot_fill_the_database(monkeypatch, settings):
    monkeypatch.setitem(settings.LANDINFO["SIGN_IN_DELAY"], "MAX_ROWS", 5)
    make_user("notary", REAL)
    for n in range(4):
        browser(ATTACKERS[n]).post("/accounts/login/", {"username": REAL, "password": "x"})
    for n in range(40):
        browser(ATTACKERS[n % 8]).post("/accounts/login/", {"username": f"u{n}", "password": "x"})
    assert SignInDelay.objects.count() == 5  # the most recent usernames, whoever they name
