"""A subdivision from the surveyor's file, through the form and the deed API, in both profiles.

The parcel lies in a province whose surveys are in a zone other than the storage CRS's
(Vietnam: Hưng Yên, VN-2000 / TM-3 105°30′; Korea: a list in the Central Belt or UTM-K),
and the file is what the office is handed: a trích đo / 측량성과 list, X the northing.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import pyogrio.raw
import pytest
import shapely
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pyproj import Transformer

from landinfo.profiles import get_profile
from landinfo.srid import STORAGE_SRID
from parcels.models import AdministrativeUnit, Parcel
from tests.factories import AdministrativeUnitFactory, ParcelFactory, current_entry, national_id
from tests.transactions.deeds.test_views import _document, _load, problems
from transactions.deeds import services
from transactions.deeds.serializers import SURVEY_MAX_BYTES
from transactions.models import JournalEntry

pytestmark = pytest.mark.django_db

URL = reverse("transactions:deed-subdivision")


@pytest.fixture(autouse=True)
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def vietnam() -> bool:
    return get_profile().key == "vn"


def province(code_vn: str) -> AdministrativeUnit:
    """Return a province: Vietnam's by its code, Korea's Seoul (its belts have no default)."""
    code, name = (code_vn, f"Tỉnh {code_vn}") if vietnam() else ("1100000000", "서울특별시")
    return AdministrativeUnitFactory(code=code, name=name, level=AdministrativeUnit.Level.PROVINCE)


@pytest.fixture
def parcel(notary):
    """Return a parcel of Hưng Yên (Vietnam) or Seoul (Korea), held by one person."""
    commune = AdministrativeUnitFactory(parent=province("33"))
    parcel = ParcelFactory(admin_unit=commune, address="Thôn Đông")
    services.record_first_registration(
        parcel_id=parcel.pk,
        holders=[(services.PartyInput("person", "Nguyễn Văn An", national_id(1)), Fraction(1))],
        deed=services.DeedInput(
            effective_date=dt.date(2020, 1, 1),
            recorded_by=notary,
            expected_last_entry=current_entry(parcel.pk),
        ),
    )
    return parcel


def survey_crs() -> int:
    """Return the CRS the province's surveys are in: TM-3 105°30′, or the Central Belt."""
    return 9209 if vietnam() else 5186


def halves(parcel, epsg: int) -> list[list[tuple[float, float]]]:
    """Return the parcel's two halves as (northing, easting) corners in EPSG:`epsg`."""
    x0, y0, x1, y1 = parcel.boundary.extent
    middle = (x0 + x1) / 2
    to = Transformer.from_crs(STORAGE_SRID, epsg, always_xy=True)
    lots = []
    for a, b in ((x0, middle), (middle, x1)):
        corners = [(a, y0), (b, y0), (b, y1), (a, y1)]
        lots.append([tuple(reversed(to.transform(x, y))) for x, y in corners])
    return lots


def trich_do(lots: list[list[tuple[float, float]]], *, swap: bool = False) -> str:
    """Return the lots as an office prints them: Vietnam tabs and decimal commas, Korea spaces."""
    heading, comma, separator = ("Thửa", True, "\t") if vietnam() else ("필지", False, "  ")
    lines = []
    for n, lot in enumerate(lots, 1):
        lines += [f"{heading} {n}", separator.join(["STT", "X (m)", "Y (m)"])]
        for k, (north, east) in enumerate([*lot, lot[0]], 1):
            x, y = (east, north) if swap else (north, east)
            fields = [f"{x:.2f}", f"{y:.2f}"]
            lines.append(
                separator.join([str(k), *(f.replace(".", ",") if comma else f for f in fields)])
            )
    return "\n".join(lines) + "\n"


def form(client, parcel, **fields) -> dict:
    return {
        "parcel": parcel.pk,
        **_load(client, URL, parcel=parcel.pk),
        "effective_date": "2024-05-02",
        "document": _document(),
        "tolerance_m2": "1",
        **fields,
    }


def text_file(text: str, name: str = "trich-do.txt") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/plain")


def children_of(parcel) -> list[Parcel]:
    entry = JournalEntry.objects.order_by("-sequence").first()
    made = json.loads(entry.payload)["parcels_created"]
    return list(Parcel.objects.filter(pk__in=[child["id"] for child in made]).order_by("pk"))


def assert_split_in_halves(parcel) -> list[Parcel]:
    parcel.refresh_from_db()
    assert parcel.valid_to == dt.date(2024, 5, 2)
    children = children_of(parcel)
    assert len(children) == 2
    half = parcel.boundary.area / 2
    for child in children:
        assert abs(child.boundary.area - half) < 0.5, child.boundary.area
        assert child.boundary.sym_difference(parcel.boundary).area > half - 0.5
    assert sum(child.registered_area for child in children) == parcel.registered_area
    return children


@pytest.mark.every_profile
def test_a_trich_do_list_in_the_provinces_zone_subdivides_the_parcel(client, notary, parcel):
    client.force_login(notary)
    page = client.get(URL, {"parcel": parcel.pk}).content.decode()
    if vietnam():  # Hưng Yên's surveys are on 105°30′: the form offers it first
        assert '<option value="9209" selected>VN-2000, central meridian 105°30′, 3° zone' in page
    else:  # a 시·도 spans belts: the officer chooses
        assert 'value="5186" selected' not in page and "Central Belt origin" in page
    text = trich_do(halves(parcel, survey_crs()))
    response = client.post(
        URL, form(client, parcel, crs=survey_crs(), children_file=text_file(text))
    )
    assert response.status_code == 302, problems(response)
    children = assert_split_in_halves(parcel)
    assert [child.address for child in children] == ["Thôn Đông"] * 2  # the parent's


@pytest.mark.every_profile
def test_a_pasted_list_with_x_and_y_swapped_is_refused_saying_so(client, notary, parcel):
    client.force_login(notary)
    text = trich_do(halves(parcel, survey_crs()), swap=True)
    before = JournalEntry.objects.count()
    response = client.post(URL, form(client, parcel, crs=survey_crs(), children_text=text))
    assert response.status_code == 422
    assert "would with X and Y swapped" in problems(response)
    assert text.splitlines()[2] in response.content.decode()  # the list is kept
    assert JournalEntry.objects.count() == before


@pytest.mark.every_profile
@pytest.mark.parametrize("wrong", ["zone", "degrees"])
def test_a_list_measured_on_another_meridian_names_the_one_it_fits(client, notary, parcel, wrong):
    client.force_login(notary)
    measured, chosen = (9209, 5897) if vietnam() else (5187, 5186)
    if wrong == "degrees":  # metres in a CRS of longitude and latitude
        chosen = 4326
    text = trich_do(halves(parcel, measured))
    response = client.post(URL, form(client, parcel, crs=chosen, children_text=text))
    assert response.status_code == 422
    fits = "VN-2000, central meridian 105°30′" if vietnam() else "Korea 2000, East Belt origin"
    assert f"but do in {fits}" in problems(response)


@pytest.mark.every_profile
def test_a_dxf_drawing_subdivides_the_parcel_with_the_land_uses_written_inside(
    client, notary, parcel, tmp_path
):
    client.force_login(notary)
    epsg = survey_crs()
    lots = halves(parcel, epsg)
    codes = [use.code for use in get_profile().land_uses[1:3]]
    rings = [shapely.LineString([(e, n) for n, e in [*lot, lot[0]]]) for lot in lots]
    frame = shapely.box(*shapely.union_all(rings).buffer(5).bounds).exterior
    labels = [shapely.Polygon(ring).centroid for ring in rings]
    data = dxf(
        tmp_path / "trich-do.dxf",
        [(rings[0], "THUA", ""), (rings[1], "THUA", ""), (frame, "KHUNG", "")]
        + [(point, "CHU", code) for point, code in zip(labels, codes, strict=True)],
    )
    upload = SimpleUploadedFile("trich-do.dxf", data, content_type="application/dxf")
    response = client.post(URL, form(client, parcel, crs=epsg, children_file=upload))
    assert response.status_code == 422
    assert "several layers" in problems(response)

    upload = SimpleUploadedFile("trich-do.dxf", data, content_type="application/dxf")
    fields = {"crs": epsg, "children_file": upload, "dxf_layer": "THUA"}
    response = client.post(URL, form(client, parcel, **fields))
    assert response.status_code == 302, problems(response)
    children = assert_split_in_halves(parcel)
    assert [child.land_use for child in children] == codes


def dxf(path: Path, entities: list) -> bytes:
    """Write (geometry, layer, text) as a DXF drawing with GDAL's DXF writer."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "'crs' was not provided")
        pyogrio.raw.write(
            str(path),
            np.array([shapely.to_wkb(g) for g, _, _ in entities], dtype=object),
            field_data=[
                np.array([f'LABEL(t:"{t}")' if t else "" for _, _, t in entities], dtype=object),
                np.array([layer for _, layer, _ in entities], dtype=object),
            ],
            fields=["OGR_STYLE", "Layer"],
            geometry_type="Unknown",
            driver="DXF",
        )
    return path.read_bytes()


def test_a_merged_province_offers_no_meridian_and_names_its_meridians(client, notary, settings):
    if not vietnam():
        pytest.skip("Vietnam's provinces merged in 2025")
    commune = AdministrativeUnitFactory(parent=province("25"))  # Phú Thọ, Vĩnh Phúc, Hòa Bình
    parcel = ParcelFactory(admin_unit=commune)
    client.force_login(notary)
    page = client.get(URL, {"parcel": parcel.pk}).content.decode()
    assert "selected>VN-2000" not in page
    assert "several central meridians: VN-2000, central meridian 104°45′, 3° zone; " in page
    assert "105°, 3° zone; VN-2000, central meridian 106°, 3° zone." in page


def api_post(client, body: dict):
    return client.post(
        "/api/transactions/",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )


@pytest.mark.every_profile
def test_the_deed_api_takes_the_surveyors_file_in_base64(client, notary, parcel):
    client.force_login(notary)
    epsg = 9209 if vietnam() else 5179  # Korea: UTM-K
    content = base64.b64encode(trich_do(halves(parcel, epsg)).encode("utf-16")).decode()
    body = {
        "kind": "subdivision",
        "parcel": parcel.pk,
        "expected_last_entry": current_entry(parcel.pk),
        "effective_date": "2024-05-02",
        "crs": epsg,
        "tolerance_m2": "1",
        "survey": {"content": content},
    }
    both = api_post(client, {**body, "children": [{"boundary": {}}] * 2})
    assert both.status_code == 400, both.content
    broken = api_post(client, {**body, "survey": {"content": "not base64!"}})
    assert broken.status_code == 400 and "base64" in broken.json()["detail"]
    # One byte over the 5 MB the schema promises is refused as a file, not as base64 text.
    over = base64.b64encode(b"\n" * (SURVEY_MAX_BYTES + 1)).decode()
    larger = api_post(client, {**body, "survey": {"content": over}})
    assert larger.status_code == 400 and "larger than 5 MB" in larger.json()["detail"]
    one_point = base64.b64encode(b"1 2 3\n").decode()
    refused = api_post(client, {**body, "survey": {"content": one_point, "format": "coordinates"}})
    assert (
        refused.status_code == 400 and "(line 1) has 1 distinct points" in refused.json()["detail"]
    )

    response = api_post(client, body)
    assert response.status_code == 201, response.content
    assert_split_in_halves(parcel)


def test_the_schema_documents_the_survey_file(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    survey = schema["components"]["schemas"]["SurveyFile"]
    assert set(survey["properties"]) == {"format", "content", "layer"}
    assert "X the northing" in survey["description"]


@pytest.mark.every_profile
def test_the_form_asks_the_land_uses_a_list_does_not_give(client, notary, parcel):
    client.force_login(notary)
    codes = [use.code for use in get_profile().land_uses[-2:]]
    text = trich_do(halves(parcel, survey_crs()))
    fields = {"crs": survey_crs(), "children_text": text, "land_uses": codes[0]}
    response = client.post(URL, form(client, parcel, **fields))
    assert response.status_code == 422
    assert "1 land uses for 2 new parcels" in problems(response)

    fields["land_uses"] = f" {codes[0].lower()} ;{codes[1]}"  # as people type them
    response = client.post(URL, form(client, parcel, **fields))
    assert response.status_code == 302, problems(response)
    assert [child.land_use for child in children_of(parcel)] == codes
