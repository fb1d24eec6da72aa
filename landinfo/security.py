"""Request protection: the client's address, public rate limits, lockout and 429 answers.

The public reads (search, lookups, OGC items, certificate checks and PDFs, exports)
cost the database real work per request, and anyone may send them: a per-client-IP
limit keeps one scraper from starving the citizens. The counters live in PostgreSQL
(`CounterCache`), so every gunicorn worker shares them with no new service.

The client's address is the peer's, unless LANDINFO["TRUSTED_PROXIES"] says that many
proxies of ours append to X-Forwarded-For: only the entries they wrote are believed,
since a client writes whatever it likes in the header it sends.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import math
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

logger = logging.getLogger(__name__)

# Paths whose clients are programs (JSON, GeoJSON, files): they get JSON refusals.
_MACHINE_PREFIXES = ("/api/", "/ogc/", "/exports/", "/tiles/")


def client_ip(request: HttpRequest) -> str:
    """Return the client's IP address, believing only our own proxies' X-Forwarded-For."""
    return client_ip_of(request.META)


def client_ip_of(meta: Mapping[str, Any]) -> str:
    """Return the client's IP address from a request's META (or WSGI environ)."""
    peer = meta.get("REMOTE_ADDR", "") or "0.0.0.0"  # noqa: S104 (a key, not a bind)
    trusted = settings.LANDINFO["TRUSTED_PROXIES"]
    if trusted <= 0:
        return peer
    forwarded = [a.strip() for a in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [a for a in forwarded if a]
    if not forwarded:
        return peer
    # Each of our proxies appends the address it received from: the client's is the
    # trusted-th from the right; anything further left was written by the client.
    candidate = forwarded[-trusted] if len(forwarded) >= trusted else forwarded[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return peer


def _ratelimit_key(group: str, request: HttpRequest) -> str:
    return client_ip(request)


def wants_json(request: HttpRequest) -> bool:
    """Tell whether `request` comes from a program (API path or a JSON Accept header)."""
    return request.path.startswith(_MACHINE_PREFIXES) or "application/json" in request.META.get(
        "HTTP_ACCEPT", ""
    )


# Seconds the server reads nothing more from a connection whose request it refused 429
# (at most its Retry-After): a client that ignores Retry-After and asks again at once
# waits anyway, without a thread waiting for it (landinfo/gunicorn_worker.py holds the
# connection; other servers, such as the tests' live server, ignore the request).
HOLD_SECONDS = 1.0
_hold = threading.local()


def hold_connection(seconds: float = HOLD_SECONDS) -> None:
    """Ask the server to read nothing more from this request's connection for `seconds`."""
    _hold.until = time.monotonic() + seconds


def take_connection_hold() -> float | None:
    """Return (and forget) until when this thread's request asked its connection held."""
    until = getattr(_hold, "until", None)
    _hold.until = None
    return until


def too_many_requests(request: HttpRequest, retry_after: int) -> HttpResponse:
    """Return the 429 answer: `{"detail": ...}` for programs, a short page for people."""
    retry_after = max(1, retry_after)
    detail = _("Too many requests from your address; try again in %(seconds)d seconds.") % {
        "seconds": retry_after
    }
    response = refusal(request, _("Too many requests"), detail, retry_after)
    response["Cache-Control"] = "no-store"
    hold_connection(min(retry_after, HOLD_SECONDS))
    return response


def refusal(request: HttpRequest, title: str, detail: str, retry_after: int) -> HttpResponse:
    """Return a 429 saying `detail` and when to retry: JSON for programs, a page for people."""
    response: HttpResponse
    if wants_json(request):
        response = JsonResponse({"detail": detail}, status=429)
    else:
        response = render(request, "refused.html", {"title": title, "detail": detail}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def _signed_in(request: HttpRequest) -> bool:
    """Tell whether a user signed in (session) or sent a live API token (their software).

    `request.user` is anonymous for a session that still owes its second factor
    (landinfo.accounts.signin), and a token counts only if the deed API would take it.
    """
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return True
    from landinfo.accounts.tokens import request_token  # needs the app registry

    return request_token(request) is not None


def too_many_at_once(request: HttpRequest) -> HttpResponse:
    """Return the 429 for a client already running as many requests as it may at once."""
    detail = _(
        "Your address already has as many of these requests running as it may at once; "
        "wait for them to finish, then ask again."
    )
    response = refusal(request, _("Too many requests"), detail, int(HOLD_SECONDS))
    response["Cache-Control"] = "no-store"
    hold_connection()
    return response


def rate_limited(group: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Limit a public view per client IP: its rate and how many run at once.

    LANDINFO["RATE_LIMITS"][group] counts requests per period ("" for none);
    LANDINFO["CONCURRENCY_LIMITS"][group] is how many of the group's requests one
    client may have running at the same moment, across every worker process. The rate
    alone let one client with 30 connections take every worker with expensive pages
    while its count was still low, and a citizen's one-click lookup waited 20 s: now
    the 31st request of a flood is refused at once and the workers stay free.

    Signed-in users and API tokens (notaries, registrars, planners, auditors: the
    public never signs in) are not counted: their work must not wait on a limit meant
    for scrapers.
    Applied outermost, on the Django view, so that DRF's anonymous request.user of the
    public API does not hide a session.
    """

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if _signed_in(request):
                return view(request, *args, **kwargs)
            # The places first: a flood's surplus is refused with one statement, and is
            # not counted against the client's rate.
            slots = settings.LANDINFO["CONCURRENCY_LIMITS"].get(group, 0)
            counters: CounterCache = caches[settings.RATELIMIT_USE_CACHE]  # type: ignore[assignment]
            key = f"{group}:{client_ip(request)}"
            slot = counters.take_slot(key, slots) if slots > 0 else UNLIMITED
            if slot is None:
                return too_many_at_once(request)
            try:
                return _counted(request, group, view, *args, **kwargs)
            finally:
                counters.give_back_slot(key, slot)

        return wrapped

    return decorator


def _counted(
    request: HttpRequest, group: str, view: Callable[..., Any], *args: Any, **kwargs: Any
) -> Any:
    """Count the request against its client's rate for `group`; run `view` if within it."""
    rate = settings.LANDINFO["RATE_LIMITS"].get(group, "")
    if rate:
        try:
            usage = get_usage(
                request, group=f"landinfo.{group}", key=_ratelimit_key, rate=rate, increment=True
            )
        except CounterCache._driver_errors():
            # The counters are unreachable (the database is out of connections or
            # restarting): serve the public rather than fail everyone.
            if not getattr(settings, "RATELIMIT_FAIL_OPEN", False):
                raise
            logger.warning("Rate-limit counters unreachable; %s served uncounted", group)
            usage = None
        if usage is not None and usage["should_limit"]:
            return too_many_requests(request, usage["time_left"])
    return view(request, *args, **kwargs)


class _Unlimited:
    """The place given when the counters cannot be reached (fail open)."""


UNLIMITED = _Unlimited()


class CounterCache(BaseCache):
    """The counters of django-ratelimit, in an UNLOGGED PostgreSQL table.

    Shared by every worker process, with no new service. Each `add` and `incr` is one
    atomic statement (Django's DatabaseCache reads then writes, and would lose counts
    between workers: django-ratelimit's check E003 refuses it for that). The statements
    run on a connection of their own, in autocommit: a count is never held back or
    rolled back with the request's own transaction, and a lookup's queries stay the
    lookup's. Integer values only: it holds counters, nothing else.
    """

    _cull_every = 1000  # adds between deletions of expired counters, per process

    def __init__(self, table: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        self._table = table
        self._local = threading.local()
        self._adds = 0
        self._opened: weakref.WeakSet[Any] = weakref.WeakSet()

    def _execute(self, sql: str, params: list[Any]) -> tuple[Any, ...] | None:
        """Run one statement on this thread's counter connection; return its first row."""
        primary = connections[DEFAULT_DB_ALIAS]
        raw = getattr(self._local, "connection", None)
        try:
            if raw is None or raw.closed:
                raw = primary.get_new_connection(primary.get_connection_params())
                raw.autocommit = True
                self._local.connection = raw
                self._opened.add(raw)
            with raw.cursor() as cursor:
                cursor.execute(sql.replace("{table}", self._table), params)
                return cursor.fetchone() if cursor.description else None
        except primary.Database.Error:  # type: ignore[attr-defined]  # the driver's errors
            # A dropped connection is opened again by the next request.
            self._local.connection = None
            raise

    @staticmethod
    def _driver_errors() -> type[Exception]:
        """Return the database driver's base error, which `_execute` lets through."""
        return connections[DEFAULT_DB_ALIAS].Database.Error  # type: ignore[attr-defined,no-any-return]

    def _expires(self, timeout: Any) -> float:
        expiry = self.get_backend_timeout(timeout)
        return float("inf") if expiry is None else float(expiry)

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        key = self.make_and_validate_key(key, version=version)
        self._adds += 1
        if self._adds % self._cull_every == 0:
            self._execute("DELETE FROM {table} WHERE expires < now()", [])
        row = self._execute(
            "INSERT INTO {table} AS c (key, count, expires) VALUES (%s, %s, to_timestamp(%s)) "
            "ON CONFLICT (key) DO UPDATE SET count = EXCLUDED.count, expires = EXCLUDED.expires "
            "WHERE c.expires < now() RETURNING 1",
            [key, int(value), self._expires(timeout)],
        )
        return row is not None

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        key = self.make_and_validate_key(key, version=version)
        row = self._execute(
            "UPDATE {table} SET count = count + %s WHERE key = %s AND expires >= now() "
            "RETURNING count",
            [delta, key],
        )
        if row is None:
            raise ValueError(f"Key {key!r} not found.")
        return int(row[0])

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        key = self.make_and_validate_key(key, version=version)
        row = self._execute("SELECT count FROM {table} WHERE key = %s AND expires >= now()", [key])
        return default if row is None else int(row[0])

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        key = self.make_and_validate_key(key, version=version)
        self._execute(
            "INSERT INTO {table} (key, count, expires) VALUES (%s, %s, to_timestamp(%s)) "
            "ON CONFLICT (key) DO UPDATE SET count = EXCLUDED.count, expires = EXCLUDED.expires",
            [key, int(value), self._expires(timeout)],
        )

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        row = self._execute(
            "UPDATE {table} SET expires = to_timestamp(%s) WHERE key = %s AND expires >= now() "
            "RETURNING 1",
            [self._expires(timeout), key],
        )
        return row is not None

    def delete(self, key: Any, version: Any = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        return self._execute("DELETE FROM {table} WHERE key = %s RETURNING 1", [key]) is not None

    def clear(self) -> None:
        self._execute("DELETE FROM {table}", [])

    # One of `slots` places for `key`, held while a request runs: a session-level
    # advisory lock on this thread's own connection, so every worker process sees it and
    # a worker that dies (its connection closes) gives its places back by itself.
    _SLOT_NAMESPACE = 0x4C49  # "LI": the first key of the two-int advisory locks

    def take_slot(self, key: str, slots: int) -> int | _Unlimited | None:
        """Take a free one of `slots` places for `key`; None when all are taken.

        When the counters cannot be reached the request is served (RATELIMIT_FAIL_OPEN):
        the answer is then a place that needs no giving back.
        """
        try:
            row = self._execute(
                "SELECT s FROM generate_series(0, %s - 1) AS s "
                "WHERE pg_try_advisory_lock(%s, hashtext(%s || ':' || s)) LIMIT 1",
                [slots, self._SLOT_NAMESPACE, key],
            )
        except self._driver_errors():
            if getattr(settings, "RATELIMIT_FAIL_OPEN", False):
                return UNLIMITED
            raise
        return None if row is None else int(row[0])

    def give_back_slot(self, key: str, slot: int | _Unlimited) -> None:
        """Give back a place `take_slot` gave."""
        if slot is UNLIMITED:
            return
        try:
            self._execute(
                "SELECT pg_advisory_unlock(%s, hashtext(%s || ':' || %s))",
                [self._SLOT_NAMESPACE, key, slot],
            )
        except self._driver_errors():
            # The connection is gone, and with it the lock.
            self._local.connection = None

    def close(self, **kwargs: Any) -> None:
        """Keep the counter connection across requests (Django closes caches after each)."""

    @property
    def used(self) -> bool:
        """Tell whether this process ever opened a counter connection."""
        return bool(self._opened)

    def close_connections(self) -> None:
        """Close the counter connections of every thread (before dropping a test database)."""
        for raw in list(self._opened):
            raw.close()
        self._local = threading.local()


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any
) -> HttpResponse:
    """Return django-axes' answer to a locked-out sign-in: 429, and when to retry."""
    cool_off = settings.AXES_COOLOFF_TIME  # hours, a float (landinfo/settings.py)
    minutes = max(1, math.ceil(cool_off * 60))
    detail = _(
        "Too many failed sign-ins for this account from your address. Try again in "
        "%(minutes)d minutes, or ask a registrar to lift the lock."
    ) % {"minutes": minutes}
    return refusal(request, _("Sign-in locked"), detail, minutes * 60)


class PermissionsPolicyMiddleware:
    """Add the Permissions-Policy header (settings.PERMISSIONS_POLICY) to every answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "PERMISSIONS_POLICY", "")
        if policy:
            response.headers.setdefault("Permissions-Policy", policy)
        return response
