"""Set-up shared by the accounts' tests: fast hashing, no authenticator throttling, ADMINS."""

import pytest

ADMIN_ADDRESS = "admins@landinfo.test"


@pytest.fixture(autouse=True)
def _accounts_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # django-otp waits 2^n s after n wrong codes before it checks another; the tests type
    # the right code at once after a wrong one (the lock and the delay are tested instead).
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.ADMINS = [("Administrators", ADMIN_ADDRESS)]


@pytest.fixture
def otp_required(monkeypatch, settings):
    """Switch LANDINFO_NOTARY_OTP_REQUIRED on for the test."""
    monkeypatch.setitem(settings.LANDINFO, "NOTARY_OTP_REQUIRED", True)
