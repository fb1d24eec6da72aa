"""Registration end to end: a notary files, the owner is alerted and objects, a registrar decides.

The whole path of issue 18 in Debian's Chromium against the live server, with a real
SMTP server in the test process (aiosmtpd) and the outbox sent by the same function the
`send_alerts` worker runs:

1. a notary files a sale from the deed form and gets a receipt;
2. the holder's alert arrives by mail, with its one-time link;
3. the holder opens it and says "I did not agree to this": the application is on hold;
4. a registrar sees it on hold in the queue and refuses it, with a reason;
5. a second application on the parcel, filed after it, is registered by the registrar;
6. `verify_ledger` is green after all of it.
"""

from __future__ import annotations

import io
import re
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.e2e.conftest import ARTIFACTS, CHROMIUM_ARGS, CSP_WATCH, VIEWPORTS, csp_violations  # noqa: F401
from tests.factories import PASSWORD, user_with_role
from tests.transactions.alerts.conftest import SMTPServer, held_parcel
from transactions.alerts import outbox
from transactions.models import Application, JournalEntry

pytestmark = [pytest.mark.slow]

OWNER = "chu-dat@example.org"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
SHOTS = ARTIFACTS / "registration"


@pytest.fixture
def smtp(settings, live_server):
    """A running SMTP server, Django's SMTP backend at it, links in mail to the live server."""
    server = SMTPServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "registry@landinfo.test"
    settings.LANDINFO = {
        **settings.LANDINFO,
        "REGISTRATION_MODE": "reviewed",
        "PUBLIC_URL": live_server.url,
    }
    yield server
    server.stop()


def _sign_in(browser, live_server, username: str, *, locale: str = "vi-VN"):
    context = browser.new_context(locale=locale, **VIEWPORTS["desktop"])
    context.set_default_timeout(15_000)
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/?next=/deeds/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("form button[type=submit].button-primary")
    return context, page


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _file_a_sale(page, live_server, parcel, *, buyer: str, national_id: str) -> int:
    """File a sale of the whole parcel from the deed form; return the receipt number."""
    page.goto(f"{live_server.url}/deeds/transfer/?parcel={parcel.pk}")
    page.fill("#id_recipient-0-national_id", national_id)
    page.select_option("#id_recipient-0-kind", "individual")
    page.fill("#id_recipient-0-name", buyer)
    page.fill("#id_recipient-0-birth_year", "1990")
    page.fill("#id_recipient-0-share", "1/1")
    page.select_option("#id_transfer_type", "sale")
    page.fill("#id_price", "2500000000")
    # Typed with the deed, shown to the registrar; alerts name the account's office.
    page.fill("#id_contract_office", "VPCC gọi 0900000000 để hủy")
    page.set_input_files(
        "#id_document",
        {"name": "hop-dong-mua-ban.pdf", "mimeType": "application/pdf", "buffer": PDF},
    )
    with page.expect_navigation():
        page.click("#record-deed")
    assert "/receipt" in page.url, page.inner_text("main")
    return int(page.inner_text("#receipt-number").strip())


def _alert_to(server: SMTPServer, address: str, receipt: int) -> EmailMessage:
    found = [
        message
        for message in server.messages
        if message["To"] == address and f" {receipt} " in str(message["Subject"])
    ]
    assert len(found) == 1, [str(m["Subject"]) for m in server.messages]
    return found[0]


def test_a_filed_sale_is_alerted_objected_to_refused_and_the_next_registered(
    browser, live_server, smtp, transactional_db
):
    notary_account = user_with_role("notary", "notary-e2e")
    notary_account.first_name = "Văn phòng công chứng Số 1 Hà Nội"  # as the register knows it
    notary_account.save(update_fields=["first_name"])
    user_with_role("registrar", "registrar-e2e")
    parcel, _holder = held_parcel(OWNER, kind="person", name="Trần Thị Chủ")

    # 1. The notary files a sale from the form and gets its receipt.
    notary, page = _sign_in(browser, live_server, "notary-e2e")
    receipt = _file_a_sale(
        page, live_server, parcel, buyer="Lê Văn Mua", national_id="001090000123"
    )
    _shot(page, "1-receipt")
    code = page.inner_text("#status-code").strip()
    assert Application.objects.get(pk=receipt).status == "received"
    assert not JournalEntry.objects.filter(payload__contains='"application"').exists()
    assert csp_violations(page) == []

    # 2. The worker hands the alert to the mail server: the holder's, once.
    sent, failed = outbox.send_due()
    assert (sent, failed) == (1, 0)
    alert = _alert_to(smtp, OWNER, receipt)
    text = alert.get_content()
    assert "Trần Thị Chủ" not in text and "Lê Văn Mua" not in text  # no personal data
    assert "Văn phòng công chứng Số 1 Hà Nội" in text and "0900000000" not in text
    link = re.search(r"https?://\S+/alerts/object/\S+", text)
    assert link, text

    # 3. The holder opens the link, anonymous, and says they did not agree.
    owner = browser.new_context(locale="vi-VN", **VIEWPORTS["phone"])
    owner.add_init_script(CSP_WATCH)
    objection = owner.new_page()
    objection.goto(link.group(0))
    assert str(receipt) in objection.inner_text("#application-facts")
    _shot(objection, "2-objection")
    with objection.expect_navigation():
        objection.click("#object-button")
    _shot(objection, "3-objected")
    assert Application.objects.get(pk=receipt).status == "on_hold"
    assert csp_violations(objection) == []
    # The map's sheet of the parcel says an application waits on it.
    objection.goto(f"{live_server.url}/?parcel={parcel.pk}")
    note = objection.wait_for_selector("#pending-applications")
    assert str(receipt) in note.inner_text()
    _shot(objection, "4-map-sheet-pending")
    # The public status page, with the receipt's code, says it is on hold.
    objection.goto(f"{live_server.url}/applications/{receipt}/status?code={code}")
    _shot(objection, "5-status-on-hold")
    owner.close()

    # A second application on the parcel, filed after the first.
    second = _file_a_sale(
        page, live_server, parcel, buyer="Phạm Văn Hai", national_id="001090000456"
    )
    assert second == receipt + 1
    assert outbox.send_due() == (1, 0)  # its alert too: no registration before it is sent
    notary.close()

    # 4. The registrar sees the first on hold in the queue, and refuses it with a reason.
    registrar, desk = _sign_in(browser, live_server, "registrar-e2e")
    desk.goto(f"{live_server.url}/applications/")
    row = desk.locator(f'#queue tr[data-receipt="{receipt}"]')
    assert row.get_attribute("data-on-hold") is not None
    assert (
        desk.locator(f'#queue tr[data-receipt="{second}"]').get_attribute("data-waits") is not None
    )
    _shot(desk, "5-queue")
    desk.goto(f"{live_server.url}/applications/{second}/")
    desk.check('#decision-form input[value="register"]')
    with desk.expect_navigation():
        desk.click("#decide")
    assert Application.objects.get(pk=second).status == "received"  # not its turn yet
    _shot(desk, "6-out-of-order")

    desk.goto(f"{live_server.url}/applications/{receipt}/")
    _shot(desk, "7-application-on-hold")
    desk.check('#decision-form input[value="refuse"]')
    desk.fill("#reason", "Chủ sử dụng đất báo không ký hợp đồng; hồ sơ bị từ chối.")
    with desk.expect_navigation():
        desk.click("#decide")
    assert Application.objects.get(pk=receipt).status == "refused"

    # 5. Now the second's turn: registered, as a journal entry naming it.
    desk.goto(f"{live_server.url}/applications/{second}/")
    desk.check('#decision-form input[value="register"]')
    with desk.expect_navigation():
        desk.click("#decide")
    _shot(desk, "8-registered")
    decided = Application.objects.get(pk=second)
    assert decided.status == "registered" and decided.entry is not None
    assert f'"application":{second}' in decided.entry.payload
    assert csp_violations(desk) == []
    registrar.close()

    # 6. The journal and the applications' chain verify.
    out = io.StringIO()
    call_command("verify_ledger", stdout=out)
    assert "OK" in out.getvalue() and "2 applications" in out.getvalue()
    Path(SHOTS / "verify_ledger.txt").write_text(out.getvalue())
