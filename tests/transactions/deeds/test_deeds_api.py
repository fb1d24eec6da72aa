"""POST /api/transactions/ and GET /api/parcels/<id>/holders against real PostGIS.

Every kind of deed goes through the API; every refusal answers its status with
{"error", "detail"} and records nothing; a retried request is recorded once.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
from typing import Any

import pytest
from django.contrib.gis.geos import GEOSGeometry
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from landinfo.profiles import get_profile
from landinfo.srid import STORAGE_SRID
from parcels.models import Parcel
from tests.factories import (
    ParcelFactory,
    PartyFactory,
    current_entry,
    entry_parcel,
    holders_now,
    national_id,
    user_with_role,
)
from tests.landinfo.accounts.helpers import new_token
from transactions.models import JournalEntry, Party, PersonalDataAccess, Right

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    """Ask in English unless a test says otherwise: the messages are asserted in English."""
    settings.LANGUAGE_CODE = "en"


URL = "/api/transactions/"
REGISTERED_ON = "2020-01-01"
DAY = "2024-03-01"


def as_user(client, user):
    client.force_login(user)
    return client


def post(client, body: Any, *, key: str | None = "auto", raw: bytes | None = None, **headers):
    """POST a deed; `key` "auto" sends a new Idempotency-Key, None sends none."""
    if key == "auto":
        key = str(uuid.uuid4())
    if key is not None:
        headers["Idempotency-Key"] = key
    data = raw if raw is not None else json.dumps(body)
    return client.post(URL, data=data, content_type="application/json", headers=headers)


def person(name: str, number: str | int, **extra: Any) -> dict[str, Any]:
    """Return a new person; a small int `number` stands for the profile's valid number n."""
    number = number if isinstance(number, str) else national_id(number)
    return {"kind": "person", "name": name, "national_id": number, **extra}


def transferors_now(parcel: Any) -> list[dict[str, Any]]:
    """Return every current holder giving all they hold, as a transfer's body names them."""
    return [
        {"party": party, "share": f"{share.numerator}/{share.denominator}"}
        for party, share in holders_now(parcel)
    ]


def register(client, parcel, *holders: tuple[dict[str, Any] | int, str], **extra: Any):
    response = post(
        client,
        {
            "kind": "first_registration",
            "parcel": parcel.pk,
            "expected_last_entry": current_entry(parcel.pk),
            "effective_date": REGISTERED_ON,
            "holders": [{"party": party, "share": share} for party, share in holders],
            **extra,
        },
    )
    assert response.status_code == 201, response.content
    return response.json()


def holders_of(parcel, kind="ownership") -> set[tuple[str, str]]:
    return {
        (right.holder.name, f"{right.share_numerator}/{right.share_denominator}")
        for right in Right.objects.filter(
            parcel=parcel, kind=kind, valid_to__isnull=True, voided_by__isnull=True
        ).select_related("holder")
    }


def refusal(response, status: int, error: str) -> str:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"] == error, body
    assert body["detail"]
    return body["detail"]


# --- who may record --------------------------------------------------------------------------


def test_an_anonymous_request_is_asked_for_a_token(client):
    parcel = ParcelFactory()
    response = post(
        client,
        {
            "kind": "first_registration",
            "parcel": parcel.pk,
            "expected_last_entry": current_entry(parcel.pk),
        },
    )
    refusal(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"
    assert JournalEntry.objects.count() == 0


def test_a_wrong_token_is_refused(client):
    response = client.post(
        URL, data="{}", content_type="application/json", headers={"Authorization": "Token nope"}
    )
    refusal(response, 401, "authentication_failed")


def test_a_planner_may_not_record_a_deed(client, planner):
    parcel = ParcelFactory()
    response = post(
        as_user(client, planner),
        {
            "kind": "first_registration",
            "parcel": parcel.pk,
            "expected_last_entry": current_entry(parcel.pk),
            "effective_date": DAY,
        },
    )
    assert "notaries" in refusal(response, 403, "permission_denied")


def test_a_notary_may_not_record_a_correction(client, notary):
    response = post(
        as_user(client, notary),
        {
            "kind": "correction",
            "corrects": 1,
            "parcel": 1,
            "expected_last_entry": 0,
            "mode": "reverse",
            "reason": "x",
            "effective_date": DAY,
        },
    )
    assert "registrars" in refusal(response, 403, "permission_denied")


def test_a_token_from_the_token_page_records_a_deed(client, notary):
    key = new_token(as_user(client, notary))
    parcel = ParcelFactory()
    response = post(
        Client(),  # the notary's software: no session, the token only
        {
            "kind": "first_registration",
            "parcel": parcel.pk,
            "expected_last_entry": current_entry(parcel.pk),
            "effective_date": REGISTERED_ON,
            "holders": [{"party": person("Nguyễn Văn An", "001080000001"), "share": "1/1"}],
        },
        Authorization=f"Token {key}",
    )
    assert response.status_code == 201, response.content
    assert JournalEntry.objects.get().recorded_by_id == notary.pk


def test_the_token_page_needs_a_signed_in_user(client):
    response = client.get(reverse("api-token"))
    assert response.status_code == 302
    assert response["Location"].startswith("http://testserver" + reverse("login"))


# --- malformed requests: 400 -----------------------------------------------------------------


def test_a_deed_without_an_idempotency_key_is_refused_with_the_reason(client, notary):
    response = post(as_user(client, notary), {"kind": "transfer"}, key=None)
    assert "Idempotency-Key" in refusal(response, 400, "idempotency_key_missing")


@pytest.mark.parametrize("key", ["", "x" * 129, "clé"])
def test_an_idempotency_key_that_is_not_printable_ascii_is_refused(client, notary, key):
    client.force_login(notary)
    response = client.post(
        URL,
        data="{}",
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key.encode().decode("latin-1"),
    )
    refusal(response, 400, "idempotency_key_invalid")


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"{not json", "parse_error"),
        (b"[1, 2]", "invalid"),
        (b'"transfer"', "invalid"),
        (b'{"kind": "sale"}', "invalid"),
        (b'{"kind": "transfer", "price": 1e400}', "invalid"),
        (b"[" * 100_000 + b"]" * 100_000, "parse_error"),
        (b'{"kind": "transfer", "x": NaN}', "parse_error"),
    ],
)
def test_a_body_that_is_not_a_deed_is_refused(client, notary, raw, error):
    response = post(as_user(client, notary), None, raw=raw)
    refusal(response, 400, error)


def test_a_deed_missing_its_terms_names_each_field(client, notary):
    response = post(
        as_user(client, notary),
        {
            "kind": "transfer",
            "parcel": 1,
            "expected_last_entry": current_entry(1),
            "transferors": transferors_now(1),
        },
    )
    detail = refusal(response, 400, "invalid")
    fields = response.json()["field_errors"]
    assert {"effective_date", "transfer_type", "recipients"} <= set(fields)
    assert detail.startswith("effective_date: ")


def test_a_misspelt_field_is_refused_not_ignored(client, notary):
    parcel = ParcelFactory()
    response = post(
        as_user(client, notary),
        {
            "kind": "transfer",
            "parcel": parcel.pk,
            "expected_last_entry": current_entry(parcel.pk),
            "transferors": transferors_now(parcel.pk),
            "effective_date": DAY,
            "expected_last_enty": 3,
            "transfer_type": "gift",
            "recipients": [{"party": 1, "share": "1/1"}],
        },
    )
    assert "expected_last_enty" in refusal(response, 400, "invalid")


@pytest.mark.parametrize("share", ["1/0", "half", "0.5", "99999999999/2", 1, None])
def test_a_share_not_written_n_over_d_is_refused(client, notary, share):
    parcel = ParcelFactory()
    response = post(
        as_user(client, notary),
        {
            "kind": "first_registration",
            "parcel": parcel.pk,
            "expected_last_entry": current_entry(parcel.pk),
            "effective_date": DAY,
            "holders": [{"party": person("A B", 1), "share": share}],
        },
    )
    refusal(response, 400, "invalid")


def test_a_form_encoded_body_is_refused(client, notary):
    as_user(client, notary)
    response = client.post(URL, {"kind": "transfer"}, headers={"Idempotency-Key": "k"})
    refusal(response, 415, "unsupported_media_type")


# --- every kind of deed ----------------------------------------------------------------------


def test_first_registration_answers_with_the_entry_and_links(client, notary):
    parcel = ParcelFactory()
    result = register(
        as_user(client, notary),
        parcel,
        (person("Nguyễn Văn An", "001080000001", birth_year=1980), "1/2"),
        (person("Trần Thị Bình", "001080000002"), "1/2"),
    )
    entry = JournalEntry.objects.get()
    assert result == {
        "sequence": entry.sequence,
        "kind": "first_registration",
        "effective_date": REGISTERED_ON,
        "recorded_at": entry.recorded_at.isoformat(),
        "entry_hash": entry.entry_hash,
        "prev_hash": entry.prev_hash,
        "parcel": {
            "id": parcel.pk,
            "identifier": parcel.identifier,
            "display": result["parcel"]["display"],
        },
        "parcels_created": [],
        "links": {
            "parcel": f"/api/parcels/{parcel.pk}",
            "history": f"/api/parcels/{parcel.pk}/history",
            "map": f"/?parcel={parcel.pk}",
        },
    }
    assert holders_of(parcel) == {("Nguyễn Văn An", "1/2"), ("Trần Thị Bình", "1/2")}
    assert entry.recorded_by_id == notary.pk
    assert Party.objects.get(national_id="001080000001").birth_year == 1980


def test_transfer_from_the_sheets_last_entry_is_recorded(client, notary):
    parcel = ParcelFactory()
    as_user(client, notary)
    register(client, parcel, (person("Nguyễn Văn An", "001080000001"), "1/1"))
    sheet = client.get(reverse("transactions:detail", args=[parcel.pk])).json()
    an = Party.objects.get(national_id="001080000001")
    document = "AB" * 32
    response = post(
        client,
        {
            "kind": "transfer",
            "parcel": parcel.pk,
            "effective_date": DAY,
            "expected_last_entry": sheet["last_entry"],
            "document_sha256": document,
            "transfer_type": "sale",
            "price": "2500000000",
            "currency": "VND",
            "transferors": [{"party": an.pk, "share": "1/1"}],
            "recipients": [{"party": person("Lê Văn Cường", "001080000003"), "share": "1/1"}],
        },
    )
    assert response.status_code == 201, response.content
    assert response["Location"] == f"http://testserver/api/parcels/{parcel.pk}"
    assert holders_of(parcel) == {("Lê Văn Cường", "1/1")}
    entry = JournalEntry.objects.get(sequence=response.json()["sequence"])
    assert entry.document_sha256 == document.lower()
    assert json.loads(entry.payload)["price"] == "2500000000"
    after = client.get(reverse("transactions:detail", args=[parcel.pk])).json()
    assert after["last_entry"] == entry.sequence


def test_a_transfer_to_a_known_party_by_id_and_in_shares(client, notary):
    parcel = ParcelFactory()
    as_user(client, notary)
    register(client, parcel, (person("A B", 1), "1/2"), (person("C D", 2), "1/2"))
    known = PartyFactory(name="Phạm Văn Đức", national_id=national_id(3))
    a = Party.objects.get(national_id=national_id(1))
    response = post(
        client,
        {
            "kind": "transfer",
            "parcel": parcel.pk,
            "expected_last_entry": current_entry(parcel.pk),
            "effective_date": DAY,
            "transfer_type": "gift",
            "transferors": [{"party": a.pk, "share": "1/4"}],
            "recipients": [{"party": known.pk, "share": "1/4"}],
        },
    )
    assert response.status_code == 201, response.content
    assert holders_of(parcel) == {("A B", "1/4"), ("C D", "1/2"), ("Phạm Văn Đức", "1/4")}


def test_a_stale_deed_is_refused_with_409(client, notary):
    parcel = ParcelFactory()
    as_user(client, notary)
    first = register(client, parcel, (person("A B", 1), "1/1"))
    body = {
        "kind": "transfer",
        "parcel": parcel.pk,
        "transferors": transferors_now(parcel.pk),
        "effective_date": DAY,
        "expected_last_entry": first["sequence"],
        "transfer_type": "gift",
        "recipients": [{"party": person("C D", 2), "share": "1/1"}],
    }
    assert post(client, body).status_code == 201
    body["recipients"] = [{"party": person("E F", 3), "share": "1/1"}]
    detail = refusal(post(client, body), 409, "stale")
    assert "reload" in detail
    assert holders_of(parcel) == {("C D", "1/1")}


def test_a_deed_on_a_parcel_that_does_not_exist_is_404(client, notary):
    response = post(
        as_user(client, notary),
        {
            "kind": "first_registration",
            "parcel": 987654321,
            "expected_last_entry": current_entry(987654321),
            "effective_date": DAY,
            "holders": [{"party": person("A B", 1), "share": "1/1"}],
        },
    )
    assert "987654321" in refusal(response, 404, "not_found")
    assert not Party.objects.exists()


def test_shares_that_do_not_add_up_are_refused_with_422(client, notary):
    parcel = ParcelFactory()
    response = post(
        as_user(client, notary),
        {
            "kind": "first_registration",
            "parcel": parcel.pk,
            "expected_last_entry": current_entry(parcel.pk),
            "effective_date": DAY,
            "holders": [{"party": person("A B", 1), "share": "1/2"}],
        },
    )
    assert "add up" in refusal(response, 422, "deed_refused")
    assert JournalEntry.objects.count() == 0


def test_a_deed_dated_after_today_is_refused(client, notary):
    parcel = ParcelFactory()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = post(
        as_user(client, notary),
        {
            "kind": "first_registration",
            "parcel": parcel.pk,
            "expected_last_entry": current_entry(parcel.pk),
            "effective_date": tomorrow.isoformat(),
            "holders": [{"party": person("A B", 1), "share": "1/1"}],
        },
    )
    refusal(response, 422, "deed_refused")


def test_mortgage_then_discharge(client, notary):
    parcel = ParcelFactory()
    as_user(client, notary)
    register(client, parcel, (person("A B", 1), "1/1"))
    bank = {"kind": "organisation", "name": "Ngân hàng Thử", "national_id": "0100112437"}
    response = post(
        client,
        {
            "kind": "mortgage",
            "parcel": parcel.pk,
            "expected_last_entry": current_entry(parcel.pk),
            "effective_date": "2022-01-01",
            "lender": bank,
            "amount": 500000000,
        },
    )
    assert response.status_code == 201, response.content
    assert holders_of(parcel, "mortgage") == {("Ngân hàng Thử", "1/1")}
    again = post(
        client,
        {
            "kind": "mortgage",
            "parcel": parcel.pk,
            "expected_last_entry": current_entry(parcel.pk),
            "effective_date": "2022-02-01",
            "lender": bank,
            "amount": 1,
        },
    )
    refusal(again, 409, "conflict")
    mortgage = Right.objects.get(parcel=parcel, kind="mortgage")
    response = post(
        client,
        {
            "kind": "discharge",
            "parcel": parcel.pk,
            "expected_last_entry": current_entry(parcel.pk),
            "effective_date": DAY,
            "mortgage": mortgage.pk,
        },
    )
    assert response.status_code == 201, response.content
    assert holders_of(parcel, "mortgage") == set()
    none_left = post(
        client,
        {
            "kind": "discharge",
            "parcel": parcel.pk,
            "expected_last_entry": current_entry(parcel.pk),
            "mortgage": mortgage.pk,
            "effective_date": DAY,
        },
    )
    refusal(none_left, 409, "conflict")


def _halves(parcel) -> list[dict[str, Any]]:
    x0, y0, x1, y1 = parcel.boundary.extent
    middle = (x0 + x1) / 2

    def box(a: float, b: float) -> dict[str, Any]:
        ring = [[a, y0], [b, y0], [b, y1], [a, y1], [a, y0]]
        return {"type": "Polygon", "coordinates": [ring]}

    return [{"boundary": box(x0, middle)}, {"boundary": box(middle, x1), "address": "Số 2"}]


@pytest.mark.every_profile
def test_subdivision_then_merge_back(client, notary):
    parcel = ParcelFactory()
    as_user(client, notary)
    register(client, parcel, (person("A B", 1), "1/1"))
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
    made = response.json()["parcels_created"]
    assert len(made) == 2
    assert Parcel.objects.get(pk=parcel.pk).valid_to == dt.date(2022, 1, 1)
    assert Parcel.objects.get(pk=made[1]).address == "Số 2"
    assert all(holders_of(Parcel.objects.get(pk=pk)) == {("A B", "1/1")} for pk in made)

    retired = post(
        client,
        {
            "kind": "transfer",
            "parcel": parcel.pk,
            "expected_last_entry": current_entry(parcel.pk),
            "transferors": [{"party": Party.objects.get(name="A B").pk, "share": "1/1"}],
            "effective_date": DAY,
            "transfer_type": "gift",
            "recipients": [{"party": 1, "share": "1/1"}],
        },
    )
    refusal(retired, 409, "parcel_retired")

    response = post(
        client,
        {
            "kind": "merge",
            "parcels": made,
            "expected_last_entry": current_entry(made),
            "effective_date": DAY,
        },
    )
    assert response.status_code == 201, response.content
    merged = response.json()
    assert merged["parcels_created"] == [merged["parcel"]["id"]]
    assert holders_of(Parcel.objects.get(pk=merged["parcel"]["id"])) == {("A B", "1/1")}


@pytest.mark.every_profile
def test_search_finds_what_a_subdivision_made_and_its_parent_on_a_day_before(client, notary):
    parcel = ParcelFactory(address="Số 7 Phố Hàng Khay, Phường Mẫu 1")
    as_user(client, notary)
    register(client, parcel, (person("A B", 1), "1/1"))
    children = _halves(parcel)
    children[1]["address"] = "Số 7B Phố Hàng Khay"
    response = post(
        client,
        {
            "kind": "subdivision",
            "parcel": parcel.pk,
            "expected_last_entry": current_entry(parcel.pk),
            "effective_date": "2022-01-01",
            "crs": STORAGE_SRID,
            "children": children,
        },
    )
    assert response.status_code == 201, response.content
    made = response.json()["parcels_created"]

    def found(q: str, **params: str) -> list[int]:
        answer = client.get("/api/parcels/search", {"q": q, **params})
        assert answer.status_code == 200, answer.content
        return [result["id"] for result in answer.json()["results"]]

    # The new address and its new word ("7b" reads as 7 b) are searchable at once.
    assert found("7B Hàng Khay") == [made[1]]
    assert found("so 7 pho hang khay, phuong mau 1") == [made[0]]  # the parent's address
    assert found("7 hang khay", as_of="2021-06-01") == [parcel.pk]
    new = Parcel.objects.get(pk=made[0])
    lot = get_profile().display_stored(new.identifier)
    assert found(f"{lot}, {new.admin_unit.name}") == [made[0]]


@pytest.mark.every_profile
def test_a_subdivisions_land_use_is_read_in_any_case_and_with_invisible_characters(client, notary):
    parcel = ParcelFactory()
    as_user(client, notary)
    register(client, parcel, (person("A B", 1), "1/1"))
    code = get_profile().land_uses[-1].code  # not the parent's
    children = _halves(parcel)
    children[0]["land_use"] = code.lower()
    children[1]["land_use"] = f" {code}\u200b"
    body = {
        "kind": "subdivision",
        "parcel": parcel.pk,
        "expected_last_entry": current_entry(parcel.pk),
        "effective_date": DAY,
        "crs": STORAGE_SRID,
        "children": children,
    }
    unknown = post(client, {**body, "children": [children[0], {**children[1], "land_use": "zz"}]})
    assert "'zz' is not a land-use code" in str(refusal(unknown, 400, "invalid"))
    response = post(client, body)
    assert response.status_code == 201, response.content
    made = Parcel.objects.filter(pk__in=response.json()["parcels_created"])
    assert [parcel.land_use for parcel in made] == [code, code]


def test_a_subdivision_in_wgs84_with_a_gap_is_refused(client, notary):
    parcel = ParcelFactory()
    as_user(client, notary)
    register(client, parcel, (person("A B", 1), "1/1"))
    children = _halves(parcel)
    wgs84 = []
    for child in children:
        geometry = GEOSGeometry(json.dumps(child["boundary"]))
        geometry.srid = STORAGE_SRID
        geometry.transform(4326)
        wgs84.append({"boundary": json.loads(geometry.buffer(-0.00002).json)})
    response = post(
        client,
        {
            "kind": "subdivision",
            "parcel": parcel.pk,
            "expected_last_entry": current_entry(parcel.pk),
            "effective_date": DAY,
            "children": wgs84,
        },
    )
    assert "gap" in refusal(response, 422, "deed_refused")


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"crs": 999999}, "invalid"),
        ({"children": [{"boundary": {"type": "Point", "coordinates": [1, 2]}}] * 2}, "invalid"),
        ({"children": [{"boundary": {"type": "Polygon", "coordinates": "x"}}] * 2}, "invalid"),
        (
            {
                "children": [
                    {
                        "boundary": {
                            "type": "Polygon",
                            "coordinates": [[[1e300, 1], [2, 2], [1, 3], [1e300, 1]]],
                        }
                    }
                ]
                * 2
            },
            None,
        ),
    ],
)
def test_subdivisions_with_unreadable_boundaries_are_refused(client, notary, change, error):
    parcel = ParcelFactory()
    as_user(client, notary)
    register(client, parcel, (person("A B", 1), "1/1"))
    body = {
        "kind": "subdivision",
        "parcel": parcel.pk,
        "expected_last_entry": current_entry(parcel.pk),
        "effective_date": DAY,
        "children": _halves(parcel),
        **change,
    }
    response = post(client, body)
    assert response.status_code in {400, 422}, response.content
    if error:
        refusal(response, 400, error)


def test_a_registrar_reverses_a_transfer(client, notary, registrar):
    parcel = ParcelFactory()
    as_user(client, notary)
    register(client, parcel, (person("A B", 1), "1/1"))
    transfer = post(
        client,
        {
            "kind": "transfer",
            "parcel": parcel.pk,
            "expected_last_entry": current_entry(parcel.pk),
            "transferors": transferors_now(parcel.pk),
            "effective_date": DAY,
            "transfer_type": "gift",
            "recipients": [{"party": person("C D", 2), "share": "1/1"}],
        },
    ).json()
    as_user(client, registrar)
    wrong_parcel = post(
        client,
        {
            "kind": "correction",
            "corrects": transfer["sequence"],
            "parcel": parcel.pk + 1000,
            "expected_last_entry": current_entry(parcel.pk + 1000),
            "mode": "reverse",
            "reason": "Signed under duress.",
            "effective_date": DAY,
        },
    )
    refusal(wrong_parcel, 422, "deed_refused")
    response = post(
        client,
        {
            "kind": "correction",
            "corrects": transfer["sequence"],
            "parcel": parcel.pk,
            "expected_last_entry": current_entry(parcel.pk),
            "mode": "reverse",
            "reason": "Signed under duress.",
            "effective_date": DAY,
        },
    )
    assert response.status_code == 201, response.content
    assert holders_of(parcel) == {("A B", "1/1")}
    missing = post(
        client,
        {
            "kind": "correction",
            "corrects": 999,
            "parcel": parcel.pk,
            "expected_last_entry": current_entry(parcel.pk),
            "mode": "reverse",
            "reason": "x",
            "effective_date": DAY,
        },
    )
    refusal(missing, 404, "not_found")


def test_a_registrar_amends_the_holders_of_a_transfer(client, registrar):
    parcel = ParcelFactory()
    as_user(client, registrar)
    register(client, parcel, (person("A B", 1), "1/1"))
    transfer = post(
        client,
        {
            "kind": "transfer",
            "parcel": parcel.pk,
            "expected_last_entry": current_entry(parcel.pk),
            "transferors": transferors_now(parcel.pk),
            "effective_date": DAY,
            "transfer_type": "gift",
            "recipients": [{"party": person("C D", 2), "share": "1/1"}],
        },
    ).json()
    response = post(
        client,
        {
            "kind": "correction",
            "corrects": transfer["sequence"],
            "parcel": entry_parcel(transfer["sequence"]),
            "expected_last_entry": current_entry(entry_parcel(transfer["sequence"])),
            "mode": "amend",
            "reason": "The deed names C D and E F in halves.",
            "effective_date": DAY,
            "holders": [
                {"party": person("C D", 2), "share": "1/2"},
                {"party": person("E F", 3), "share": "1/2"},
            ],
        },
    )
    assert response.status_code == 201, response.content
    assert holders_of(parcel) == {("C D", "1/2"), ("E F", "1/2")}


# --- retries -------------------------------------------------------------------------------


def test_a_retried_deed_is_recorded_once_and_answered_the_same(client, notary):
    parcel = ParcelFactory()
    as_user(client, notary)
    register(client, parcel, (person("A B", 1), "1/1"))
    body = {
        "kind": "transfer",
        "parcel": parcel.pk,
        "expected_last_entry": current_entry(parcel.pk),
        "transferors": transferors_now(parcel.pk),
        "effective_date": DAY,
        "transfer_type": "gift",
        "recipients": [{"party": person("C D", 2), "share": "1/1"}],
    }
    key = str(uuid.uuid4())
    first = post(client, body, key=key)
    # The same body written differently (key order, spacing) is the same request.
    again = post(client, None, key=key, raw=json.dumps(body, indent=2, sort_keys=True).encode())
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert JournalEntry.objects.filter(kind="transfer").count() == 1


def test_a_key_reused_for_another_deed_is_refused(client, notary):
    parcel = ParcelFactory()
    as_user(client, notary)
    register(client, parcel, (person("A B", 1), "1/1"))
    body = {
        "kind": "transfer",
        "parcel": parcel.pk,
        "expected_last_entry": current_entry(parcel.pk),
        "transferors": transferors_now(parcel.pk),
        "effective_date": DAY,
        "transfer_type": "gift",
        "recipients": [{"party": person("C D", 2), "share": "1/1"}],
    }
    key = str(uuid.uuid4())
    assert post(client, body, key=key).status_code == 201
    body["effective_date"] = "2024-03-02"
    refusal(post(client, body, key=key), 422, "idempotency_key_reused")
    assert JournalEntry.objects.filter(kind="transfer").count() == 1


def test_another_users_key_is_not_replayed_to_them(client, notary):
    parcel = ParcelFactory()
    as_user(client, notary)
    key = str(uuid.uuid4())
    body = {
        "kind": "first_registration",
        "parcel": parcel.pk,
        "expected_last_entry": current_entry(parcel.pk),
        "effective_date": DAY,
        "holders": [{"party": person("A B", 1), "share": "1/1"}],
    }
    assert post(client, body, key=key).status_code == 201
    as_user(client, user_with_role("notary"))
    refusal(post(client, body, key=key), 422, "idempotency_key_reused")


# --- never a 500 ---------------------------------------------------------------------------

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)
_kinds = st.sampled_from(
    [
        "transfer",
        "first_registration",
        "mortgage",
        "discharge",
        "subdivision",
        "merge",
        "correction",
    ]
)
_share = st.one_of(
    st.sampled_from(["1/1", "1/2", "1/3", "2/3", "0/1", "3/2", "1/0"]),
    st.text(max_size=8),
    _json,
)
_party = st.one_of(
    st.integers(min_value=-2, max_value=2**64),
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(["person", "organisation", "state", "cat"]),
            "name": st.text(max_size=20),
        },
        optional={"national_id": st.text(max_size=40), "birth_year": _json, "address": _json},
    ),
    _json,
)
_holders = st.lists(st.fixed_dictionaries({"party": _party, "share": _share}), max_size=3)
_deed = st.fixed_dictionaries(
    {"kind": _kinds},
    optional={
        "parcel": st.one_of(st.integers(min_value=-1, max_value=2**64), _json),
        "parcels": st.lists(st.integers(min_value=-1, max_value=2**64), max_size=3),
        "effective_date": st.one_of(st.dates().map(dt.date.isoformat), _json),
        "expected_last_entry": st.one_of(st.integers(min_value=-1, max_value=2**64), st.none()),
        "document_sha256": st.one_of(st.just("a" * 64), _json),
        "transfer_type": st.sampled_from(["sale", "gift", "inheritance", "theft"]),
        "price": st.one_of(st.decimals(allow_nan=False, allow_infinity=False).map(str), _json),
        "currency": st.sampled_from(["VND", "KRW", "vnd", ""]),
        "transferors": _holders,
        "recipients": _holders,
        "holders": _holders,
        "lender": _party,
        "amount": st.one_of(st.integers(min_value=-10, max_value=10**30), _json),
        "mortgage": st.one_of(st.integers(min_value=-1, max_value=2**64), _json),
        "children": st.lists(st.fixed_dictionaries({"boundary": _json}), max_size=3),
        "crs": st.one_of(st.sampled_from([4326, STORAGE_SRID, 0, 999999, 2**40]), _json),
        "corrects": st.one_of(st.integers(min_value=-1, max_value=2**64), _json),
        "mode": st.sampled_from(["reverse", "amend", "undo"]),
        "reason": st.text(max_size=20),
        "address": _json,
    },
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.one_of(_deed, _json))
def test_no_body_makes_the_api_fail(client, registrar, body):
    """Whatever the body, the answer is a deed recorded or a refusal with a reason: never a 500."""
    client.force_login(registrar)
    parcel = Parcel.objects.order_by("pk").first() or ParcelFactory()
    if isinstance(body, dict) and "parcel" in body and isinstance(body["parcel"], bool):
        body["parcel"] = parcel.pk
    response = post(client, body)
    assert response.status_code in {201, 400, 404, 409, 422}, response.content
    answer = response.json()
    if response.status_code != 201:
        assert set(answer) >= {"error", "detail"}


# --- the holders, unmasked -------------------------------------------------------------------


def test_a_notary_reads_the_holders_unmasked_and_the_read_is_recorded(client, notary):
    parcel = ParcelFactory()
    as_user(client, notary)
    register(
        client,
        parcel,
        (person("Nguyễn Văn An", "001080000001"), "1/2"),
        (person("Trần Thị Bình", "001080000002"), "1/2"),
    )
    response = client.get(reverse("transactions:parcel-holders", args=[parcel.pk]))
    assert response.status_code == 200
    answer = response.json()
    assert answer["last_entry"] == JournalEntry.objects.get().sequence
    assert {
        (h["party"]["name"], h["party"]["national_id"], h["share"]) for h in answer["holders"]
    } == {
        ("Nguyễn Văn An", "001080000001", "1/2"),
        ("Trần Thị Bình", "001080000002", "1/2"),
    }
    reads = PersonalDataAccess.objects.filter(user=notary)
    assert {read.party.name for read in reads} == {"Nguyễn Văn An", "Trần Thị Bình"}
    assert all(read.fields == "name,national_id" and "holders" in read.purpose for read in reads)


def test_the_holders_are_not_for_the_public_or_a_planner(client, planner):
    parcel = ParcelFactory()
    url = reverse("transactions:parcel-holders", args=[parcel.pk])
    refusal(client.get(url), 401, "not_authenticated")
    refusal(as_user(client, planner).get(url), 403, "permission_denied")
    assert not PersonalDataAccess.objects.exists()


def test_the_holders_of_a_parcel_that_does_not_exist(client, notary):
    refusal(as_user(client, notary).get("/api/parcels/987654321/holders"), 404, "not_found")


def test_public_reads_ignore_a_bad_token_and_need_no_csrf(client, notary):
    parcel = ParcelFactory()
    headers = {"Authorization": "Token not-a-token"}
    assert (
        client.get(reverse("transactions:detail", args=[parcel.pk]), headers=headers).status_code
        == 200
    )
    as_user(client, notary)
    assert client.get(reverse("transactions:history", args=[parcel.pk])).status_code == 200


# --- the OpenAPI document --------------------------------------------------------------------


def test_the_schema_documents_the_deed_api_without_warnings():
    out = io.StringIO()
    call_command(
        "spectacular", "--fail-on-warn", "--validate", "--format", "openapi-json", stdout=out
    )
    schema = json.loads(out.getvalue())
    operation = schema["paths"]["/api/transactions/"]["post"]
    assert {"201", "400", "401", "403", "404", "409", "422"} <= set(operation["responses"])
    assert any(p["name"] == "Idempotency-Key" and p["required"] for p in operation["parameters"])
    mapping = schema["components"]["schemas"]["Deed"]["discriminator"]["mapping"]
    assert set(mapping) == {
        "transfer",
        "first_registration",
        "mortgage",
        "discharge",
        "subdivision",
        "merge",
        "correction",
    }
    assert "/api/parcels/{id}/holders" in schema["paths"]


def test_a_share_the_register_cannot_store_is_refused_and_nothing_is_recorded(client, notary):
    """Half minus 1/2147483647 has a denominator past the share columns' range."""
    parcel = ParcelFactory()
    as_user(client, notary)
    register(client, parcel, (person("A B", 1), "1/2"), (person("C D", 2), "1/2"))
    a = Party.objects.get(national_id=national_id(1))
    response = post(
        client,
        {
            "kind": "transfer",
            "parcel": parcel.pk,
            "expected_last_entry": current_entry(parcel.pk),
            "effective_date": DAY,
            "transfer_type": "gift",
            "transferors": [{"party": a.pk, "share": "1/2147483647"}],
            "recipients": [{"party": person("E F", 3), "share": "1/2147483647"}],
        },
    )
    refusal(response, 422, "deed_refused")
    assert JournalEntry.objects.count() == 1
    assert holders_of(parcel) == {("A B", "1/2"), ("C D", "1/2")}


# --- a deed names what it acts on --------------------------------------------------------


def _acts_on(client, kind: str) -> dict[str, Any]:
    """Return a body of `kind` the register would record, made against the register now."""
    parcel = ParcelFactory()
    if kind == "first_registration":
        return {
            "kind": kind,
            "parcel": parcel.pk,
            "effective_date": DAY,
            "expected_last_entry": 0,
            "holders": [{"party": person("A B", 1), "share": "1/1"}],
        }
    first = register(client, parcel, (person("A B", 1), "1/1"))
    holder = Party.objects.get(national_id=national_id(1)).pk
    common = {"kind": kind, "parcel": parcel.pk, "effective_date": DAY}
    common["expected_last_entry"] = current_entry(parcel)
    if kind == "transfer":
        return common | {
            "transfer_type": "gift",
            "transferors": [{"party": holder, "share": "1/1"}],
            "recipients": [{"party": person("C D", 2), "share": "1/1"}],
        }
    bank = {"kind": "organisation", "name": "Ngân hàng Thử", "national_id": ""}
    if kind == "mortgage":
        return common | {"lender": bank, "amount": "5"}
    if kind == "discharge":
        lent = post(
            client,
            common
            | {"kind": "mortgage", "effective_date": "2022-01-01", "lender": bank, "amount": "5"},
        )
        assert lent.status_code == 201, lent.content
        mortgage = Right.objects.get(parcel=parcel, kind="mortgage").pk
        return common | {"expected_last_entry": current_entry(parcel), "mortgage": mortgage}
    if kind == "subdivision":
        return common | {"crs": STORAGE_SRID, "children": _halves(parcel)}
    if kind == "merge":
        neighbour = ParcelFactory(admin_unit=parcel.admin_unit, boundary=_east_of(parcel))
        register(client, neighbour, (holder, "1/1"))
        return {
            "kind": kind,
            "parcels": [parcel.pk, neighbour.pk],
            "effective_date": DAY,
            "expected_last_entry": current_entry([parcel.pk, neighbour.pk]),
        }
    assert kind == "correction"
    return common | {"corrects": first["sequence"], "mode": "reverse", "reason": "Nhầm thửa."}


def _east_of(parcel) -> Any:
    """Return the parcel's boundary moved one width east: a neighbour sharing its edge."""
    x0, _, x1, _ = parcel.boundary.extent
    coords = [
        [[(x + x1 - x0, y) for x, y in ring] for ring in polygon]
        for polygon in parcel.boundary.coords
    ]
    moved = GEOSGeometry(json.dumps({"type": "MultiPolygon", "coordinates": coords}))
    moved.srid = STORAGE_SRID
    return moved


RIGHTS_CHANGING = [
    "first_registration",
    "transfer",
    "mortgage",
    "discharge",
    "subdivision",
    "merge",
    "correction",
]


@pytest.mark.parametrize("kind", RIGHTS_CHANGING)
def test_a_deed_without_expected_last_entry_is_refused_naming_it(client, registrar, kind):
    as_user(client, registrar)
    body = _acts_on(client, kind)
    del body["expected_last_entry"]
    before = JournalEntry.objects.count()
    response = post(client, body)
    detail = refusal(response, 400, "invalid")
    assert detail.startswith("expected_last_entry: ")
    assert "expected_last_entry" in response.json()["field_errors"]
    assert JournalEntry.objects.count() == before
    body["expected_last_entry"] = None
    assert "expected_last_entry" in refusal(post(client, body), 400, "invalid")


@pytest.mark.parametrize("kind", RIGHTS_CHANGING)
def test_each_kind_of_deed_that_names_what_it_acts_on_is_recorded(client, registrar, kind):
    as_user(client, registrar)
    response = post(client, _acts_on(client, kind))
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("kind", RIGHTS_CHANGING)
def test_a_deed_dated_before_what_it_acts_on_is_a_422_and_records_nothing(client, registrar, kind):
    as_user(client, registrar)
    body = _acts_on(client, kind) | {"effective_date": "0001-01-01"}
    before = JournalEntry.objects.count()
    detail = refusal(post(client, body), 422, "deed_refused")
    assert "0001-01-01" in detail and "the date must be" in detail
    assert JournalEntry.objects.count() == before


@pytest.mark.parametrize(
    ("kind", "field"),
    [("transfer", "transferors"), ("discharge", "mortgage"), ("correction", "parcel")],
)
def test_a_deed_that_does_not_name_what_it_acts_on_is_refused_naming_it(
    client, registrar, kind, field
):
    as_user(client, registrar)
    body = _acts_on(client, kind)
    del body[field]
    before = JournalEntry.objects.count()
    response = post(client, body)
    assert refusal(response, 400, "invalid").startswith(f"{field}: ")
    assert JournalEntry.objects.count() == before


def test_a_transfer_with_no_transferor_is_refused(client, notary):
    as_user(client, notary)
    body = _acts_on(client, "transfer") | {"transferors": []}
    assert "transferors" in refusal(post(client, body), 400, "invalid")


def test_a_correction_names_holders_only_when_it_amends(client, registrar):
    as_user(client, registrar)
    body = _acts_on(client, "correction")
    reversal = body | {"holders": [{"party": person("C D", 2), "share": "1/1"}]}
    assert refusal(post(client, reversal), 400, "invalid").startswith("holders: ")
    assert refusal(post(client, body | {"mode": "amend"}), 400, "invalid").startswith("holders: ")


# --- what a deed says about a person --------------------------------------------------------

# Every kind of character that shows as nothing, or as a space: (character, shown as).
# Between two words each is a word break, but those that sit inside a word.
INVISIBLE = [
    ("\u200b", " "),  # zero-width space
    ("\u00a0", " "),  # no-break space
    ("\u3000", " "),  # ideographic space
    ("\t", " "),
    ("\n", " "),
    ("\u200c", " "),  # zero-width non-joiner
    ("\u200d", " "),  # zero-width joiner
    ("\u200e", " "),  # left-to-right mark
    ("\u202e", " "),  # right-to-left override
    ("\u2060", " "),  # word joiner
    ("\ufeff", " "),  # byte-order mark
    ("\u180e", " "),  # Mongolian vowel separator
    ("\u3164", " "),  # Hangul filler, a "letter"
    ("\u2800", " "),  # braille blank, a "symbol"
    ("\U00016fe4", " "),  # Khitan filler, a "mark"
    ("\U000e0041", " "),  # tag
    ("\x00", " "),  # NUL, which PostgreSQL cannot store
    ("\x07", " "),  # BEL
    ("\u00ad", ""),  # soft hyphen: a hyphenation point inside a word
    ("\u034f", ""),  # combining grapheme joiner
    ("\ufe0f", ""),  # variation selector
]


@pytest.mark.parametrize(("char", "shown"), INVISIBLE)
def test_a_name_with_an_invisible_character_is_stored_as_it_reads_and_masked(
    client, notary, char, shown
):
    parcel = ParcelFactory()
    as_user(client, notary)
    name = f"Nguyễn{char}Văn{char}Bình Z"
    register(client, parcel, (person(name, 1, address=f"Số{char}3 Phố Huế"), "1/1"))
    party = Party.objects.get(national_id=national_id(1))
    assert party.name == f"Nguyễn{shown}Văn{shown}Bình Z"
    assert party.address == f"Số{shown}3 Phố Huế"
    sheet = client.get(reverse("transactions:detail", args=[parcel.pk])).content.decode()
    assert "Nguyễn V. B. Z." in json.dumps(json.loads(sheet), ensure_ascii=False)
    assert "Văn" not in sheet and "Bình" not in sheet and "B\\u00ecnh" not in sheet


@pytest.mark.parametrize("name", ["\u200b\u200d", " \u2060 ", "\ue000 An", "123", "..."])
def test_a_name_left_empty_or_unreadable_is_refused_with_a_400(client, notary, name):
    parcel = ParcelFactory()
    response = post(
        as_user(client, notary),
        {
            "kind": "first_registration",
            "parcel": parcel.pk,
            "effective_date": DAY,
            "expected_last_entry": 0,
            "holders": [{"party": person(name, 1), "share": "1/1"}],
        },
    )
    detail = refusal(response, 400, "invalid")
    assert detail.startswith("holders") and "party.name: The name" in detail, detail
    assert not Party.objects.exists()


def _spellings(canonical: str) -> list[str]:
    """Return ways people write `canonical`: grouped with hyphens, spaces, full-width."""
    full_width = canonical.translate({ord(d): chr(0xFF10 + int(d)) for d in "0123456789"})
    if len(canonical) == 13:  # Korea: YYMMDD-GNNNNNN
        hyphenated = f"{canonical[:6]}-{canonical[6:]}"
    else:
        hyphenated = "-".join(canonical[i : i + 3] for i in range(0, len(canonical), 3))
    return [
        hyphenated,
        " ".join(hyphenated.split("-")),
        f"\u200b{full_width[:6]}\uff0d{full_width[6:]}\u00a0",
        canonical,
    ]


@pytest.mark.every_profile
def test_one_national_id_in_any_spelling_is_one_party(client, notary):
    as_user(client, notary)
    canonical = national_id(7)
    for spelling in _spellings(canonical):
        register(client, ParcelFactory(), (person("Kim Min Su", spelling), "1/1"))
    (party,) = Party.objects.filter(name="Kim Min Su")
    assert party.national_id == canonical
    assert Right.objects.filter(holder=party).count() == 4


@pytest.mark.every_profile
def test_a_national_id_that_is_not_one_is_refused_with_the_reason(client, notary, profile):
    cases = {
        "vn": [
            ("person", "001380000001", "year of birth"),  # born in 2080
            ("person", "099080000001", "province"),
            ("person", "0010800000", "12-digit"),
            ("organisation", "0100112438", "check digit"),
            ("organisation", "0100112437-000", "001 to 999"),
        ],
        "kr": [
            ("person", "801301-1000013", "date of birth"),  # month 13
            ("person", "800101-1000014", "check digit"),
            ("person", "800101-100001", "13-digit"),
            ("organisation", "116-82-00277", "check digit"),
            ("organisation", "110111-0062433", "check digit"),
        ],
    }[profile.key]
    as_user(client, notary)
    for kind, number, reason in cases:
        response = post(
            client,
            {
                "kind": "first_registration",
                "parcel": ParcelFactory().pk,
                "effective_date": DAY,
                "expected_last_entry": 0,
                "holders": [
                    {"party": {"kind": kind, "name": "A B", "national_id": number}, "share": "1/1"}
                ],
            },
        )
        detail = refusal(response, 400, "invalid")
        assert "party.national_id: " in detail and reason in detail, detail
    assert not Party.objects.exists()
