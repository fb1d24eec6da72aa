"""Failed sign-ins lock a username at one IP for a cool-off (django-axes), never for good."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
OFFICE = "198.51.100.20"  # the notary's own office
ELSEWHERE = "203.0.113.66"  # an attacker's address
COOL_OFF = round(settings.AXES_COOLOFF_TIME * 60)  # minutes (15 unless configured)


@pytest.fixture(autouse=True)
def _fast_hashing(settings, monkeypatch):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The username+address lock alone: the account's own delay across addresses, which
    # also counts these failures, is tested in tests/landinfo/accounts/test_delays.py.
    monkeypatch.setitem(settings.LANDINFO["SIGN_IN_DELAY"], "AFTER", 1000)


@pytest.fixture
def notary() -> User:
    user = User.objects.create_user("notary-lock", password=PASSWORD)
    user.groups.add(Group.objects.get(name="notary"))
    return user


def sign_in(ip: str, password: str, path: str = "/accounts/login/", **headers: str):
    headers.setdefault("HTTP_ACCEPT_LANGUAGE", "en")  # the messages below are the English ones
    return Client(REMOTE_ADDR=ip).post(
        path, {"username": "notary-lock", "password": password}, **headers
    )


def fail(ip: str, times: int, path: str = "/accounts/login/") -> list[int]:
    return [sign_in(ip, "wrong", path).status_code for _ in range(times)]


def test_the_limit_th_failure_locks_and_the_right_password_is_then_refused(notary):
    limit = settings.AXES_FAILURE_LIMIT
    assert fail(OFFICE, limit - 1) == [200] * (limit - 1)  # the form again, with its error
    locked = sign_in(OFFICE, "wrong")
    assert locked.status_code == 429
    assert f"Try again in {COOL_OFF} minutes".encode() in locked.content
    assert locked["Retry-After"] == str(COOL_OFF * 60)
    client = Client(REMOTE_ADDR=OFFICE)
    still = client.post("/accounts/login/", {"username": "notary-lock", "password": PASSWORD})
    assert still.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_speaks_the_visitors_language(notary):
    fail(OFFICE, settings.AXES_FAILURE_LIMIT)
    locked = sign_in(OFFICE, PASSWORD, HTTP_ACCEPT_LANGUAGE="vi")
    assert locked.status_code == 429
    assert "Đăng nhập bị khóa" in locked.content.decode()
    assert f"thử lại sau {COOL_OFF} phút" in locked.content.decode()


def test_a_program_is_told_in_json(notary):
    fail(OFFICE, settings.AXES_FAILURE_LIMIT)
    locked = sign_in(OFFICE, PASSWORD, HTTP_ACCEPT="application/json")
    assert locked.status_code == 429
    assert f"Try again in {COOL_OFF} minutes" in locked.json()["detail"]


def test_an_attacker_elsewhere_does_not_lock_the_notary_out_of_their_office(notary):
    fail(ELSEWHERE, settings.AXES_FAILURE_LIMIT + 2)
    assert sign_in(ELSEWHERE, PASSWORD).status_code == 429
    assert sign_in(OFFICE, PASSWORD).status_code == 302  # signed in


def test_the_lock_lifts_after_the_cool_off(notary):
    fail(OFFICE, settings.AXES_FAILURE_LIMIT)
    assert sign_in(OFFICE, PASSWORD).status_code == 429
    # The cool-off and a second pass: move the failures back rather than sleep.
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - dt.timedelta(minutes=COOL_OFF, seconds=1)
    )
    assert sign_in(OFFICE, PASSWORD).status_code == 302


def test_a_successful_sign_in_resets_the_failures(notary):
    limit = settings.AXES_FAILURE_LIMIT
    fail(OFFICE, limit - 1)
    assert sign_in(OFFICE, PASSWORD).status_code == 302
    assert fail(OFFICE, limit - 1) == [200] * (limit - 1)  # counted from zero again
    assert sign_in(OFFICE, PASSWORD).status_code == 302


def test_the_admin_login_is_covered_too(notary):
    limit = settings.AXES_FAILURE_LIMIT
    answers = fail(OFFICE, limit, path="/admin/login/")
    assert answers[:-1] == [200] * (limit - 1)
    assert answers[-1] == 429
    # One lock for the username+IP, whichever form was used.
    assert sign_in(OFFICE, PASSWORD).status_code == 429


def test_the_api_token_page_is_behind_the_locked_sign_in(notary):
    """The token page takes no password: it needs a session, which the lock refuses."""
    fail(OFFICE, settings.AXES_FAILURE_LIMIT)
    client = Client(REMOTE_ADDR=OFFICE)
    client.post("/accounts/login/", {"username": "notary-lock", "password": PASSWORD})
    answer = client.get("/accounts/token/")
    assert answer.status_code == 302
    assert answer["Location"].startswith("http://testserver/accounts/login/")


def test_a_registrar_lifts_a_lock_with_axes_reset(notary):
    fail(OFFICE, settings.AXES_FAILURE_LIMIT)
    assert sign_in(OFFICE, PASSWORD).status_code == 429
    call_command("axes_reset_username", "notary-lock")
    assert sign_in(OFFICE, PASSWORD).status_code == 302
    fail(OFFICE, settings.AXES_FAILURE_LIMIT)
    call_command("axes_reset")  # everyone's locks
    assert sign_in(OFFICE, PASSWORD).status_code == 302


def test_the_backend_that_checks_passwords_is_still_ours():
    assert settings.AUTHENTICATION_BACKENDS == [
        "axes.backends.AxesStandaloneBackend",  # the username+address lock, first
        "landinfo.accounts.delays.SignInDelayBackend",  # the account's delay, before a check
        "landinfo.auth.ModelBackendInOneQuery",
    ]


def test_the_lock_keeps_no_secret_typed_in_a_failed_attempt(notary):
    """django-axes keeps the form's fields of each failure; the secrets among them are masked."""
    client = Client(REMOTE_ADDR=OFFICE)
    client.post(
        "/accounts/login/",
        {"username": "notary-lock", "password": "wrong", "otp_token": "ABCD-EFGH-JKMN-PQRS"},
    )
    client.force_login(notary)
    client.post(
        "/accounts/password/",
        {
            "old_password": "my old pass, mistyped",
            "new_password1": "the new one 12345",
            "new_password2": "the new one 12345",
        },
    )
    kept = "\n".join(AccessAttempt.objects.values_list("post_data", flat=True))
    assert kept.count("otp_token=") == 1 and kept.count("new_password1=") == 1
    for secret in ("ABCD-EFGH-JKMN-PQRS", "mistyped", "the new one"):
        assert secret not in kept
