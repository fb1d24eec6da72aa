"""Imports that cannot put a district in the sea: the country's outline, the units, the CRS.

Under every profile: a small district of nine administrative units with boundaries,
three by three around the map's centre, and a file of the middle unit's parcels
written in one CRS and read in another.
"""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
import shapely.affinity
from django.contrib.gis.geos import GEOSGeometry
from django.core.management import CommandError, call_command
from pyproj import Transformer

from landinfo.profiles import JurisdictionProfile
from parcels.models import AdministrativeUnit, Parcel
from tests.factories import AdministrativeUnitFactory, unit_code

NOUNS = {"vn": ("commune", "communes"), "kr": ("legal dong", "legal dongs")}

pytestmark = [pytest.mark.django_db, pytest.mark.every_profile]

UNIT_M = 500.0  # each unit is a square this wide
LOT_M = 100.0  # lots in a 4 × 4 grid filling the middle unit
PITCH_M = 120.0

# The CRS a file is really in, and CRSs it is read in by mistake: far from the country,
# and a few hundred metres off, into a neighbouring unit.
#   vn: EPSG:3406 is UTM 49N, 625 km east (the South China Sea); EPSG:3405 is UTM 48N,
#       whose scale factor puts Hà Nội 699 m north.
#   kr: EPSG:5185 is the West Belt, 177 km west (the Yellow Sea); EPSG:5181 is the
#       Central Belt on GRS80 where the file is on Bessel (EPSG:5174): 313 m south.
CASES = {
    "vn": {"truth": 5897, "far": 3406, "near_truth": 5897, "near": 3405},
    "kr": {"truth": 5186, "far": 5185, "near_truth": 5174, "near": 5181},
}


def centre(profile: JurisdictionProfile) -> tuple[float, float]:
    lat, lon = profile.map_center
    return Transformer.from_crs(4326, profile.storage_srid, always_xy=True).transform(lon, lat)


@pytest.fixture
def district(profile) -> AdministrativeUnit:
    """Make nine units with boundaries around the map centre; return the middle one."""
    x0, y0 = centre(profile)
    middle = None
    for n, (col, row) in enumerate((c, r) for r in (-1, 0, 1) for c in (-1, 0, 1)):
        square = shapely.box(
            x0 + col * UNIT_M, y0 + row * UNIT_M, x0 + (col + 1) * UNIT_M, y0 + (row + 1) * UNIT_M
        )
        unit = AdministrativeUnitFactory(
            code=unit_code(900 + n),
            boundary=GEOSGeometry(shapely.multipolygons([square]).wkt, srid=profile.storage_srid),
        )
        if (col, row) == (0, 0):
            middle = unit
    assert middle is not None
    return middle


def identifier(profile: JurisdictionProfile, unit: AdministrativeUnit, n: int) -> str:
    text = f"tờ 1 thửa {n}" if profile.key == "vn" else f"{n}"
    return profile.normalize_identifier(text, unit_code=unit.code)


def lots(profile: JurisdictionProfile) -> list[shapely.Polygon]:
    """Return the 16 lots of the middle unit, in the storage CRS."""
    x0, y0 = centre(profile)
    return [
        shapely.Polygon(
            [
                (x, y),
                (x + LOT_M, y + 2),
                (x + LOT_M - 3, y + LOT_M),
                (x + 4, y + LOT_M - 2),
            ]
        )
        for x, y in (
            (x0 + 10 + col * PITCH_M, y0 + 10 + row * PITCH_M)
            for row in range(4)
            for col in range(4)
        )
    ]


def write(
    path: Path,
    profile: JurisdictionProfile,
    unit: AdministrativeUnit,
    *,
    truth: int,
    declared: int | None,
    drawn: list[shapely.Polygon] | None = None,
) -> Path:
    """Write the lots (or `drawn`) in `truth`'s coordinates, saying the file is in `declared`."""
    to_truth = Transformer.from_crs(profile.storage_srid, truth, always_xy=True)
    geometries = shapely.transform(
        np.array(drawn or lots(profile), dtype=object),
        lambda xy: np.column_stack(to_truth.transform(xy[:, 0], xy[:, 1])),
    )
    count = len(geometries)
    options = {"layer_options": {"GEOMETRY": "AS_WKT"}} if path.suffix == ".csv" else {}
    pyogrio.raw.write(
        str(path),
        geometry=np.array(shapely.to_wkb(geometries), dtype=object),
        field_data=[
            np.array([identifier(profile, unit, n + 1) for n in range(count)], dtype=object),
            np.array([profile.land_uses[0].code] * count, dtype=object),
        ],
        fields=["identifier", "land_use"],
        crs=None if declared is None else f"EPSG:{declared}",
        geometry_type="Polygon",
        **options,
    )
    return path


def refused(path: Path, *args: str) -> tuple[str, Path]:
    """Run the import expecting exit status 1; return its one message and the report."""
    report = path.with_name("report.csv")
    with pytest.raises(CommandError) as refusal:
        call_command("import_parcels", str(path), "--report", str(report), *args, stdout=StringIO())
    assert refusal.value.returncode == 1
    return str(refusal.value), report


@pytest.mark.parametrize(
    ("suffix", "case", "option"),
    [
        ("gpkg", "far", False),  # far in the sea: the country's outline catches it
        ("fgb", "near", False),  # a few hundred metres off: the units catch it
        ("csv", "far", True),  # no CRS in the file, the wrong one given with --srs
    ],
    ids=["far-in-the-sea", "in-a-neighbouring-unit", "csv-with-wrong-srs"],
)
def test_a_file_in_a_wrong_crs_is_refused_whole_naming_the_crs_that_puts_it_in_place(
    tmp_path, profile, district, suffix, case, option
):
    cases = CASES[profile.key]
    truth = cases["near_truth"] if case == "near" else cases["truth"]
    wrong = cases[case]
    path = write(
        tmp_path / f"thua.{suffix}",
        profile,
        district,
        truth=truth,
        declared=None if option else wrong,
    )
    args = ("--srs", f"EPSG:{wrong}") if option else ()

    message, report = refused(path, *args)

    assert Parcel.objects.count() == 0
    # One message for the file, not one per feature, naming the CRS that fits ...
    assert message.count("features lie out of place") == 1
    assert "The file is in another CRS" in message
    assert f"(EPSG:{truth}) puts every one of them in place" in message
    assert f"import again with --srs EPSG:{truth}" in message
    assert ("--override-srs" in message) is not option
    # ... and no other: the units' boundaries tell the candidates apart.
    assert "So would" not in message
    # The report still lists each feature.
    rows = report.read_text(encoding="utf-8").splitlines()[1:]
    assert len(rows) >= 16 * 0.1 and all("outside" in row for row in rows)

    # Read as the message says, the same file imports whole.
    out = StringIO()
    fix = ("--srs", f"EPSG:{truth}") + (() if option else ("--override-srs",))
    call_command("import_parcels", str(path), *fix, stdout=out)
    assert "imported 16" in out.getvalue()
    assert set(Parcel.objects.values_list("admin_unit", flat=True)) == {district.pk}


def test_parcels_outside_their_unit_are_rejected_one_by_one_when_the_file_is_right(
    tmp_path, profile, district
):
    truth = CASES[profile.key]["truth"]
    drawn = lots(profile)
    # One parcel drawn in the neighbouring unit by mistake; the file's CRS is right.
    drawn[5] = shapely.affinity.translate(drawn[5], 0, UNIT_M)
    path = write(
        tmp_path / "thua.gpkg", profile, district, truth=truth, declared=truth, drawn=drawn
    )
    report = tmp_path / "report.csv"
    out = StringIO()

    call_command("import_parcels", str(path), "--report", str(report), stdout=out)

    assert "imported 15" in out.getvalue() and "rejected 1" in out.getvalue()
    (row,) = report.read_text(encoding="utf-8").splitlines()[1:]
    assert "outside its administrative unit: the parcel is not in" in row
    assert f"{district.code}, whose parcel it is: its middle lies" in row
    assert not Parcel.objects.filter(identifier=identifier(profile, district, 6)).exists()


def test_a_file_shifted_into_the_neighbouring_unit_is_said_to_lie_there_not_in_another_crs(
    tmp_path, profile, district
):
    truth = CASES[profile.key]["truth"]
    # Every lot drawn one unit east, in the right CRS: in the country, in the wrong unit.
    drawn = [shapely.affinity.translate(lot, UNIT_M, 0) for lot in lots(profile)]
    path = write(
        tmp_path / "thua.gpkg", profile, district, truth=truth, declared=truth, drawn=drawn
    )
    east = AdministrativeUnit.objects.get(code=unit_code(905))
    noun, nouns = NOUNS[profile.key]

    message, report = refused(path)

    assert (
        f"16 in {profile.name} but outside the {nouns} they are numbered in, 16 in {noun} "
        f"{east.code} ({east.name}) instead." in message
    )
    assert "another CRS" not in message and "of another country" not in message
    assert "the boundaries are shifted off them, or the identifiers name another" in message
    rows = report.read_text(encoding="utf-8").splitlines()[1:]
    assert len(rows) == 16
    assert all(f"m outside it, in {noun} {east.code} ({east.name});" in row for row in rows)


@pytest.mark.parametrize(
    ("suffix", "declared", "option"),
    [("gpkg", "far", False), ("csv", 4326, True)],
    ids=["projected-far-away", "metres-read-as-degrees"],
)
def test_where_features_lie_is_said_in_the_files_crs_with_its_own_axes(
    tmp_path, profile, district, suffix, declared, option
):
    wrong = CASES[profile.key][declared] if declared == "far" else declared
    path = write(
        tmp_path / f"thua.{suffix}",
        profile,
        district,
        truth=CASES[profile.key]["truth"],
        declared=None if option else wrong,
    )

    message, report = refused(path, *(("--srs", f"EPSG:{wrong}") if option else ()))

    rows = report.read_text(encoding="utf-8").splitlines()[1:]
    if wrong == 4326:
        # Metres are no longitude and latitude: the numbers are given as they are.
        not_degrees = r"x \d+\.\d, y \d+\.\d, which are not degrees of longitude and latitude"
        assert re.search(rf"lie out of place, around {not_degrees}", message)
        assert all(re.search(rf"the feature lies at {not_degrees}", row) for row in rows)
    else:
        projected = r"easting \d+\.\d m, northing \d+\.\d m \(longitude \d+\.\d{5}, latitude"
        assert re.search(rf"lie out of place, around {projected}", message)
        assert all(re.search(rf"the feature lies at {projected}", row) for row in rows)
    assert "lon " not in message and "lat " not in message


def test_every_profile_outline_holds_its_island_special_zones_and_not_the_sea(profile):
    islands = {
        "vn": [(112.34, 16.83), (111.92, 8.64), (114.33, 11.43), (107.725, 20.135)],
        "kr": [(130.865, 37.505), (131.867, 37.242)],
    }[profile.key]
    sea = {"vn": [(111.82, 21.02), (110.0, 12.0)], "kr": [(124.978, 37.567), (133.0, 36.0)]}
    to_storage = Transformer.from_crs(4326, profile.storage_srid, always_xy=True)
    for points, expected in ((islands, True), (sea[profile.key], False)):
        x, y = to_storage.transform(*np.array(points).T)
        assert list(profile.outline.contains_xy(x, y)) == [expected] * len(points), points
