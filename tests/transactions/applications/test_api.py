"""The applications' API: file, read (with the receipt's code), decide; /api/transactions/ files too."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.factories import api_token_for
from tests.transactions.applications.conftest import mortgage, registered_parcel, sale
from transactions.alerts import outbox
from transactions.models import Application, JournalEntry

pytestmark = pytest.mark.every_profile


@pytest.fixture(autouse=True)
def _english(settings):
    """Ask in English unless a test says otherwise: the messages are asserted in English."""
    settings.LANGUAGE_CODE = "en"


def post(client, url: str, body: Any, *, key: str | None = None, **headers: str):
    """POST `body`; then hand any alerts it queued over, as the worker does."""
    headers["Idempotency-Key"] = key or str(uuid.uuid4())
    response = client.post(
        url, data=json.dumps(body), content_type="application/json", headers=headers
    )
    while outbox.send_due() != (0, 0):
        pass
    return response


def signed_in(client, user):
    client.force_login(user)
    return client


def test_filing_answers_201_with_the_receipt_and_its_status_page(client, notary):
    parcel = registered_parcel(notary)
    body = sale(parcel, contract={"office": "Văn phòng công chứng Số 1", "number": "1234"})
    entries = JournalEntry.objects.count()

    response = post(signed_in(client, notary), "/api/applications/", body, key="file-1")

    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer["receipt_number"] == 1 and answer["status"] == "received"
    assert answer["kind"] == "transfer" and answer["parcels"][0]["id"] == parcel.pk
    # Who filed, as the register names the account; not the text typed with the deed.
    assert answer["office"] == "" and "Số 1" not in json.dumps(answer)
    assert answer["links"]["status_page"].endswith(f"?code={answer['status_code']}")
    assert response["Location"].endswith("/api/applications/1")
    assert JournalEntry.objects.count() == entries  # received, not registered
    again = post(client, "/api/applications/", body, key="file-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["receipt_number"] == 1 and Application.objects.count() == 1


def test_a_deed_posted_to_transactions_in_reviewed_mode_is_filed_and_says_so(client, notary):
    parcel = registered_parcel(notary)
    entries = JournalEntry.objects.count()

    response = post(signed_in(client, notary), "/api/transactions/", sale(parcel))

    assert response.status_code == 202, response.content
    assert "application 1" in response.json()["detail"]  # asked in English (the fixture)
    assert response["Location"].endswith("/api/applications/1")
    assert JournalEntry.objects.count() == entries


def test_a_deed_posted_in_direct_mode_is_recorded_at_once(client, notary, settings):
    settings.LANDINFO = {**settings.LANDINFO, "REGISTRATION_MODE": "direct"}
    parcel = registered_parcel(notary)
    response = post(signed_in(client, notary), "/api/transactions/", sale(parcel))
    assert response.status_code == 201 and "sequence" in response.json()
    assert not Application.objects.exists()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"contract": {"date": "2999-01-01"}}, "contract"),
        ({"contract": {"office": "\ue000"}}, "contract"),
        ({"contract": {"colour": "red"}}, "contract"),
        ({"documents": [{"type": "contract", "sha256": "xyz"}]}, "documents"),
        ({"documents": "contract"}, "documents"),
    ],
)
def test_bad_particulars_are_refused_with_the_field(client, notary, extra, field):
    parcel = registered_parcel(notary)
    response = post(signed_in(client, notary), "/api/applications/", sale(parcel, **extra))
    assert response.status_code == 400, response.content
    assert field in response.json()["field_errors"]
    assert not Application.objects.exists()


def test_a_refused_deed_files_nothing_and_says_why(client, notary):
    parcel = registered_parcel(notary)
    response = post(signed_in(client, notary), "/api/applications/", sale(parcel, expected=0))
    assert response.status_code == 409 and response.json()["error"] == "stale"
    assert not Application.objects.exists()


def test_the_public_reads_an_application_only_with_its_code_and_without_reasons(
    client, notary, registrar
):
    parcel = registered_parcel(notary)
    filed = post(signed_in(client, notary), "/api/applications/", sale(parcel)).json()
    client.logout()
    code = filed["status_code"]

    for url in (
        "/api/applications/1",
        "/api/applications/1?code=WRONG",
        "/api/applications/2?code=" + code,
        "/api/applications/99999999999999999999999",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json()["error"] == "not_found"
    spaced = f"{code[:5]} {code[5:].lower()}"  # as the receipt prints it, or with a hyphen
    assert client.get("/api/applications/1", {"code": spaced}).status_code == 200
    assert client.get("/api/applications/1", {"code": f"{code[:5]}-{code[5:]}"}).status_code == 200
    public = client.get(f"/api/applications/1?code={code.lower()}")
    assert public.status_code == 200
    answer = public.json()
    assert answer["status"] == "received" and answer["parcels"][0]["id"] == parcel.pk
    assert "status_code" not in answer and "office" not in answer
    assert all("reason" not in step for step in answer["history"])
    assert answer["links"]["status_page"] == ""
    # Registrars read it whole.
    whole = signed_in(client, registrar).get("/api/applications/1").json()
    assert whole["status_code"] == code and "reason" in whole["history"][0]


def test_a_registrar_decides_through_the_api_in_order_and_never_their_own(
    client, notary, registrar, second_registrar
):
    parcel = registered_parcel(notary)
    post(signed_in(client, notary), "/api/applications/", sale(parcel))
    post(client, "/api/applications/", mortgage(parcel))
    own = post(
        signed_in(client, registrar), "/api/applications/", sale(registered_parcel(notary), buyer=9)
    )
    assert own.status_code == 201

    def decide(receipt: int, **body: str):
        return client.post(
            f"/api/applications/{receipt}/decision",
            data=json.dumps(body),
            content_type="application/json",
        )

    assert decide(3, decision="register").json()["error"] == "four_eyes"
    assert decide(2, decision="register").json()["error"] == "out_of_order"
    for blank in ("", "   \u200b ", "\u3164", "\u2800"):  # no reason, or one nobody can read
        refused = decide(1, decision="refuse", reason=blank)
        assert refused.status_code == 400, blank
        assert refused.json()["error"] == "invalid" and "reason" in refused.json()["detail"]
    assert decide(1, decision="approve").status_code == 400
    signed_in(client, second_registrar)
    done = decide(3, decision="register")
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "registered" and done.json()["entry"]["sequence"]
    signed_in(client, registrar)
    assert decide(1, decision="refuse", reason="Hồ sơ thiếu giấy tờ.").json()["status"] == "refused"
    assert decide(2, decision="register").status_code == 200


def test_a_notary_with_a_token_files_and_cannot_decide(client, notary):
    parcel = registered_parcel(notary)
    token = api_token_for(notary)
    auth = {"Authorization": f"Token {token}"}
    assert post(client, "/api/applications/", sale(parcel), **auth).status_code == 201
    response = client.post(
        "/api/applications/1/decision",
        data=json.dumps({"decision": "register"}),
        content_type="application/json",
        headers=auth,
    )
    assert response.status_code == 403


def test_only_the_filer_withdraws_and_only_while_undecided(client, notary, registrar):
    parcel = registered_parcel(notary)
    post(signed_in(client, notary), "/api/applications/", sale(parcel))

    def withdraw(**body: str):
        return client.post(
            "/api/applications/1/withdrawal", data=json.dumps(body), content_type="application/json"
        )

    assert signed_in(client, registrar) and withdraw().json()["error"] == "four_eyes"
    signed_in(client, notary)
    done = withdraw(reason="Các bên hủy hợp đồng.")
    assert done.status_code == 200 and done.json()["status"] == "withdrawn"
    assert done.json()["history"][-1]["reason"] == "Các bên hủy hợp đồng."
    assert withdraw().json()["error"] == "application_closed"


def test_a_document_the_office_does_not_ask_for_is_refused_with_the_list(client, notary):
    parcel = registered_parcel(notary)
    body = sale(parcel, documents=[{"type": "horoscope", "sha256": "ab" * 32}])
    response = post(signed_in(client, notary), "/api/applications/", body)
    assert response.status_code == 400
    assert "contract" in response.json()["detail"] and not Application.objects.exists()
    body["documents"] = [{"type": "contract", "sha256": "AB" * 32}]
    assert post(client, "/api/applications/", body).status_code == 201
