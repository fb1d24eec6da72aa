"""The applications' pages: filing from the deed forms, the receipt, the status, the queue, the file."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from fractions import Fraction
from typing import Any

import pypdfium2
import pytest
import zxingcpp
from django.urls import reverse

from tests.factories import ParcelFactory, current_entry, national_id, user_with_role
from tests.transactions.deeds.test_views import PDF, problems, transfer_form
from transactions.applications import decisions
from transactions.applications.receipt import file_application
from transactions.deeds import services
from transactions.models import Application, JournalEntry, PersonalDataAccess

pytestmark = pytest.mark.django_db

TRANSFER = reverse("transactions:deed-transfer")
QUEUE = reverse("applications:queue")
OWNERS = ("Nguyễn Văn An", "Trần Thị Bình")


@pytest.fixture(autouse=True)
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def reviewed(settings):
    settings.LANDINFO = {**settings.LANDINFO, "REGISTRATION_MODE": "reviewed"}


@pytest.fixture
def direct(settings):
    settings.LANDINFO = {**settings.LANDINFO, "REGISTRATION_MODE": "direct"}


def _parcel(notary, address: str = "Số 12 Phố Huế"):
    """Return a parcel held in halves by two persons since 2020."""
    parcel = ParcelFactory(address=address)
    services.record_first_registration(
        parcel_id=parcel.pk,
        holders=[
            (services.PartyInput("person", OWNERS[0], national_id(1)), Fraction(1, 2)),
            (services.PartyInput("person", OWNERS[1], national_id(2)), Fraction(1, 2)),
        ]
        if address == "Số 12 Phố Huế"
        else [(services.PartyInput("person", "Phạm Thu", national_id(7)), Fraction(1))],
        deed=services.DeedInput(
            effective_date=dt.date(2020, 1, 1),
            recorded_by=notary,
            expected_last_entry=current_entry(parcel.pk),
        ),
    )
    return parcel


@pytest.fixture
def registered(notary):
    return _parcel(notary)


def file_mortgage(parcel, user, amount: int = 100) -> Application:
    """File a mortgage of the parcel to a new lender, as the API would."""
    body = {
        "kind": "mortgage",
        "parcel": parcel.pk,
        "effective_date": "2024-03-01",
        "expected_last_entry": current_entry(parcel.pk),
        "document_sha256": "ab" * 32,
        "lender": {"kind": "organisation", "name": "Ngân hàng Sông Hồng", "national_id": ""},
        "amount": str(amount),
        "currency": "VND",
        "contract": {"number": "1234/2024", "book": "05", "office": "Văn phòng công chứng Hà Nội"},
    }
    return file_application(body, user=user, idempotency_key=str(uuid.uuid4()))


# --- filing from the deed forms ---------------------------------------------------------------


def test_the_form_files_an_application_in_reviewed_mode(
    client, notary, registered, reviewed, media
):
    client.force_login(notary)
    data = transfer_form(client, registered)
    data |= {"contract_number": "1234/2024", "contract_book": "05", "contract_date": "2024-02-28"}
    data |= {"contract_office": "Văn phòng công chứng Hà Nội"}
    entries = JournalEntry.objects.count()

    response = client.post(TRANSFER, data)

    assert response.status_code == 302, problems(response)
    application = Application.objects.get()
    assert response["Location"].endswith(
        reverse("applications:receipt", kwargs={"receipt": application.receipt_number})
    )
    assert JournalEntry.objects.count() == entries  # filed, not recorded
    assert application.filed_by == notary and application.status == "received"
    assert json.loads(application.body)["contract"] == {
        "number": "1234/2024",
        "book": "05",
        "date": "2024-02-28",
        "office": "Văn phòng công chứng Hà Nội",
    }
    # The office the register knows the account by, not the text typed with the deed.
    assert application.office == notary.get_full_name() == ""
    assert (media / "deeds" / application.document_sha256).read_bytes() == PDF
    page = client.get(response["Location"]).content.decode()
    assert f'id="receipt-number">{application.receipt_number}<' in page
    assert application.status_code in page
    assert reverse("applications:receipt-pdf", args=[application.receipt_number]) in page


def test_the_form_records_at_once_in_direct_mode(client, notary, registered, direct):
    client.force_login(notary)
    page = client.get(TRANSFER, {"parcel": registered.pk}).content.decode()
    assert "contract_number" not in page

    response = client.post(TRANSFER, transfer_form(client, registered))

    assert response.status_code == 302, problems(response)
    assert response["Location"] == f"http://testserver/?parcel={registered.pk}"
    assert not Application.objects.exists()
    assert JournalEntry.objects.filter(kind="transfer").count() == 1


@pytest.mark.every_profile
def test_the_contract_fields_are_named_as_the_profiles_law_names_them(
    client, notary, registered, reviewed, profile
):
    client.force_login(notary)
    page = client.get(TRANSFER, {"parcel": registered.pk}).content.decode()
    if profile.key == "kr":
        assert "Cause of registration" in page and "contract_book" not in page
    else:
        assert "Notarisation number" in page and "Book number" in page
        assert "contract_cause" not in page


# --- the receipt --------------------------------------------------------------------------------


@pytest.mark.every_profile
def test_the_receipt_pdf_qr_code_scans_to_the_status_page(client, notary, registered, reviewed):
    application = file_mortgage(registered, notary)
    client.force_login(notary)

    response = client.get(reverse("applications:receipt-pdf", args=[application.receipt_number]))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = pypdfium2.PdfDocument(response.content)
    found = zxingcpp.read_barcodes(
        pdf[0].render(scale=200 / 72).to_pil(), formats=zxingcpp.BarcodeFormat.QRCode
    )
    url = (
        f"http://testserver/applications/{application.receipt_number}/status"
        f"?code={application.status_code}"
    )
    assert {code.text for code in found} == {url}
    text = pdf[0].get_textpage().get_text_range()
    assert str(application.receipt_number) in text
    assert national_id(1) not in text and OWNERS[0] not in text


def test_the_receipt_is_its_filers_and_the_registrars(client, notary, registrar, registered):
    application = file_mortgage(registered, notary)
    url = reverse("applications:receipt", args=[application.receipt_number])
    assert client.get(url).status_code == 302  # sign in first
    client.force_login(user_with_role("notary", "notary-2"))
    assert client.get(url).status_code == 404
    client.force_login(registrar)
    assert client.get(url).status_code == 200


# --- the public status page ---------------------------------------------------------------------


def test_the_status_page_shows_the_steps_without_personal_data(
    client, notary, registrar, registered
):
    from transactions.applications import decisions

    application = file_mortgage(registered, notary)
    decisions.hold(application.receipt_number, reason=f"{OWNERS[0]} objected", by=registrar)
    url = reverse("applications:status", args=[application.receipt_number])

    response = client.get(url, {"code": application.status_code.lower()})

    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-status="on_hold"' in page and "Received" in page and "On hold" in page
    for secret in (*OWNERS, national_id(1), "objected", "Ngân hàng", registrar.username):
        assert secret not in page


def test_a_wrong_code_and_an_unknown_receipt_answer_alike(client, notary, registered):
    application = file_mortgage(registered, notary)
    number = application.receipt_number
    wrong = client.get(reverse("applications:status", args=[number]), {"code": "WRONGCODE2"})
    unknown = client.get(
        reverse("applications:status", args=[number + 1]), {"code": application.status_code}
    )
    assert wrong.status_code == unknown.status_code == 404
    assert "Status code" in wrong.content.decode()

    def body(response: Any) -> str:
        # The page echoes what was asked (the sign-in link's `next`): the rest is alike.
        text = response.content.decode().replace(application.status_code, "WRONGCODE2")
        for asked in (f"/applications/{number + 1}/", f'value="{number + 1}"'):
            text = text.replace(asked, asked.replace(str(number + 1), str(number)))
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)

    assert body(wrong) == body(unknown)


# --- the registrar's queue ----------------------------------------------------------------------


def test_the_queue_lists_open_applications_in_order_with_their_flags(
    client, notary, registrar, registered, monkeypatch
):
    from transactions.applications import decisions, office

    other = _parcel(notary, address="Số 14 Phố Huế")
    first = file_mortgage(registered, notary)
    second = file_mortgage(registered, notary, amount=200)
    third = file_mortgage(other, notary)
    refused = file_mortgage(other, notary, amount=300)
    decisions.hold(third.receipt_number, reason="look again", by=registrar)
    decisions.decide(refused.receipt_number, decision="refuse", reason="no", by=registrar)
    client.force_login(registrar)

    page = client.get(QUEUE).content.decode()

    rows = [first, second, third]
    positions = [page.index(f'data-receipt="{a.receipt_number}"') for a in rows]
    assert positions == sorted(positions)
    assert f'data-receipt="{refused.receipt_number}"' not in page
    row = {a: page[page.index(f'data-receipt="{a.receipt_number}"') :].split(">")[0] for a in rows}
    assert "data-waits" in row[second] and "data-waits" not in row[first]
    assert "data-on-hold" in row[third] and "data-on-hold" not in row[first]
    assert "data-overdue" not in row[first]
    later = office.now() + dt.timedelta(days=office.registration_days())
    monkeypatch.setattr(office, "now", lambda: later)
    page = client.get(QUEUE).content.decode()
    assert page.count("data-overdue") == 3


@pytest.mark.parametrize("role", ["anonymous", "notary", "planner", "auditor"])
def test_only_registrars_open_the_queue(client, role):
    if role != "anonymous":
        client.force_login(user_with_role(role, f"{role}-9"))
    response = client.get(QUEUE)
    assert response.status_code == (302 if role == "anonymous" else 403)


# --- the application's file and the decision ----------------------------------------------------


@pytest.mark.every_profile
def test_the_registrar_registers_from_the_file(client, notary, registrar, registered):
    application = file_mortgage(registered, notary)
    url = reverse("applications:detail", args=[application.receipt_number])
    client.force_login(registrar)
    page = client.get(url).content.decode()
    assert 'id="decision-form"' in page
    assert OWNERS[0] in page and "Ngân hàng Sông Hồng" in page  # parties by name
    assert "1234/2024" in page  # the contract's particulars
    assert PersonalDataAccess.objects.filter(
        user=registrar, purpose=f"application {application.receipt_number}"
    ).exists()

    response = client.post(url, {"decision": "register", "reason": ""}, follow=True)

    application.refresh_from_db()
    assert application.status == "registered" and application.entry is not None
    assert f"entry #{application.entry.sequence}" in response.content.decode()


def test_a_refusal_needs_a_reason(client, notary, registrar, registered):
    application = file_mortgage(registered, notary)
    url = reverse("applications:detail", args=[application.receipt_number])
    client.force_login(registrar)

    response = client.post(url, {"decision": "refuse", "reason": "  "}, follow=True)

    assert "Give the reason" in response.content.decode()
    application.refresh_from_db()
    assert application.status == "received"
    client.post(url, {"decision": "refuse", "reason": "The lender did not sign."})
    application.refresh_from_db()
    assert application.status == "refused"


def test_a_later_application_is_not_registered_before_an_earlier_one(
    client, notary, registrar, registered
):
    first = file_mortgage(registered, notary)
    second = file_mortgage(registered, notary, amount=200)
    client.force_login(registrar)
    url = reverse("applications:detail", args=[second.receipt_number])
    assert 'class="flag flag-waits"' in client.get(url).content.decode()

    response = client.post(url, {"decision": "register"}, follow=True)

    assert "received earlier on the same parcel" in response.content.decode()
    second.refresh_from_db()
    assert second.status == "received" and first.receipt_number < second.receipt_number


def test_the_filer_sees_the_file_without_a_decision_form(client, registrar, registered):
    application = file_mortgage(registered, registrar)  # a registrar may file too
    url = reverse("applications:detail", args=[application.receipt_number])
    client.force_login(registrar)

    page = client.get(url).content.decode()
    refused = client.post(url, {"decision": "register"})

    assert 'id="decision-form"' not in page and 'id="no-decision"' in page
    assert refused.status_code == 403
    application.refresh_from_db()
    assert application.status == "received"


def test_the_filer_withdraws_from_the_file_and_no_one_else_can(
    client, notary, registrar, registered
):
    application = file_mortgage(registered, notary)
    url = reverse("applications:detail", args=[application.receipt_number])
    client.force_login(registrar)
    assert 'id="withdraw-form"' not in client.get(url).content.decode()
    client.post(url, {"decision": "withdraw"})  # a registrar's: not a withdrawal
    application.refresh_from_db()
    assert application.status == "received"

    client.force_login(notary)
    assert 'id="withdraw-form"' in client.get(url).content.decode()
    client.post(url, {"decision": "withdraw", "reason": "Khách hàng rút hồ sơ."})

    application.refresh_from_db()
    assert application.status == "withdrawn"
    assert 'id="withdraw-form"' not in client.get(url).content.decode()


@pytest.mark.every_profile
def test_the_file_lists_the_documents_the_office_asks_for_filed_or_missing(
    client, notary, registrar, registered
):
    from transactions.applications import office

    application = file_mortgage(registered, notary)  # the contract's SHA-256, nothing else
    client.force_login(registrar)
    page = client.get(reverse("applications:detail", args=[application.receipt_number]))
    listed = page.content.decode().split('id="documents-asked"')[1].split("</ul>")[0]

    asked = office.documents_asked("mortgage")
    assert len(asked) >= 2 and listed.count("<li") == len(asked)
    contract = next(document for document in asked if document.name == "contract")
    assert f"✓ {contract.label}" in listed
    assert listed.count('class="missing"') == len(asked) - 1


def test_the_deed_form_says_which_applications_wait_on_the_parcel(client, notary, registered):
    first = file_mortgage(registered, notary)
    second = file_mortgage(registered, notary, amount=200)
    client.force_login(notary)
    page = client.get(reverse("transactions:deed-transfer") + f"?parcel={registered.pk}")
    note = page.content.decode().split('id="pending-applications"')[1].split("</p>")[0]
    assert f"{first.receipt_number}, {second.receipt_number}" in note


def test_an_application_made_stale_by_a_registration_is_flagged_in_the_queue(
    client, notary, registrar, registered
):
    first = file_mortgage(registered, notary)
    second = file_mortgage(registered, notary, amount=200)
    client.force_login(registrar)
    queue = client.get(reverse("applications:queue")).content.decode()
    assert "data-stale" not in queue

    decisions.decide(first.receipt_number, decision="register", by=registrar)

    queue = client.get(reverse("applications:queue")).content.decode()
    row = queue.split(f'data-receipt="{second.receipt_number}"')[1].split(">")[0]
    assert "data-stale" in row
