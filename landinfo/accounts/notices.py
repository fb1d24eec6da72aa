"""What an account's owner and the administrators are told about the account.

An event (an authenticator enrolled, sign-ins delayed by failures) is told three ways:
an e-mail to the account's address, an e-mail to the administrators (settings.ADMINS),
and a notice shown once at the owner's next sign-in, in case the mail went unread or
the account has no address. A mail server that is down is logged, never a failed page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.mail import mail_admins, send_mail
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from landinfo.dates import register_moment
from landinfo.models import AccountNotice

logger = logging.getLogger(__name__)


def _enrolled(detail: dict[str, Any]) -> str:
    return (
        _(
            "An authenticator app was set up for your account on %(when)s, from the address "
            "%(address)s. If that was not you, ask a registrar to lock your account and issue "
            "you a new enrolment code."
        )
        % detail
    )


def _delayed(detail: dict[str, Any]) -> str:
    return (
        _(
            "%(failures)d sign-ins to your account failed (the last on %(when)s, from "
            "%(addresses)s); further attempts from browsers that have not signed in to it "
            "before are being delayed. If that was not you, change your password."
        )
        % detail
    )


# kind -> (subject, the owner's message), each read in the language of the moment.
_WORDING: dict[str, tuple[Callable[[], str], Callable[[dict[str, Any]], str]]] = {
    AccountNotice.Kind.DEVICE_ENROLLED: (lambda: _("Authenticator enrolled"), _enrolled),
    AccountNotice.Kind.SIGN_IN_DELAYED: (lambda: _("Failed sign-ins to your account"), _delayed),
}


def _readable(detail: dict[str, Any]) -> dict[str, Any]:
    """Return `detail` with its time as people read it: the register's, naming its zone."""
    when = parse_datetime(detail.get("when") or "")
    shown = dict(detail)
    shown["when"] = register_moment(when) if when else ""
    shown["addresses"] = ", ".join(detail.get("addresses", [])) or detail.get("address", "")
    shown.setdefault("address", shown["addresses"])
    return shown


def tell(user: Any, kind: str, **detail: Any) -> AccountNotice:
    """Tell `user` (e-mail, next sign-in) and the administrators (e-mail) of `kind`."""
    now = timezone.now()
    detail.setdefault("when", now.isoformat())
    notice = AccountNotice.objects.create(user=user, kind=kind, at=now, detail=detail)
    subject, message = _WORDING[kind]
    with translation.override(settings.LANGUAGE_CODE):
        readable = _readable(detail)
        try:
            if user.email:
                send_mail(
                    f"{settings.EMAIL_SUBJECT_PREFIX}{subject()}",
                    message(readable),
                    None,
                    [user.email],
                )
            mail_admins(
                f"{subject()}: {user.get_username()}",
                f"{user.get_username()}: {message(readable)}",
            )
        except Exception:
            # The event is recorded and shown at the next sign-in: a mail server that
            # is down must not turn a sign-in into an error page.
            logger.exception("Could not send the %s mail for user %s", kind, user.pk)
    return notice


def show_pending_notices(request: HttpRequest, user: Any) -> None:
    """Show `user` the notices not yet shown, once each (at a completed sign-in)."""
    pending = list(
        AccountNotice.objects.filter(user=user, shown_at__isnull=True).order_by("at")[:10]
    )
    for notice in pending:
        _subject, message = _WORDING[notice.kind]
        messages.warning(request, message(_readable(notice.detail)), fail_silently=True)
    if pending:
        AccountNotice.objects.filter(pk__in=[n.pk for n in pending]).update(shown_at=timezone.now())
