"""Registered areas that disagree with the drawn boundary: reported, shown, never refused.

The tolerance is the profile's, by the scale of the cadastral map: Vietnam ΔP =
0.0004·M·√P (Circular 25/2014/TT-BTNMT), Korea A = 0.026²·M·√F (공간정보관리법 시행령
제19조, M = 6000 for 1:3000 maps).
"""

from __future__ import annotations

import csv
from decimal import Decimal
from io import StringIO
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
from django.core.management import call_command
from django.urls import reverse
from pyproj import Geod, Transformer

from landinfo.profiles import JurisdictionProfile, get_profile
from parcels.areas import ground_areas
from parcels.models import AdministrativeUnit, Parcel
from tests.factories import AdministrativeUnitFactory

pytestmark = [pytest.mark.django_db, pytest.mark.every_profile]


@pytest.mark.parametrize(
    ("key", "area", "scale", "tolerance"),
    [
        ("vn", 100.0, 1000, 4.0),  # 0.0004 · 1000 · 10
        ("vn", 10_000.0, 500, 20.0),
        # The example the Korean rule is taught with: 100 m² at 1:1200 → 8.112 m².
        ("kr", 100.0, 1200, 8.112),
        ("kr", 100.0, 3000, 0.026**2 * 6000 * 10),  # a 1:3000 map counts as 1:6000
    ],
)
def test_the_permissible_area_error_follows_each_countrys_rule(key, area, scale, tolerance):
    profile = get_profile(key)
    assert profile.permissible_area_error(area, scale) == pytest.approx(tolerance)
    arrays = profile.permissible_area_error(np.array([area, area]), np.array([scale, scale]))
    assert arrays == pytest.approx([tolerance, tolerance])


def test_ground_areas_are_the_ellipsoids_far_from_the_storage_meridian(profile):
    # 3.5° east of the storage CRS's central meridian, where its plane enlarges areas.
    lat, lon = profile.map_center
    lon += 3.5
    to_storage = Transformer.from_crs(4326, profile.storage_srid, always_xy=True)
    x, y = to_storage.transform(lon, lat)
    square = shapely.box(x, y, x + 100, y + 100)
    to_wgs84 = Transformer.from_crs(profile.storage_srid, 4326, always_xy=True)
    in_degrees = shapely.transform(
        square, lambda xy: np.column_stack(to_wgs84.transform(xy[:, 0], xy[:, 1]))
    )
    geodesic = abs(Geod(ellps="WGS84").geometry_area_perimeter(in_degrees)[0])

    (ground,) = ground_areas(np.array([square], dtype=object), profile.storage_srid)

    assert square.area > geodesic * 1.001  # what the storage plane says: off by > 0.1 %
    assert ground == pytest.approx(geodesic, rel=2e-5)  # the datum's parts per million


# --- the import and the sheet ---------------------------------------------------------------


@pytest.fixture
def unit(profile) -> AdministrativeUnit:
    return AdministrativeUnitFactory()


def lot(profile: JurisdictionProfile, n: int, side: float) -> shapely.Polygon:
    lat, lon = profile.map_center
    x, y = Transformer.from_crs(4326, profile.storage_srid, always_xy=True).transform(lon, lat)
    return shapely.box(x + n * 200, y, x + n * 200 + side, y + side)


def identifier(profile: JurisdictionProfile, unit: AdministrativeUnit, n: int) -> str:
    text = f"tờ 1 thửa {n}" if profile.key == "vn" else f"{n}"
    return profile.normalize_identifier(text, unit_code=unit.code)


def write(path: Path, profile, unit, rows: list[tuple[float, float, str | None]]) -> Path:
    """Write one square lot per (side, registered area, map scale) row, in the storage CRS."""
    count = len(rows)
    fields = [
        np.array([identifier(profile, unit, n + 1) for n in range(count)], dtype=object),
        np.array([profile.land_uses[0].code] * count, dtype=object),
        np.array([area for _, area, _ in rows], dtype=np.float64),
    ]
    names = ["identifier", "land_use", "registered_area"]
    if any(scale is not None for _, _, scale in rows):
        fields.append(np.array([scale for _, _, scale in rows], dtype=object))
        names.append("map_scale")
    pyogrio.raw.write(
        str(path),
        geometry=np.array(
            shapely.to_wkb([lot(profile, n, side) for n, (side, _, _) in enumerate(rows)]),
            dtype=object,
        ),
        field_data=fields,
        fields=names,
        crs=f"EPSG:{profile.storage_srid}",
        geometry_type="Polygon",
    )
    return path


def notes(report: Path) -> dict[str, str]:
    with report.open(encoding="utf-8", newline="") as file:
        return {row["identifier"]: row["reason"] for row in csv.DictReader(file)}


def sheet(client, parcel: Parcel) -> dict:
    response = client.get(reverse("transactions:detail", args=[parcel.pk]))
    assert response.status_code == 200
    return response.json()


def test_a_registered_area_beyond_the_maps_tolerance_is_imported_reported_and_shown(
    client, tmp_path, profile, unit
):
    # 40 m squares: 1,600 m² drawn. At the usual scale the tolerance is a few tens of m².
    drawn = 1600.0
    tolerance = profile.permissible_area_error(drawn, profile.default_map_scale)
    beyond = round(drawn - 3 * tolerance, 2)
    within = round(drawn - 0.5 * tolerance, 2)
    path = write(tmp_path / "thua.gpkg", profile, unit, [(40, beyond, None), (40, within, None)])
    report = tmp_path / "report.csv"
    out = StringIO()

    call_command("import_parcels", str(path), "--report", str(report), stdout=out)

    assert "imported 2" in out.getvalue() and "rejected 0" in out.getvalue()
    assert "Area notes: 1 parcels' registered area differs" in out.getvalue()
    first, second = identifier(profile, unit, 1), identifier(profile, unit, 2)
    (noted,) = notes(report).items()
    assert noted[0] == first
    assert noted[1].startswith(
        f"registered area differs from the boundary: registered {beyond:.2f}"
    )
    assert f"at 1:{profile.default_map_scale}" in noted[1] and "imported as registered" in noted[1]
    # Imported as registered: the certificate's area stands.
    assert Parcel.objects.get(identifier=first).registered_area == Decimal(f"{beyond:.2f}")

    shown = sheet(client, Parcel.objects.get(identifier=first))
    note = shown["area_discrepancy"]
    assert note["map_scale"] == shown["map_scale"] == profile.default_map_scale
    assert note["difference"] == pytest.approx(drawn - beyond, abs=0.2)
    assert note["percent"] == pytest.approx(100 * (drawn - beyond) / beyond, abs=0.1)
    assert note["tolerance"] == pytest.approx(
        profile.permissible_area_error(beyond, profile.default_map_scale), abs=0.05
    )
    assert note["rule"] == profile.area_rule
    assert sheet(client, Parcel.objects.get(identifier=second))["area_discrepancy"] is None


def test_the_map_scale_comes_from_the_option_or_the_field_and_is_kept_with_the_parcel(
    client, tmp_path, profile, unit
):
    drawn = 1600.0
    small, large = min(profile.map_scales), max(profile.map_scales)
    # Within a large scale's tolerance and beyond a small one's: the scale decides.
    off = round(drawn - 2 * profile.permissible_area_error(drawn, small), 2)
    assert drawn - off < profile.permissible_area_error(off, large)
    path = write(
        tmp_path / "thua.gpkg",
        profile,
        unit,
        [(40, off, f"1:{small}"), (40, off, str(large)), (40, off, None)],
    )

    out = StringIO()
    call_command("import_parcels", str(path), "--report", str(tmp_path / "r.csv"), stdout=out)

    assert "map scale ← map_scale" in out.getvalue()
    parcels = [Parcel.objects.get(identifier=identifier(profile, unit, n)) for n in (1, 2, 3)]
    assert [parcel.map_scale for parcel in parcels] == [small, large, None]
    assert sheet(client, parcels[0])["area_discrepancy"]["map_scale"] == small
    assert sheet(client, parcels[1])["area_discrepancy"] is None
    assert sheet(client, parcels[2])["map_scale"] == profile.default_map_scale

    Parcel.objects.all().delete()
    call_command(
        "import_parcels",
        str(path),
        "--map-scale",
        f"1:{large}",
        "--report",
        str(tmp_path / "s.csv"),
        stdout=StringIO(),
    )
    assert set(Parcel.objects.values_list("map_scale", flat=True)) == {large}
    assert notes(tmp_path / "s.csv") == {}
