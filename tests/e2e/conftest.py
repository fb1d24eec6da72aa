"""End-to-end set-up: Debian's Chromium driven by Playwright against pytest-django's live server.

No browser is downloaded: Playwright launches the system Chromium through
`executable_path`. `make test` installs it (scripts/setup with LANDINFO_WITH_BROWSER=1);
without it these tests are skipped with the reason.
"""

import datetime as dt
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.gis.db.models.functions import PointOnSurface, Transform
from django.core.management import call_command

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; Playwright downloads nothing
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(settings.BASE_DIR) / "var" / "e2e-artifacts"

# The viewports the page must work at: a laptop, and a phone held upright.
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}

# Data of a small district: the same seed gives the same parcels in every run.
# Collects the page's Content-Security-Policy violations (each blocked script, style,
# image or connection) in window.__cspViolations, from before the first script runs.
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ${event.sourceFile}:${event.lineNumber}`
  );
});
"""


def wait_for(page, expression: str, arg: object = None, timeout: float = 15.0) -> None:
    """Wait until the JavaScript `expression` is true in `page`.

    Playwright's wait_for_function evaluates its predicate with eval() inside the page,
    which our Content-Security-Policy refuses (no 'unsafe-eval', on purpose); this
    polls through page.evaluate, which the DevTools protocol runs outside the policy.
    """
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression, arg):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{expression} still false after {timeout} s")
        time.sleep(0.05)


def csp_violations(page) -> list[str]:
    """Return the CSP violations `page` saw since it was loaded (CSP_WATCH must be on)."""
    return page.evaluate("window.__cspViolations")


DISTRICT_SEED = 7
DISTRICT_PARCELS = 300


@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    """Return a headless Chromium shared by the end-to-end tests."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (make test does).")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop running in this thread, which makes
    # Django refuse ORM calls here (SynchronousOnlyOperation) although they are plain
    # synchronous calls; allowed only while the browser lives, and restored after.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@dataclass(frozen=True)
class ParcelOnMap:
    id: int
    identifier: str
    display: str
    address: str
    commune: str
    lon: float  # a point inside the parcel, WGS84
    lat: float


@dataclass
class District:
    """The synthetic district written for one test, with the parcels the tests use."""

    parcels: list[ParcelOnMap]
    target: ParcelOnMap  # has a street address with diacritics
    retired: ParcelOnMap | None = None  # split on RETIRED_ON; `successor` replaced it
    successor: ParcelOnMap | None = None

    RETIRED_ON = dt.date(2020, 6, 1)
    BEFORE_RETIREMENT = dt.date(2019, 1, 1)  # an "as of" date when `retired` was current

    def near(self, parcel: ParcelOnMap, count: int = 12) -> list[ParcelOnMap]:
        """Return the `count` other current parcels nearest to `parcel`."""
        others = [p for p in self.parcels if p.id != parcel.id and p is not self.retired]
        return sorted(others, key=lambda p: (p.lon - parcel.lon) ** 2 + (p.lat - parcel.lat) ** 2)[
            :count
        ]


def _on_map(parcel, profile) -> ParcelOnMap:
    return ParcelOnMap(
        id=parcel.pk,
        identifier=parcel.identifier,
        display=profile.display_identifier(
            profile.parse_identifier(parcel.identifier, unit_code=parcel.admin_unit.code)
        ),
        address=parcel.address,
        commune=parcel.admin_unit.name,
        lon=parcel.point.x,
        lat=parcel.point.y,
    )


@pytest.fixture
def district(transactional_db, profile) -> District:
    """Write a 300-parcel synthetic district, and one parcel replaced by a successor in 2020.

    The generator writes parcels, units, zoning, prices, parties, rights and the journal
    as `generate_parcels` does; the replacement is written directly, as a register
    migrated from an older system holds it (a retired parcel and its child).
    """
    from parcels.models import Parcel, ParcelLineage

    call_command("generate_parcels", count=DISTRICT_PARCELS, seed=DISTRICT_SEED, verbosity=0)
    rows = (
        Parcel.objects.select_related("admin_unit")
        .annotate(point=Transform(PointOnSurface("boundary"), 4326))
        .order_by("pk")
    )
    parcels = [_on_map(p, profile) for p in rows]
    # A house on a street whose name has diacritics ("Số 413 Giảng Võ, Phường Mẫu 1").
    street = re.compile(r"^Số \d+ (?!Ngõ)([^,]+),")
    target = next(
        p for p in parcels if (match := street.match(p.address)) and not match.group(1).isascii()
    )
    found = District(parcels=parcels, target=target)

    # Replace a parcel away from the target: retire it and give it a successor with the
    # same boundary and a new number, as a re-survey does.
    retired_on = District.RETIRED_ON
    original = (
        Parcel.objects.exclude(pk=target.id)
        .filter(valid_from__lt=District.BEFORE_RETIREMENT)
        .order_by("-pk")
        .first()
    )
    old = next(p for p in parcels if p.id == original.pk)
    Parcel.objects.filter(pk=old.id).update(valid_to=retired_on)
    sheet = original.identifier.split("-")[1] if profile.key == "vn" else None
    new_identifier = (
        f"{original.admin_unit.code}-{sheet}-9001" if profile.key == "vn" else original.identifier
    )
    successor = Parcel.objects.create(
        identifier=new_identifier,
        admin_unit=original.admin_unit,
        land_use=original.land_use,
        registered_area=original.registered_area,
        address=original.address,
        boundary=original.boundary,
        valid_from=retired_on,
    )
    ParcelLineage.objects.create(parent=original, child=successor)
    successor_row = rows.get(pk=successor.pk)
    found.retired = old
    found.successor = _on_map(successor_row, profile)
    found.parcels.append(found.successor)
    return found


@dataclass
class Session:
    """A page with what it logged and requested, for the checks every scenario makes."""

    page: object
    name: str
    base_url: str
    console_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def screenshot(self, scenario: str) -> Path:
        """Save the page as var/e2e-artifacts/<scenario>-<viewport>.png and return the path."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{scenario}-{self.name}.png"
        self.page.screenshot(path=str(path))
        return path

    def assert_clean(self) -> None:
        """Assert that nothing went to another host and no script or load failed."""
        assert self.foreign_requests == [], self.foreign_requests
        assert self.console_errors == [], self.console_errors
        assert csp_violations(self.page) == []


@pytest.fixture(params=sorted(VIEWPORTS))
def viewport(request) -> str:
    return request.param


@pytest.fixture
def session(browser, live_server, viewport) -> Iterator[Session]:
    """Return a fresh browser context at the viewport, speaking Vietnamese like the profile."""
    context = browser.new_context(locale="vi-VN", **VIEWPORTS[viewport])
    context.set_default_timeout(10_000)
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    opened = Session(page=page, name=viewport, base_url=live_server.url)

    def on_request(request) -> None:
        opened.requests.append(request.url)
        parts = urlsplit(request.url)
        if parts.scheme in {"http", "https", "ws", "wss"} and parts.hostname not in LOCAL_HOSTS:
            opened.foreign_requests.append(request.url)

    page.on("request", on_request)
    page.on(
        "console",
        lambda message: message.type == "error" and opened.console_errors.append(message.text),
    )
    page.on("pageerror", lambda error: opened.console_errors.append(f"page error: {error}"))
    try:
        yield opened
    finally:
        context.close()


@pytest.fixture
def open_map(session) -> Callable[..., Session]:
    """Return a function that loads `/<path>` and waits for the map to be ready."""

    def load(path: str = "/") -> Session:
        session.page.goto(session.base_url + path)
        wait_for(session.page, "window.landinfoMap !== undefined")
        return session

    return load
