"""An authenticator is enrolled only with a one-time code from an administrator or registrar."""

import datetime as dt
import io

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from landinfo.accounts.enrolment import EnrolmentRefused, issue_enrolment_code, normalise
from landinfo.accounts.policy import digest
from landinfo.models import AccountNotice, ApiToken, EnrolmentCode
from tests.factories import api_token_for
from tests.landinfo.accounts.conftest import ADMIN_ADDRESS
from tests.landinfo.accounts.helpers import (
    OFFICE,
    browser,
    code,
    enrolment_code,
    make_user,
    sign_in,
)

pytestmark = pytest.mark.django_db

WRONG = "ABCD-EFGH-JKMN-PQRS"


@pytest.mark.parametrize("role", ["notary", "registrar"])
def test_the_password_alone_does_not_show_or_enrol_an_authenticator(otp_required, role):
    user = make_user(role)
    client = browser()
    answer = sign_in(client, user, next_="/deeds/")
    assert answer.status_code == 302 and answer["Location"].startswith(
        "http://testserver/accounts/otp/"
    )
    page = client.get("/accounts/otp/?next=/deeds/")
    assert b"otp-secret" not in page.content and b"otpauth://" not in page.content
    assert page.status_code == 200 and b"Enrolment code" in page.content
    assert not TOTPDevice.objects.filter(user=user).exists()  # no secret made for a thief
    for typed in ("123456", WRONG):
        refused = client.post("/accounts/otp/", {"otp_token": typed, "next": "/deeds/"})
        assert refused.status_code == 200 and b"That code is wrong" in refused.content
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert client.get("/deeds/")["Location"].startswith(
        "http://testserver/accounts/login/"
    )  # still nobody


def test_an_enrolment_code_sets_up_the_authenticator_and_everyone_is_told(otp_required, mailoutbox):
    user = make_user("notary", email="notary@landinfo.test")
    client = browser()
    sign_in(client, user, next_="/deeds/")
    opened = client.post("/accounts/otp/", {"otp_token": enrolment_code(user), "next": "/deeds/"})
    assert opened["Location"] == "http://testserver/accounts/otp/?next=%2Fdeeds%2F"
    page = client.get(opened["Location"])
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert device.config_url.encode().replace(b"&", b"&amp;") in page.content
    assert b'id="otp-qr" src="data:image/svg+xml;base64,' in page.content
    assert page["Cache-Control"] == "no-store"
    done = client.post("/accounts/otp/", {"otp_token": code(device), "next": "/deeds/"})
    assert done["Location"] == "http://testserver/deeds/"
    assert client.get("/deeds/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    assert sorted(tuple(mail.to) for mail in mailoutbox) == [(ADMIN_ADDRESS,), (user.email,)]
    assert all(OFFICE in mail.body for mail in mailoutbox)  # in the register's language
    # The owner is told again at the next sign-in, once (a code of the next time step:
    # the app's codes are single-use, and the test moves the step rather than wait).
    client.post("/accounts/logout/")
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    shown = browser().post(
        "/accounts/login/",
        {
            "username": user.username,
            "password": "correct horse battery staple",
            "otp_token": code(device),
            "next": "/",
        },
        follow=True,
    )
    assert b"An authenticator app was set up for your account" in shown.content
    assert AccountNotice.objects.get(user=user).shown_at is not None


def test_the_enrolment_code_may_be_typed_with_the_password(otp_required):
    user = make_user("notary")
    client = browser()
    answer = sign_in(client, user, enrolment_code(user), next_="/deeds/")
    assert answer["Location"] == "http://testserver/accounts/otp/?next=%2Fdeeds%2F"
    assert b"otp-secret" in client.get(answer["Location"]).content


def test_an_enrolment_code_works_once_for_its_account_until_it_expires(otp_required):
    user, other = make_user("notary"), make_user("notary", "other-notary")
    text = enrolment_code(user)
    assert sign_in(browser(), other, text).status_code == 200  # not the other's code
    client = browser()
    assert sign_in(client, user, text)["Location"].startswith("http://testserver/accounts/otp/")
    again = browser()
    assert sign_in(again, user, text).status_code == 200  # spent
    late = enrolment_code(user)
    EnrolmentCode.objects.filter(used_at__isnull=True).update(
        expires=timezone.now() - dt.timedelta(seconds=1)
    )
    assert sign_in(browser(), user, late).status_code == 200  # expired


def test_a_new_code_replaces_an_unused_one_and_only_its_digest_is_kept(otp_required):
    user = make_user("notary")
    first = enrolment_code(user)
    second = enrolment_code(user)
    row = EnrolmentCode.objects.filter(user=user).latest("created")
    assert row.code_digest == digest(normalise(second))
    assert normalise(second) not in str(list(EnrolmentCode.objects.values()))
    assert sign_in(browser(), user, first).status_code == 200
    assert sign_in(browser(), user, second.lower().replace("-", " ")).status_code == 302


def test_wrong_enrolment_codes_count_toward_the_lockout(otp_required):
    user = make_user("registrar")
    client = browser()
    sign_in(client, user)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post("/accounts/otp/", {"otp_token": WRONG}).status_code == 200
    assert client.post("/accounts/otp/", {"otp_token": WRONG}).status_code == 429
    assert AccessAttempt.objects.get(username=user.username).failures_since_start == (
        settings.AXES_FAILURE_LIMIT
    )


def test_a_lost_phone_is_replaced_with_a_new_code_only(otp_required, mailoutbox):
    user = make_user("notary", device=True, email="notary@landinfo.test")
    lost = TOTPDevice.objects.get(user=user)
    key = api_token_for(user)
    client = browser()
    # Without the phone, the password alone signs nobody in.
    assert sign_in(client, user).status_code == 200
    answer = sign_in(client, user, enrolment_code(user), next_="/deeds/")
    assert answer["Location"] == "http://testserver/accounts/otp/?next=%2Fdeeds%2F"
    new = TOTPDevice.objects.get(user=user, confirmed=False)
    assert (
        client.post("/accounts/otp/", {"otp_token": code(new), "next": "/deeds/"}).status_code
        == 302
    )
    assert list(TOTPDevice.objects.filter(user=user)) == [new]
    assert not TOTPDevice.objects.filter(pk=lost.pk).exists()
    assert not ApiToken.objects.filter(user=user).exists()  # made with the lost phone
    assert (
        browser().get("/api/parcels/1/holders", HTTP_AUTHORIZATION=f"Token {key}").status_code
        == 401
    )
    assert len(mailoutbox) == 2


def test_the_command_issues_a_code_shown_once(otp_required):
    user = make_user("notary")
    out = io.StringIO()
    call_command("issue_enrolment_code", user.username, stdout=out)
    text = out.getvalue().split(": ", 1)[1].split()[0]
    client = browser()
    assert sign_in(client, user, text)["Location"].startswith("http://testserver/accounts/otp/")
    with pytest.raises(CommandError, match="No account"):
        call_command("issue_enrolment_code", "nobody", stdout=io.StringIO())


def test_a_registrar_issues_codes_on_a_page_but_not_their_own_nor_an_administrators(otp_required):
    registrar = make_user("registrar", "issuing-registrar", device=True)
    notary = make_user("notary", "coded-notary")
    make_user(None, "root", is_superuser=True, is_staff=True)
    client = browser()
    sign_in(client, registrar, code(TOTPDevice.objects.get(user=registrar)))
    page = client.post("/accounts/enrolment-codes/", {"username": "coded-notary"})
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    text = page.content.decode().split('id="enrolment-code">')[1].split("<")[0]
    assert EnrolmentCode.objects.get(user=notary).issued_by == registrar
    assert text not in client.get("/accounts/enrolment-codes/").content.decode()  # shown once
    for name in ("issuing-registrar", "root", "nobody"):
        assert client.post("/accounts/enrolment-codes/", {"username": name}).status_code == 400
    assert sign_in(browser(), notary, text)["Location"].startswith(
        "http://testserver/accounts/otp/"
    )
    with pytest.raises(EnrolmentRefused):
        issue_enrolment_code(user=registrar, issued_by=registrar)


def test_notaries_planners_and_auditors_issue_no_code(otp_required):
    for role in ("notary", "planner", "auditor"):
        client = browser()
        client.force_login(make_user(role, f"no-codes-{role}"))
        assert client.get("/accounts/enrolment-codes/").status_code in (302, 403)
