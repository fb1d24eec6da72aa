"""What a citizen reads on the parcel sheet, in a real headless Chromium, in vi and ko.

A parcel held by two co-users and mortgaged to a bank: the sheet names the land use, not
its code; lists the land users with their shares (co-ownership) and the mortgage in a
sentence, as the land office writes it; and keeps the journal's numbers and the codes in
its "Details for verification" fold; so do the statement (PDF) and its verify page.
Screenshots: var/e2e-artifacts/{sheet,verify}-words-*.png, the fold closed and open, at a
laptop's and a phone's width, and the statement's pages, statement-<language>-page<n>.png.
"""

import datetime as dt
import re
from fractions import Fraction

import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.core.management import call_command

from landinfo.profiles import get_profile
from tests.e2e.conftest import ARTIFACTS, District, ParcelOnMap, Session, wait_for
from tests.e2e.test_map import wait_for_sheet, wait_until_still
from tests.factories import PartyFactory, deed, holders_now, national_id
from transactions.deeds import services
from transactions.deeds.services import PartyInput
from transactions.models import Party, Right

pytestmark = [pytest.mark.slow]

MORTGAGED_ON = dt.date(2024, 5, 4)
BANK = "Ngân hàng TMCP Mẫu"
# What is read outside the fold must hold none of these.
JOURNAL_NUMBER = re.compile(r"#\d+")
HEX = re.compile(r"\b[0-9a-f]{16,}\b")

# The sheet's text as a person reads it with the fold closed.
READABLE = """(() => {
  const body = document.getElementById('sheet').cloneNode(true);
  body.querySelector('#sheet-proof')?.remove();
  return body.innerText;
})()"""


@pytest.fixture
def burdened(district: District, notary) -> ParcelOnMap:
    """Return the district's target, passed to two co-users (half each) and mortgaged."""
    target = district.target
    co_users = [
        (PartyInput(kind="person", name=name, national_id=national_id(n, series=8)), Fraction(1, 2))
        for n, name in enumerate(("Nguyễn Văn An", "Trần Thị Bình"))
    ]
    day = dt.date(2023, 3, 1)
    if held := holders_now(target.id):
        services.record_transfer(
            parcel_id=target.id,
            transferors=held,
            recipients=co_users,
            transfer_type="sale",
            price=4_000_000_000,
            deed=deed(notary, target.id, day),
        )
    else:
        services.record_first_registration(
            parcel_id=target.id, holders=co_users, deed=deed(notary, target.id, day)
        )
    bank = PartyFactory(kind=Party.Kind.ORGANISATION, name=BANK, national_id=None)
    services.record_mortgage(
        parcel_id=target.id,
        lender=bank.pk,
        amount=2_000_000_000,
        deed=deed(notary, target.id, MORTGAGED_ON),
    )
    return target


def open_sheet(session: Session, parcel: ParcelOnMap) -> None:
    session.page.goto(f"{session.base_url}/?parcel={parcel.id}")
    wait_for(session.page, "window.landinfoMap !== undefined")
    wait_for_sheet(session, parcel)
    session.page.wait_for_selector('#sheet .history[data-state="ready"]')
    wait_until_still(session)


@pytest.mark.parametrize(
    ("language", "holders_title", "mortgage"),
    [
        ("vi", "Người sử dụng đất", rf"Đang thế chấp tại {BANK}, đăng ký ngày .*2024"),
        ("ko", "토지 사용자", rf"근저당권 설정: {BANK}, .*2024.* 등기"),
    ],
)
def test_sheet_reads_like_the_land_office_with_the_proof_folded(
    session: Session, burdened: ParcelOnMap, language, holders_title, mortgage
):
    page = session.page
    if language != "vi":
        open_sheet(session, burdened)
        with page.expect_navigation():
            page.select_option("#language-select", language)
    open_sheet(session, burdened)
    assert page.get_attribute("html", "lang") == language

    readable = page.evaluate(READABLE)
    assert JOURNAL_NUMBER.findall(readable) == []
    assert HEX.findall(readable) == []
    # The land use by the name the law gives it; its code only in the fold.
    profile = get_profile()
    code = page.evaluate("window.landinfo.state.parcel.land_use.code")
    (use,) = (use for use in profile.land_uses if use.code == code)
    assert page.inner_text("#sheet-land-use") == use.name
    if not code.isdigit():  # a Korean "08" could be any number on the sheet
        assert not re.search(rf"\b{code}\b", readable)
    # The land users, with their shares because they hold it together; the mortgage
    # is not one of them but a sentence under them.
    assert holders_title in readable
    holders = page.inner_text("#sheet-holders")
    assert "Nguyễn V. A." in holders and "Trần T. B." in holders
    assert holders.count("1/2") == 2
    assert BANK not in holders
    burdens = page.inner_text("#sheet-burdens")
    assert re.search(mortgage, burdens), burdens
    page.locator("#sheet-holders").scroll_into_view_if_needed()
    session.screenshot(f"sheet-words-{language}")

    # Whoever checks opens the fold: the parcel's identifier, the use's code, the entries.
    assert not page.evaluate("document.getElementById('sheet-proof').open")
    page.click("#sheet-proof summary")
    page.locator("#sheet-proof").scroll_into_view_if_needed()
    proof = page.inner_text("#sheet-proof")
    assert burdened.identifier in proof and code in proof
    mortgage_entry = Right.objects.get(parcel_id=burdened.id, kind="mortgage", holder__name=BANK)
    assert f"#{mortgage_entry.begun_by_id}" in proof
    session.screenshot(f"sheet-words-{language}-proof")
    session.assert_clean()


@pytest.fixture
def key(tmp_path, settings):
    """Sign with a key of this test only."""
    path = tmp_path / "keys" / "ledger-ed25519.pem"
    settings.LANDINFO = {**settings.LANDINFO, "SIGNING_KEY_FILE": path, "VERIFY_KEY_FILES": []}
    call_command("generate_signing_key", stdout=open("/dev/null", "w"))  # noqa: SIM115


VERIFY_READABLE = """(() => {
  const main = document.querySelector('main').cloneNode(true);
  main.querySelector('#tlog-fold')?.remove();
  return main.innerText;
})()"""


@pytest.mark.parametrize(
    ("language", "title"),
    [("vi", "Văn bản cung cấp thông tin đất đai"), ("ko", "부동산종합증명서(토지)")],
)
def test_statement_and_its_verify_page_keep_the_proof_apart(
    session: Session, burdened: ParcelOnMap, key, language, title
):
    page = session.page
    response = page.request.get(
        f"{session.base_url}/parcels/{burdened.id}/certificate.pdf?lang={language}"
    )
    assert response.status == 200
    document = pdfium.PdfDocument(response.body())
    text = "\n".join(document[n].get_textpage().get_text_range() for n in range(len(document)))
    assert title in text
    assert BANK in text
    for number, pdf_page in enumerate(document, start=1):
        image = pdf_page.render(scale=110 / 72).to_pil()
        image.save(ARTIFACTS / f"statement-{language}-page{number}.png")
    (link,) = {
        code.text
        for code in zxingcpp.read_barcodes(
            document[0].render(scale=200 / 72).to_pil(), formats=zxingcpp.BarcodeFormat.QRCode
        )
    }

    page.goto(link)
    if language != "vi":
        with page.expect_navigation():
            page.select_option("#language-select", language)
    assert page.wait_for_selector("#verdict").get_attribute("data-status") == "current"
    readable = page.evaluate(VERIFY_READABLE)
    assert JOURNAL_NUMBER.findall(readable) == []
    assert HEX.findall(readable) == []
    assert BANK in readable
    session.screenshot(f"verify-words-{language}")
    page.click("#tlog-fold summary")
    fold = page.inner_text("#tlog-fold")
    assert link.rsplit("/", 1)[-1] in fold and JOURNAL_NUMBER.search(fold)
    session.screenshot(f"verify-words-{language}-proof")
