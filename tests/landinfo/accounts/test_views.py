"""The sign-in and code pages: with LANDINFO_NOTARY_OTP_REQUIRED, a TOTP code as well."""

from zoneinfo import ZoneInfo

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from landinfo.models import ApiToken, EnrolmentCode
from tests.landinfo.accounts.helpers import browser, code, make_user, new_token, sign_in

pytestmark = pytest.mark.django_db


def test_an_enrolled_notary_must_type_the_code_to_sign_in(otp_required):
    user = make_user("notary", device=True)
    device = TOTPDevice.objects.get(user=user)
    client = browser()
    for typed in ("", "123456" if code(device) != "123456" else "654321"):
        refused = sign_in(client, user, typed)
        assert refused.status_code == 200
        assert b"authenticator app is missing or wrong" in refused.content
        assert "_auth_user_id" not in client.session
    assert (
        sign_in(client, user, code(device), next_="/deeds/")["Location"]
        == "http://testserver/deeds/"
    )
    assert client.get("/deeds/").status_code == 200


def test_a_signing_in_session_types_its_code_on_the_code_page(otp_required):
    """A password alone (here through the admin's form) leaves the code for the code page."""
    user = make_user("registrar", device=True)
    device = TOTPDevice.objects.get(user=user)
    client = browser()
    admin = client.post("/admin/login/?next=/admin/", {"username": user.username, "password": "x"})
    assert admin.status_code == 200  # a wrong password, to begin with
    client.force_login(user)  # as the admin's form does with the right one
    assert (
        client.get("/admin/login/?next=/deeds/")["Location"]
        == "http://testserver/accounts/otp/?next=%2Fdeeds%2F"
    )
    page = client.get("/accounts/otp/?next=/deeds/")
    assert page.status_code == 200 and b"Type your authenticator code" in page.content
    assert b"otp-secret" not in page.content  # nothing to enrol: it has an authenticator
    wrong = client.post("/accounts/otp/", {"otp_token": "000000", "next": "/deeds/"})
    assert wrong.status_code == 200 and b"That code is wrong" in wrong.content
    right = client.post("/accounts/otp/", {"otp_token": code(device), "next": "/deeds/"})
    assert right["Location"] == "http://testserver/deeds/"
    assert client.get("/deeds/").status_code == 200


def test_wrong_codes_count_toward_the_lockout(otp_required):
    user = make_user("notary", device=True)
    device = TOTPDevice.objects.get(user=user)
    client = browser()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, user, "000000").status_code == 200
    assert sign_in(client, user, "000000").status_code == 429
    assert sign_in(client, user, code(device)).status_code == 429  # locked, right code or not


def test_a_password_alone_does_not_clear_the_failures_of_the_codes_guessed(otp_required):
    """Signing in again with the password must not give a code guesser a fresh count."""
    user = make_user("notary")  # no authenticator yet: the password alone signs in
    client = browser()
    limit = settings.AXES_FAILURE_LIMIT
    assert sign_in(client, user).status_code == 302
    for _ in range(limit - 1):
        guess = client.post("/accounts/otp/", {"otp_token": "AAAA-BBBB-CCCC-DDDD"})
        assert guess.status_code == 200
    assert sign_in(client, user)["Location"].startswith(
        "http://testserver/accounts/otp/"
    )  # the password again
    assert AccessAttempt.objects.get(username=user.username).failures_since_start == limit - 1
    assert client.post("/accounts/otp/", {"otp_token": "AAAA-BBBB-CCCC-DDDD"}).status_code == 429


def test_a_completed_sign_in_clears_the_failures_of_its_address(otp_required):
    user = make_user("notary", device=True)
    device = TOTPDevice.objects.get(user=user)
    client = browser()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, user, "000000")
    assert sign_in(client, user, code(device)).status_code == 302
    assert not AccessAttempt.objects.filter(username=user.username).exists()


def test_planners_and_auditors_sign_in_with_their_password_alone(otp_required):
    for role in ("planner", "auditor"):
        user = make_user(role)
        client = browser()
        assert sign_in(client, user)["Location"] == "http://testserver/"
        assert client.get("/accounts/token/").status_code == 200


def test_with_the_setting_off_no_code_is_asked():
    user = make_user("notary", device=True)
    client = browser()
    assert sign_in(client, user, next_="/deeds/")["Location"] == "http://testserver/deeds/"
    assert client.get("/deeds/").status_code == 200
    assert client.get("/accounts/otp/?next=/deeds/")["Location"] == "http://testserver/deeds/"


def _read(moment, language: str) -> str:
    """Return `moment` as the account pages must print it, written out by hand."""
    local = moment.astimezone(ZoneInfo(settings.TIME_ZONE))
    day = {
        "vi": f"{local:%d/%m/%Y}",
        "ko": f"{local.year}. {local.month}. {local.day}.",
        "en": f"{local:%Y-%m-%d}",
    }[language]
    offset = local.strftime("%z")
    return f"{day} {local:%H:%M:%S} (UTC{offset[:3]}:{offset[3:]}, {settings.TIME_ZONE})"


@pytest.mark.parametrize("language", ["vi", "ko"])
def test_the_account_pages_print_times_in_the_register_zone_naming_it(otp_required, language):
    registrar = make_user("registrar", f"times-registrar-{language}", device=True)
    notary = make_user("notary", f"times-notary-{language}")
    client = browser()
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    sign_in(client, registrar, code(TOTPDevice.objects.get(user=registrar)))
    issued = client.post("/accounts/enrolment-codes/", {"username": notary.username})
    row = EnrolmentCode.objects.get(user=notary)
    listed = client.get("/accounts/enrolment-codes/").content.decode()
    new_token(client, "office software")
    token = ApiToken.objects.get(user=registrar)
    ApiToken.objects.filter(pk=token.pk).update(last_used=token.created)
    tokens = client.get("/accounts/token/").content.decode()
    assert _read(row.expires, language) in issued.content.decode()  # usable until
    assert _read(row.created, language) in listed and _read(row.expires, language) in listed
    for moment in (token.created, token.expires):  # made, expires, last used
        assert _read(moment, language) in tokens
    assert tokens.count(_read(token.created, language)) == 2
