"""The map page in a real headless Chromium, at a laptop's and a phone's size.

Each scenario loads the page from the live server, acts as a person would (typing,
pressing keys, clicking the map, choosing a language), saves a screenshot to
var/e2e-artifacts/ and checks that no script failed and no request left the machine.
Times are printed (and written next to the screenshots), never asserted: test machines
are too noisy for a time limit to mean anything.
"""

import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from landinfo.profiles.text import fold_text
from tests.e2e.conftest import (
    ARTIFACTS,
    CSP_WATCH,
    District,
    ParcelOnMap,
    Session,
    csp_violations,
    wait_for,
)

pytestmark = [pytest.mark.slow]

SHEET_READY = '#sheet[data-state="ready"][data-parcel-id="{id}"]'


def typed(text: str) -> str:
    """Return `text` as people type it on a keyboard without Vietnamese input: no accents."""
    return fold_text(text)


def wait_for_sheet(session: Session, parcel: ParcelOnMap) -> None:
    session.page.wait_for_selector(SHEET_READY.format(id=parcel.id))


def wait_until_still(session: Session) -> None:
    """Wait until the map has finished panning and zooming."""
    wait_for(session.page, "window.landinfo.isIdle()")


def query_of(session: Session) -> dict[str, list[str]]:
    return parse_qs(urlsplit(session.page.url).query)


def search(
    session: Session, text: str, parcel: ParcelOnMap, screenshot: str | None = None
) -> float:
    """Type `text`, go down the suggestions to `parcel` with the arrow keys, press Enter.

    Return the seconds from Enter until the sheet shows `parcel`; with `screenshot`,
    save the suggestions under that name first.
    """
    page = session.page
    box = page.locator("#search-input")
    box.fill("")
    box.press_sequentially(text, delay=20)
    page.wait_for_selector(f'#search-results .search-option[data-parcel-id="{parcel.id}"]')
    ids = page.eval_on_selector_all(
        "#search-results .search-option", "options => options.map(o => Number(o.dataset.parcelId))"
    )
    for _ in range(ids.index(parcel.id) + 1):
        box.press("ArrowDown")
    assert page.get_attribute("#search-input", "aria-activedescendant") is not None
    if screenshot:
        session.screenshot(screenshot)
    started = time.perf_counter()
    box.press("Enter")
    wait_for_sheet(session, parcel)
    return time.perf_counter() - started


def screen_point(session: Session, parcel: ParcelOnMap) -> dict[str, float] | None:
    """Return where `parcel` is on the screen, or None when it is off the map or covered."""
    return session.page.evaluate(
        """([lat, lon]) => {
            const map = window.landinfoMap;
            const p = map.latLngToContainerPoint([lat, lon]);
            const box = map.getContainer().getBoundingClientRect();
            const x = box.left + p.x, y = box.top + p.y;
            const element = document.elementFromPoint(x, y);
            const onMap = element && map.getContainer().contains(element)
                && !element.closest(".leaflet-control");
            return onMap ? {x: x, y: y} : null;
        }""",
        [parcel.lat, parcel.lon],
    )


def click_parcel(session: Session, candidates: list[ParcelOnMap]) -> ParcelOnMap:
    """Click the first of `candidates` that can be seen on the map, zooming out until one
    can (a phone shows little map above the sheet); return it."""
    for _ in range(4):
        wait_until_still(session)
        for parcel in candidates:
            point = screen_point(session, parcel)
            if point is not None:
                session.page.mouse.click(point["x"], point["y"])
                return parcel
        session.page.evaluate("window.landinfoMap.zoomOut(1, {animate: false})")
    raise AssertionError("none of the parcels near the chosen one is visible on the map")


def record_timing(session: Session, label: str, seconds: float) -> None:
    measured = session.page.evaluate("window.landinfo.state.timings")
    line = (
        f"{label} [{session.name}]: Enter → sheet {seconds * 1000:.0f} ms in the test, "
        f"{json.dumps(measured)} in the page"
    )
    print(line)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with (ARTIFACTS / "timings.txt").open("a", encoding="utf-8") as log:
        log.write(line + "\n")


def assert_sheet_placement(session: Session) -> None:
    """A side panel on the laptop; a bottom panel, about half the screen, on the phone."""
    box = session.page.locator("#sheet").bounding_box()
    width, height = session.page.viewport_size["width"], session.page.viewport_size["height"]
    if session.name == "phone":
        assert box["width"] == pytest.approx(width, abs=1)
        assert 0.3 * height < box["height"] < 0.6 * height
        assert box["y"] + box["height"] == pytest.approx(height, abs=1)
    else:
        assert box["x"] + box["width"] == pytest.approx(width, abs=1)
        assert box["width"] < 0.4 * width
        assert box["height"] > 0.8 * height


def test_identifier_or_address_typed_without_accents_opens_the_sheet_and_a_click_another(
    open_map, district: District
):
    session = open_map("/")
    page = session.page
    wait_for(page, "document.querySelectorAll('#map canvas').length > 0")
    wait_until_still(session)
    below_parcels = page.evaluate(
        "landinfoMap.getZoom() < JSON.parse("
        "document.getElementById('landinfo-config').textContent).tiles.parcelsMinZoom"
    )
    assert page.is_visible("#map-hint") == below_parcels  # "zoom in to see the parcels"
    session.screenshot("01-load")

    target = district.target
    seconds = search(session, typed(target.display), target, "02-suggestions")  # "to 1 thua 12"
    record_timing(session, f"search {typed(target.display)!r}", seconds)
    assert page.inner_text("#sheet-title") == target.display
    assert page.inner_text("#sheet-identifier") == target.identifier
    assert target.address in page.inner_text("#sheet-body")
    assert query_of(session)["parcel"] == [str(target.id)]
    assert page.locator(".leaflet-landinfo-highlight-pane path").count() >= 1
    page.wait_for_selector('#sheet .history[data-state="ready"]')
    assert_sheet_placement(session)
    wait_until_still(session)
    session.screenshot("03-search-identifier")

    other = click_parcel(session, district.near(target))
    wait_for_sheet(session, other)
    assert page.inner_text("#sheet-title") == other.display
    assert query_of(session)["parcel"] == [str(other.id)]
    session.screenshot("04-click-another")

    page.go_back()  # the previous parcel, as the address bar had it
    wait_for_sheet(session, target)

    page.click("#sheet-close")
    assert page.is_hidden("#sheet")
    street_address = target.address.split(",")[0]  # "Số 413 Giảng Võ"
    seconds = search(session, typed(street_address), target)  # "so 413 giang vo"
    record_timing(session, f"search {typed(street_address)!r}", seconds)
    assert page.inner_text("#sheet-title") == target.display
    wait_until_still(session)
    session.screenshot("05-search-address")
    session.assert_clean()


def test_shared_link_opens_the_sheet_in_each_language(open_map, district: District):
    target = district.target
    session = open_map(f"/?parcel={target.id}")
    page = session.page
    wait_for_sheet(session, target)
    assert page.get_attribute("html", "lang") == "vi"
    assert page.inner_text("#sheet-kicker").casefold() == "thửa đất"
    page.wait_for_selector('#sheet .history[data-state="ready"]')
    assert_sheet_placement(session)
    wait_until_still(session)
    session.screenshot("06-link-vi")

    for language, label in (("ko", "필지"), ("en", "parcel")):
        with page.expect_navigation():
            page.select_option("#language-select", language)
        wait_for(page, "window.landinfoMap !== undefined")
        wait_for_sheet(session, target)  # the link survived the switch
        assert page.get_attribute("html", "lang") == language
        assert page.inner_text("#sheet-kicker").casefold() == label
        assert query_of(session)["parcel"] == [str(target.id)]
        page.wait_for_selector('#sheet .history[data-state="ready"]')
        wait_until_still(session)
        session.screenshot(f"06-link-{language}")
    session.assert_clean()


def test_as_of_date_shows_the_parcel_that_was_there(open_map, district: District):
    successor, retired = district.successor, district.retired
    session = open_map(f"/?parcel={successor.id}")
    page = session.page
    wait_for_sheet(session, successor)
    page.wait_for_selector(f'#sheet .parcel-link[data-parcel-id="{retired.id}"]')  # made from

    as_of = District.BEFORE_RETIREMENT.isoformat()
    page.fill("#as-of-input", as_of)
    wait_for_sheet(session, retired)  # the successor did not exist yet
    page.wait_for_selector('#sheet .history[data-state="ready"]')
    assert query_of(session)["as_of"] == [as_of]
    assert query_of(session)["parcel"] == [str(retired.id)]
    assert any(f"/api/parcels/{retired.id}/history?as_of={as_of}" in u for u in session.requests)
    wait_for(
        page,
        "as_of => performance.getEntriesByType('resource')"
        ".some(e => e.name.includes('/tiles/parcels/') && e.name.includes('as_of=' + as_of))",
        arg=as_of,
    )
    assert not page.locator("#as-of-banner").is_hidden()
    wait_until_still(session)
    session.screenshot("07-as-of")

    page.click("#as-of-clear")  # back to today: the same parcel, now retired, and its successor
    wait_for_sheet(session, retired)
    page.wait_for_selector("#sheet .badge-retired")
    page.wait_for_selector(f'#sheet .parcel-link[data-parcel-id="{successor.id}"]')
    assert "as_of" not in query_of(session)
    session.assert_clean()


def test_history_dates_a_deed_by_the_register_clock_in_a_browser_elsewhere(
    browser, live_server, district: District, profile
):
    """A deed recorded at 01:00 in the register's zone was recorded that day, for everyone.

    The browser is in Los Angeles, where it was still the day before, as it is in UTC.
    """
    import datetime as dt
    from fractions import Fraction
    from zoneinfo import ZoneInfo

    from parcels.models import Parcel
    from tests.factories import PartyFactory
    from tests.transactions import factories as deeds

    zone = ZoneInfo({"vn": "Asia/Ho_Chi_Minh", "kr": "Asia/Seoul"}[profile.key])
    recorded = dt.datetime(2025, 3, 7, 1, 0, tzinfo=zone)
    target = district.target
    deeds.transfer(
        Parcel.objects.get(pk=target.id),
        [(PartyFactory(), Fraction(1))],
        on=dt.date(2025, 3, 6),
        recorded_at=recorded.astimezone(dt.UTC),
    )
    context = browser.new_context(locale="en-US", timezone_id="America/Los_Angeles")
    context.add_init_script(CSP_WATCH)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/?parcel={target.id}")
        page.wait_for_selector('#sheet .history[data-state="ready"]')
        texts = page.locator("#sheet .history").inner_text()
        # An English page writes days ISO 8601, as the certificate does (landinfo.dates).
        assert "recorded 2025-03-07" in texts
        assert "recorded 2025-03-06" not in texts
        title = page.locator("#sheet .history [title*='2025']").first.get_attribute("title")
        assert title.endswith(f"({zone.key})") and "1:00" in title
        assert csp_violations(page) == []
    finally:
        context.close()


def test_the_sheet_notes_a_registered_area_beyond_its_map_scales_tolerance(
    open_map, district: District, profile
):
    from decimal import Decimal

    from parcels.models import Parcel

    target = district.target
    session = open_map(f"/?parcel={target.id}")
    wait_for_sheet(session, target)
    # The synthetic district's certificates agree with their boundaries within tolerance.
    assert session.page.locator("#area-discrepancy").count() == 0

    parcel = Parcel.objects.get(pk=target.id)
    drawn = float(parcel.registered_area)
    Parcel.objects.filter(pk=target.id).update(registered_area=Decimal(f"{drawn / 2:.2f}"))
    session = open_map(f"/?parcel={target.id}")
    wait_for_sheet(session, target)

    note = session.page.locator("#area-discrepancy")
    note.wait_for()
    text = note.inner_text()
    # In the page's language (Vietnamese here): the difference, its share and the scale.
    assert "m²" in text
    assert "%" in text
    assert f"1:{profile.default_map_scale}" in text
    assert "Registered area" not in text  # translated, not the catalogue's English
    session.screenshot("07-area-note")
    session.assert_clean()
