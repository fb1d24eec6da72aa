"""With LANDINFO_NOTARY_OTP_REQUIRED, notaries and registrars sign in with a TOTP code."""

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
IP = "198.51.100.30"


@pytest.fixture(autouse=True)
def _otp_required(monkeypatch, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # django-otp waits 2^n s after n wrong codes before it checks another; the tests type
    # the right code at once after a wrong one (axes' lockout is tested below instead).
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    monkeypatch.setitem(settings.LANDINFO, "NOTARY_OTP_REQUIRED", True)


def make_user(role: str, *, device: bool = False) -> User:
    user = User.objects.create_user(f"otp-{role}", password=PASSWORD)
    user.groups.add(Group.objects.get(name=role))
    if device:
        TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def code(device: TOTPDevice) -> str:
    """Return the code the authenticator app shows now (as the user would type it)."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def sign_in(client: Client, user: User, otp_token: str = "", next_: str = "/deeds/"):
    return client.post(
        "/accounts/login/",
        {"username": user.username, "password": PASSWORD, "otp_token": otp_token, "next": next_},
    )


@pytest.mark.parametrize("role", ["notary", "registrar"])
def test_an_account_without_an_authenticator_enrols_one_before_any_deed(role):
    user = make_user(role)
    client = Client(REMOTE_ADDR=IP, HTTP_ACCEPT_LANGUAGE="en")
    answer = sign_in(client, user)
    assert answer.status_code == 302
    assert answer["Location"].startswith("http://testserver/accounts/otp/")
    # Signed in, but no deed page, no token and no deed API until enrolled.
    assert client.get("/deeds/")["Location"].startswith("http://testserver/accounts/otp/")
    assert client.get("/accounts/token/")["Location"].startswith("http://testserver/accounts/otp/")
    api = client.get("/api/parcels/1/holders")
    assert api.status_code == 403
    assert "authenticator" in api.json()["detail"]
    page = client.get("/accounts/otp/?next=/deeds/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    assert device.config_url.encode().replace(b"&", b"&amp;") in page.content
    assert b'id="otp-qr" src="data:image/svg+xml;base64,' in page.content
    wrong = client.post("/accounts/otp/", {"otp_token": "000000", "next": "/deeds/"})
    assert wrong.status_code == 200 and b"That code is wrong" in wrong.content
    enrolled = client.post("/accounts/otp/", {"otp_token": code(device), "next": "/deeds/"})
    assert enrolled.status_code == 302 and enrolled["Location"] == "http://testserver/deeds/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/deeds/").status_code == 200
    assert client.get("/accounts/token/").status_code == 200


def test_an_enrolled_notary_must_type_the_code_to_sign_in():
    user = make_user("notary", device=True)
    device = TOTPDevice.objects.get(user=user)
    client = Client(REMOTE_ADDR=IP, HTTP_ACCEPT_LANGUAGE="en")
    for typed in ("", "123456" if code(device) != "123456" else "654321"):
        refused = sign_in(client, user, typed)
        assert refused.status_code == 200
        assert b"authenticator app is missing or wrong" in refused.content
        assert "_auth_user_id" not in client.session
    assert sign_in(client, user, code(device)).status_code == 302
    assert client.get("/deeds/").status_code == 200


def test_wrong_codes_count_toward_the_lockout():
    user = make_user("notary", device=True)
    device = TOTPDevice.objects.get(user=user)
    client = Client(REMOTE_ADDR=IP, HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, user, "000000").status_code == 200
    assert sign_in(client, user, "000000").status_code == 429
    assert sign_in(client, user, code(device)).status_code == 429  # locked, right code or not


def test_planners_and_auditors_sign_in_with_their_password_alone():
    for role in ("planner", "auditor"):
        user = make_user(role)
        client = Client(REMOTE_ADDR=IP, HTTP_ACCEPT_LANGUAGE="en")
        assert sign_in(client, user, next_="/")["Location"] == "http://testserver/"
        assert client.get("/accounts/token/").status_code == 200


def test_with_the_setting_off_no_code_is_asked(monkeypatch):
    monkeypatch.setitem(settings.LANDINFO, "NOTARY_OTP_REQUIRED", False)
    user = make_user("notary", device=True)
    client = Client(REMOTE_ADDR=IP, HTTP_ACCEPT_LANGUAGE="en")
    assert sign_in(client, user)["Location"] == "http://testserver/deeds/"
    assert client.get("/deeds/").status_code == 200
