"""The docker recipe's real nginx.conf, run in front of the app: do the two agree?

Reading docker/nginx.conf cannot show whether the app trusts the X-Forwarded-Proto it
sends, accepts the Host it passes on, counts rate limits against the client's real
address, or whether a cached tile skips the app. There is no Docker engine here, but
nginx runs: the test renders the recipe's file into a temporary folder with only
mechanical substitutions (upstream, listening ports, certificate folder, cache folder,
`http2 on;` on an nginx older than 1.25), puts it in front of pytest-django's live
server, and talks to it as a browser would. The app runs with the production settings
docker/compose.yaml gives it (HTTPS, behind a TLS proxy, one trusted proxy).
"""

from __future__ import annotations

import datetime as dt
import http.client
import ipaddress
import math
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings as django_settings
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.cache import caches
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest

from landinfo.security import client_ip
from tests.factories import ParcelFactory
from transactions.deeds.forms import DOCUMENT_MAX_BYTES

RECIPE = Path(__file__).resolve().parents[2] / "docker" / "nginx.conf"
NGINX = shutil.which("nginx") or (
    "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None
)
PORTS = range(18150, 18160)  # this test's share of the machine's ports
HOST = "landinfo.test"  # the name the register is served as (DJANGO_ALLOWED_HOSTS)
LOOPBACK = "127.0.0.1"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        NGINX is None,
        reason="nginx is not installed (scripts/setup installs nginx-light with "
        "LANDINFO_WITH_BROWSER=1)",
    ),
]


def _nginx_version() -> tuple[int, ...]:
    """Return the installed nginx's version, e.g. (1, 22, 1)."""
    assert NGINX is not None
    banner = subprocess.run(  # noqa: S603 - the installed nginx, fixed arguments
        [NGINX, "-v"], capture_output=True, text=True, check=True
    ).stderr
    found = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", banner)
    assert found, f"cannot read the version of {NGINX}: {banner!r}"
    return tuple(int(part) for part in found.groups())


def _free_ports(count: int) -> list[int]:
    """Return `count` ports of PORTS that nothing listens on now."""
    free = []
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind((LOOPBACK, port))
            except OSError:
                continue
        free.append(port)
        if len(free) == count:
            return free
    pytest.fail(f"fewer than {count} free ports in {PORTS.start}-{PORTS.stop - 1}")


def _self_signed_certificate(folder: Path) -> Path:
    """Write fullchain.pem and privkey.pem for HOST and 127.0.0.1 into `folder`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(HOST), x509.IPAddress(ipaddress.ip_address(LOOPBACK))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir()
    chain = folder / "fullchain.pem"
    chain.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "privkey.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return chain


def _replace(text: str, old: str, new: str, *, count: int = 1) -> str:
    """Replace `old`, which the recipe must hold exactly `count` times, by `new`."""
    found = text.count(old)
    assert found == count, (
        f"docker/nginx.conf holds {old!r} {found} times, not {count}: update the rendering "
        "in this test together with the recipe"
    )
    return text.replace(old, new)


@dataclass(frozen=True)
class Proxy:
    """The recipe's nginx, running: where it listens, what it was given."""

    http_url: str
    https_url: str
    certificate: Path  # the test's self-signed certificate, the only one to trust
    config: str  # the rendered recipe, as nginx reads it


def _render(recipe: str, *, upstream: str, http_port: int, https_port: int, folder: Path) -> str:
    """Return the recipe with only the mechanical substitutions a run outside Docker needs."""
    text = _replace(recipe, "server app:8000;", f"server {upstream};")
    text = _replace(text, "listen 80;", f"listen {LOOPBACK}:{http_port};")
    text = _replace(text, "listen 443 ssl;", f"listen {LOOPBACK}:{https_port} ssl;")
    text = _replace(text, "/etc/nginx/tls/", f"{folder / 'tls'}/", count=2)
    text = _replace(text, "/var/cache/nginx/", f"{folder / 'cache'}/", count=2)
    if _nginx_version() < (1, 25):
        # `http2 on;` came with nginx 1.25; the image runs 1.27. HTTP/2 is not what is tested.
        text = _replace(text, "http2 on;", "")
    return text


def _wait_for(ports: Iterable[int], process: subprocess.Popen[bytes], error_log: Path) -> None:
    """Return once nginx accepts connections on every port; fail if it exits or is slow."""
    deadline = time.monotonic() + 10
    for port in ports:
        while True:
            if process.poll() is not None:
                pytest.fail(f"nginx exited with {process.returncode}: {error_log.read_text()}")
            try:
                socket.create_connection((LOOPBACK, port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"nginx did not listen on {port}: {error_log.read_text()}")
                time.sleep(0.05)


@pytest.fixture(scope="module")
def proxy(live_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    """Run docker/nginx.conf in front of the live server; stop it and remove its files after."""
    assert NGINX is not None
    folder = tmp_path_factory.mktemp("nginx")
    process: subprocess.Popen[bytes] | None = None
    try:
        http_port, https_port = _free_ports(2)
        certificate = _self_signed_certificate(folder / "tls")
        rendered = _render(
            RECIPE.read_text(),
            upstream=f"{live_server.thread.host}:{live_server.thread.port}",
            http_port=http_port,
            https_port=https_port,
            folder=folder,
        )
        (folder / "default.conf").write_text(rendered)
        error_log = folder / "error.log"
        # What the image's own /etc/nginx/nginx.conf does around conf.d/default.conf, with
        # every path it writes moved into the temporary folder.
        temp_paths = "\n".join(
            f"    {kind}_temp_path {folder / 'temp' / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (folder / "nginx.conf").write_text(
            ("user root;\n" if os.geteuid() == 0 else "")  # workers write into the 0700 tmp
            + f"worker_processes 1;\npid {folder / 'nginx.pid'};\nerror_log {error_log} warn;\n"
            "daemon off;\nevents { worker_connections 256; }\n"
            "http {\n"
            "    default_type application/octet-stream;\n"
            f"    access_log {folder / 'access.log'};\n"
            f"{temp_paths}\n"
            f"    include {folder / 'default.conf'};\n"
            "}\n"
        )
        (folder / "temp").mkdir()
        (folder / "cache").mkdir()  # the image's /var/cache/nginx (the tilecache volume)
        command = [NGINX, "-p", str(folder), "-e", str(error_log), "-c", str(folder / "nginx.conf")]
        checked = subprocess.run(  # noqa: S603 - the installed nginx, arguments of our own
            [*command, "-t"], capture_output=True, text=True, check=False
        )
        assert checked.returncode == 0, f"nginx refuses the rendered recipe:\n{checked.stderr}"
        # A session of its own: if the master will not stop, its workers go with it.
        process = subprocess.Popen(  # noqa: S603 - the same command, without -t
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        _wait_for((http_port, https_port), process, error_log)
        yield Proxy(
            http_url=f"http://{LOOPBACK}:{http_port}",
            https_url=f"https://{LOOPBACK}:{https_port}",
            certificate=certificate,
            config=rendered,
        )
    finally:
        if process is not None:
            process.terminate()  # nginx's fast shutdown: the master stops its workers
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class Seen:
    """One request as it reached the app, behind nginx."""

    method: str
    path: str
    host: str
    forwarded_for: str
    forwarded_proto: str
    remote_addr: str
    content_length: int

    @property
    def client(self) -> str:
        """Return the client address the app's rate limits and lockout would use."""
        request = HttpRequest()
        request.META = {"REMOTE_ADDR": self.remote_addr, "HTTP_X_FORWARDED_FOR": self.forwarded_for}
        return client_ip(request)


@pytest.fixture
def app(live_server: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Seen]]:
    """Serve the app with docker/compose.yaml's settings; return the requests it receives.

    The live server's handler loaded its middleware (SecurityMiddleware reads the HTTPS
    settings once, then) when it started, possibly for another test: a fresh handler is
    made after the settings change, wrapped in a recorder, and the old one put back after.
    """
    settings.ALLOWED_HOSTS = [HOST]
    settings.SECURE_SSL_REDIRECT = True  # DJANGO_HTTPS=true
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # BEHIND_TLS_PROXY
    monkeypatch.setitem(django_settings.LANDINFO, "TRUSTED_PROXIES", 1)
    caches["ratelimit"].clear()

    seen: list[Seen] = []
    lock = threading.Lock()
    handler = StaticFilesHandler(WSGIHandler())

    def recorder(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        with lock:
            seen.append(
                Seen(
                    method=environ["REQUEST_METHOD"],
                    path=environ["PATH_INFO"],
                    host=environ.get("HTTP_HOST", ""),
                    forwarded_for=environ.get("HTTP_X_FORWARDED_FOR", ""),
                    forwarded_proto=environ.get("HTTP_X_FORWARDED_PROTO", ""),
                    remote_addr=environ.get("REMOTE_ADDR", ""),
                    content_length=int(environ.get("CONTENT_LENGTH") or 0),
                )
            )
        return handler(environ, start_response)

    httpd = live_server.thread.httpd
    original = httpd.get_app()
    httpd.set_app(recorder)
    try:
        yield seen
    finally:
        httpd.set_app(original)


def _get(proxy: Proxy, path: str, **kwargs: Any) -> requests.Response:
    """GET `path` over HTTPS through nginx, as a browser that typed HOST would."""
    headers = {"Host": HOST, **kwargs.pop("headers", {})}
    return requests.get(
        proxy.https_url + path,
        headers=headers,
        verify=str(proxy.certificate),
        allow_redirects=False,
        timeout=30,
        **kwargs,
    )


def _tile_of(parcel: Any, z: int) -> str:
    """Return the path of the z-level tile (Web Mercator, XYZ) holding `parcel`'s centre.

    nginx and its cache live for the whole module: each test asks for a zoom of its own
    (parcels are drawn from z16), so that it starts with its tile not in the cache.
    """
    centre = parcel.boundary.transform(4326, clone=True).centroid
    lon, lat = centre.x, math.radians(centre.y)
    x = int((lon + 180) / 360 * 2**z)
    y = int((1 - math.asinh(math.tan(lat)) / math.pi) / 2 * 2**z)
    return f"/tiles/parcels/{z}/{x}/{y}.mvt"


def test_plain_http_is_moved_to_https_with_the_same_host_and_path(proxy, app):
    answer = requests.get(
        f"{proxy.http_url}/api/parcels/search?q=12",
        headers={"Host": HOST},
        allow_redirects=False,
        timeout=30,
    )

    assert answer.status_code == 301
    assert answer.headers["Location"] == f"https://{HOST}/api/parcels/search?q=12"
    assert app == []  # nginx answers it; the app would only redirect one hop later


def test_https_through_nginx_reaches_the_app_which_does_not_redirect_again(proxy, app, live_server):
    parcel = ParcelFactory()

    for path in ("/", "/api/schema/", f"/api/parcels/{parcel.pk}"):
        answer = _get(proxy, path)
        assert answer.status_code == 200, (path, answer.status_code, answer.headers)
        assert answer.headers["Strict-Transport-Security"].startswith("max-age=31536000"), path
    assert answer.json()["id"] == parcel.pk
    assert {(s.path, s.forwarded_proto) for s in app} == {
        ("/", "https"),
        ("/api/schema/", "https"),
        (f"/api/parcels/{parcel.pk}", "https"),
    }
    # The same request without nginx's X-Forwarded-Proto is redirected: the 200s above
    # are the app trusting nginx, not the app never redirecting.
    direct = requests.get(
        f"{live_server.url}/api/schema/", headers={"Host": HOST}, allow_redirects=False, timeout=30
    )
    assert direct.status_code == 301
    assert direct.headers["Location"] == f"https://{HOST}/api/schema/"


def test_the_host_the_client_used_reaches_the_app_in_every_location(proxy, app):
    parcel = ParcelFactory()
    paths = {
        "location /": f"/api/parcels/{parcel.pk}",
        "location /tiles/": _tile_of(parcel, 16),
        "location /static/": "/static/parcels/site.css",
    }

    for block, path in paths.items():
        answer = _get(proxy, path)
        assert answer.status_code == 200, (block, answer.status_code, answer.text[:200])
    assert sorted((s.path, s.host, s.forwarded_proto) for s in app) == sorted(
        (path, HOST, "https") for path in paths.values()
    )
    # And a name the register is not served as is refused by the app (ALLOWED_HOSTS),
    # so the 200s above are the app accepting the client's Host, not any Host at all.
    assert (
        _get(proxy, f"/api/parcels/{parcel.pk}", headers={"Host": "evil.test"}).status_code == 400
    )


def test_a_tile_is_served_from_the_cache_the_second_time_whatever_the_cookies(proxy, app):
    parcel = ParcelFactory()
    path = _tile_of(parcel, 17)

    # A browser with a stale session cookie, then another browser with a live-looking one.
    first = _get(proxy, path, cookies={"sessionid": "stale", "django_language": "vi"})
    second = _get(proxy, path, cookies={"sessionid": "x" * 32, "csrftoken": "y" * 32})

    assert (first.status_code, first.headers["X-Cache-Status"]) == (200, "MISS")
    assert (second.status_code, second.headers["X-Cache-Status"]) == (200, "HIT")
    assert second.content == first.content
    assert second.headers["ETag"] == first.headers["ETag"]
    assert [s.path for s in app] == [path]  # the second never reached the app
    # A browser that has the tile is told it is unchanged, from the cache too.
    revalidated = _get(proxy, path, headers={"If-None-Match": first.headers["ETag"]})
    assert (revalidated.status_code, revalidated.content) == (304, b"")
    assert len(app) == 1
    # A tile is the same for everyone: what the app answered one browser's cookies must
    # not be handed to the next (a cookie deletion would sign a notary out).
    assert "Set-Cookie" not in second.headers, second.headers
    assert "Set-Cookie" not in first.headers


def test_a_tile_cached_for_the_map_reaches_another_site_with_its_cors_headers(proxy, app):
    # The register's map asks without an Origin and gets no CORS headers; nginx must not
    # hand that cached answer to another site's map, whose browser would then refuse it.
    parcel = ParcelFactory()
    path = _tile_of(parcel, 19)
    origin = {"Origin": "https://maps.example.org"}

    for_the_map = _get(proxy, path)
    for_another_site = _get(proxy, path, headers=origin)
    again_for_another_site = _get(proxy, path, headers=origin)

    assert for_the_map.headers["X-Cache-Status"] == "MISS"
    assert "Access-Control-Allow-Origin" not in for_the_map.headers
    assert for_another_site.headers["Access-Control-Allow-Origin"] == "*"
    assert for_another_site.content == for_the_map.content
    assert again_for_another_site.headers["X-Cache-Status"] == "HIT"
    assert again_for_another_site.headers["Access-Control-Allow-Origin"] == "*"
    assert [s.path for s in app] == [path, path]  # one answer of each kind, then the cache


def test_a_forged_x_forwarded_for_does_not_escape_the_lookup_limit_behind_nginx(
    proxy, app, monkeypatch
):
    monkeypatch.setitem(django_settings.LANDINFO["RATE_LIMITS"], "lookup", "3/h")

    statuses = [
        _get(
            proxy, "/api/parcels/search?q=12", headers={"X-Forwarded-For": f"203.0.113.{n}"}
        ).status_code
        for n in range(1, 6)
    ]

    assert statuses[:3] == [200, 200, 200]
    assert statuses[3:] == [429, 429]
    # nginx appended the address it received from, and the app believed only that one.
    assert [s.forwarded_for for s in app] == [f"203.0.113.{n}, {LOOPBACK}" for n in range(1, 6)]
    assert {s.client for s in app} == {LOOPBACK}


def _post_length(proxy: Proxy, path: str, length: int, *, send: bool) -> int:
    """POST `path` with a Content-Length of `length` through nginx; return the status.

    With send=False the body is never sent: nginx must answer from the header alone.
    """
    context = ssl.create_default_context(cafile=str(proxy.certificate))
    host, port = proxy.https_url.removeprefix("https://").split(":")
    connection = http.client.HTTPSConnection(host, int(port), context=context, timeout=30)
    try:
        connection.putrequest("POST", path, skip_host=True)
        connection.putheader("Host", HOST)
        connection.putheader("Content-Type", "application/octet-stream")
        connection.putheader("Content-Length", str(length))
        connection.endheaders()
        if send:
            chunk = b"\0" * 2**20
            for start in range(0, length, len(chunk)):
                connection.send(chunk[: length - start])
        return connection.getresponse().status
    finally:
        connection.close()


def test_a_body_above_client_max_body_size_is_refused_413_by_nginx(proxy, app):
    limit = re.search(r"client_max_body_size (\d+)m;", proxy.config)
    assert limit, "the recipe sets client_max_body_size in megabytes"
    limit_bytes = int(limit.group(1)) * 2**20
    # The largest upload the app takes is a scanned deed: the limit lets one through with
    # its form, and not much more (a larger body would be spooled by the app for nothing).
    deed = DOCUMENT_MAX_BYTES + 64 * 2**10
    assert deed <= limit_bytes <= DOCUMENT_MAX_BYTES + 2 * 2**20

    assert _post_length(proxy, "/deeds/transfer/", limit_bytes + 1, send=False) == 413
    assert app == []
    assert _post_length(proxy, "/deeds/transfer/", deed, send=True) != 413
    assert [(s.method, s.path, s.content_length) for s in app] == [
        ("POST", "/deeds/transfer/", deed)
    ]


def test_a_burst_of_tiles_beyond_the_limit_is_refused_429_by_nginx(proxy, app):
    zone = re.search(r"zone=tile_clients:\S+ rate=(\d+)r/s;", proxy.config)
    burst = re.search(r"limit_req zone=tile_clients burst=(\d+)", proxy.config)
    assert zone and burst, "the recipe limits tiles per client (limit_req tile_clients)"
    rate, allowed_at_once = int(zone.group(1)), int(burst.group(1)) + 1
    parcel = ParcelFactory()
    path = _tile_of(parcel, 18)
    requests_sent = 3 * allowed_at_once

    statuses: list[int] = []
    started = time.monotonic()
    with requests.Session() as browser:  # one client, one kept-alive connection
        for _ in range(requests_sent):
            answer = browser.get(
                proxy.https_url + path,
                headers={"Host": HOST},
                verify=str(proxy.certificate),
                timeout=30,
            )
            statuses.append(answer.status_code)
    elapsed = time.monotonic() - started

    # The bucket refills at `rate` per second: a machine too slow to outrun it sees no 429.
    if requests_sent <= allowed_at_once + rate * elapsed:
        pytest.skip(
            f"{requests_sent} tiles took {elapsed:.1f} s, within {rate}/s + burst: "
            "this machine cannot send a burst fast enough to test the limit"
        )
    assert set(statuses) == {200, 429}
    # The burst passes whole (the few tiles of earlier tests have long drained from it).
    assert statuses[: allowed_at_once // 2] == [200] * (allowed_at_once // 2)
    assert [s.path for s in app] == [path]  # the rest came from the cache or nginx refused
