"""Signing in: deny by default until the second factor, and what a completed sign-in does.

With LANDINFO["NOTARY_OTP_REQUIRED"] on, an account that must use a second factor
(policy.otp_required_for) and has given only its password is *signing in*, not signed
in. SecondFactorMiddleware makes such a session anonymous for everything that reads
`request.user` (Django views and templates, DRF's SessionAuthentication, the admin, the
rate limits, the certificate's unmasking), except the pages that complete or end the
sign-in (COMPLETES_SIGN_IN). A list of what to protect misses whatever is added next;
a list of the few pages an unverified session may use does not.

Every wrong password and every wrong code is a failed sign-in for django-axes (the
username+address lock) and for the account's delay (delays.py); a sign-in resets the
address's failures only once it is complete, so a stolen password alone cannot clear
the failures of the codes guessed with it.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from asgiref.sync import sync_to_async
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.http import urlencode
from django_otp import match_token
from django_otp.models import Device

from landinfo.accounts import delays, enrolment, notices
from landinfo.accounts.policy import otp_required_for
from landinfo.security import client_ip, lockout_response

# The pages a session that owes its second factor may use as itself: the code (and
# enrolment) page, and signing out. Everything else sees an anonymous visitor.
COMPLETES_SIGN_IN = frozenset({"otp", "logout"})
# Sign-in pages that send such a session on to its code instead of asking a password again.
_FINISH_INSTEAD = frozenset({"login", "admin:login"})


def with_next(name: str, target: str) -> str:
    """Return the URL named `name` with `target` as its (encoded) ?next= parameter."""
    return f"{reverse(name)}?{urlencode({'next': target})}"


def _anonymous() -> AnonymousUser:
    user = AnonymousUser()
    user.otp_device = None  # type: ignore[attr-defined]  # as django-otp's middleware does
    user.is_verified = lambda: False  # type: ignore[attr-defined]
    return user


def is_verified(user: Any) -> bool:
    """Tell whether `user`'s session was verified with a second factor (django-otp)."""
    return bool(getattr(user, "is_verified", lambda: False)())


def signing_in(request: HttpRequest) -> Any:
    """Return the account whose sign-in on `request` still owes its second factor, else None."""
    if not hasattr(request, "_landinfo_signing_in"):
        user = getattr(request, "landinfo_session_user", None)
        request._landinfo_signing_in = (  # type: ignore[attr-defined]
            user
            if user is not None
            and user.is_authenticated
            and not is_verified(user)
            and otp_required_for(user)
            else None
        )
    return request._landinfo_signing_in  # type: ignore[attr-defined]


def _view_name(request: HttpRequest) -> str:
    match = request.resolver_match
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return ""
    return match.view_name


def _effective_user(request: HttpRequest, user: Any) -> Any:
    if signing_in(request) is not None and _view_name(request) not in COMPLETES_SIGN_IN:
        return _anonymous()
    return user


class SecondFactorMiddleware:
    """Treat a session that owes its second factor as anonymous, except where it pays it.

    Installed after django-otp's OTPMiddleware. `request.user` stays lazy: a tile or a
    search that never looks at the user loads no session.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.LANDINFO["NOTARY_OTP_REQUIRED"] and hasattr(request, "user"):
            request.landinfo_session_user = request.user  # type: ignore[attr-defined]
            effective = functools.partial(_effective_user, request, request.user)
            request.user = SimpleLazyObject(effective)  # type: ignore[assignment]
            request.auser = sync_to_async(effective)  # type: ignore[attr-defined]
        response: HttpResponse = self.get_response(request)
        return response

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        """Send a signing-in session that opens a sign-in page on to its code instead."""
        match = request.resolver_match
        if (
            request.method == "GET"
            and match is not None
            and match.view_name in _FINISH_INSTEAD
            and settings.LANDINFO["NOTARY_OTP_REQUIRED"]
            and signing_in(request) is not None
        ):
            return HttpResponseRedirect(with_next("otp", request.GET.get("next") or "/"))
        return None


def count_failure(request: HttpRequest, username: str) -> None:
    """Record a wrong code for `username` where django-axes and the account's delay count."""
    delays.mark_checked(request, username)
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)


def refusal_before_checking(request: HttpRequest, username: str) -> HttpResponse | None:
    """Return the 429 that refuses to check a code of `username` now, or None to go on.

    The sign-in forms get this from the authentication backends; the code page, which
    checks no password, asks here.
    """
    credentials = {"username": username}
    if AxesProxyHandler.is_locked(request, credentials):
        logout(request)
        return lockout_response(request, None, credentials)
    wait = delays.seconds_to_wait(request, username)
    if wait:
        return delays.delay_response(request, wait)
    return None


def sign_in_completed(request: HttpRequest, user: Any) -> None:
    """Finish a sign-in that has every factor it needs.

    Clears this address's failures (django-axes; not at a password alone, see the
    module's docstring), marks the browser as known to the account (delays.py) and
    shows the notices kept for the owner.
    """
    AxesProxyHandler.reset_attempts(ip_address=client_ip(request), username=user.get_username())
    delays.remember_device(request, user)
    notices.show_pending_notices(request, user)


def on_user_logged_in(sender: Any, request: HttpRequest | None, user: Any, **_: Any) -> None:
    """Complete the sign-in of an account that needs no second factor (any sign-in form).

    An account that needs one completes it on the code page (views.SignInView, otp_view).
    """
    if request is not None and not otp_required_for(user):
        sign_in_completed(request, user)


@dataclasses.dataclass(frozen=True)
class SecondFactor:
    """What a code typed by a signing-in account opened."""

    device: Device  # the confirmed authenticator it verified, or the new one to set up
    enrolling: bool  # an enrolment code: `device` is new and awaits its first code


def check_second_factor(user: Any, typed: str) -> SecondFactor | None:
    """Check `typed`, an authenticator's code or an enrolment code, for `user`; None if wrong.

    An enrolment code is spent here (enrolment.redeem_enrolment_code).
    """
    typed = typed.strip()
    if not typed:
        return None
    if enrolment.is_enrolment_code(typed):
        new = enrolment.redeem_enrolment_code(user, typed)
        return None if new is None else SecondFactor(device=new, enrolling=True)
    device = match_token(user, typed)
    return None if device is None else SecondFactor(device=device, enrolling=False)
