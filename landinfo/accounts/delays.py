"""A per-account delay on signing in after repeated failures, from any address.

django-axes locks a username at one address (landinfo/settings.py says why not by
username alone), so guesses spread over many addresses stay under it: 32 wrong
passwords from 8 addresses were never refused. The username therefore counts its
failures too. After LANDINFO["SIGN_IN_DELAY"]["AFTER"] failures, each within
WINDOW_MINUTES of the one before, every further attempt waits FIRST_SECONDS, doubling
with each further failure up to MAX_SECONDS; until then it is refused with 429 and
Retry-After before any password or code is checked. Nobody sleeps on the server: a
waiting worker would serve no one. A refused attempt is not a failure: the delay doubles
with the guesses actually checked.

A username that names no account is counted and refused exactly as one that does: a
delay for accounts only would tell anyone who tries which usernames exist. The counts
are kept under a keyed digest of the username (a password typed into the username field
is not kept), rows past their burst are dropped at each failure, and at most
LANDINFO["SIGN_IN_DELAY"]["MAX_ROWS"] are kept, the oldest dropped first: invented
usernames cannot fill the database. What is told to the owner is told after the answer
has been sent (`after_response`), so that the answer takes no longer for an account.

Such a delay for everyone would let anyone keep a notary out of their own office, so a
browser that has signed in to the account before carries a signed "known device"
cookie (OWASP's device cookies, bound to the password: a new password forgets them)
and is exempt; its own failures are left to the address lock. The owner and the
administrators are told once per burst of failures (notices).

Wrong passwords reach here through Django's `user_login_failed` signal, which the sign-in
forms, the admin and django-axes share; wrong authenticator and enrolment codes are sent
through it too (signin.count_failure).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from landinfo.accounts import notices
from landinfo.accounts.policy import password_stamp
from landinfo.models import AccountNotice, SignInDelay
from landinfo.security import client_ip, refusal

logger = logging.getLogger(__name__)

_COOKIE_PREFIX = "landinfo_known_"
_COOKIE_SALT = "landinfo.accounts.known-device"
_MAX_ADDRESSES = 20  # listed in the alert; the count goes on past them
# The key of a username's counts; migration 0003 wrote the same (change both or neither).
_KEY_SALT = "landinfo.accounts.sign-in-delay"


def _config() -> dict[str, Any]:
    config: dict[str, Any] = settings.LANDINFO["SIGN_IN_DELAY"]
    return config


def delay_after(failures: int) -> dt.timedelta:
    """Return how long an account waits after its `failures`-th failure in a window."""
    config = _config()
    if failures < config["AFTER"]:
        return dt.timedelta(0)
    doublings = min(failures - config["AFTER"], 30)  # 2**30 s is far past any cap
    return dt.timedelta(seconds=min(config["FIRST_SECONDS"] * 2**doublings, config["MAX_SECONDS"]))


# --- known devices -------------------------------------------------------------------------


def _cookie_name(username: str) -> str:
    """Return the cookie that marks a browser known to `username` (one per account)."""
    return _COOKIE_PREFIX + hashlib.sha256(username.encode()).hexdigest()[:16]


def _device_value(user: Any) -> str:
    return f"{user.pk}:{password_stamp(user)[:16]}"


def is_known_device(request: HttpRequest, user: Any) -> bool:
    """Tell whether `request` comes from a browser that signed in to `user` before."""
    value = request.get_signed_cookie(
        _cookie_name(user.get_username()),
        default=None,
        salt=_COOKIE_SALT,
        max_age=dt.timedelta(days=settings.LANDINFO["KNOWN_DEVICE_DAYS"]),
    )
    return value is not None and value == _device_value(user)


def remember_device(request: HttpRequest, user: Any) -> None:
    """Have the answer to `request` mark its browser as known to `user` (SignInDelayMiddleware)."""
    request.landinfo_known_device = user  # type: ignore[attr-defined]


# --- work done after the answer ----------------------------------------------------------


def after_response(request: HttpRequest, task: Callable[[], object]) -> None:
    """Run `task` once the answer to `request` has been sent (SignInDelayMiddleware).

    Work that only some usernames cause (telling an account's owner) would make their
    answers measurably slower. Outside the middleware (a management command, a test's
    bare request) the task runs at once.
    """
    tasks = getattr(request, "landinfo_after_response", None)
    if tasks is None:
        task()
    else:
        tasks.append(task)


def _run_after(task: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        try:
            task()
        except Exception:
            # Django's close() swallows a closer's error silently; it is logged here.
            logger.exception("Work after a sign-in's answer failed")

    return run


# --- counting and refusing -------------------------------------------------------------------


def counter_key(username: str) -> str:
    """Return the key under which the failed sign-ins of `username` are counted."""
    return salted_hmac(_KEY_SALT, username, algorithm="sha256").hexdigest()


def _user_named(username: str) -> Any:
    users = get_user_model()
    return users._default_manager.filter(**{users.USERNAME_FIELD: username}).first()


def seconds_to_wait(request: HttpRequest, username: str) -> int:
    """Return how many seconds `username` must wait before signing in from `request` (0: none).

    The same statements whether or not `username` names an account.
    """
    now = timezone.now()
    delay = SignInDelay.objects.filter(key=counter_key(username), retry_at__gt=now).first()
    if delay is None or delay.retry_at is None:
        return 0
    user = _user_named(username)  # looked up for a made-up username too: the same work
    if user is not None and is_known_device(request, user):
        return 0
    return max(1, math.ceil((delay.retry_at - now).total_seconds()))


def mark_checked(request: HttpRequest, username: str) -> None:
    """Note that a secret of `username` is about to be checked: its failure counts."""
    request.landinfo_checked_username = username  # type: ignore[attr-defined]


def _drop_old_rows(now: dt.datetime, keep: str) -> None:
    """Drop the counts no burst needs any more, then the oldest past MAX_ROWS (not `keep`)."""
    window = dt.timedelta(minutes=_config()["WINDOW_MINUTES"])
    SignInDelay.objects.filter(last_failure__lt=now - window).filter(
        Q(retry_at__isnull=True) | Q(retry_at__lte=now)
    ).exclude(key=keep).delete()
    # Walks the index on last_failure; deletes only when there is too much.
    surplus = SignInDelay.objects.order_by("-last_failure").values("key")[_config()["MAX_ROWS"] :]
    if surplus.exists():
        SignInDelay.objects.filter(key__in=surplus).exclude(key=keep).delete()


def record_failure(request: HttpRequest, username: str) -> SignInDelay | None:
    """Count a failed sign-in of `username` from an unknown browser, account or not."""
    user = _user_named(username)
    if user is not None and is_known_device(request, user):
        return None
    now = timezone.now()
    key = counter_key(username)
    window = dt.timedelta(minutes=_config()["WINDOW_MINUTES"])
    _row, created = SignInDelay.objects.get_or_create(key=key, defaults={"last_failure": now})
    if created:
        _drop_old_rows(now, keep=key)
    with transaction.atomic():
        delay = SignInDelay.objects.select_for_update().get(key=key)
        if delay.last_failure < now - window:  # a quiet window ends the burst
            delay.failures, delay.addresses, delay.retry_at = 0, [], None
        delay.failures += 1
        delay.last_failure = now
        address = client_ip(request)
        if address not in delay.addresses and len(delay.addresses) < _MAX_ADDRESSES:
            delay.addresses = [*delay.addresses, address]
        if delay.failures >= _config()["AFTER"]:
            delay.retry_at = now + delay_after(delay.failures)
        delay.save()
    if delay.failures == _config()["AFTER"] and user is not None:  # once per burst
        failures, addresses = delay.failures, list(delay.addresses)
        after_response(
            request,
            lambda: notices.tell(
                user,
                AccountNotice.Kind.SIGN_IN_DELAYED,
                failures=failures,
                addresses=addresses,
                when=now.isoformat(),
            ),
        )
    return delay


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **_: Any
) -> None:
    """Count a failure whose secret was checked (a `user_login_failed` receiver).

    Attempts refused before any check (by this delay, or by django-axes' address lock)
    are not failures of a guess: they are not counted.
    """
    username = credentials.get("username")
    if request is None or not username:
        return
    if getattr(request, "landinfo_checked_username", None) != username:
        return
    if getattr(request, "sign_in_retry_after", 0):
        return
    record_failure(request, username)


class SignInDelayBackend:
    """Refuse, before any password is checked, a sign-in to an account that must wait.

    An authentication backend, listed after django-axes' and before the one that checks
    passwords: every sign-in form (ours, the admin's) goes through it. It never
    authenticates anyone itself, so it has no `get_user` (a session never names it).
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, **_: Any
    ) -> None:
        if request is None or not username:
            return None
        wait = seconds_to_wait(request, username)
        if wait:
            # SignInDelayMiddleware turns the form's answer into the 429.
            request.sign_in_retry_after = wait  # type: ignore[attr-defined]
            raise PermissionDenied
        mark_checked(request, username)
        return None


def delay_response(request: HttpRequest, wait: int) -> HttpResponse:
    """Return the 429 answer to a sign-in made to wait: JSON for programs, a page for people."""
    detail = _(
        "Too many failed sign-ins for this account. Try again in %(seconds)d seconds; "
        "a browser that has signed in to it before need not wait."
    ) % {"seconds": wait}
    response = refusal(request, _("Sign-in delayed"), detail, wait)
    response["Cache-Control"] = "no-store"
    return response


class SignInDelayMiddleware:
    """Answer 429 to a sign-in the delay refused; mark a browser that signed in as known.

    Also runs the work `after_response` put off, once the answer is sent.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tasks: list[Callable[[], object]] = []
        request.landinfo_after_response = tasks  # type: ignore[attr-defined]
        response = self.get_response(request)
        wait = getattr(request, "sign_in_retry_after", 0)
        if wait:
            response = delay_response(request, wait)
        else:
            self._mark_known(request, response)
        # The server closes the answer once it has sent it; Django runs its closers then.
        closers = response._resource_closers  # type: ignore[attr-defined]
        closers.extend(_run_after(task) for task in tasks)
        return response

    @staticmethod
    def _mark_known(request: HttpRequest, response: HttpResponse) -> None:
        user = getattr(request, "landinfo_known_device", None)
        if user is not None and response.status_code < 400:
            response.set_signed_cookie(
                _cookie_name(user.get_username()),
                _device_value(user),
                salt=_COOKIE_SALT,
                max_age=int(
                    dt.timedelta(days=settings.LANDINFO["KNOWN_DEVICE_DAYS"]).total_seconds()
                ),
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
