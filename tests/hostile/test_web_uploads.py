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
    assert len(content) > forms.SURVEY_MAX_BYTES
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


# --- the surveyor's file: DXF drawings and coordinate lists -------------------------------


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def _dxf(*sections: str) -> bytes:
    body = "".join(f"  0\nSECTION\n  2\n{name}\n{text}  0\nENDSEC\n" for name, text in sections)
    return (body + "  0\nEOF\n").encode()


def _insert(block: str) -> str:
    return f"  0\nINSERT\n  8\n0\n  2\n{block}\n 10\n0\n 20\n0\n 30\n0\n"


@pytest.mark.every_profile
@pytest.mark.parametrize("name", ["trich-do.dxf", "trich-do.txt", "trich-do"])
def test_binary_garbage_as_a_survey_file_is_refused(client, parcel, sandbox, name):
    garbage = bytes(range(256)) * 64
    data = subdivision(client, parcel, children_file=upload(name, garbage))
    response = client.post(SUBDIVISION, data)
    if name.endswith(".dxf"):
        refused_with(response, "This is not a DXF drawing")
    else:
        refused_with(response, "Line 1 holds characters no coordinate list has")
    sandbox.assert_clean()


@pytest.mark.every_profile
def test_a_huge_coordinate_list_is_refused_by_its_size(client, parcel, sandbox):
    content = b"1\t2345678,12\t567890,45\n" * 250_000
    assert len(content) > forms.SURVEY_MAX_BYTES
    data = subdivision(client, parcel, children_file=upload("trich-do.txt", content))
    refused_with(client.post(SUBDIVISION, data), "larger than 5 MB")
    sandbox.assert_clean()


@pytest.mark.every_profile
@pytest.mark.timeout(60)
def test_a_dxf_of_nested_blocks_is_not_expanded(client, parcel, sandbox):
    # B0 is a closed polyline; B1 inserts B0 a hundred times, B2 inserts B1 a hundred
    # times, ... B5 would be 10^10 polylines if GDAL expanded the blocks it inserts.
    x0, y0, x1, y1 = parcel.boundary.extent
    square = "  0\nLWPOLYLINE\n  8\nTHUA\n 90\n4\n 70\n1\n" + "".join(
        f" 10\n{x}\n 20\n{y}\n" for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
    )
    blocks = "".join(
        f"  0\nBLOCK\n  8\n0\n  2\nB{n}\n 70\n0\n 10\n0\n 20\n0\n 30\n0\n  3\nB{n}\n"
        + (square if n == 0 else _insert(f"B{n - 1}") * 100)
        + "  0\nENDBLK\n"
        for n in range(6)
    )
    content = _dxf(
        ("HEADER", "  9\n$ACADVER\n  1\nAC1009\n"), ("BLOCKS", blocks), ("ENTITIES", _insert("B5"))
    )
    data = subdivision(client, parcel, children_file=upload("bom.dxf", content))
    refused_with(client.post(SUBDIVISION, data), "The DXF drawing has no closed polylines")
    sandbox.assert_clean()


@pytest.mark.every_profile
def test_a_dxf_of_3d_faces_only_is_refused(client, parcel, sandbox):
    x0, y0, x1, y1 = parcel.boundary.extent
    corners = ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
    face = "  0\n3DFACE\n  8\nTHUA\n" + "".join(
        f" 1{k}\n{x}\n 2{k}\n{y}\n 3{k}\n0\n" for k, (x, y) in enumerate(corners)
    )
    content = _dxf(("HEADER", "  9\n$ACADVER\n  1\nAC1009\n"), ("ENTITIES", face * 2))
    data = subdivision(client, parcel, children_file=upload("faces.dxf", content))
    refused_with(client.post(SUBDIVISION, data), "The DXF drawing has no closed polylines")
    sandbox.assert_clean()


@pytest.mark.every_profile
def test_a_list_of_one_point_is_refused_with_its_line(client, parcel, sandbox):
    data = subdivision(client, parcel, children_text="STT X Y\n1 2345678,12 567890,45\n")
    refused_with(client.post(SUBDIVISION, data), "Parcel 1 (line 2) has 1 distinct points")
    sandbox.assert_clean()


@pytest.mark.every_profile
@pytest.mark.parametrize("where", ["swapped", "at sea"])
def test_a_list_that_misses_the_parcel_is_refused_by_the_placement_check(
    client, parcel, sandbox, where
):
    x0, y0, x1, y1 = parcel.boundary.extent
    middle = (x0 + x1) / 2
    if where == "at sea":  # the grid's false origin: off the country's coast
        x0, y0, x1, y1, middle = 0.0, 0.0, 20.0, 20.0, 10.0
    lots = [[(a, y0), (b, y0), (b, y1), (a, y1)] for a, b in ((x0, middle), (middle, x1))]
    # X is the northing: a list written with the easting first is swapped.
    text = "\n\n".join(
        "\n".join(f"{k} {x:.2f} {y:.2f}" for k, (x, y) in enumerate(lot, 1)) for lot in lots
    )
    data = subdivision(client, parcel, children_text=text)
    response = client.post(SUBDIVISION, data)
    if where == "swapped":
        refused_with(response, "but would with X and Y swapped")
    else:
        refused_with(response, "The new parcels lie", "km from parcel")
    sandbox.assert_clean()
