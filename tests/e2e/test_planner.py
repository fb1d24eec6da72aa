"""A planner at work, in a real headless Chromium: draw an area, export it, get the file.

The planner signs in, opens the planner page, draws the export area as a rectangle on
the map, picks GeoPackage in the register's own CRS and submits. The export is larger
than the direct-download limit (set to 0 here), so it becomes a background job; the
worker runs it (`export_worker --once`, in-process), the job page notices by itself and
offers the file, which GDAL reads back with the features PostGIS counts in that area.
Screenshots: var/e2e-artifacts/planner.png (the form with the area drawn) and
planner-job.png (the finished job).
"""

import re

import pyogrio
import pytest
from django.core.management import call_command

from landinfo.srid import STORAGE_SRID
from parcels.models import ExportJob
from parcels.publishing import exports
from parcels.publishing.layers import get_layer
from tests.e2e.conftest import ARTIFACTS, CSP_WATCH, VIEWPORTS, District, csp_violations, wait_for
from tests.e2e.test_notary import _watch
from tests.factories import PASSWORD, user_with_role

pytestmark = [pytest.mark.slow]

NUMBER = r"-?\d+(?:\.\d+)?"


def test_a_planner_draws_an_area_and_downloads_its_geopackage(
    browser, live_server, district: District, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANDINFO = {**settings.LANDINFO, "EXPORT_SYNC_MAX_FEATURES": 0}
    user_with_role("planner", "planner-e2e")
    problems: list[str] = []
    context = browser.new_context(locale="vi-VN", accept_downloads=True, **VIEWPORTS["desktop"])
    context.set_default_timeout(15_000)
    context.add_init_script(CSP_WATCH)  # the policy is enforced: nothing may be refused
    page = context.new_page()
    _watch(page, problems)

    page.goto(f"{live_server.url}/accounts/login/?next=/planner/")
    page.fill("#id_username", "planner-e2e")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("form button[type=submit].button-primary")
    wait_for(page, "window.landinfoPlannerMap !== undefined")
    assert page.url.endswith("/planner/")

    # The planner pans to the district (where its parcels are) at a zoom showing them.
    target = district.target
    page.evaluate(
        f"window.landinfoPlannerMap.setView([{target.lat}, {target.lon}], 16, {{animate: false}})"
    )
    assert page.evaluate("window.landinfoPlannerMap.getZoom()") == 16
    page.click("#draw-area")
    assert page.get_attribute("#draw-area", "aria-pressed") == "true"
    box = page.locator("#planner-map").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.25)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5, steps=5)
    page.mouse.move(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.75, steps=5)
    page.mouse.up()
    bbox = page.input_value("#id_bbox")
    assert re.fullmatch(",".join([NUMBER] * 4), bbox), bbox
    west, south, east, north = map(float, bbox.split(","))
    assert west < target.lon < east and south < target.lat < north
    assert page.get_attribute("#draw-area", "aria-pressed") == "false"
    assert csp_violations(page) == []  # the planner page, its map and the drawn area
    assert page.locator("#planner-map path.leaflet-interactive, #planner-map path").count() >= 1

    page.check('input[name=layer][value="parcels"]')
    page.select_option("#id_format", "gpkg")
    page.select_option("#id_srs", str(STORAGE_SRID))
    assert page.is_hidden("#srs-other-field")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "planner.png"), full_page=True)

    with page.expect_navigation():
        page.click("#planner-submit")
    job = ExportJob.objects.get()
    assert page.url.endswith(f"/planner/exports/{job.pk}/")
    assert job.params == {"srs": str(STORAGE_SRID), "bbox": bbox, "bbox-crs": "4326"}
    assert page.get_attribute("[data-job-status]", "data-status") == "queued"

    # The worker runs the job; the page, polling every 2 s, shows the download by itself.
    call_command("export_worker", "--once", verbosity=0)
    page.wait_for_selector("[data-field=download]:not([hidden])")
    assert page.get_attribute("[data-job-status]", "data-status") == "done"
    page.screenshot(path=str(ARTIFACTS / "planner-job.png"), full_page=True)

    with page.expect_download() as download_info:
        page.click("[data-field=download]")
    saved = tmp_path / "area.gpkg"
    download_info.value.save_as(saved)
    frame = pyogrio.read_dataframe(saved)
    layer = get_layer("parcels")
    expected = exports.estimate(exports.export_params(job.params).query(layer))
    assert 0 < expected < len(district.parcels)  # the drawn area bounds the export
    assert len(frame) == expected == ExportJob.objects.get().features
    assert frame.crs.to_epsg() == STORAGE_SRID
    assert target.identifier in set(frame["identifier"])
    assert problems == []
    context.close()
