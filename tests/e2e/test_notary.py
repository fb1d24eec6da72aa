"""A notary at work, in a real headless Chromium: sign in, find a parcel, record a transfer.

The notary signs in, finds a parcel with the search box, opens "Record a deed" from its
sheet, fills in a gift to a new person with the signed deed attached, and records it.
The parcel's sheet then shows the new holder masked, to the notary and to an anonymous
visitor alike, and the deed heads its history. Screenshots: var/e2e-artifacts/
notary-form.png (the filled form) and notary-after.png (the sheet after recording).
"""

import re

import pytest

from tests.e2e.conftest import (
    ARTIFACTS,
    CSP_WATCH,
    LOCAL_HOSTS,
    VIEWPORTS,
    District,
    csp_violations,
    wait_for,
)
from tests.e2e.test_map import typed, wait_for_sheet
from tests.factories import PASSWORD, user_with_role
from transactions.masking import mask_party_name
from transactions.models import JournalEntry, PersonalDataAccess, Right

pytestmark = [pytest.mark.slow]

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
NEW_HOLDER = "Đỗ Thị Hoa"
NEW_NATIONAL_ID = "001199000123"


def _watch(page, problems: list[str]) -> None:
    """Collect console errors, script errors and requests that leave the machine."""
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    def on_request(request) -> None:
        host = re.match(r"^[a-z]+://([^/:]+|\[[^\]]+\])", request.url)
        if host and host[1] not in LOCAL_HOSTS:
            problems.append(f"foreign request: {request.url}")

    page.on("request", on_request)


def test_a_notary_records_a_transfer_from_the_map(browser, live_server, district: District):
    held = (
        Right.objects.filter(
            kind="ownership",
            valid_to__isnull=True,
            voided_by__isnull=True,
            holder__kind="person",
            parcel__valid_to__isnull=True,
        )
        .exclude(parcel_id__in=[district.successor.id, district.retired.id])
        .select_related("holder")
        .order_by("parcel_id")
        .first()
    )
    parcel = next(p for p in district.parcels if p.id == held.parcel_id)
    user_with_role("notary", "notary-e2e")
    problems: list[str] = []

    notary = browser.new_context(locale="vi-VN", **VIEWPORTS["desktop"])
    notary.set_default_timeout(15_000)
    notary.add_init_script(CSP_WATCH)  # the policy is enforced: nothing may be refused
    page = notary.new_page()
    _watch(page, problems)

    # Sign in; the header says who is signed in, in which role.
    page.goto(f"{live_server.url}/accounts/login/?next=/")
    page.fill("#id_username", "notary-e2e")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("form button[type=submit].button-primary")
    wait_for(page, "window.landinfoMap !== undefined")
    assert page.text_content(".account .account-name").strip() == "notary-e2e"
    assert page.inner_text(".account .role-chip") == "Công chứng viên"  # notary
    assert csp_violations(page) == []  # the map, signed in

    # Find the parcel with the search box, as a notary with the deed's parcel number does.
    box = page.locator("#search-input")
    box.press_sequentially(typed(parcel.display), delay=20)
    page.wait_for_selector(f'#search-results .search-option[data-parcel-id="{parcel.id}"]')
    page.click(f'#search-results .search-option[data-parcel-id="{parcel.id}"]')
    wait_for_sheet(session=_Page(page), parcel=parcel)
    before_masked = mask_party_name(held.holder.name, "person")
    assert before_masked in page.inner_text("#sheet-body")
    assert held.holder.name not in page.inner_text("#sheet-body")  # the sheet stays public

    # "Record a deed": the form shows the holders unmasked, and records that it did.
    with page.expect_navigation():
        page.click("#record-deed")
    assert page.url.endswith(f"/deeds/transfer/?parcel={parcel.id}")
    holders = page.inner_text("table.holders")
    assert csp_violations(page) == []  # the deed form
    assert held.holder.name in holders and held.holder.national_id in holders
    assert PersonalDataAccess.objects.filter(
        user__username="notary-e2e", party=held.holder, purpose="deed form: transfer"
    ).exists()

    page.fill("#id_recipient-0-national_id", NEW_NATIONAL_ID)
    page.select_option("#id_recipient-0-kind", "individual")
    page.fill("#id_recipient-0-name", NEW_HOLDER)
    page.fill("#id_recipient-0-birth_year", "1990")
    page.fill("#id_recipient-0-share", "1/1")
    page.select_option("#id_transfer_type", "gift")
    page.set_input_files(
        "#id_document",
        {"name": "hop-dong-tang-cho.pdf", "mimeType": "application/pdf", "buffer": PDF},
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "notary-form.png"), full_page=True)
    with page.expect_navigation():
        page.click("#record-deed")

    # Back on the map, at the parcel, with the entry's number.
    entry = JournalEntry.objects.order_by("-sequence").first()
    assert (entry.kind, entry.recorded_by.username) == ("transfer", "notary-e2e")
    # The map may already have written its view into the fragment (#z/lat/lon).
    assert page.url.split("#")[0].endswith(f"/?parcel={parcel.id}")
    wait_for(page, "window.landinfoMap !== undefined")
    wait_for_sheet(session=_Page(page), parcel=parcel)
    # The entry's number, as the page's language writes it ("lượt vào sổ số 591").
    assert re.search(rf"\b{entry.sequence}\b", page.inner_text(".messages"))
    masked = mask_party_name(NEW_HOLDER, "person")
    page.wait_for_selector('#sheet .history[data-state="ready"]')
    body = page.inner_text("#sheet-body")
    assert masked in body and NEW_HOLDER not in body
    newest = page.locator("#sheet .timeline-entry").first
    assert "kind-transfer" in newest.get_attribute("class")
    # The journal's number is for whoever checks: in the sheet's verification fold only.
    assert f"#{entry.sequence}" not in newest.inner_text()
    assert f"#{entry.sequence}" in page.text_content("#sheet-proof-entries")
    wait_for(page, "window.landinfo.isIdle()")
    # The sheet scrolled to its rights and history: what the deed changed.
    page.evaluate("document.querySelector('#sheet .rights').scrollIntoView({block: 'start'})")
    page.screenshot(path=str(ARTIFACTS / "notary-after.png"))
    notary.close()

    # An anonymous visitor sees the same sheet: the new holder masked, no deed button.
    public = browser.new_context(locale="vi-VN", **VIEWPORTS["desktop"])
    public.set_default_timeout(15_000)
    page = public.new_page()
    _watch(page, problems)
    page.goto(f"{live_server.url}/?parcel={parcel.id}")
    wait_for(page, "window.landinfoMap !== undefined")
    wait_for_sheet(session=_Page(page), parcel=parcel)
    page.wait_for_selector('#sheet .history[data-state="ready"]')
    body = page.inner_text("#sheet-body")
    assert masked in body
    for secret in (NEW_HOLDER, NEW_NATIONAL_ID, held.holder.name):
        assert secret not in page.content()
    assert page.locator("#record-deed").count() == 0
    assert f"#{entry.sequence}" in page.text_content("#sheet-proof-entries")
    public.close()
    assert problems == []


class _Page:
    """The little of tests.e2e.conftest.Session that wait_for_sheet reads."""

    def __init__(self, page) -> None:
        self.page = page
