"""What a right records as the law's certificate states it: API → journal → projection → sheet.

Vietnam (Circular 10/2024/TT-BTNMT, Land Law 2024): the holder's kind, the right's
origin, form of use, term, attached assets, the paper's serial and the entry number;
the State is no land user; an organisation has no year of birth. Korea: 소유권보존 and
지분 only for co-ownership. Every payload written without them keeps its shape, and
verify_ledger compares the new columns with the journal.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import uuid
from typing import Any

import pypdfium2 as pdfium
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from landinfo.profiles import get_profile
from landinfo.srid import STORAGE_SRID
from tests.factories import ParcelFactory, PartyFactory, current_entry, national_id
from tests.transactions.deeds.test_deeds_api import _halves
from transactions.certificates import pdf
from transactions.certificates.issue import issue_certificate
from transactions.deeds import payloads
from transactions.deeds.kinds import KINDS
from transactions.models import JournalEntry, Party, Right
from transactions.selectors import parcel_sheet
from transactions.shares import Share

pytestmark = pytest.mark.django_db

URL = "/api/transactions/"
vietnam_only = pytest.mark.skipif(
    get_profile().key != "vn", reason="what Vietnam's certificate states"
)


def post(client, body: dict[str, Any]):
    return client.post(
        URL,
        data=json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": str(uuid.uuid4()), "Accept-Language": "en"},
    )


def first_registration(client, parcel, holders, **extra: Any):
    return post(
        client,
        {
            "kind": "first_registration",
            "parcel": parcel.pk,
            "expected_last_entry": current_entry(parcel.pk),
            "effective_date": "2020-01-01",
            "holders": holders,
            **extra,
        },
    )


def payload_of(entry_sequence: int) -> dict[str, Any]:
    return json.loads(JournalEntry.objects.get(sequence=entry_sequence).payload)


def verify() -> str:
    out = io.StringIO()
    call_command("verify_ledger", stdout=out)
    return out.getvalue()


# --- the payload keeps its shape when nothing new is stated ----------------------------------


@pytest.mark.every_profile
def test_a_right_and_a_party_stated_without_particulars_keep_the_old_keys():
    right = payloads.NewRight(7, 3, payloads.OWNERSHIP, Share(1, 2), "CS 001")
    party = payloads.PartyStatement(3, "person", "Lê Văn An", "001080000001")
    assert right.as_payload() == {
        "id": 7,
        "holder": 3,
        "kind": "ownership",
        "share": "1/2",
        "certificate_number": "CS 001",
    }
    assert party.as_payload() == {
        "id": 3,
        "kind": "person",
        "name": "Lê Văn An",
        "national_id": "001080000001",
    }
    empty = payloads.NewRight(7, 3, payloads.OWNERSHIP, particulars=payloads.Particulars())
    assert set(empty.as_payload()) == {"id", "holder", "kind", "share", "certificate_number"}


@pytest.mark.every_profile
def test_only_the_stated_particulars_are_written():
    stated = payloads.Particulars(origin="x", term="2070-01-01")
    assert stated.as_payload() == {"origin": "x", "term": "2070-01-01"}
    with pytest.raises(ValueError):
        payloads.Particulars(term="next year")


# --- Vietnam: API → journal → projection → sheet → certificate → verify ----------------------


@vietnam_only
def test_what_the_certificate_states_goes_from_the_api_to_the_sheet_and_certificate(
    client, notary, signing_key
):
    parcel = ParcelFactory()
    client.force_login(notary)
    term = dt.date(2020 + random.randint(20, 60), random.randint(1, 12), 1).isoformat()
    serial = f"AB {random.randint(0, 99_999_999):08d}"
    response = first_registration(
        client,
        parcel,
        [
            {
                "party": {
                    "holder_kind": "household",
                    "name": "Hộ ông Nguyễn Văn Nam",
                    "national_id": national_id(41),
                    "birth_year": 1960,
                },
                "share": "1/1",
            }
        ],
        particulars={
            "origin": "allocated_without_levy",
            "use_form": "private",
            "term": term,
            "attached_assets": "Nhà ở riêng lẻ 2 tầng",
            "certificate_serial": serial,
            "certificate_number": "CH 00123",
        },
    )
    assert response.status_code == 201, response.content
    payload = payload_of(response.json()["sequence"])
    (right_payload,) = payload["rights_begun"]
    assert right_payload["origin"] == "allocated_without_levy"
    assert right_payload["term"] == term
    assert right_payload["certificate_serial"] == serial
    assert payload["parties"][0]["holder_kind"] == "household"

    right = Right.objects.select_related("holder").get(parcel=parcel)
    assert (right.origin, right.use_form, right.long_term) == (
        "allocated_without_levy",
        "private",
        False,
    )
    assert right.term_end == dt.date.fromisoformat(term)
    assert (right.certificate_serial, right.certificate_number) == (serial, "CH 00123")
    assert (right.holder.kind, right.holder.holder_kind) == ("person", "household")

    with translation.override("vi"):
        sheet = parcel_sheet(parcel.pk)
        certificate = issue_certificate(
            parcel.pk, user=notary, language="vi", verify_url=lambda code: code
        )
    assert sheet is not None and certificate is not None
    (shown,) = sheet["rights"]
    assert shown["origin"] == "allocated_without_levy"
    assert shown["origin_label"] == "Nhà nước giao đất không thu tiền sử dụng đất"
    assert shown["use_form_label"] == "Sử dụng riêng"
    assert shown["term"] == term
    assert shown["attached_assets"] == "Nhà ở riêng lẻ 2 tầng"
    assert shown["holder"]["holder_kind_label"] == "Hộ gia đình"
    # The paper's serial and number identify the holder's certificate: not public.
    assert serial not in json.dumps(sheet, ensure_ascii=False)
    assert "CH 00123" not in json.dumps(sheet, ensure_ascii=False)

    (printed,) = certificate.rights
    assert (printed.certificate_serial, printed.certificate_number) == (serial, "CH 00123")
    with translation.override("vi"):
        lines = pdf.particulars(printed, "vi")
        kind = pdf.holder_kind_word(printed.holder)
    assert "Nguồn gốc sử dụng: Nhà nước giao đất không thu tiền sử dụng đất" in lines
    assert "Hình thức sử dụng: Sử dụng riêng" in lines
    assert "Tài sản gắn liền với đất: Nhà ở riêng lẻ 2 tầng" in lines
    assert any(line.startswith("Thời hạn sử dụng: Đến ngày") for line in lines)
    assert kind == "Hộ gia đình"
    verify()  # raises CommandError on any difference


@vietnam_only
@pytest.mark.parametrize(
    ("transfer_type", "price", "origin"),
    [
        ("sale", "1500000000", "transfer_received"),
        ("inheritance", "0", "inheritance_received"),
        ("gift", "0", "gift_received"),
    ],
)
def test_a_transfer_gives_the_recipients_its_origin_and_carries_the_term(
    client, notary, transfer_type, price, origin
):
    parcel = ParcelFactory()
    client.force_login(notary)
    seller = {"holder_kind": "individual", "name": "Trần Văn Bán", "national_id": national_id(42)}
    stays = {"holder_kind": "individual", "name": "Trần Thị Giữ", "national_id": national_id(43)}
    assert (
        first_registration(
            client,
            parcel,
            [{"party": seller, "share": "1/2"}, {"party": stays, "share": "1/2"}],
            particulars={
                "origin": "recognised",
                "use_form": "common",
                "term": "long_term",
                "attached_assets": "Nhà cấp 4",
                "certificate_number": "CS 7",
            },
        ).status_code
        == 201
    )
    giver = Party.objects.get(name="Trần Văn Bán")
    response = post(
        client,
        {
            "kind": "transfer",
            "parcel": parcel.pk,
            "expected_last_entry": current_entry(parcel.pk),
            "effective_date": "2024-03-01",
            "transfer_type": transfer_type,
            "price": price,
            "transferors": [{"party": giver.pk, "share": "1/2"}],
            "recipients": [
                {
                    "party": {
                        "holder_kind": "individual",
                        "name": "Lê Văn Nhận",
                        "national_id": national_id(44),
                    },
                    "share": "1/2",
                }
            ],
            "particulars": {"certificate_serial": "CT 00000001"},
        },
    )
    assert response.status_code == 201, response.content
    now = {
        right.holder.name: right
        for right in Right.objects.filter(parcel=parcel, valid_to__isnull=True).select_related(
            "holder"
        )
    }
    received, kept = now["Lê Văn Nhận"], now["Trần Thị Giữ"]
    assert (received.origin, received.long_term, received.use_form) == (origin, True, "common")
    assert received.attached_assets == "Nhà cấp 4"
    assert (received.certificate_serial, received.certificate_number) == ("CT 00000001", "")
    # The co-holder who gave nothing keeps her right untouched.
    assert (kept.origin, kept.certificate_number) == ("recognised", "CS 7")
    verify()  # raises CommandError on any difference


@vietnam_only
def test_the_state_is_not_a_land_user_in_the_api(client, notary):
    parcel = ParcelFactory()
    client.force_login(notary)
    response = first_registration(
        client, parcel, [{"party": {"kind": "state", "name": "Nhà nước"}, "share": "1/1"}]
    )
    assert response.status_code == 400, response.content
    assert "not a land user" in json.dumps(response.json())
    state = PartyFactory(kind=Party.Kind.STATE, name="Nhà nước", national_id=None)
    response = first_registration(client, parcel, [{"party": state.pk, "share": "1/1"}])
    assert response.status_code == 422, response.content
    assert "not a land user" in response.json()["detail"]
    assert not Right.objects.filter(parcel=parcel).exists()


@pytest.mark.every_profile
def test_an_organisation_given_a_birth_year_is_refused_with_the_reason(client, notary):
    parcel = ParcelFactory()
    client.force_login(notary)
    organisation = next(k for k in get_profile().holder_kinds if k.party_kind == "organisation")
    response = first_registration(
        client,
        parcel,
        [
            {
                "party": {
                    "holder_kind": organisation.code,
                    "name": "Thử",
                    "national_id": national_id(45, "organisation"),
                    "birth_year": 1990,
                },
                "share": "1/1",
            }
        ],
    )
    assert response.status_code == 400, response.content
    assert "no year of birth" in json.dumps(response.json())
    assert not Right.objects.filter(parcel=parcel).exists()


@vietnam_only
def test_a_household_is_not_a_new_recipient_of_a_transfer(client, notary):
    parcel = ParcelFactory()
    client.force_login(notary)
    owner = {"holder_kind": "individual", "name": "Phạm Văn Chủ", "national_id": national_id(46)}
    assert first_registration(client, parcel, [{"party": owner, "share": "1/1"}]).status_code == 201
    response = post(
        client,
        {
            "kind": "transfer",
            "parcel": parcel.pk,
            "expected_last_entry": current_entry(parcel.pk),
            "effective_date": "2024-03-01",
            "transfer_type": "gift",
            "transferors": [{"party": Party.objects.get(name="Phạm Văn Chủ").pk, "share": "1/1"}],
            "recipients": [
                {
                    "party": {
                        "holder_kind": "household",
                        "name": "Hộ bà Phạm Thị Nhận",
                        "national_id": national_id(47),
                    },
                    "share": "1/1",
                }
            ],
        },
    )
    assert response.status_code == 422, response.content


@vietnam_only
def test_a_term_that_ends_before_the_deed_is_refused(client, notary):
    parcel = ParcelFactory()
    client.force_login(notary)
    owner = {"holder_kind": "individual", "name": "Đỗ Văn Hạn", "national_id": national_id(48)}
    response = first_registration(
        client, parcel, [{"party": owner, "share": "1/1"}], particulars={"term": "2019-12-31"}
    )
    assert response.status_code == 422, response.content
    assert "2019-12-31" in response.json()["detail"]


# --- Korea -----------------------------------------------------------------------------------


@pytest.mark.every_profile
def test_the_first_registration_is_named_as_the_profiles_law_names_it(client, notary):
    # Korean speaks the Korean law's word (docs/glossary-kr.md); English says it plainly.
    with translation.override("ko"):
        assert str(KINDS["first_registration"].label) == "소유권보존"
    with translation.override("en"):
        assert str(KINDS["first_registration"].label) == "First registration"
    parcel = ParcelFactory()
    client.force_login(notary)
    owner = {"holder_kind": "individual", "name": "김민준", "national_id": national_id(49)}
    assert first_registration(client, parcel, [{"party": owner, "share": "1/1"}]).status_code == 201
    right = Right.objects.get(parcel=parcel)
    # Korea's first registration states its cause, 소유권보존; Vietnam's states none by default.
    korean = get_profile().key == "kr"
    assert right.origin == ("preservation" if korean else "")


@pytest.mark.every_profile
def test_a_sole_owners_share_is_not_printed_as_a_share():
    assert Share.printed(1, 1) == ""
    assert Share.printed(2, 2) == ""
    assert Share.printed(1, 2) == "1/2"


@pytest.mark.every_profile
@pytest.mark.skipif(get_profile().key != "kr", reason="what Korea's register states")
def test_korea_refuses_what_its_certificate_does_not_state(client, notary):
    parcel = ParcelFactory()
    client.force_login(notary)
    owner = {"holder_kind": "individual", "name": "이서연", "national_id": national_id(50)}
    response = first_registration(
        client, parcel, [{"party": owner, "share": "1/1"}], particulars={"term": "long_term"}
    )
    assert response.status_code == 422, response.content
    state = {"holder_kind": "state", "name": "대한민국"}
    response = first_registration(client, parcel, [{"party": state, "share": "1/1"}])
    assert response.status_code == 201, response.content  # the State may own land in Korea


# --- verify_ledger compares the new columns --------------------------------------------------


@pytest.mark.every_profile
@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("origin", "sale"),
        ("long_term", True),
        ("attached_assets", "Nhà"),
        ("certificate_serial", "X"),
    ],
)
def test_a_tampered_particular_of_a_right_is_named_by_verify_ledger(client, notary, column, value):
    parcel = ParcelFactory()
    client.force_login(notary)
    owner = {"holder_kind": "individual", "name": "Hoàng Văn Sửa", "national_id": national_id(51)}
    response = first_registration(client, parcel, [{"party": owner, "share": "1/1"}])
    assert response.status_code == 201
    right = Right.objects.get(parcel=parcel)
    recorded = getattr(right, column)
    Right.objects.filter(pk=right.pk).update(**{column: value})
    with pytest.raises(CommandError) as info:
        verify()
    assert f"right {right.pk} differs from the journal: {column}" in str(info.value)
    Right.objects.filter(pk=right.pk).update(**{column: recorded})
    verify()


@pytest.mark.every_profile
def test_a_tampered_holder_kind_is_named_by_verify_ledger(client, notary):
    parcel = ParcelFactory()
    client.force_login(notary)
    owner = {"holder_kind": "individual", "name": "Hoàng Thị Kiểu", "national_id": national_id(52)}
    assert first_registration(client, parcel, [{"party": owner, "share": "1/1"}]).status_code == 201
    party = Party.objects.get(name="Hoàng Thị Kiểu")
    other = next(k.code for k in get_profile().holder_kinds if k.code != "individual")
    Party.objects.filter(pk=party.pk).update(holder_kind=other)
    with pytest.raises(CommandError) as info:
        verify()
    assert f"party {party.pk}" in str(info.value)
    assert "holder_kind" in str(info.value)


# --- the OpenAPI document --------------------------------------------------------------------


@pytest.mark.every_profile
def test_the_schema_shows_what_a_right_records(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schemas = json.loads(response.content)["components"]["schemas"]
    particulars = schemas["RightParticulars"]["properties"]
    assert set(particulars) == {
        "origin",
        "use_form",
        "term",
        "attached_assets",
        "certificate_serial",
        "certificate_number",
    }
    assert schemas["OriginEnum"]["enum"] == [o.code for o in get_profile().right_origins]
    for deed in ("FirstRegistration", "Transfer"):
        assert "particulars" in schemas[deed]["properties"]
    sheet_right = schemas["Right"]["properties"]
    assert {"origin", "origin_label", "use_form", "term", "attached_assets"} <= set(sheet_right)
    assert "certificate_serial" not in sheet_right
    assert "holder_kind_label" in schemas["Holder"]["properties"]
    text = json.dumps(schemas, ensure_ascii=False)
    assert '"holder_kind"' in text


# --- rights the register moves keep what they state -------------------------------------------


@vietnam_only
def test_a_subdivision_keeps_the_origin_term_and_form_of_use_on_each_child(client, notary):
    parcel = ParcelFactory()
    client.force_login(notary)
    owner = {"holder_kind": "individual", "name": "Ngô Văn Chia", "national_id": national_id(53)}
    particulars = {
        "origin": "allocated_with_levy",
        "use_form": "private",
        "term": "long_term",
        "certificate_serial": "CD 00000053",
        "certificate_number": "CH 53",
    }
    response = first_registration(
        client, parcel, [{"party": owner, "share": "1/1"}], particulars=particulars
    )
    assert response.status_code == 201
    response = post(
        client,
        {
            "kind": "subdivision",
            "parcel": parcel.pk,
            "expected_last_entry": current_entry(parcel.pk),
            "effective_date": "2022-01-01",
            "crs": STORAGE_SRID,
            "children": _halves(parcel),
        },
    )
    assert response.status_code == 201, response.content
    children = Right.objects.filter(
        parcel_id__in=response.json()["parcels_created"], valid_to__isnull=True
    )
    assert children.count() == 2
    for right in children:
        assert (right.origin, right.use_form, right.long_term) == (
            "allocated_with_levy",
            "private",
            True,
        )
        assert (right.certificate_serial, right.certificate_number) == ("CD 00000053", "CH 53")
    verify()


@vietnam_only
def test_the_certificate_pdf_prints_what_the_right_states(client, notary, signing_key):
    parcel = ParcelFactory()
    client.force_login(notary)
    owner = {
        "holder_kind": "domestic_organisation",
        "name": "Công ty TNHH In Thử",
        "national_id": national_id(54, "organisation"),
    }
    response = first_registration(
        client,
        parcel,
        [{"party": owner, "share": "1/1"}],
        particulars={
            "origin": "leased_annual",
            "term": "2070-12-31",
            "attached_assets": "Nhà xưởng",
            "certificate_serial": "DE 00000054",
        },
    )
    assert response.status_code == 201
    with translation.override("vi"):
        certificate = issue_certificate(
            parcel.pk, user=notary, language="vi", verify_url=lambda code: code
        )
        assert certificate is not None
        content = pdf.render_pdf(certificate)
    document = pdfium.PdfDocument(content)
    text = " ".join(page.get_textpage().get_text_range() for page in document)
    flat = " ".join(text.split())
    for expected in (
        "Nhà nước cho thuê đất trả tiền thuê đất hằng năm",
        "Nhà xưởng",
        "DE 00000054",
    ):
        assert expected in flat, flat
