"""Public reads are limited per client IP (429 + Retry-After); staff and tiles are not."""

import threading

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.cache import caches
from django.test import Client

from landinfo.security import CounterCache, client_ip
from tests.factories import api_token_for

pytestmark = pytest.mark.django_db

# Each limited path, its group in LANDINFO["RATE_LIMITS"], and whether a program reads it.
LIMITED = [
    ("/api/parcels/search?q=12", "lookup", True),
    ("/api/parcels/at?lon=105.8&lat=21.0", "lookup", True),
    ("/api/parcels/999999", "lookup", True),
    ("/api/parcels/999999/history", "lookup", True),
    ("/ogc/collections/parcels/items?limit=1", "ogc", True),
    ("/ogc/collections/parcels/items/999999", "ogc", True),
    ("/verify/", "verify", False),
    ("/verify/NOT-A-CODE", "verify", False),
    ("/parcels/999999/certificate.pdf", "certificate", False),
    ("/exports/no-such-layer.geojson", "export", True),
]


@pytest.fixture(autouse=True)
def _fresh_counters():
    """Start each test with no counts (they live outside the test's transaction)."""
    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


@pytest.fixture
def limit(monkeypatch):
    """Return a function that sets one group's rate for the test.

    The tests use hourly rates: counts start again at each window's edge, and an hour's
    window makes a test that straddles one (and so sees no 429) all but impossible.
    """

    def set_rate(group: str, rate: str) -> None:
        monkeypatch.setitem(settings.LANDINFO["RATE_LIMITS"], group, rate)

    return set_rate


@pytest.mark.parametrize(("path", "group", "is_api"), LIMITED)
def test_a_public_read_past_its_limit_is_refused_429_with_retry_after(path, group, is_api, limit):
    limit(group, "2/h")
    client = Client(REMOTE_ADDR="198.51.100.7", HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(2):
        assert client.get(path).status_code != 429
    refused = client.get(path)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 3600
    if is_api:
        assert refused["Content-Type"] == "application/json"
        assert "try again in" in refused.json()["detail"]
    else:
        assert refused["Content-Type"].startswith("text/html")
        assert b"Too many requests" in refused.content
    # Another client is not held back by the first one's count.
    assert Client(REMOTE_ADDR="198.51.100.8").get(path).status_code != 429


def test_the_default_limits_let_a_citizen_click_around(client):
    """Sixty lookups in a row (a busy minute on the map) stay well under the defaults."""
    for n in range(60):
        assert client.get(f"/api/parcels/{n + 1}").status_code == 404


def test_a_forged_x_forwarded_for_does_not_escape_the_limit_without_trusted_proxies(limit):
    limit("lookup", "2/h")
    client = Client(REMOTE_ADDR="198.51.100.9")
    answers = [
        client.get("/api/parcels/1", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(3)
    ]
    assert answers[-1] == 429


def test_behind_our_proxy_the_client_is_the_address_it_appended(limit, monkeypatch, rf):
    monkeypatch.setitem(settings.LANDINFO, "TRUSTED_PROXIES", 1)
    # nginx appends the peer it saw; what the client wrote before it is not believed.
    request = rf.get("/", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5", REMOTE_ADDR="10.0.0.2")
    assert client_ip(request) == "203.0.113.5"
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.2")) == "10.0.0.2"
    assert client_ip(rf.get("/", HTTP_X_FORWARDED_FOR="junk", REMOTE_ADDR="10.0.0.2")) == "10.0.0.2"
    limit("lookup", "2/h")
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    for _ in range(2):
        proxy.get("/api/parcels/1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert proxy.get("/api/parcels/1", HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    # Another citizen behind the same proxy is counted apart.
    assert proxy.get("/api/parcels/1", HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 404


@pytest.mark.parametrize("role", ["notary", "registrar", "planner"])
def test_signed_in_staff_are_not_counted(role, limit):
    limit("lookup", "2/h")
    limit("certificate", "2/h")
    user = User.objects.create_user(f"staff-{role}")
    user.groups.add(Group.objects.get(name=role))
    client = Client(REMOTE_ADDR="198.51.100.10")
    client.force_login(user)
    for _ in range(5):
        assert client.get("/api/parcels/1").status_code == 404
        assert client.get("/parcels/999999/certificate.pdf").status_code == 404


def test_tiles_are_not_limited_by_the_app(limit):
    """A map pan fetches 20-40 tiles, and the web server caches them (see landinfo/security.py)."""
    for group in settings.LANDINFO["RATE_LIMITS"]:
        limit(group, "1/h")
    client = Client(REMOTE_ADDR="198.51.100.11")
    answers = {client.get(f"/tiles/parcels/16/{52000 + n}/28000.mvt").status_code for n in range(5)}
    assert 429 not in answers


@pytest.mark.slow
def test_counts_from_concurrent_workers_are_not_lost():
    """Each worker (here a thread with its own connection) adds to one shared count."""
    cache = caches["ratelimit"]
    cache.add("shared", 0, 60)

    def count() -> None:
        for _ in range(100):
            cache.incr("shared")

    workers = [threading.Thread(target=count) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert cache.get("shared") == 400
    cache.close_connections()


def test_an_expired_count_starts_again():
    cache = caches["ratelimit"]
    assert cache.add("window", 5, 60)
    assert not cache.add("window", 1, 60)
    assert cache.incr("window") == 6
    cache.set("window", 6, -1)  # already expired
    assert cache.get("window") is None
    with pytest.raises(ValueError):
        cache.incr("window")
    assert cache.add("window", 1, 60)
    assert cache.get("window") == 1


def test_staff_software_with_an_api_token_is_not_counted(limit):
    limit("lookup", "2/h")
    user = User.objects.create_user("token-notary")
    user.groups.add(Group.objects.get(name="notary"))
    key = api_token_for(user)
    client = Client(REMOTE_ADDR="198.51.100.12")
    for _ in range(4):
        assert client.get("/api/parcels/1", HTTP_AUTHORIZATION=f"Token {key}").status_code == 404
    # A made-up token is an anonymous client like any other.
    answers = [
        client.get("/api/parcels/1", HTTP_AUTHORIZATION="Token made-up").status_code
        for _ in range(3)
    ]
    assert answers[-1] == 429


# --- how many run at once ---------------------------------------------------------------------


class HeldSlots:
    """Hold a client's places for a group from another session, as its running requests do."""

    def __init__(self) -> None:
        from django.db import connection

        self.raw = connection.get_new_connection(connection.get_connection_params())
        self.raw.autocommit = True

    def hold(self, group: str, ip: str, count: int) -> None:

        with self.raw.cursor() as cursor:
            for slot in range(count):
                cursor.execute(
                    "SELECT pg_advisory_lock(%s, hashtext(%s || ':' || %s))",
                    [CounterCache._SLOT_NAMESPACE, f"{group}:{ip}", slot],
                )

    def release(self) -> None:
        with self.raw.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock_all()")

    def close(self) -> None:
        self.raw.close()


@pytest.fixture
def held():
    slots = HeldSlots()
    yield slots
    slots.close()


@pytest.mark.parametrize(("path", "group", "is_api"), LIMITED)
def test_a_client_running_its_share_at_once_is_refused_and_others_are_served(
    path, group, is_api, held
):
    ip, other = "198.51.100.23", "198.51.100.24"
    busy = Client(REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en")
    slots = settings.LANDINFO["CONCURRENCY_LIMITS"][group]
    assert slots > 0
    held.hold(group, ip, slots)  # its requests still running
    refused = busy.get(path)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "1"
    if is_api:
        assert "at once" in refused.json()["detail"]
    assert Client(REMOTE_ADDR=other).get(path).status_code != 429
    held.release()  # they finished
    assert busy.get(path).status_code != 429


def test_a_request_that_fails_gives_its_place_back(monkeypatch, settings):
    from landinfo import sql

    monkeypatch.setitem(settings.LANDINFO["CONCURRENCY_LIMITS"], "lookup", 1)

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(sql, "fetch_prepared", broken)  # imported by name nowhere
    client = Client(REMOTE_ADDR="198.51.100.25", raise_request_exception=False)
    for _ in range(3):
        assert client.get("/api/parcels/1").status_code == 500
    monkeypatch.undo()
    assert client.get("/api/parcels/1").status_code == 404


def test_signed_in_staff_are_not_capped(held, django_user_model):
    user = django_user_model.objects.create_user("planner-cap", password="x" * 12)
    client = Client(REMOTE_ADDR="198.51.100.26")
    client.force_login(user)
    held.hold("ogc", "198.51.100.26", settings.LANDINFO["CONCURRENCY_LIMITS"]["ogc"])
    assert client.get("/ogc/collections/parcels/items?limit=1").status_code == 200


def test_unreachable_counters_serve_the_public_rather_than_fail(monkeypatch):
    import psycopg2

    def unreachable(self, sql, params):
        raise psycopg2.OperationalError('FATAL: too many connections for role "landinfo"')

    with monkeypatch.context() as patched:
        patched.setattr(CounterCache, "_execute", unreachable)
        answer = Client(REMOTE_ADDR="198.51.100.27").get("/api/parcels/999999")
    assert answer.status_code == 404  # looked up, uncounted
