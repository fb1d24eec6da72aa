"""Deny by default: a session that owes its second factor gets what the public gets, no more.

With LANDINFO_NOTARY_OTP_REQUIRED, a registrar who has typed only a password is walked
through every URL the project routes (the permission matrix's table, which fails when
a URL has no row) and must get the anonymous visitor's answer everywhere but the pages
that complete or end a sign-in; no personal data is unmasked for it anywhere.
"""

import datetime as dt
import io
from fractions import Fraction

import pypdfium2 as pdfium
import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.core.management import call_command
from django.test import Client

from tests.factories import national_id
from tests.landinfo.accounts.helpers import browser, make_user, sign_in
from tests.landinfo.test_permission_matrix import ADMIN_PAGES, MATRIX, context  # noqa: F401
from transactions.deeds import services
from transactions.deeds.services import DeedInput, PartyInput
from transactions.models import PersonalDataAccess

pytestmark = pytest.mark.django_db

HOLDER = "Nguyễn Văn An"
MASKED = "Nguyễn V. A."
# Where a signing-in session is itself (the code page), or is sent on to its code (the
# sign-in pages), by design; logging out ends it like the public's no-op.
ITS_OWN = {("accounts/otp/", "GET"), ("accounts/otp/", "POST"), ("accounts/login/", "GET")}
ITS_OWN_ADMIN = {"/admin/login/"}


@pytest.fixture(autouse=True)
def _signing_key(tmp_path, settings):
    """Sign certificates with a key of this test only."""
    settings.LANDINFO = {
        **settings.LANDINFO,
        "SIGNING_KEY_FILE": tmp_path / "keys" / "ledger-ed25519.pem",
        "VERIFY_KEY_FILES": [],
    }
    call_command("generate_signing_key", stdout=io.StringIO())


@pytest.fixture
def held(context):  # noqa: F811  # the matrix's parcel, given a holder who is a person
    notary = make_user("notary", "recording-notary")
    services.record_first_registration(
        parcel_id=context["parcel"],
        holders=[(PartyInput(kind="person", name=HOLDER, national_id=national_id(1)), Fraction(1))],
        deed=DeedInput(
            effective_date=dt.date(2020, 1, 1), recorded_by=notary, expected_last_entry=0
        ),
    )
    return context


def signing_in(user: User, ip: str = "198.51.100.40") -> Client:
    """Return a browser where `user` has given the password only (no code yet)."""
    client = Client(REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def answer(client: Client, method: str, path: str) -> int:
    if method == "GET":
        return client.get(path).status_code
    if path.startswith("/api/"):
        return client.post(path, {}, content_type="application/json").status_code
    return client.post(path, {}).status_code


def test_a_signing_in_session_gets_nothing_the_public_does_not(otp_required, held):
    registrar = make_user("registrar", "walking-registrar")
    root = User.objects.create_superuser("walking-root", password="x")
    different = []
    for route, (build, methods) in MATRIX.items():
        for method in methods:
            if (route, method) in ITS_OWN:
                continue
            path = build(held)
            caches["ratelimit"].clear()  # roles, not request counts
            public = answer(Client(), method, path)
            got = answer(signing_in(registrar), method, path)
            if got != public:
                different.append(f"{method} {path}: {got}, the public gets {public}")
    for path in ADMIN_PAGES.keys() - ITS_OWN_ADMIN:
        public, got = answer(Client(), "GET", path), answer(signing_in(root), "GET", path)
        if got != public:
            different.append(f"GET {path}: {got}, the public gets {public}")
    assert different == []
    assert not PersonalDataAccess.objects.exists()  # nothing unmasked for it, anywhere


def test_a_password_alone_prints_the_certificate_with_masked_names(otp_required, held):
    registrar = make_user("registrar")
    client = browser()
    assert sign_in(client, registrar)["Location"].startswith("http://testserver/accounts/otp/")
    pdf = client.get(f"/parcels/{held['parcel']}/certificate.pdf", {"lang": "en"})
    assert pdf.status_code == 200
    text = "\n".join(
        page.get_textpage().get_text_range() for page in pdfium.PdfDocument(pdf.content)
    )
    assert MASKED in text and HOLDER not in text
    assert not PersonalDataAccess.objects.exists()
    holders = client.get(f"/api/parcels/{held['parcel']}/holders")
    assert holders.status_code == 401 and HOLDER not in holders.content.decode()


def test_a_signing_in_session_is_counted_by_the_rate_limits_like_the_public(
    otp_required, monkeypatch, settings
):
    monkeypatch.setitem(settings.LANDINFO["RATE_LIMITS"], "lookup", "2/h")
    client = signing_in(make_user("registrar"))
    for _ in range(2):
        assert client.get("/api/parcels/999999").status_code == 404
    assert client.get("/api/parcels/999999").status_code == 429


def test_pages_tell_a_signing_in_session_to_finish_and_show_it_nothing_of_staff(otp_required):
    registrar = make_user("registrar", "header-registrar")
    home = signing_in(registrar).get("/").content.decode()
    assert "Finish signing in" in home and 'href="/accounts/otp/?next=/"' in home
    assert "/deeds/" not in home and "header-registrar" not in home
    assert '"deeds": null' in home  # the map offers no deed form


def test_the_admin_sends_a_signing_in_superuser_to_their_code(otp_required):
    client = signing_in(User.objects.create_superuser("code-root", password="x"))
    assert client.get("/admin/")["Location"].startswith("http://testserver/admin/login/")
    assert (
        client.get("/admin/login/?next=/admin/")["Location"]
        == "http://testserver/accounts/otp/?next=%2Fadmin%2F"
    )
    assert client.get("/accounts/login/")["Location"] == "http://testserver/accounts/otp/?next=%2F"


def test_a_verified_session_is_itself(otp_required, held):
    """The same walk's counterpart: once verified, the registrar reads holders in full."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    registrar = make_user("registrar", device=True)
    client = signing_in(registrar)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=registrar).persistent_id
    session.save()
    assert client.get(f"/api/parcels/{held['parcel']}/holders").status_code == 200
    assert PersonalDataAccess.objects.filter(user=registrar).exists()
