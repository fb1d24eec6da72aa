"""Reads on a real streaming replica: routing, read-your-writes, lag and a replica going down.

A throwaway primary (port 5441) and a `pg_basebackup -R` standby (port 5442) are made
for this module, as the `postgres` OS user, in a temporary folder; the project cluster
is never touched. Django cannot switch its `default` database inside the pytest process,
so a driver (`drive()`, below) runs in a subprocess with DATABASE_URL and
LANDINFO_REPLICA_URLS pointing at them: it migrates, makes a few parcels, and sends
requests through django.test.Client (the real middleware and router), counting the
register's queries on each connection. It reports what it saw as JSON; the tests here
judge it. Both clusters are removed at the end, also when something fails.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS

from landinfo import replicas
from landinfo.db_router import ReplicaRouter

ROOT = Path(__file__).resolve().parents[2]
PGBIN = Path("/usr/lib/postgresql/15/bin")
PRIMARY_PORT, STANDBY_PORT = 5441, 5442
PASSWORD = "replica-test"  # a throwaway cluster on 127.0.0.1
EXTENSIONS = ("postgis", "pg_trgm", "unaccent", "btree_gist")
# Seconds, for the driver: short, so that lag and recovery show within the test's time.
MAX_LAG, CHECK_INTERVAL, PIN_SECONDS = 1.0, 0.3, 5


def _url(port: int) -> str:
    return f"postgis://landinfo:{PASSWORD}@127.0.0.1:{port}/landinfo"


# --- without replicas: exactly as before ---------------------------------------------------


def test_without_replicas_the_router_leaves_every_read_and_write_to_default(settings):
    from parcels.models import Parcel

    settings.LANDINFO = {**settings.LANDINFO, "READ_REPLICAS": []}
    router = ReplicaRouter()
    with replicas.replica_reads():
        assert router.db_for_read(Parcel) is None
    assert router.db_for_write(Parcel) is None
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "parcels") is None


def test_replicas_are_never_migrated_and_relations_between_aliases_are_allowed(settings):
    from parcels.models import Parcel

    settings.LANDINFO = {**settings.LANDINFO, "READ_REPLICAS": ["replica_1"]}
    router = ReplicaRouter()
    assert router.allow_migrate("replica_1", "parcels") is False
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "parcels") is None
    assert router.allow_relation(Parcel(), Parcel()) is True
    assert router.db_for_write(Parcel) == DEFAULT_DB_ALIAS
    # Outside a request or a replica_reads() block (commands, services): the primary.
    assert router.db_for_read(Parcel) == DEFAULT_DB_ALIAS


@pytest.mark.django_db
def test_reads_inside_a_write_stay_on_the_primary_even_where_replicas_are_allowed(settings):
    from django.db import transaction

    from parcels.models import Parcel

    settings.LANDINFO = {**settings.LANDINFO, "READ_REPLICAS": ["replica_1"]}
    with replicas.replica_reads(), transaction.atomic():
        # A replica here would be asked for its health (and fail: none is configured).
        assert ReplicaRouter().db_for_read(Parcel) == DEFAULT_DB_ALIAS


def _settings_of(**environment: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps({k: {'OPTIONS': v.get('OPTIONS'), 'TEST': v.get('TEST'), "
        "'PORT': v.get('PORT'), 'ENGINE': v['ENGINE'], 'CONN_MAX_AGE': v['CONN_MAX_AGE']} "
        "for k, v in settings.DATABASES.items()}))"
    )
    return subprocess.run(  # noqa: S603  (our interpreter and arguments)
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "landinfo.settings", **environment},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_replica_urls_become_aliases_that_tests_mirror_to_default():
    done = _settings_of(LANDINFO_REPLICA_URLS=f"{_url(5442)},{_url(5443)}")
    assert done.returncode == 0, done.stderr
    databases = json.loads(done.stdout)
    assert set(databases) == {"default", "replica_1", "replica_2"}
    for alias, port in (("replica_1", 5442), ("replica_2", 5443)):
        assert databases[alias]["PORT"] == port
        assert databases[alias]["TEST"] == {"MIRROR": "default"}
        assert databases[alias]["ENGINE"] == databases["default"]["ENGINE"]
        assert databases[alias]["CONN_MAX_AGE"] == databases["default"]["CONN_MAX_AGE"]
        assert databases[alias]["OPTIONS"]["connect_timeout"] == 2


def test_a_pin_shorter_than_lag_plus_check_interval_is_refused_at_start():
    done = _settings_of(
        LANDINFO_REPLICA_URLS=_url(5442),
        LANDINFO_REPLICA_MAX_LAG="10",
        LANDINFO_REPLICA_CHECK_INTERVAL="5",
        LANDINFO_REPLICA_PIN_SECONDS="12",
    )
    assert done.returncode != 0
    assert "LANDINFO_REPLICA_PIN_SECONDS must be at least" in done.stderr


# --- the real replica ----------------------------------------------------------------------


def _as_postgres(*command: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  (PostgreSQL's tools, arguments built here)
        ["/usr/sbin/runuser", "-u", "postgres", "--", *map(str, command)],
        capture_output=True,
        text=True,
        timeout=60,
        check=check,
    )


def _psql(port: int, sql: str, database: str = "postgres") -> str:
    done = _as_postgres(
        PGBIN / "psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
        "-d", database, "-qAtX", "-v", "ON_ERROR_STOP=1", "-c", sql,
    )  # fmt: skip
    return done.stdout.strip()


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _start(data: Path, port: int, socket_dir: Path) -> None:
    options = (
        f"-p {port} -c listen_addresses=127.0.0.1 -k {socket_dir} -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c shared_buffers=32MB"
    )
    _as_postgres(PGBIN / "pg_ctl", "-D", data, "-o", options, "-l", data / "log", "-w", "start")


def _stop(data: Path) -> None:
    if (data / "postmaster.pid").exists():
        _as_postgres(PGBIN / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop", check=False)


@pytest.fixture(scope="module")
def clusters() -> Iterator[dict[str, Any]]:
    """Start a primary on 5441 and its streaming standby on 5442; remove both afterwards."""
    for port in (PRIMARY_PORT, STANDBY_PORT):
        if _port_open(port):
            pytest.fail(f"port {port} is taken: a cluster of an earlier run may still be up")
    folder = Path(tempfile.mkdtemp(prefix="landinfo-replicas-"))
    primary, standby = folder / "primary", folder / "standby"
    try:
        shutil.chown(folder, "postgres", "postgres")
        # trust on 127.0.0.1 (replication included, initdb's default lines): a throwaway
        # cluster that listens on the loopback only.
        _as_postgres(
            PGBIN / "initdb", "-D", primary, "-U", "postgres", "--auth=trust", "-E", "UTF8"
        )
        _start(primary, PRIMARY_PORT, folder)
        _psql(PRIMARY_PORT, f"CREATE ROLE landinfo LOGIN CREATEDB PASSWORD '{PASSWORD}'")
        _psql(PRIMARY_PORT, "CREATE DATABASE landinfo OWNER landinfo")
        for extension in EXTENSIONS:
            _psql(PRIMARY_PORT, f"CREATE EXTENSION {extension}", "landinfo")
        _as_postgres(
            PGBIN / "pg_basebackup", "-h", "127.0.0.1", "-p", PRIMARY_PORT, "-U", "postgres",
            "-D", standby, "-R", "-X", "stream", "-c", "fast",
        )  # fmt: skip
        _start(standby, STANDBY_PORT, folder)
        yield {"folder": folder, "primary": primary, "standby": standby}
    finally:
        _stop(standby)
        _stop(primary)
        shutil.rmtree(folder, ignore_errors=True)
        assert not folder.exists()
        for port in (PRIMARY_PORT, STANDBY_PORT):
            assert not _port_open(port), f"port {port} still answers after the clusters stopped"


@pytest.fixture(scope="module")
def observed(clusters: dict[str, Any]) -> dict[str, Any]:
    """Run the driver against the two clusters and return what it saw."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "landinfo.settings",
        "DATABASE_URL": _url(PRIMARY_PORT),
        "LANDINFO_REPLICA_URLS": _url(STANDBY_PORT),
        "LANDINFO_REPLICA_MAX_LAG": str(MAX_LAG),
        "LANDINFO_REPLICA_CHECK_INTERVAL": str(CHECK_INTERVAL),
        "LANDINFO_REPLICA_PIN_SECONDS": str(PIN_SECONDS),
        "LANDINFO_NOTARY_OTP_REQUIRED": "false",
        # The driver records deeds and reads them back at once (on the primary).
        "LANDINFO_REGISTRATION_MODE": "direct",
        "DJANGO_ALLOWED_HOSTS": "testserver",  # django.test.Client's host
        "REPLICA_TEST_STANDBY": str(clusters["standby"]),
    }
    environment.pop("TEST_DATABASE_NAME", None)
    done = subprocess.run(
        [sys.executable, "-c", "from tests.landinfo.test_replicas import drive; drive()"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, f"driver failed:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["log"] = done.stderr
    return result


@pytest.mark.slow
def test_the_standby_is_a_streaming_replica_of_the_primary(observed):
    assert observed["standby_in_recovery"] is True
    assert observed["primary_streams_to"] == ["streaming"]


@pytest.mark.slow
def test_anonymous_public_reads_run_on_the_replica_only(observed):
    assert set(observed["public_reads"]) == {
        "tile", "search", "lookup", "sheet", "history", "ogc", "export",
    }  # fmt: skip
    for name, (status, on_primary, on_replica) in observed["public_reads"].items():
        assert status == 200, name
        assert on_replica > 0 and on_primary == 0, (name, on_primary, on_replica)


@pytest.mark.slow
def test_a_deed_posted_with_a_token_is_recorded_on_the_primary(observed):
    status, on_primary, on_replica = observed["deed"]
    assert status == 201
    assert on_primary > 0 and on_replica == 0


@pytest.mark.slow
def test_the_notary_reads_the_deed_just_recorded_on_the_primary(observed):
    # Read while the replica's replay was paused: only the primary had the deed.
    assert len(observed["notary_reads"]) == 4
    for name, (status, shows_deed, on_primary, on_replica) in observed["notary_reads"].items():
        assert status == 200, name
        assert shows_deed, name
        assert on_primary > 0 and on_replica == 0, (name, on_primary, on_replica)


@pytest.mark.slow
def test_anonymous_reads_fall_back_to_the_primary_while_the_replica_lags(observed):
    for name, (status, shows_deed, on_primary, on_replica) in observed["lagging_reads"].items():
        assert status == 200, name
        assert shows_deed, name
        assert on_primary > 0 and on_replica == 0, (name, on_primary, on_replica)
    assert observed["lagging_health"].startswith("lagging")
    assert len(observed["lagging_warnings"]) == 1
    assert "replica_1 skipped, reads go to the primary: lagging" in observed["lagging_warnings"][0]


@pytest.mark.slow
def test_anonymous_reads_return_to_the_replica_once_it_caught_up(observed):
    for name, (status, shows_deed, on_primary, on_replica) in observed["caught_up_reads"].items():
        assert status == 200, name
        assert shows_deed, name
        assert on_replica > 0 and on_primary == 0, (name, on_primary, on_replica)
    assert observed["caught_up_warnings"] == [
        "Read replica replica_1 is healthy again; reads go to it."
    ]


@pytest.mark.slow
def test_the_map_keeps_answering_when_the_replica_dies_after_its_health_check(observed):
    assert set(observed["died_reads"]) == {"tile", "search", "lookup", "sheet"}
    for name, (status, on_primary) in observed["died_reads"].items():
        assert status in ((200, 204) if name == "tile" else (200,)), name
        assert on_primary > 0, name
        assert observed["died_health"][name].startswith("a query failed"), name


@pytest.mark.slow
def test_the_map_keeps_answering_from_the_primary_while_the_replica_is_down(observed):
    for name, (status, on_primary) in observed["down_reads"].items():
        assert status in ((200, 204) if name == "tile" else (200,)), name
        assert on_primary > 0, name
    assert observed["down_health"].startswith("unreachable")
    # Measured down before each request, but told once.
    assert len(observed["down_warnings"]) == 1
    assert "replica_1 skipped, reads go to the primary: unreachable" in observed["down_warnings"][0]


# --- the driver (runs in a subprocess, with Django pointed at the two clusters) -------------


# The register's tables, or a statement the selectors prepared (parcels/selectors.py).
_REGISTER_SQL = re.compile(r"\b(parcels|transactions)_|^EXECUTE landinfo_")


class _Counted:
    """Count the register's queries on one connection, without connecting it.

    Django's CaptureQueriesContext connects on entry, which fails on a stopped replica,
    and its log is emptied at the start of every request.
    """

    def __init__(self, alias: str) -> None:
        from django.db import connections

        self.connection = connections[alias]
        self.count = 0

    def _wrapper(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if _REGISTER_SQL.search(sql):
            self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self) -> _Counted:
        self.wrapping = self.connection.execute_wrapper(self._wrapper)
        self.wrapping.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wrapping.__exit__(*exc)


class _Warnings:
    """Keep the warnings of landinfo.replicas, to count them phase by phase."""

    def __init__(self) -> None:
        import logging

        self.messages: list[str] = []
        handler = logging.Handler()
        handler.emit = lambda record: self.messages.append(record.getMessage())  # type: ignore[method-assign]
        logging.getLogger("landinfo.replicas").addHandler(handler)

    def since(self, mark: int) -> list[str]:
        return self.messages[mark:]


def drive() -> None:
    """Migrate, make data, make requests; print what ran where as one JSON line."""
    import django

    django.setup()

    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.contrib.gis.geos import Point
    from django.core.management import call_command

    from landinfo.srid import WGS84
    from tests.factories import ParcelFactory, api_token_for

    out: dict[str, Any] = {}
    warnings = _Warnings()
    call_command("migrate", verbosity=0)
    standby = Path(os.environ["REPLICA_TEST_STANDBY"])
    socket_dir = standby.parent

    def on_standby(sql: str) -> str:
        return _psql(STANDBY_PORT, sql, "landinfo")

    out["standby_in_recovery"] = on_standby("SELECT pg_is_in_recovery()") == "t"
    out["primary_streams_to"] = _psql(PRIMARY_PORT, "SELECT state FROM pg_stat_replication").split()

    def caught_up() -> None:
        target = _psql(PRIMARY_PORT, "SELECT pg_current_wal_lsn()")
        deadline = time.monotonic() + 20
        while on_standby(f"SELECT pg_last_wal_replay_lsn() >= '{target}'") != "t":
            assert time.monotonic() < deadline, "the standby did not catch up in 20 s"
            time.sleep(0.05)

    def measured(call: Callable[[], Any]) -> tuple[Any, int, int]:
        """Return call()'s result and how many register queries ran on primary, replica."""
        with _Counted("default") as primary, _Counted("replica_1") as replica:
            result = call()
        return result, primary.count, replica.count

    first = ParcelFactory()
    notary = User.objects.create_user(f"notary-{uuid.uuid4().hex[:6]}", password=PASSWORD)
    notary.groups.add(Group.objects.get(name="notary"))
    token = api_token_for(notary)
    caught_up()

    centre = first.boundary.centroid.transform(WGS84, clone=True)
    assert isinstance(centre, Point)
    public = {
        "tile": _tile_path(centre.x, centre.y, 16),
        "search": f"/api/parcels/search?q={first.identifier}",
        "lookup": f"/api/parcels/at?lon={centre.x}&lat={centre.y}",
        "sheet": f"/api/parcels/{first.pk}",
        "history": f"/api/parcels/{first.pk}/history",
        "ogc": "/ogc/collections/parcels/items?limit=5",
        "export": "/exports/parcels.geojson",
    }
    replicas.reset_health()
    out["public_reads"] = {}
    for name, path in public.items():
        response, on_primary, on_replica = measured(lambda path=path: _client().get(path))
        out["public_reads"][name] = (response.status_code, on_primary, on_replica)

    def deed(client: Any) -> tuple[int, int, int, int]:
        holder = {"kind": "person", "name": "Nguyễn Văn An", "national_id": "001080000001"}
        body = {
            "kind": "first_registration",
            "parcel": first.pk,
            "effective_date": "2020-01-01",
            "expected_last_entry": 0,  # nobody holds it: no deed touched it
            "holders": [{"party": holder, "share": "1/1"}],
        }
        response, on_primary, on_replica = measured(
            lambda: client.post(
                "/api/transactions/",
                data=json.dumps(body),
                content_type="application/json",
                headers={"Idempotency-Key": str(uuid.uuid4()), "Authorization": f"Token {token}"},
            )
        )
        sequence = response.json()["sequence"] if response.status_code == 201 else -1
        return response.status_code, on_primary, on_replica, sequence

    def reads(client: Any, sequence: int, **headers: str) -> dict[str, Any]:
        checks: dict[str, tuple[str, Callable[[Any], bool]]] = {
            "sheet": (public["sheet"], lambda body: body["last_entry"] == sequence),
            "history": (
                public["history"],
                lambda body: sequence in [entry["sequence"] for entry in body["entries"]],
            ),
        }
        seen: dict[str, Any] = {}
        for name, (path, shows) in checks.items():
            response, on_primary, on_replica = measured(
                lambda path=path: client.get(path, headers=headers)
            )
            ok = response.status_code == 200
            seen[name] = (
                response.status_code,
                ok and shows(response.json()),
                on_primary,
                on_replica,
            )
        return seen

    # A deed while the replica's replay is paused: only the primary has it, so the
    # notary's reads show it only if they ran there.
    # Paused caught up: the primary may write (autovacuum, a checkpoint) between the two,
    # which leaves the paused replica behind with no lag to measure yet; then again.
    for _attempt in range(20):
        caught_up()
        on_standby("SELECT pg_wal_replay_pause()")
        replicas.reset_health()
        if replicas.choose_replica() == "replica_1":  # healthy, its position noted
            break
        on_standby("SELECT pg_wal_replay_resume()")
    else:
        raise AssertionError("the paused replica was never seen caught up and healthy")
    notary_client = _client()
    status, on_primary, on_replica, sequence = deed(notary_client)
    out["deed"] = (status, on_primary, on_replica)
    with_token = reads(_client(), sequence, Authorization=f"Token {token}")
    pinned = reads(notary_client, sequence)  # the pin cookie the deed's answer set
    out["notary_reads"] = {
        **{f"token {k}": v for k, v in with_token.items()},
        **{f"pinned {k}": v for k, v in pinned.items()},
    }

    # Once the lag exceeds the limit, anonymous reads go to the primary and are right.
    time.sleep(MAX_LAG + 2 * CHECK_INTERVAL + 0.2)
    mark = len(warnings.messages)
    out["lagging_reads"] = reads(_client(), sequence)
    out["lagging_health"] = replicas.health("replica_1").reason
    out["lagging_warnings"] = warnings.since(mark)

    # Resumed and caught up: anonymous reads return to the replica, and show the deed.
    on_standby("SELECT pg_wal_replay_resume()")
    caught_up()
    time.sleep(CHECK_INTERVAL + 0.1)
    mark = len(warnings.messages)
    out["caught_up_reads"] = reads(_client(), sequence)
    out["caught_up_warnings"] = warnings.since(mark)

    # The replica dies after a health check found it healthy (no check in between): the
    # request's first query fails there, and the view runs again on the primary.
    map_paths = {k: public[k] for k in ("tile", "search", "lookup", "sheet")}
    interval = settings.LANDINFO["REPLICA_CHECK_INTERVAL"]
    settings.LANDINFO["REPLICA_CHECK_INTERVAL"] = 3600.0
    out["died_reads"], out["died_health"] = {}, {}
    for name, path in map_paths.items():
        if not _port_open(STANDBY_PORT):
            _start(standby, STANDBY_PORT, socket_dir)
        caught_up()
        replicas.reset_health()
        assert replicas.choose_replica() == "replica_1", replicas.health("replica_1")
        _as_postgres(PGBIN / "pg_ctl", "-D", standby, "-m", "immediate", "-w", "stop")
        response, on_primary, _ = measured(lambda path=path: _client().get(path))
        out["died_reads"][name] = (response.status_code, on_primary)
        out["died_health"][name] = replicas.health("replica_1").reason

    # Down, and measured so: reads go straight to the primary; one warning, not one a request.
    settings.LANDINFO["REPLICA_CHECK_INTERVAL"] = interval
    replicas.reset_health()
    mark = len(warnings.messages)
    out["down_reads"] = {}
    for name, path in map_paths.items():
        response, on_primary, _ = measured(lambda path=path: _client().get(path))
        out["down_reads"][name] = (response.status_code, on_primary)
        time.sleep(CHECK_INTERVAL)  # measured again before the next request
    out["down_health"] = replicas.health("replica_1").reason
    out["down_warnings"] = warnings.since(mark)
    print(json.dumps(out))


def _client() -> Any:
    """Return a test client that answers a server error as a 500, as a server would."""
    from django.test import Client

    return Client(raise_request_exception=False)


def _tile_path(lon: float, lat: float, z: int) -> str:
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return f"/tiles/parcels/{z}/{x}/{y}.mvt"
