"""Enrolling an authenticator: only with a one-time code from an administrator or a registrar.

A password is not enough to add an authenticator: whoever stole it would enrol their
own phone and lock the owner out. The owner asks for an enrolment code, which an
administrator issues with `manage.py issue_enrolment_code USERNAME` and a registrar on
/accounts/enrolment-codes/. The code is shown once, kept as a digest, works once and
expires (LANDINFO["ENROLMENT_CODE_HOURS"]); a new one replaces any unused one. Typed with
the password (at sign-in, or on the code page), it opens a new authenticator for the
account; confirmed with a code from it, that authenticator replaces any earlier one (a
lost phone), and the owner and the administrators are told. Wrong codes are failed
sign-ins (signin.count_failure).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from landinfo.accounts import notices, tokens
from landinfo.accounts.policy import digest
from landinfo.models import AccountNotice, EnrolmentCode
from landinfo.security import client_ip

logger = logging.getLogger(__name__)

# Crockford's base32 without the letters people confuse (0/O, 1/I/L) or misread (U):
# 16 of them are about 78 bits, read out over the phone in four groups of four.
_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
_LENGTH = 16
_GROUP = 4


class EnrolmentRefused(Exception):
    """An enrolment code that may not be issued; says why."""

    status = 400


def normalise(typed: str) -> str:
    """Return `typed` as an enrolment code is kept: upper case, without spaces or dashes."""
    return "".join(ch for ch in typed.upper() if ch not in " -\t")


def is_enrolment_code(typed: str) -> bool:
    """Tell an enrolment code (16 characters) from an authenticator's code (6 to 8 digits)."""
    return len(normalise(typed)) > 8


def _readable(code: str) -> str:
    return "-".join(code[i : i + _GROUP] for i in range(0, len(code), _GROUP))


@transaction.atomic
def issue_enrolment_code(*, user: Any, issued_by: Any = None) -> tuple[EnrolmentCode, str]:
    """Issue an enrolment code for `user`; return it with the code, shown only this once.

    `issued_by` is the registrar who asks, None for an administrator at the command line.
    A registrar may not issue one for their own account (they are signed in with their
    authenticator, or could not be here) nor for an administrator's.
    """
    if not user.is_active:
        raise EnrolmentRefused(_("The account %(name)s is deactivated.") % {"name": user})
    if issued_by is not None:
        if issued_by.pk == user.pk:
            raise EnrolmentRefused(
                _("Another registrar or an administrator issues your own enrolment code.")
            )
        if user.is_superuser or user.is_staff:
            raise EnrolmentRefused(
                _(
                    "Administrators get their enrolment code from "
                    "`manage.py issue_enrolment_code` on the server."
                )
            )
    now = timezone.now()
    # Earlier unused codes end now, and stay as the record of who issued what.
    EnrolmentCode.objects.filter(user=user, used_at__isnull=True, expires__gt=now).update(
        expires=now
    )
    code = "".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH))
    row = EnrolmentCode.objects.create(
        user=user,
        code_digest=digest(code),
        issued_by=issued_by,
        created=now,
        expires=now + dt.timedelta(hours=settings.LANDINFO["ENROLMENT_CODE_HOURS"]),
    )
    logger.info(
        "Enrolment code issued for %s by %s", user.get_username(), issued_by or "the command line"
    )
    return row, _readable(code)


def redeem_enrolment_code(user: Any, typed: str) -> TOTPDevice | None:
    """Spend `user`'s enrolment code `typed`; return the new authenticator it opens, or None.

    The authenticator is unconfirmed until a code from it is typed (confirm_device).
    """
    now = timezone.now()
    with transaction.atomic():
        spent = EnrolmentCode.objects.filter(
            user=user, code_digest=digest(normalise(typed)), used_at__isnull=True, expires__gt=now
        ).update(used_at=now)
        if not spent:
            return None
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def confirm_device(request: HttpRequest, user: Any, device: TOTPDevice) -> None:
    """Make `device` the account's only authenticator, and tell the owner and administrators.

    An earlier authenticator (a lost phone) is removed: sessions it verified are
    verified no longer, and the account's API tokens stop working.
    """
    with transaction.atomic():
        earlier = TOTPDevice.objects.filter(user=user).exclude(pk=device.pk)
        replaced = earlier.filter(confirmed=True).exists()
        earlier.delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        if replaced:
            tokens.revoke_tokens(user)
    notices.tell(user, AccountNotice.Kind.DEVICE_ENROLLED, address=client_ip(request))
