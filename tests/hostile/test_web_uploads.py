"""Hostile uploads through the notary's forms: the subdivision GeoJSON and the deed document.

Each is refused with the form shown again (4xx) and the reason on it; no journal entry,
no parcel, no file in MEDIA_ROOT or in the folder Django spools large uploads to.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from fractions import Fraction
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from landinfo.srid import STORAGE_SRID
from tests.factories import ParcelFactory, current_entry, national_id, user_with_role
from tests.hostile.conftest import Sandbox
from tests.transactions.deeds.test_views import PDF
from transactions.deeds import forms, pages, services

pytestmark = pytest.mark.django_db

SUBDIVISION = reverse("transactions:deed-subdivision")


@pytest.fixture(autouse=True)
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def parcel(sandbox: Sandbox, client):
    """Return a registered parcel, the notary signed in; the sandbox sealed after."""
    notary = user_with_role("notary", "notary-hostile")
    registered = ParcelFactory()
    services.record_first_registration(
        parcel_id=registered.pk,
        holders=[(services.PartyInput("person", "Nguyễn Văn An", national_id(1)), Fraction(1))],
        deed=services.DeedInput(
            effective_date=dt.date(2020, 1, 1),
            recorded_by=notary,
            expected_last_entry=current_entry(registered.pk),
        ),
    )
    client.force_login(notary)
    sandbox.seal()
    return registered


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page) or re.search(
        rf'value="([^"]*)" name="{name}"', page
    )
    assert match, f"no {name} in the page"
    return match[1]


def subdivision(client, parcel, **fields: Any) -> dict[str, Any]:
    page = client.get(SUBDIVISION, {"parcel": parcel.pk}).content.decode()
    return {
        "parcel": parcel.pk,
        "expected_last_entry": hidden(page, "expected_last_entry"),
        "idempotency_key": hidden(page, "idempotency_key"),
        "effective_date": "2022-01-01",
        "document": SimpleUploadedFile("deed.pdf", PDF, content_type="application/pdf"),
        "crs": str(STORAGE_SRID),
        **fields,
    }


def collection(*rings: list[list[float]]) -> str:
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {},
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                }
                for ring in rings
            ],
        }
    )


def halves(parcel) -> tuple[list[list[float]], list[list[float]]]:
    x0, y0, x1, y1 = parcel.boundary.extent
    middle = (x0 + x1) / 2
    return (
        [[x0, y0], [middle, y0], [middle, y1], [x0, y1], [x0, y0]],
        [[middle, y0], [x1, y0], [x1, y1], [middle, y1], [middle, y0]],
    )


def geojson_file(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("split.geojson", content, content_type="application/geo+json")


def refused_with(response, *phrases: str) -> None:
    assert 400 <= response.status_code < 500, response.status_code
    page = " ".join(response.content.decode().split())
    for phrase in phrases:
        assert phrase in page, f"{phrase!r} not on the page"


@pytest.mark.every_profile
def test_a_bow_tie_child_is_refused(client, parcel, sandbox):
    left, right = halves(parcel)
    x0, y0 = left[0]
    x1, y1 = left[2]
    bowtie = [[x0, y0], [x1, y1], [x1, y0], [x0, y1], [x0, y0]]
    data = subdivision(
        client, parcel, children_file=geojson_file(collection(bowtie, right).encode())
    )
    response = client.post(SUBDIVISION, data)
    assert response.status_code == 422
    refused_with(response, "The boundary of new parcel 1 is not a valid polygon (Self-intersection")
    sandbox.assert_clean()


@pytest.mark.every_profile
@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_a_non_finite_coordinate_is_refused(client, parcel, sandbox, constant):
    left, right = halves(parcel)
    text = collection(left, right).replace(str(left[1][0]), constant, 1)
    assert constant in text
    data = subdivision(client, parcel, children_file=geojson_file(text.encode()))
    response = client.post(SUBDIVISION, data)
    refused_with(response, "Coordinates must be numbers", constant)
    sandbox.assert_clean()


@pytest.mark.every_profile
def test_a_child_with_more_vertices_than_the_limit_is_refused(client, parcel, sandbox, settings):
    settings.LANDINFO = {**settings.LANDINFO, "IMPORT_MAX_VERTICES": 1000}
    left, right = halves(parcel)
    (x0, y0), (x1, _) = left[0], left[1]
    steps = [[x0 + (x1 - x0) * n / 2000, y0] for n in range(2000)]
    dense = [*steps, *left[1:]]
    data = subdivision(
        client, parcel, children_file=geojson_file(collection(dense, right).encode())
    )
    response = client.post(SUBDIVISION, data)
    refused_with(response, "2004 vertices", "at most 1000")
    sandbox.assert_clean()


@pytest.mark.every_profile
def test_a_million_vertex_upload_is_refused_by_its_size(client, parcel, sandbox):
    left, right = halves(parcel)
    start = json.dumps(left[0]).encode()
    # A million positions, written as bytes at once (a Python list of them takes seconds).
    ring = b"[" + start + b"," + b"[1.5,2.5]," * (1_000_000 - 2) + start + b"]"
    content = collection([[0.0, 0.0]], right).encode().replace(b"[[0.0, 0.0]]", ring, 1)
    assert content.count(b"[1.5,2.5]") == 1_000_000 - 2
    assert len(content) > forms.GEOJSON_MAX_BYTES
    data = subdivision(client, parcel, children_file=geojson_file(content))
    response = client.post(SUBDIVISION, data)
    refused_with(response, "larger than 5 MB")
    sandbox.assert_clean()  # the upload spooled to disk is gone too


@pytest.mark.every_profile
def test_deeply_nested_json_is_refused(client, parcel, sandbox):
    content = b"[" * 200_000 + b"]" * 200_000
    data = subdivision(client, parcel, children_file=geojson_file(content))
    response = client.post(SUBDIVISION, data)
    refused_with(response, "This is not a GeoJSON FeatureCollection of polygons")
    sandbox.assert_clean()


@pytest.mark.every_profile
def test_an_oversized_pasted_body_is_refused(client, parcel, sandbox):
    data = subdivision(client, parcel, children_text=" " * (5 * 2**20))
    response = client.post(SUBDIVISION, data)
    assert 400 <= response.status_code < 500
    sandbox.assert_clean()


@pytest.mark.every_profile
@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.replace('"properties": {}', '"properties": {"address": "Đà"}', 1).encode(
            "cp1258"
        ),
        lambda text: text.encode("utf-16"),
        lambda text: b"\xff\xfe\x00" + text.encode(),
    ],
    ids=["cp1258", "utf-16", "garbage"],
)
def test_geojson_that_is_not_utf8_is_refused(client, parcel, sandbox, encode):
    content = encode(collection(*halves(parcel)))
    data = subdivision(client, parcel, children_file=geojson_file(content))
    response = client.post(SUBDIVISION, data)
    refused_with(response, "is not UTF-8 text")
    sandbox.assert_clean()


@pytest.mark.every_profile
def test_an_oversized_deed_document_is_refused_and_not_kept(client, parcel, sandbox):
    content = PDF + bytes(forms.DOCUMENT_MAX_BYTES)
    data = subdivision(
        client,
        parcel,
        children_text=collection(*halves(parcel)),
        document=SimpleUploadedFile("deed.pdf", content, content_type="application/pdf"),
    )
    response = client.post(SUBDIVISION, data)
    refused_with(response, "larger than 20 MB")
    sandbox.assert_clean()


def test_a_document_that_cannot_be_stored_leaves_no_temporary_file(sandbox, monkeypatch):
    def full_disk(source: str, target: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pages.os, "replace", full_disk)
    with pytest.raises(OSError, match="No space left"):
        pages.store_document(services.document_sha256(PDF), PDF)
    assert list((sandbox.media / "deeds").iterdir()) == []
