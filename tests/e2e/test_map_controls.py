"""Leaflet's own controls speak the page's language (site.js sets their titles from gettext).

Leaflet titles its zoom buttons "Zoom in"/"Zoom out" in English (the title a pointer shows
and the aria-label a screen reader reads); the page's words are checked in a real browser,
since the buttons are made by the script, not by the server.
"""

import pytest

from tests.e2e.conftest import District, wait_for

pytestmark = [pytest.mark.slow]

ZOOM_TITLES = {"vi": ("Phóng to", "Thu nhỏ"), "ko": ("확대", "축소"), "en": ("Zoom in", "Zoom out")}


def test_the_zoom_buttons_are_titled_in_the_pages_language(open_map, district: District):
    session = open_map("/")
    page = session.page
    for language in ("vi", "ko", "en"):
        if language != "vi":  # the browser speaks Vietnamese, as the profile
            with page.expect_navigation():
                page.select_option("#language-select", language)
            wait_for(page, "window.landinfoMap !== undefined")
        assert page.get_attribute("html", "lang") == language
        zoom_in, zoom_out = ZOOM_TITLES[language]
        for selector, title in (
            (".leaflet-control-zoom-in", zoom_in),
            (".leaflet-control-zoom-out", zoom_out),
        ):
            assert page.get_attribute(selector, "title") == title
            assert page.get_attribute(selector, "aria-label") == title
    session.assert_clean()
