"""schemathesis against /api/schema/: no request makes a 500, every answer matches the schema.

Every operation of the OpenAPI document is fuzzed in-process (the WSGI app, no server)
with schemathesis' checks, as an anonymous caller and as a notary and a registrar with
a DRF token, against a small register built by the services (parcels with holders, a
transfer, a mortgage) so that lookups answer 200 as well as 404 and deeds reach the
register's own refusals (404/409/422) and sometimes 201, not only 400.

Hypothesis is seeded (`derandomize`) and bounded per operation, so CI sees the same
requests every run. Health checks are relaxed for the reasons given at `FUZZ`.
Rate limiting is switched off (django-ratelimit's own RATELIMIT_ENABLE): a fuzzer's
hundreds of requests from one address are exactly what it exists to refuse, and 429
is documented on the limited operations, so it would only hide the other answers.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from parcels.models import Parcel
from tests.factories import (
    LandPriceFactory,
    ParcelFactory,
    PartyFactory,
    ZoningZoneFactory,
    api_token_for,
    current_entry,
    holders_now,
    user_with_role,
)
from transactions.deeds import services
from transactions.deeds.services import DeedInput
from transactions.models import Party

pytestmark = pytest.mark.django_db


@functools.cache
def _application() -> WSGIHandler:
    """Return Django's WSGI handler, as the deployed application serves requests."""
    return WSGIHandler()


ROLES = ["notary", "registrar"]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

# Bounded and seeded: the same requests in every run, and the module well under 90 s.
# too_slow: each example is a real request against PostGIS (a deed is a serialisable
# transaction), far slower than Hypothesis expects of pure functions; filter_too_much:
# schemathesis filters examples that cannot be serialised (e.g. header values outside
# latin-1) and the deed body's oneOf rejects many draws; data_too_large: deed bodies
# with lists of parties and GeoJSON rings are large by nature. None of these is a
# failure of the API; deadline=None because the first request of an operation also
# warms caches (profiles, GDAL) and would trip a per-example deadline at random.
FUZZ = settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)


@dataclass
class Register:
    """What the fuzzer may point at: real parcel and party ids, and who is signed in."""

    parcel_ids: list[int]
    points: list[tuple[float, float]]
    party_ids: list[int]
    entries: list[int]
    tokens: dict[str, str]


@pytest.fixture
def register() -> Iterator[Register]:
    """Build a small register through the services: holders, a transfer and a mortgage.

    While it is in use, requests leave the database connection open: Django's WSGI
    handler closes a connection that is inside a transaction at the start and end of
    each request (close_old_connections), and the test's connection is inside
    pytest-django's transaction. Django's own test client does the same.
    """
    ZoningZoneFactory()
    parcels = ParcelFactory.create_batch(4)
    for parcel in parcels:
        LandPriceFactory(parcel=parcel)
    notary = user_with_role("notary")
    registrar = user_with_role("registrar")
    people = PartyFactory.create_batch(3)
    bank = PartyFactory(kind=Party.Kind.ORGANISATION, name="Ngân hàng Thử", national_id="")
    entries = []

    def deed(on: str, parcel: int) -> DeedInput:
        return DeedInput(
            effective_date=dt.date.fromisoformat(on),
            recorded_by=notary,
            expected_last_entry=current_entry(parcel),
            idempotency_key=str(uuid.uuid4()),
        )

    for parcel, person in zip(parcels[:3], people, strict=True):
        entry = services.record_first_registration(
            parcel_id=parcel.pk,
            holders=[(person.pk, Fraction(1))],
            deed=deed("2020-01-01", parcel.pk),
        )
        entries.append(entry.sequence)
    entry = services.record_transfer(
        parcel_id=parcels[0].pk,
        recipients=[(people[1].pk, Fraction(1, 2)), (people[2].pk, Fraction(1, 2))],
        transfer_type="sale",
        price=1_000_000_000,
        currency=None,
        transferors=holders_now(parcels[0]),
        deed=deed("2023-05-01", parcels[0].pk),
    )
    entries.append(entry.sequence)
    entry = services.record_mortgage(
        parcel_id=parcels[1].pk,
        lender=bank.pk,
        amount=500_000_000,
        currency=None,
        deed=deed("2024-01-01", parcels[1].pk),
    )
    entries.append(entry.sequence)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield Register(
            parcel_ids=[parcel.pk for parcel in parcels],
            points=[_lon_lat(parcel) for parcel in parcels],
            party_ids=[party.pk for party in [*people, bank]],
            entries=entries,
            tokens={
                "notary": api_token_for(notary),
                "registrar": api_token_for(registrar),
            },
        )
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _lon_lat(parcel: Parcel) -> tuple[float, float]:
    point = parcel.boundary.point_on_surface.transform(4326, clone=True)
    return (point.x, point.y)


def _aim(case: Any, register: Register, data: st.DataObject) -> None:
    """Point some cases at what exists, so answers are 200/201/409 as well as 404/400.

    Random ids almost never name a parcel, and a random body is almost never a deed the
    register could record; some cases get real ids, a point inside a parcel, or a
    well-formed mortgage or discharge whose terms are still drawn.
    """
    query = case.query
    if isinstance(query, dict) and "lon" in query and data.draw(st.booleans(), label="at"):
        query["lon"], query["lat"] = data.draw(st.sampled_from(register.points))
    if case.method == "POST" and data.draw(st.booleans(), label="a well-formed deed"):
        case.body = data.draw(_deeds(register), label="deed")
        return
    if "id" in (case.path_parameters or {}) and data.draw(st.booleans(), label="real id"):
        case.path_parameters["id"] = data.draw(st.sampled_from(register.parcel_ids))
    body = case.body
    if isinstance(body, dict) and data.draw(st.booleans(), label="real ids in body"):
        if "parcel" in body:
            body["parcel"] = data.draw(st.sampled_from(register.parcel_ids))
        if "parcels" in body:
            body["parcels"] = data.draw(
                st.lists(st.sampled_from(register.parcel_ids), min_size=2, max_size=3)
            )
        if "corrects" in body:
            body["corrects"] = data.draw(st.sampled_from(register.entries))
        for key in ("holders", "recipients", "transferors"):
            for holder in body.get(key) or []:
                if isinstance(holder, dict) and "party" in holder:
                    holder["party"] = data.draw(st.sampled_from(register.party_ids))
        if "lender" in body:
            body["lender"] = data.draw(st.sampled_from(register.party_ids))


def _deeds(register: Register) -> st.SearchStrategy[dict[str, Any]]:
    """Return well-formed mortgages and discharges of the register's parcels."""
    common = {
        "parcel": st.sampled_from(register.parcel_ids),
        # A fixed range, not up to today: the same draws in every run.
        "effective_date": st.dates(dt.date(1990, 1, 1), dt.date(2025, 1, 1)).map(str),
        # Drawn, not read: some are the parcel's last entry, most make the deed stale.
        "expected_last_entry": st.integers(0, 8),
    }
    mortgage = st.fixed_dictionaries(
        {
            "kind": st.just("mortgage"),
            "lender": st.sampled_from(register.party_ids),
            "amount": st.integers(0, 10**15).map(str),
            **common,
        }
    )
    discharge = st.fixed_dictionaries(
        {"kind": st.just("discharge"), "mortgage": st.integers(1, 50), **common}
    )
    return st.one_of(mortgage, discharge)


def _fuzz(
    operation: APIOperation,
    register: Register,
    headers: dict[str, str],
    *,
    budget: settings = FUZZ,
) -> set[int]:
    """Send the operation's cases, valid and not; return the statuses it answered."""
    answered: set[int] = set()
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @budget
    @given(case=cases, data=st.data())
    def fuzz(case: Case, data: st.DataObject) -> None:
        _aim(case, register, data)
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        answered.add(response.status_code)

    fuzz()
    return answered


@pytest.mark.slow
@pytest.mark.parametrize("caller", ["", "notary", "registrar"], ids=["anonymous", *ROLES])
def test_every_operation_answers_as_its_schema_says(
    caller: str, register: Register, settings: Any
) -> None:
    settings.RATELIMIT_ENABLE = False
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", _application())
    headers = {"Authorization": f"Token {register.tokens[caller]}"} if caller else {}
    failures = []
    answers: dict[str, set[int]] = {}
    # ok() raises for an operation schemathesis cannot read, and every documented one is
    # fuzzed but the document itself (schemathesis leaves out the schema's own URL).
    operations = [result.ok() for result in schema.get_all_operations()]
    documented = {
        f"{method.upper()} {path}"
        for path, methods in schema.raw_schema["paths"].items()
        for method in methods
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert documented - {operation.label for operation in operations} == {"GET /api/schema/"}
    for operation in operations:
        try:
            answers[operation.label] = _fuzz(operation, register, headers)
        except (Exception, FailureGroup) as failure:  # every operation's, not only the first
            failures.append(f"{operation.label}: {failure}")
    assert not failures, "\n\n".join(failures)
    # The register was reached, not only the checks in front of it.
    for lookup in ("GET /api/parcels/{id}", "GET /api/parcels/{id}/history"):
        assert {200, 404} <= answers[lookup], (lookup, answers[lookup])
    assert 200 in answers["GET /api/parcels/at"], answers
    deeds = answers["POST /api/transactions/"]
    if caller:
        # Malformed, and refused by the register itself (404, 409 or 422). Whether a drawn
        # deed is also recorded depends on what the register holds by then (ids, dates),
        # so a recorded deed is checked against the schema with one known-good deed.
        assert 400 in deeds and deeds & {201, 404, 409, 422}, deeds
        operation = next(op for op in operations if op.label == "POST /api/transactions/")
        recorded = operation.Case(
            body={
                "kind": "mortgage",
                "parcel": register.parcel_ids[2],
                "expected_last_entry": current_entry(register.parcel_ids[2]),
                "lender": register.party_ids[-1],
                "amount": "750000000",
                "effective_date": "2024-06-01",
            },
            headers={"Idempotency-Key": str(uuid.uuid4())},
            media_type="application/json",
        ).call_and_validate(headers=headers, checks=CHECKS)
        assert recorded.status_code == 201, recorded.text
    else:
        assert deeds == {401}, deeds


def _refused_past_the_limit(case: Case, settings: Any, group: str) -> Any:
    """Lower `group`'s rate to 2 a minute, call `case` until 429, validate that answer."""
    settings.RATELIMIT_ENABLE = True
    settings.LANDINFO = {
        **settings.LANDINFO,
        "RATE_LIMITS": {**settings.LANDINFO["RATE_LIMITS"], group: "2/m"},
    }
    # The counters outlive the test (their own table and connection): at most 3 to reach 429.
    statuses = []
    for _ in range(3):
        response = case.call()
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
    assert statuses[-1] == 429, statuses
    case.validate_response(response, checks=CHECKS)
    return response


def test_a_rate_limited_lookup_answers_429_as_the_schema_says(
    register: Register, settings: Any
) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", _application())
    case = schema["/api/parcels/search"]["GET"].Case(query={"q": "1"})
    response = _refused_past_the_limit(case, settings, "lookup")
    assert int(response.headers["retry-after"][0]) >= 1
    assert response.json()["detail"]


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_an_undocumented_method_is_refused_with_405_and_allow(
    method: str, client: Any, register: Register
) -> None:
    # As a notary: DRF answers 401 to an anonymous caller before it looks at the method.
    token = f"Token {register.tokens['notary']}"
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", _application())
    for path, operations in schema.raw_schema["paths"].items():
        if method.lower() in operations:
            continue
        url = re.sub(r"\{[a-z_]+\}", "1", path)
        response = client.generic(method, url, HTTP_HOST="localhost", HTTP_AUTHORIZATION=token)
        assert response.status_code == 405, (url, response.status_code)
        allowed = {verb.strip() for verb in response["Allow"].split(",")}
        assert {verb.upper() for verb in operations if verb != "parameters"} <= allowed, url


# --- what the fuzzer found, as plain tests ----------------------------------------------------


@pytest.mark.parametrize("offset", ["+18:10", "-14:30", "+23:59"])
def test_a_moment_with_an_offset_no_time_zone_has_is_refused_with_400(
    client: Any, offset: str
) -> None:
    # Was a 500: Python reads offsets to ±23:59, PostgreSQL only to ±15:59.
    parcel = ParcelFactory()
    for url in (f"/api/parcels/{parcel.pk}", f"/api/parcels/{parcel.pk}/history"):
        response = client.get(
            url, {"known_at": f"2024-03-02T09:00:00{offset}"}, HTTP_ACCEPT_LANGUAGE="en"
        )
        assert response.status_code == 400, response.content
        assert "UTC offset from -14:00 to +14:00" in response.json()["detail"]


def test_the_furthest_real_offsets_are_read(client: Any) -> None:
    parcel = ParcelFactory()
    for offset in ("+14:00", "-12:00"):
        response = client.get(
            f"/api/parcels/{parcel.pk}", {"known_at": f"2024-03-02T09:00:00{offset}"}
        )
        assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "path",
    ["/api/parcels/1/abc", "/api/parcels/abc/history/x", "/api/parcels/-5/holders", "/api/x"],
)
def test_an_api_path_no_route_matches_answers_json_404(client: Any, path: str) -> None:
    # Was Django's HTML page: a program parsing the API's JSON choked on it.
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "not_found"
    assert "/api/schema/" in response.json()["detail"]


def test_a_page_no_route_matches_is_still_a_page(client: Any) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


OGC_FUZZ = settings(FUZZ, max_examples=15)


@pytest.mark.slow
def test_rate_limited_ogc_items_answer_429_as_their_document_says(
    register: Register, settings: Any
) -> None:
    schema = schemathesis.openapi.from_wsgi("/ogc/api", _application())
    case = schema["/collections/parcels/items"]["GET"].Case(query={"limit": 1})
    _refused_past_the_limit(case, settings, "ogc")


def test_the_ogc_api_answers_as_its_own_document_says(register: Register, settings: Any) -> None:
    """The OGC API – Features has its own OpenAPI document (/ogc/api): a smaller budget."""
    settings.RATELIMIT_ENABLE = False
    schema = schemathesis.openapi.from_wsgi("/ogc/api", _application())
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        try:
            _fuzz(operation, register, {}, budget=OGC_FUZZ)
        except (Exception, FailureGroup) as failure:
            failures.append(f"{operation.label}: {failure}")
    assert not failures, "\n\n".join(failures)


def test_search_echoes_an_identifier_but_not_other_text(client: Any) -> None:
    # The personal-data scan found the search repeating a holder's name and ID number.
    parcel = ParcelFactory()
    named = client.get("/api/parcels/search", {"q": parcel.identifier}).json()
    assert named["query"] == parcel.identifier and named["results"]
    for text in ("Nguyễn Văn Thử 7", "001000000007"):
        answer = client.get("/api/parcels/search", {"q": text}).json()
        assert answer["query"] == "", answer
