"""API tokens: `Authorization: Token <key>`, for the software of notaries and registrars.

A token is a credential as strong as the sign-in that made it, and lives no longer than
the reasons it was given. It works only while all of these hold, checked at each use
(`alive`), so that no path that changes an account needs to remember the tokens:

- it has not expired: LANDINFO["TOKEN_HOURS"] for accounts that record deeds or read
  personal data, LANDINFO["TOKEN_HOURS_OTHER"] for the others (the shorter of the life
  it was made with and the life of its owner's role today);
- its owner's password is the one it was made under (policy.password_stamp): set by
  `set_password()`, the password page, the admin or `manage.py changepassword` alike;
- its owner is active;
- where a second factor is required, it was made from a session verified with one;
- the session that made it still exists and is still its owner's (`session_lives`).

The last rule is checked rather than left to signals because a session ends by many
paths and only one sends a signal: `logout()` does, but another user's `login()` on the
same browser flushes the session silently, and expiry, `clearsessions` and the admin
just delete the row. A session keeps its tokens when its key is rotated (`cycle_key()`,
e.g. after the secret key is retired to the fallbacks): `landinfo.accounts.sessions`
moves them to the new key.

It is also deleted at once when the session that made it signs out (a `user_logged_out`
receiver), when its owner revokes it on the token page, and when the owner's
authenticator is replaced.
Only a digest of the key is stored; the key is shown once, when it is made.

Why our own model rather than django-rest-knox: knox stores digests and expires tokens,
but none of the rest (password stamp, second-factor origin, the issuing session, a
lifetime per role) and would need its model replaced and its authentication subclassed
to get them; what would be left of it is the digest and the expiry, a few lines here.
"""

from __future__ import annotations

import datetime as dt
import secrets
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from landinfo.accounts.policy import (
    digest,
    otp_required_for,
    password_stamp,
    stamp_matches,
    token_lifetime,
)
from landinfo.models import ApiToken

KEYWORD = "Token"
# A recognisable prefix lets secret scanners (and people) tell a leaked key for what it is.
_KEY_PREFIX = "li_"
SESSION_REF = "landinfo_token_session"
_LAST_USED_EVERY = dt.timedelta(minutes=1)  # at most one write per token and minute


class TokenRefused(Exception):
    """A token that may not be made now; says why."""

    status = 403


def session_ref(session: SessionBase) -> str:
    """Return the random id of this sign-in's session, which its tokens die with.

    Kept in the session's data, so that it survives a rotated key and goes with a flush.
    """
    ref = session.get(SESSION_REF)
    if not ref:
        ref = session[SESSION_REF] = secrets.token_hex(16)
    return str(ref)


def session_for_script(user: Any) -> SessionBase:
    """Return a new saved session signed in as `user`, for a token made by code (the bench).

    Such a token lives as long as this session, which nobody can sign out of: it expires.
    """
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session_ref(session)
    session.create()
    return session  # type: ignore[no-any-return]


def issue_token(
    *, user: Any, second_factor: bool, session: SessionBase, label: str = ""
) -> tuple[ApiToken, str]:
    """Make an API token for `user`; return it with its key, which is shown only this once.

    `session` is `user`'s signed-in session asking for it: the token dies with it.
    `second_factor` says that session was verified with one; an account that must use
    one gets no token without it.
    """
    if otp_required_for(user) and not second_factor:
        raise TokenRefused(_("Sign in with the code from your authenticator app first."))
    ref = session_ref(session)
    if session.session_key is None or session.get(SESSION_KEY) != str(user.pk):
        # Only code can get here (the page needs a sign-in); a token without a live
        # session of its owner would be dead at its first use.
        raise ValueError("a token is made from its owner's saved, signed-in session")
    now = timezone.now()
    key = _KEY_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        ApiToken.objects.filter(user=user, expires__lte=now).delete()  # no use to anyone
        token = ApiToken.objects.create(
            user=user,
            key_digest=digest(key),
            prefix=key[: len(_KEY_PREFIX) + 6],
            label=label,
            created=now,
            expires=now + token_lifetime(user),
            password_stamp=password_stamp(user),
            second_factor=second_factor,
            session_ref=ref,
            session_key=session.session_key,
        )
    return token, key


def alive(token: ApiToken, now: dt.datetime | None = None) -> bool:
    """Tell whether `token` still works (the rules are the module's docstring)."""
    now = now or timezone.now()
    user = token.user
    return (
        user.is_active
        and now < min(token.expires, token.created + token_lifetime(user))
        and stamp_matches(user, token.password_stamp)
        and (token.second_factor or not otp_required_for(user))
        and session_lives(token)  # last: the only rule that reads the database
    )


def session_lives(token: ApiToken) -> bool:
    """Tell whether the session that made `token` still exists and is still its owner's.

    One lookup by primary key (in the cache first, with a cached engine). The ref and the
    user are compared as well as the key, so that the key alone, were it ever given to
    another sign-in, would not keep the token alive.
    """
    if not token.session_key:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(token.session_key)
    data = store.load()  # {} for a session deleted or expired
    return bool(token.session_ref) and (
        data.get(SESSION_REF) == token.session_ref and data.get(SESSION_KEY) == str(token.user_id)
    )


def live_tokens(user: Any) -> list[ApiToken]:
    """Return `user`'s tokens that still work, newest first."""
    now = timezone.now()
    candidates = list(ApiToken.objects.filter(user=user, expires__gt=now).order_by("-created"))
    for token in candidates:
        token.user = user  # one user object: its permissions are read once
    return [token for token in candidates if alive(token, now)]


def _dead_for_good(token: ApiToken, now: dt.datetime) -> bool:
    """Tell whether `token` can never work again (unlike a role or a setting, which may)."""
    user = token.user
    return (
        not user.is_active  # deleted, so that reactivating the account does not revive it
        or now >= token.expires
        or not stamp_matches(user, token.password_stamp)
        or not session_lives(token)  # an ended session never comes back
    )


def revoke_tokens(user: Any, ids: list[int] | None = None) -> int:
    """Delete `user`'s tokens (those of `ids` only, when given); return how many."""
    tokens = ApiToken.objects.filter(user=user)
    if ids is not None:
        tokens = tokens.filter(pk__in=ids)
    count, _ = tokens.delete()
    return count


def token_for_key(request: HttpRequest, key: str) -> ApiToken | None:
    """Return the live token whose key is `key`, or None; remembered for the request."""
    cached = getattr(request, "_landinfo_token", None)
    if cached is not None and cached[0] == key:
        return cached[1]  # type: ignore[no-any-return]
    token = ApiToken.objects.select_related("user").filter(key_digest=digest(key)).first()
    now = timezone.now()
    if token is not None and not alive(token, now):
        if _dead_for_good(token, now):
            token.delete()
        token = None
    if token is not None and (token.last_used is None or now - token.last_used > _LAST_USED_EVERY):
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
    request._landinfo_token = (key, token)  # type: ignore[attr-defined]
    return token


def key_from_header(header: str) -> str | None:
    """Return the key of an `Authorization: Token <key>` header; None for another scheme.

    Raises ValueError for a Token header without exactly one key.
    """
    parts = header.split()
    if not parts or parts[0].lower() != KEYWORD.lower():
        return None
    if len(parts) != 2:
        raise ValueError(_("Invalid token header: send `Authorization: Token <key>`."))
    return parts[1]


def request_token(request: HttpRequest) -> ApiToken | None:
    """Return the live token `request` carries, None if it carries none or a bad one."""
    try:
        key = key_from_header(request.META.get("HTTP_AUTHORIZATION", ""))
    except ValueError:
        return None
    return None if key is None else token_for_key(request, key)


class TokenAuthentication(BaseAuthentication):
    """DRF authentication by `Authorization: Token <key>` with the tokens of this module."""

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        try:
            key = key_from_header(request.META.get("HTTP_AUTHORIZATION", ""))
        except ValueError as error:
            raise AuthenticationFailed(str(error)) from error
        if key is None:
            return None
        token = token_for_key(request._request, key)
        if token is None:
            raise AuthenticationFailed(_("Invalid or expired token."))
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD


class TokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """Describe TokenAuthentication in the OpenAPI document as DRF's own token scheme."""

    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return build_bearer_security_scheme_object(  # type: ignore[no-any-return]
            header_name="Authorization", token_prefix=KEYWORD
        )


def revoke_on_logout(sender: Any, request: HttpRequest | None, user: Any, **_: Any) -> None:
    """Delete the tokens made in the session signing out (a `user_logged_out` receiver)."""
    session = getattr(request, "session", None)
    ref = session.get(SESSION_REF) if session is not None else None
    if ref:
        ApiToken.objects.filter(session_ref=ref).delete()


def revoke_on_deactivation(sender: Any, instance: Any, **_: Any) -> None:
    """Delete the tokens of an account saved inactive (a `pre_save` receiver of the user).

    `alive` already refuses them; deleting them keeps a reactivated account from
    finding its old tokens working again.
    """
    if instance.pk is not None and not instance.is_active:
        ApiToken.objects.filter(user_id=instance.pk).delete()
