"""A citizen prints a parcel's certificate from the map, and anyone checks it by its QR code.

In a real headless Chromium: the sheet's "Land information statement (PDF)" link gives a PDF whose QR
code, read from the rendered page, opens the verify page, which says the certificate is
genuine and current. Screenshots: var/e2e-artifacts/certificate-page1.png (the PDF's
first page, as the clerk prints it) and verify-current-<viewport>.png.
"""

from urllib.parse import urlsplit

import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.core.management import call_command

from tests.e2e.conftest import ARTIFACTS, District
from tests.e2e.test_map import wait_for_sheet

pytestmark = [pytest.mark.slow]


@pytest.fixture(autouse=True)
def key(tmp_path, settings):
    """Sign with a key of this test only."""
    path = tmp_path / "keys" / "ledger-ed25519.pem"
    settings.LANDINFO = {**settings.LANDINFO, "SIGNING_KEY_FILE": path, "VERIFY_KEY_FILES": []}
    call_command("generate_signing_key", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_certificate_from_the_sheet_scans_to_a_verify_page_that_says_current(
    open_map, district: District
):
    target = district.target
    session = open_map(f"/?parcel={target.id}")
    page = session.page
    wait_for_sheet(session, target)
    link = page.locator("#certificate-link")
    assert link.inner_text() == "Văn bản cung cấp thông tin đất đai (PDF)"  # not the sổ đỏ
    href = link.get_attribute("href")
    assert urlsplit(href).path == f"/parcels/{target.id}/certificate.pdf"

    response = page.request.get(session.base_url + href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    first_page = pdfium.PdfDocument(response.body())[0]
    assert target.identifier in first_page.get_textpage().get_text_range()
    image = first_page.render(scale=200 / 72).to_pil()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    image.save(ARTIFACTS / f"certificate-page1-{session.name}.png")
    # The QR code's link, once: zxing may find the one code twice (tests/transactions/certificates/test_certificates.py).
    (link,) = {
        code.text for code in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    }

    page.goto(link)
    verdict = page.wait_for_selector("#verdict")
    assert verdict.get_attribute("data-status") == "current"
    assert target.display in page.inner_text("main") or target.identifier in page.inner_text("main")
    session.screenshot("verify-current")
    session.assert_clean()
