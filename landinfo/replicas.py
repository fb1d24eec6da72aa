"""Which database a read goes to: a healthy streaming replica, or the primary.

Public reads (the map, parcel search and lookups, tiles, OGC API, exports, certificate
verification) are most of the load and tolerate a replica a few seconds behind; the
register's write path, and whoever just wrote, must see the primary. The decision is
made once per request by `ReplicaReadsMiddleware` and kept in a context variable that
the router (landinfo/db_router.py) reads for every query. Outside a request
(management commands, services, the shell) reads stay on the primary unless a block
asks for replicas with `replica_reads()` (the export worker does).

Health is measured per process at most once per LANDINFO["REPLICA_CHECK_INTERVAL"]: one
query on the primary, one on each replica, so a request costs nothing in the common
case. Lag is the age of the primary's WAL position the replica has replayed up to,
not `now() - pg_last_xact_replay_timestamp()`: that grows on a replica of an idle
primary which is in fact fully caught up.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, Error, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

# Views whose reads may be served by a replica, by URL name: the public, anonymous reads.
# A view not listed reads the primary (notary forms, holders, the ledger, accounts,
# admin, planner pages): a new view is on the safe side until someone decides otherwise.
REPLICA_VIEWS = frozenset(
    {
        "parcels:home",
        "parcels:search",
        "transactions:at-point",
        "transactions:detail",
        "transactions:history",
        "parcels:tile",
        "parcels:export",
        "ogc:landing",
        "ogc:api",
        "ogc:conformance",
        "ogc:collections",
        "ogc:collection",
        "ogc:queryables",
        "ogc:items",
        "ogc:item",
        "verify",
        "verify-form",
    }
)
# Apps whose tables a replica may serve: the register's data. Accounts, sessions, tokens
# and lockouts are read on the primary, so that a revoked token or a lockout holds at once.
REPLICA_APPS = frozenset({"parcels", "transactions"})

PIN_COOKIE = "landinfo_primary"
_PIN_SALT = "landinfo.replicas.pin"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def replica_aliases() -> list[str]:
    """Return the aliases of the configured replicas (none: everything reads `default`)."""
    aliases: list[str] = settings.LANDINFO.get("READ_REPLICAS", [])
    return aliases


# --- the per-request decision --------------------------------------------------------------


@dataclass
class ReadPolicy:
    """Where the reads of one request (or one `replica_reads()` block) go."""

    replica_allowed: bool = False
    alias: str | None = None  # the replica chosen at the first read; kept for the request
    retried: bool = False


_policy: ContextVar[ReadPolicy | None] = ContextVar("landinfo_read_policy", default=None)


def read_alias() -> str:
    """Return the alias the current context reads from: its replica, or `default`.

    The replica is chosen at the first read and kept, so that the queries of one request
    see one replica's state rather than a mix.
    """
    policy = _policy.get()
    if policy is None or not policy.replica_allowed:
        return DEFAULT_DB_ALIAS
    if policy.alias is None:
        policy.alias = choose_replica() or DEFAULT_DB_ALIAS
    return policy.alias


@contextmanager
def replica_reads() -> Iterator[ReadPolicy]:
    """Send the reads of the block to a healthy replica (the primary when none is)."""
    policy = ReadPolicy(replica_allowed=True)
    token = _policy.set(policy)
    try:
        yield policy
    finally:
        _policy.reset(token)


def pinned(request: HttpRequest) -> bool:
    """Return whether `request` comes from a browser that wrote within the pin window."""
    return (
        request.get_signed_cookie(PIN_COOKIE, default=None, salt=_PIN_SALT, max_age=_pin_seconds())
        is not None
    )


def _pin_seconds() -> int:
    seconds: int = settings.LANDINFO["REPLICA_PIN_SECONDS"]
    return seconds


class ReplicaReadsMiddleware:
    """Send a request's reads to a replica when it is a public read and may be stale.

    A request reads the primary when it is unsafe (its reads belong to its write), when
    it carries an Authorization header (API clients of notaries and registrars rarely
    keep cookies, and are few), when its browser wrote within the pin window (a signed
    cookie, valid in every worker: the notary sees the deed they just recorded), or when
    its view is not in REPLICA_VIEWS. A successful unsafe request sets the pin, whoever
    made it: deciding by user would load the session on every tile.

    A replica that fails during the view (it went down after its health check) is
    marked down and the view runs again on the primary: safe requests only, once.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not replica_aliases():
            return self.get_response(request)
        token = _policy.set(ReadPolicy())
        try:
            response = self.get_response(request)
        finally:
            _policy.reset(token)
        if request.method not in _SAFE_METHODS and response.status_code < 400:
            response.set_signed_cookie(
                PIN_COOKIE,
                "1",
                salt=_PIN_SALT,
                max_age=_pin_seconds(),
                secure=request.is_secure(),
                httponly=True,
                samesite="Lax",
            )
        return response

    def process_view(
        self, request: HttpRequest, view: Callable[..., HttpResponse], args: object, kwargs: object
    ) -> None:
        policy = _policy.get()
        if policy is None:
            return
        match = request.resolver_match
        policy.replica_allowed = (
            request.method in _SAFE_METHODS
            and match is not None
            and match.view_name in REPLICA_VIEWS
            and "HTTP_AUTHORIZATION" not in request.META
            and not pinned(request)
        )

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        policy = _policy.get()
        if (
            policy is None
            or policy.retried
            or policy.alias is None
            or policy.alias == DEFAULT_DB_ALIAS
            or not isinstance(exception, (OperationalError, InterfaceError))
            or request.resolver_match is None
        ):
            return None
        mark_down(policy.alias, f"a query failed: {str(exception).strip() or type(exception)}")
        policy.replica_allowed = False
        policy.alias = None
        policy.retried = True
        match = request.resolver_match
        response: HttpResponse = match.func(request, *match.args, **match.kwargs)
        return response


# --- health ------------------------------------------------------------------------------


@dataclass
class Health:
    """What this process last measured of one replica."""

    healthy: bool = False
    reason: str = "not checked yet"
    lag: float | None = None  # seconds; None when unknown (down, or not yet measurable)
    checked_at: float = -float("inf")  # time.monotonic()


@dataclass
class _State:
    health: dict[str, Health] = field(default_factory=dict)
    # (monotonic time, WAL position) of the primary, oldest first: a replica that has
    # replayed up to position P is as fresh as the primary was when it was at P.
    primary_positions: deque[tuple[float, int]] = field(default_factory=deque)
    lock: threading.Lock = field(default_factory=threading.Lock)


_state = _State()


def health(alias: str) -> Health:
    """Return the last measured health of replica `alias` (for tests and diagnostics)."""
    return _state.health.get(alias, Health())


def reset_health() -> None:
    """Forget every measurement, so that the next read measures again."""
    with _state.lock:
        _state.health.clear()
        _state.primary_positions.clear()


def choose_replica() -> str | None:
    """Return a healthy replica's alias, measuring those not measured for an interval."""
    interval: float = settings.LANDINFO["REPLICA_CHECK_INTERVAL"]
    now = time.monotonic()
    aliases = replica_aliases()
    if any(now - health(alias).checked_at >= interval for alias in aliases):
        with _state.lock:
            stale = [a for a in aliases if time.monotonic() - health(a).checked_at >= interval]
            if stale:
                _check(stale)
    healthy = [alias for alias in aliases if health(alias).healthy]
    return random.choice(healthy) if healthy else None  # spreads load; not a secret


def mark_down(alias: str, reason: str) -> None:
    """Skip replica `alias` until its next health check."""
    _close(alias)
    with _state.lock:
        _record(alias, Health(healthy=False, reason=reason, checked_at=time.monotonic()))


def _check(aliases: list[str]) -> None:
    try:
        primary = _primary_position()
    except Error as error:
        # Without the primary's position no lag can be measured; the reads will fail
        # on the primary anyway, with the error the request would have had without replicas.
        for alias in aliases:
            _record(
                alias,
                Health(reason=f"primary unreachable: {error}".strip(), checked_at=time.monotonic()),
            )
        return
    for alias in aliases:
        _record(alias, _measure(alias, primary))


def _primary_position() -> int:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")
        (position,) = cursor.fetchone()
    now = time.monotonic()
    positions = _state.primary_positions
    positions.append((now, int(position)))
    # Keep what lag measurements need, and one older position to measure against.
    horizon = (
        now - settings.LANDINFO["REPLICA_MAX_LAG"] - 2 * settings.LANDINFO["REPLICA_CHECK_INTERVAL"]
    )
    while len(positions) > 2 and positions[1][0] < horizon:
        positions.popleft()
    return int(position)


def _measure(alias: str, primary: int) -> Health:
    now = time.monotonic()
    # Twice: a kept connection may be one the replica dropped when it restarted. `Error`,
    # not DatabaseError: a closed connection raises InterfaceError.
    for attempt in (1, 2):
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute(
                    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() - '0/0'::pg_lsn"
                )
                recovering, replayed = cursor.fetchone()
            break
        except Error as error:
            _close(alias)
            if attempt == 2:
                return Health(reason=f"unreachable: {str(error).strip()}", checked_at=now)
    if not recovering or replayed is None:
        # Promoted, or pointed at a primary by mistake: its data may have diverged.
        return Health(reason="not a standby (pg_is_in_recovery() is false)", checked_at=now)
    lag = _lag(int(replayed), primary, now)
    limit = settings.LANDINFO["REPLICA_MAX_LAG"]
    if lag is None:
        return Health(reason="behind the primary, lag not yet measurable", checked_at=now)
    if lag > limit:
        return Health(
            reason=f"lagging {lag:.1f} s behind the primary (limit {limit:g} s)",
            lag=lag,
            checked_at=now,
        )
    return Health(healthy=True, reason="healthy", lag=lag, checked_at=now)


def _lag(replayed: int, primary: int, now: float) -> float | None:
    """Return how many seconds ago the primary was at the replica's replayed position."""
    if replayed >= primary:
        return 0.0
    # The newest time the primary's position was at or before what the replica has.
    fresh = [at for at, position in _state.primary_positions if position <= replayed]
    if fresh:
        return now - max(fresh)
    oldest = _state.primary_positions[0][0] if _state.primary_positions else now
    if now - oldest > settings.LANDINFO["REPLICA_MAX_LAG"]:
        return now - oldest  # at least this much: enough to skip it
    return None


def _record(alias: str, new: Health) -> None:
    old = _state.health.get(alias)
    _state.health[alias] = new
    # Once per change of state (and of the kind of reason), not once per check.
    if old is not None and old.healthy == new.healthy and _kind(old) == _kind(new):
        return
    if new.healthy:
        if old is not None:
            logger.warning("Read replica %s is healthy again; reads go to it.", alias)
    else:
        logger.warning("Read replica %s skipped, reads go to the primary: %s", alias, new.reason)


def _kind(health: Health) -> str:
    return health.reason.split(" ", 1)[0]


def _close(alias: str) -> None:
    # Closing a connection the server already dropped: nothing left to release.
    with suppress(Error):
        connections[alias].close()
