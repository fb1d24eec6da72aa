"""The rules of the accounts: who needs a second factor, token lifetimes, kept secrets.

An account that can record deeds or read holders' personal data (notaries, registrars,
administrators: transactions/roles.py) is worth more to a thief than a planner's or an
auditor's, which read only what the public reads. The rules that follow from that
(a second factor, a short token life) take their list of accounts from here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

# The permissions that make an account worth a second factor and a short token life.
SENSITIVE_PERMISSIONS = ("transactions.record_deed", "transactions.view_personal_data")
_STAMP_SALT = "landinfo.accounts.password-stamp"


def is_sensitive(user: Any) -> bool:
    """Tell whether `user` may record deeds or read personal data (or is a superuser)."""
    return bool(user.is_authenticated) and any(
        user.has_perm(permission) for permission in SENSITIVE_PERMISSIONS
    )


def otp_required_for(user: Any) -> bool:
    """Tell whether `user` must sign in with a TOTP code (setting on, sensitive account)."""
    return bool(settings.LANDINFO["NOTARY_OTP_REQUIRED"]) and is_sensitive(user)


def token_lifetime(user: Any) -> dt.timedelta:
    """Return how long an API token of `user` lives (shorter for sensitive accounts)."""
    hours = (
        settings.LANDINFO["TOKEN_HOURS"]
        if is_sensitive(user)
        else settings.LANDINFO["TOKEN_HOURS_OTHER"]
    )
    return dt.timedelta(hours=hours)


def digest(secret: str) -> str:
    """Return the SHA-256 hex digest under which a random secret (key, code) is kept.

    A plain digest, not a password hash: the secrets are random (a token's key has 256
    bits, an enrolment code 80), so there is nothing to guess faster for a slow hash to
    slow down, and a plain digest is found by its unique index.
    """
    return hashlib.sha256(secret.encode()).hexdigest()


def password_stamp(user: Any, secret: str | None = None) -> str:
    """Return a stamp of `user`'s current password hash (as Django's session auth hash).

    Whatever changes the password (set_password, the password page, the admin,
    `manage.py changepassword`) changes its hash and so the stamp: what was issued with
    the old stamp stops working, with no hook on any of those paths.
    """
    return salted_hmac(
        _STAMP_SALT, user.password or "", secret=secret, algorithm="sha256"
    ).hexdigest()


def stamp_matches(user: Any, stamp: str) -> bool:
    """Tell whether `stamp` is `user`'s current password stamp (old secret keys too)."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(constant_time_compare(stamp, password_stamp(user, secret)) for secret in secrets)
