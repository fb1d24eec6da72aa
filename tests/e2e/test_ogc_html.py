"""The OGC API's pages in a real headless Chromium: a browser at /ogc/ gets pages, not JSON.

A page of parcels opens with the browser's own Accept (no f=html), draws every feature
of the page on its map inside the map's frame, under the strict policy, on a laptop and
a phone; a parcel on the map opens its own page. Screenshots: var/e2e-artifacts/ogc-*.png.
"""

import pytest

from tests.e2e.conftest import ARTIFACTS, CSP_WATCH, VIEWPORTS, District, csp_violations, wait_for

pytestmark = [pytest.mark.slow]

LIMIT = 20

# Each drawn feature's box, and the map's: every feature must lie in the map's frame.
BOXES = """() => {
  const frame = document.getElementById("ogc-map").getBoundingClientRect();
  const paths = [...document.querySelectorAll("#ogc-map path.leaflet-interactive")];
  const inside = (r) => r.left >= frame.left - 1 && r.right <= frame.right + 1
                     && r.top >= frame.top - 1 && r.bottom <= frame.bottom + 1;
  return { count: paths.length, outside: paths.filter((p) => !inside(p.getBoundingClientRect())).length };
}"""


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_a_browser_reads_a_page_of_parcels_on_its_map_and_opens_one(
    browser, live_server, district: District, viewport
):
    context = browser.new_context(locale="ko-KR", **VIEWPORTS[viewport])
    context.set_default_timeout(15_000)
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/ogc/collections/parcels/items?limit={LIMIT}")
        assert page.locator("h2.page-title").inner_text() == "필지"
        wait_for(
            page,
            f"document.querySelectorAll('#ogc-map path.leaflet-interactive').length === {LIMIT}",
        )
        boxes = page.evaluate(BOXES)
        assert boxes == {"count": LIMIT, "outside": 0}
        # The table fits the phone's width by scrolling inside its card, not the page.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(ARTIFACTS / f"ogc-items-{viewport}.png"))
        page.locator("#ogc-map path.leaflet-interactive").first.click()
        page.wait_for_url("**/items/*?f=html")
        wait_for(
            page, "document.querySelectorAll('#ogc-map path.leaflet-interactive').length === 1"
        )
        assert csp_violations(page) == []
    finally:
        context.close()
