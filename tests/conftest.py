"""Shared test set-up: a real PostGIS database (pytest-django), the factories and one user per role."""

import importlib

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Make the test run's own shortcuts, before any connection or password exists.

    Passwords are hashed with MD5 (PBKDF2's million rounds cost 0.25 s each here and
    several times that on a CPU without SHA instructions: 338 hashes were a fifth of
    the suite). Tests that count or time the hasher install their own.

    The test database commits without waiting for its WAL to reach the disk: a test
    run has nothing to lose to a power cut, and pytest-django empties the database
    with a committed TRUNCATE after every test that commits.
    """
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Deeds posted by the tests of the deeds are recorded at once, as a register in the
    # direct mode records them; the tests of applications set "reviewed" themselves.
    settings.LANDINFO["REGISTRATION_MODE"] = "direct"
    # ... and an application may be registered as soon as its alerts are sent; the tests
    # of the objection window set it themselves.
    settings.LANDINFO["OBJECTION_MINUTES"] = 0
    # No witness of the transparency log unless a test serves one (a demo's .env may name
    # its own): a checkpoint is published as soon as it is signed.
    settings.LANDINFO["WITNESSES"] = []
    settings.LANDINFO["WITNESS_QUORUM"] = -1
    for database in settings.DATABASES.values():
        options = database.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c synchronous_commit=off".strip()


def _role_user(role: str):
    """Return the test's one user in `role`, named "<role>-1" (password factories.PASSWORD)."""
    from tests.factories import user_with_role

    return user_with_role(role, f"{role}-1")


@pytest.fixture
def notary(db):
    return _role_user("notary")


@pytest.fixture
def registrar(db):
    return _role_user("registrar")


@pytest.fixture
def planner(db):
    return _role_user("planner")


@pytest.fixture
def auditor(db):
    return _role_user("auditor")


@pytest.fixture
def profile():
    """Return the jurisdiction profile the test database was made for."""
    from landinfo.profiles import get_profile

    return get_profile()


# The journal's tables refuse TRUNCATE (transactions/migrations/0004_append_only.py),
# and pytest-django empties the test database with TRUNCATE after every test that
# commits (transactional_db, live_server). Only here, in the test database the test
# role owns, the flush lifts the refusal for its own statement and puts it back in the
# same transaction. Production code never does this: `harden_journal` takes ownership
# away from the application's role, which then cannot.
@pytest.fixture(autouse=True, scope="session")
def _flush_past_append_only_triggers():
    from django.db.backends.postgresql.operations import DatabaseOperations

    append_only = [
        *importlib.import_module("transactions.migrations.0004_append_only").APPEND_ONLY,
        *importlib.import_module(
            "transactions.migrations.0006_applications_and_alerts"
        ).APPEND_ONLY,
        importlib.import_module("transactions.migrations.0007_transparency_log").TREE,
    ]

    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):  # type: ignore[no-untyped-def]
        lift = [f"ALTER TABLE {t} DISABLE TRIGGER {t}_no_truncate" for t in append_only]
        restore = [f"ALTER TABLE {t} ENABLE ALWAYS TRIGGER {t}_no_truncate" for t in append_only]
        return original(self, [*lift, *sql_list, *restore])

    DatabaseOperations.execute_sql_flush = execute_sql_flush
    yield
    DatabaseOperations.execute_sql_flush = original


# The public rate limits count on a connection of their own (landinfo.security.CounterCache),
# outside the test's transaction: the counts are wiped after each test that made any (a
# test starts with none), and the connection is closed before the test database is dropped.
@pytest.fixture(autouse=True, scope="session")
def _close_rate_limit_counters(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    yield
    from django.core.cache import caches

    caches["ratelimit"].close_connections()


@pytest.fixture(autouse=True)
def _fresh_rate_limit_counts():  # type: ignore[no-untyped-def]
    yield
    from django.core.cache import caches

    if caches["ratelimit"].used:
        caches["ratelimit"].clear()
