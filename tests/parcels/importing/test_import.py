"""`manage.py import_parcels`: every valid feature in, every other one reported, never half."""

from __future__ import annotations

import csv
import random
import re
import zipfile
from decimal import Decimal
from io import StringIO
from pathlib import Path

import geopandas as gpd
import pyarrow as pa
import pyarrow.compute as pc
import pyogrio
import pytest
import shapely
from django.core.management import CommandError, call_command
from django.db import OperationalError
from pyproj import Geod, Transformer
from shapely.geometry import Polygon

from landinfo.profiles import PROFILES, get_profile
from parcels import importing
from parcels.importing import run as importing_run
from parcels.models import AdministrativeUnit, Parcel, SearchWord
from parcels.search.engine import search
from tests.factories import AdministrativeUnitFactory, ParcelFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(get_profile().key != "vn", reason="the files are Vietnamese cadastre"),
]


@pytest.fixture(autouse=True)
def _english(settings):
    """Ask in English unless a test says otherwise: the messages are asserted in English."""
    settings.LANGUAGE_CODE = "en"


UTM_48N = 3405  # VN-2000 / UTM zone 48N: a CRS other than the storage CRS (EPSG:5897)
WGS84 = 4326
STORAGE_SRID = 5897
HANOI = Transformer.from_crs(WGS84, UTM_48N, always_xy=True).transform(105.83, 21.03)


def lot(col: int, row: int = 0) -> Polygon:
    """Return an irregular pentagon of about 560 m² at a grid cell in Hà Nội, in UTM 48N."""
    x, y = HANOI[0] + col * 40.0, HANOI[1] + row * 40.0
    return Polygon(
        [
            (x, y),
            (x + 24.5, y + 1.2),
            (x + 27.3, y + 17.9),
            (x + 11.1, y + 25.4),
            (x - 2.2, y + 14.6),
        ]
    )


def bowtie(col: int) -> Polygon:
    x, y = HANOI[0] + col * 40.0, HANOI[1]
    return Polygon([(x, y), (x + 20, y + 20), (x + 20, y), (x, y + 20)])


def parcels_frame(rows: list[dict], crs: int = UTM_48N) -> gpd.GeoDataFrame:
    """Return features built in UTM 48N, in `crs`."""
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=UTM_48N)
    return frame.to_crs(crs)


def valid_rows(count: int = 3) -> list[dict]:
    return [
        {
            "maThua": f"00004-1-{n + 1}",
            "loaiDat": "ODT",
            "diaChi": f"Số {n + 1} phố Hàng Bạc, Hoàn Kiếm",
            # Within the 9.5 m² a 1:1000 map permits around the lot's 559.9 m² on the ground.
            "dienTich": 559.0 + n,
            "geometry": lot(n),
        }
        for n in range(count)
    ]


def run(path: Path | str, *args: str) -> tuple[str, str]:
    """Run the command; return its stdout and stderr."""
    out, err = StringIO(), StringIO()
    call_command("import_parcels", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused(path: Path | str, *args: str) -> tuple[str, CommandError]:
    """Run the command, expecting it to exit non-zero; return its stdout and the error."""
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as refusal:
        call_command("import_parcels", str(path), *args, stdout=out, stderr=err)
    assert refusal.value.returncode == 1
    return out.getvalue(), refusal.value


def read_report(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as report:
        assert report.readline().strip() == "fid,identifier,field,reason"
        report.seek(0)
        return list(csv.DictReader(report))


def reasons_by_fid(report: Path) -> dict[int, list[str]]:
    by_fid: dict[int, list[str]] = {}
    for row in read_report(report):
        by_fid.setdefault(int(row["fid"]), []).append(row["reason"])
    return by_fid


@pytest.fixture
def commune() -> AdministrativeUnit:
    return AdministrativeUnitFactory(code="00004", name="Phường Hàng Bạc")


@pytest.fixture(autouse=True)
def report_dir(settings, tmp_path: Path) -> Path:
    folder = tmp_path / "reports"
    settings.LANDINFO = {**settings.LANDINFO, "IMPORT_REPORT_DIR": folder}
    return folder


# --- formats, CRS and attributes -------------------------------------------------------


def test_geopackage_in_utm_imports_every_feature_in_storage_srid_with_areas_kept(tmp_path, commune):
    rows = valid_rows(3)
    # Any spelling the profile reads; the register keeps the canonical one.
    rows[1]["maThua"] = "xã 00004 tờ 1 thửa 2"
    rows[2]["maThua"] = "00004/01/003"
    path = tmp_path / "thua.gpkg"
    parcels_frame(rows).to_file(path, layer="thua_dat", driver="GPKG")

    out, err = run(path)

    assert "identifier ← maThua" in out and "land use ← loaiDat" in out
    assert "registered area ← dienTich" in out and "EPSG:3405" in out
    assert "imported 3" in out and err == ""
    parcels = {parcel.identifier: parcel for parcel in Parcel.objects.all()}
    assert sorted(parcels) == ["00004-1-1", "00004-1-2", "00004-1-3"]
    for n, row in enumerate(rows):
        parcel = parcels[f"00004-1-{n + 1}"]
        assert parcel.boundary.srid == STORAGE_SRID
        assert parcel.boundary.area == pytest.approx(row["geometry"].area, rel=1e-3)
        assert parcel.registered_area == Decimal(f"{559 + n}.00")
        assert parcel.land_use == "ODT"
        assert parcel.address == f"Số {n + 1} phố Hàng Bạc, Hoàn Kiếm"
        assert parcel.admin_unit == commune
        assert parcel.valid_to is None


def test_what_an_import_writes_is_searchable_when_it_commits(tmp_path, commune):
    rows = valid_rows(3)
    rows[2]["diaChi"] = "Số 3 ngõ Tạm Thương, Hoàn Kiếm"
    path = tmp_path / "thua.gpkg"
    parcels_frame(rows).to_file(path, layer="thua_dat", driver="GPKG")
    run(path)
    assert SearchWord.objects.filter(word="thuong").exists()  # a word the file brought
    (found,) = search("3 ngo tam thuong").results
    assert found["identifier"] == "00004-1-3"
    (by_lot,) = search("tờ 1 thửa 2, Phường Hàng Bạc").results
    assert by_lot["identifier"] == "00004-1-2"


def test_land_use_codes_are_read_in_any_case_and_with_invisible_characters(tmp_path, commune):
    rows = valid_rows(4)
    spellings = ["odt", " ODT\u200b", "\ufeffOdt\u00a0", "ＯＤＴ"]
    for row, spelling in zip(rows, spellings, strict=True):
        row["loaiDat"] = spelling
    path = tmp_path / "thua.gpkg"
    parcels_frame(rows).to_file(path, layer="thua_dat", driver="GPKG")

    out, err = run(path)

    assert "imported 4" in out and err == ""
    assert set(Parcel.objects.values_list("land_use", flat=True)) == {"ODT"}


def test_zipped_shapefile_in_wgs84_imports_with_geodesic_areas_kept(tmp_path, commune):
    rows = valid_rows(4)
    for row in rows:
        del row["dienTich"]
    frame = parcels_frame(rows, WGS84)
    folder = tmp_path / "shp"
    folder.mkdir()
    pyogrio.write_dataframe(frame, folder / "thua.shp", encoding="UTF-8")
    archive = tmp_path / "thua.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for part in sorted(folder.iterdir()):
            zipped.write(part, part.name)
    assert {"thua.prj", "thua.cpg"} <= set(zipfile.ZipFile(archive).namelist())

    out, _ = run(archive)

    assert "ESRI Shapefile" in out and "EPSG:4326" in out
    assert "no area field" in out  # a stated mapping, not a silent repair
    geod = Geod(ellps="WGS84")
    for n, geometry in enumerate(frame.geometry):
        parcel = Parcel.objects.get(identifier=f"00004-1-{n + 1}")
        source_area = abs(geod.geometry_area_perimeter(geometry)[0])
        assert parcel.boundary.srid == STORAGE_SRID
        assert parcel.boundary.area == pytest.approx(source_area, rel=1e-3)
        # The area on the ground, not in the storage CRS, which enlarges it off its meridian;
        # the datum shift from WGS84 to VN-2000 changes it by a few parts per million.
        assert float(parcel.registered_area) == pytest.approx(source_area, rel=2e-5)
        assert parcel.address == f"Số {n + 1} phố Hàng Bạc, Hoàn Kiếm"


@pytest.mark.parametrize(
    ("driver", "suffix"),
    [("GeoJSON", "geojson"), ("FlatGeobuf", "fgb"), ("LIBKML", "kml"), ("GML", "gml")],
)
def test_other_ogr_formats_import(tmp_path, commune, driver, suffix):
    path = tmp_path / f"thua.{suffix}"
    pyogrio.write_dataframe(parcels_frame(valid_rows(2), WGS84), path, driver=driver)

    out, _ = run(path)

    assert "imported 2" in out
    assert Parcel.objects.filter(identifier__in=["00004-1-1", "00004-1-2"]).count() == 2
    parcel = Parcel.objects.get(identifier="00004-1-2")
    assert parcel.boundary.area == pytest.approx(lot(1).area, rel=1e-3)
    assert parcel.address == "Số 2 phố Hàng Bạc, Hoàn Kiếm"


# --- problems: reported per feature, never imported half -------------------------------


@pytest.fixture
def flawed_file(tmp_path) -> Path:
    """Return a GeoPackage with three valid features (FIDs 1-3), then one of each flaw."""
    valid = valid_rows(1)[0]
    far_north = shapely.affinity.translate(lot(0), 0, 4_500_000)  # UTM 48N, in Siberia
    rows = [
        *valid_rows(3),
        {**valid, "maThua": "00004-1-4", "geometry": bowtie(4)},
        {**valid, "maThua": "00004-1-1", "geometry": lot(5)},  # FID 1 has it
        {**valid, "maThua": None, "geometry": lot(6)},
        {**valid, "maThua": "00004-1-7", "loaiDat": "XYZ", "geometry": lot(7)},
        {**valid, "maThua": "tờ 1", "geometry": lot(8)},
        {**valid, "maThua": "00004-1-9", "dienTich": -5.0, "geometry": lot(9)},
        {**valid, "maThua": "00004-1-10", "geometry": far_north},
    ]
    path = tmp_path / "flawed.gpkg"
    parcels_frame(rows).to_file(path, layer="thua_dat", driver="GPKG")
    return path


def test_flawed_file_imports_exactly_the_valid_features_and_reports_each_flaw(
    tmp_path, commune, flawed_file
):
    report = tmp_path / "report.csv"
    out, err = run(flawed_file, "--report", str(report))

    assert sorted(Parcel.objects.values_list("identifier", flat=True)) == [
        "00004-1-1",
        "00004-1-2",
        "00004-1-3",
    ]
    assert "imported 3" in out and "rejected 7" in out
    assert "WARNING: 7 of 10 features were rejected" in err
    reasons = reasons_by_fid(report)
    assert sorted(reasons) == [4, 5, 6, 7, 8, 9, 10]
    crossing = re.fullmatch(r"invalid geometry: Self-intersection\[(\S+) (\S+)\]", reasons[4][0])
    assert crossing is not None  # where it is, in the file's coordinates
    assert float(crossing[1]) == pytest.approx(HANOI[0] + 170)
    assert float(crossing[2]) == pytest.approx(HANOI[1] + 10)
    assert reasons[5] == [
        "duplicate identifier: 00004-1-1 is also the identifier of FID 1, earlier in the file"
    ]
    assert reasons[6] == ["missing identifier: maThua is empty"]
    assert reasons[7][0].startswith("unknown land use: 'XYZ' is not a land-use code")
    assert reasons[8][0].startswith("unreadable identifier: 'tờ 1'")
    assert reasons[9] == ["bad area: the area -5.0 m² is not positive"]
    assert reasons[10][0].startswith("outside the country: the feature lies at easting ")
    assert ", read in EPSG:3405 (VN-2000 / UTM zone 48N): is that its CRS" in reasons[10][0]
    rows = {int(row["fid"]): row for row in read_report(report)}
    assert rows[5]["identifier"] == "00004-1-1" and rows[5]["field"] == "maThua"
    assert rows[4]["field"] == "geometry" and rows[7]["field"] == "loaiDat"


def test_strict_mode_imports_nothing_when_anything_is_wrong(tmp_path, commune, flawed_file):
    report = tmp_path / "report.csv"
    with pytest.raises(CommandError, match="--strict: 7 of 10 features were rejected"):
        run(flawed_file, "--strict", "--report", str(report))

    assert Parcel.objects.count() == 0
    assert sorted(reasons_by_fid(report)) == [4, 5, 6, 7, 8, 9, 10]


def test_report_goes_to_the_report_directory_by_default(commune, flawed_file, report_dir):
    _, err = run(flawed_file)

    (report,) = report_dir.glob("import-flawed-*.csv")
    assert str(report) in err
    assert len(read_report(report)) == 7


def test_a_database_failure_after_the_insert_leaves_the_register_unchanged(
    tmp_path, commune, monkeypatch
):
    path = tmp_path / "thua.gpkg"
    parcels_frame(valid_rows(3)).to_file(path, driver="GPKG")
    insert = importing_run._Import._write

    def insert_then_fail(self, cursor, accepted):
        insert(self, cursor, accepted)
        assert Parcel.objects.count() == 3  # written, inside the import's transaction
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(importing_run._Import, "_write", insert_then_fail)
    with pytest.raises(CommandError, match="nothing was imported: server closed"):
        run(path, "--create-units")

    assert Parcel.objects.count() == 0


def test_a_parcel_registered_meanwhile_makes_the_database_refuse_the_whole_import(
    tmp_path, commune, monkeypatch
):
    path = tmp_path / "thua.gpkg"
    parcels_frame(valid_rows(3)).to_file(path, driver="GPKG")
    insert = importing_run._Import._write

    def register_first(self, cursor, accepted):
        # Another session's parcel, committed between the checks and the insert.
        ParcelFactory(identifier="00004-1-2", admin_unit=commune)
        insert(self, cursor, accepted)

    monkeypatch.setattr(importing_run._Import, "_write", register_first)
    with pytest.raises(CommandError, match="parcel_one_current_per_identifier"):
        run(path)

    assert Parcel.objects.count() == 0


def test_dry_run_checks_everything_and_writes_nothing(tmp_path, commune, flawed_file):
    out, _ = run(flawed_file, "--dry-run", "--report", str(tmp_path / "r.csv"))

    assert "would import 3 (dry run: nothing written)" in out
    assert Parcel.objects.count() == 0
    assert len(reasons_by_fid(tmp_path / "r.csv")) == 7


# --- the register: re-runs, conflicts, units -------------------------------------------


def test_running_the_same_file_again_adds_nothing(tmp_path, commune):
    path = tmp_path / "thua.gpkg"
    parcels_frame(valid_rows(3)).to_file(path, driver="GPKG")
    run(path)
    before = list(Parcel.objects.order_by("pk").values_list("pk", "identifier"))

    out, err = run(path)

    assert "imported 0 · unchanged 3 · rejected 0" in out and err == ""
    assert list(Parcel.objects.order_by("pk").values_list("pk", "identifier")) == before


def test_a_changed_boundary_or_land_use_under_a_registered_identifier_is_a_conflict(
    tmp_path, commune
):
    path = tmp_path / "thua.gpkg"
    parcels_frame(valid_rows(3)).to_file(path, driver="GPKG")
    run(path)
    registered = Parcel.objects.get(identifier="00004-1-1").boundary
    changed = valid_rows(3)
    changed[0]["geometry"] = shapely.affinity.translate(lot(0), 1.0, 0.0)
    changed[2]["loaiDat"] = "TMD"
    parcels_frame(changed).to_file(path, driver="GPKG")
    report = tmp_path / "report.csv"

    out, error = refused(path, "--report", str(report))

    assert "imported 0 · unchanged 1 · rejected 2" in out
    assert "Nothing was imported: 2 of 3 features were rejected" in str(error)
    reasons = reasons_by_fid(report)
    assert reasons[1] == [
        "conflict: the registered boundary of 00004-1-1 differs by up to 1.00 m; changing a "
        "registered boundary needs a deed, not an import"
    ]
    assert reasons[3][0].startswith("conflict: the register has land use ODT for 00004-1-3")
    assert Parcel.objects.count() == 3
    assert Parcel.objects.get(identifier="00004-1-1").boundary.equals_exact(registered, 1e-6)


def test_parcels_of_a_missing_commune_are_reported_unless_units_are_created(tmp_path, commune):
    rows = valid_rows(2)
    rows[1]["maThua"] = "00099-3-7"
    path = tmp_path / "thua.gpkg"
    parcels_frame(rows).to_file(path, driver="GPKG")
    report = tmp_path / "report.csv"

    run(path, "--report", str(report))

    assert reasons_by_fid(report)[2] == [
        "unknown administrative unit: commune 00099 is not in the register; load "
        "administrative units first or pass --create-units"
    ]
    out, _ = run(path, "--create-units")
    assert "Created 1 units: 00099" in out
    unit = AdministrativeUnit.objects.get(code="00099")
    assert unit.level == AdministrativeUnit.Level.COMMUNE and unit.name == "00099"
    assert Parcel.objects.get(identifier="00099-3-7").admin_unit == unit


# --- the register's topology: current parcels do not overlap ----------------------------


def neighbour_of_lot_2(overlap_m: float) -> Polygon:
    """Return a parcel east of lot(2) whose west side lies `overlap_m` into lot(2)'s east side."""
    x, y = HANOI[0] + 80.0, HANOI[1]
    return Polygon(
        [
            (x + 24.5 - overlap_m, y + 1.2),
            (x + 45.0, y + 1.2),
            (x + 45.0, y + 17.9),
            (x + 27.3 - overlap_m, y + 17.9),
        ]
    )


def test_a_parcel_drawn_on_registered_parcels_is_refused_naming_them_and_the_overlap(
    tmp_path, commune
):
    path = tmp_path / "thua.gpkg"
    parcels_frame(valid_rows(3)).to_file(path, driver="GPKG")
    run(path)
    valid = valid_rows(1)[0]
    rows = [
        *valid_rows(3),  # registered already: the same parcels, never an overlap with themselves
        {**valid, "maThua": "00004-2-1", "geometry": shapely.affinity.translate(lot(0), 20, 0)},
        {**valid, "maThua": "00004-2-2", "geometry": lot(5)},
    ]
    parcels_frame(rows).to_file(path, driver="GPKG")
    report = tmp_path / "report.csv"

    out, err = run(path, "--report", str(report))

    assert "imported 1 · unchanged 3 · rejected 1" in out
    assert "overlap" in out and "WARNING: 1 of 5 features were rejected" in err
    assert sorted(Parcel.objects.values_list("identifier", flat=True)) == [
        "00004-1-1",
        "00004-1-2",
        "00004-1-3",
        "00004-2-2",
    ]
    (reason,) = reasons_by_fid(report)[4]
    found = re.fullmatch(
        r"overlap: the parcel overlaps registered parcel 00004-1-1 by (\S+) m² \((\S+) % of "
        r"this parcel; the map permits (\S+) m²\), registered parcel 00004-1-2 by (\S+) m² .*; "
        r"current parcels do not overlap: correct the boundary, or change the registered "
        r"parcel by a deed first",
        reason,
    )
    assert found is not None, reason
    drawn = shapely.affinity.translate(lot(0), 20, 0)
    assert float(found[1]) == pytest.approx(drawn.intersection(lot(0)).area, rel=2e-3)
    assert float(found[4]) == pytest.approx(drawn.intersection(lot(1)).area, rel=2e-3)
    assert float(found[2]) == pytest.approx(100 * float(found[1]) / drawn.area, abs=0.1)
    # ΔP of the smaller parcel at 1:1000 (Circular 25/2014/TT-BTNMT): 0.0004 · 1000 · √P.
    assert float(found[3]) == pytest.approx(0.4 * drawn.area**0.5, abs=0.1)


@pytest.mark.parametrize(
    ("overlap_m", "imported"),
    [
        # ΔP of the smaller, new parcel (333 m²) at 1:1000: 0.0004 · 1000 · √333 = 7.3 m².
        (0.2, True),  # 3.4 m² along a 17 m side: a sliver of digitising
        (0.8, False),  # 13.4 m²: beyond what the map permits
    ],
)
def test_a_sliver_along_a_registered_neighbour_passes_and_more_is_refused(
    tmp_path, commune, overlap_m, imported
):
    path = tmp_path / "thua.gpkg"
    parcels_frame(valid_rows(3)).to_file(path, driver="GPKG")
    run(path)
    drawn = neighbour_of_lot_2(overlap_m)
    rows = [{"maThua": "00004-2-1", "loaiDat": "ODT", "dienTich": drawn.area, "geometry": drawn}]
    parcels_frame(rows).to_file(tmp_path / "new.gpkg", driver="GPKG")
    report = tmp_path / "report.csv"

    if imported:
        out, _ = run(tmp_path / "new.gpkg", "--report", str(report))
        assert "imported 1" in out
    else:
        refused(tmp_path / "new.gpkg", "--report", str(report))
        (reason,) = reasons_by_fid(report)[1]
        assert (
            "registered parcel 00004-1-3 by 13.4 m² (4.0 % of this parcel; the map permits 7.3 m²)"
            in reason
        )
    assert Parcel.objects.filter(identifier="00004-2-1").exists() is imported


def test_features_of_one_file_that_overlap_each_other_are_both_refused(tmp_path, commune):
    rows = valid_rows(4)
    rows[3]["geometry"] = shapely.affinity.translate(lot(2), 10, 5)
    path = tmp_path / "thua.gpkg"
    parcels_frame(rows).to_file(path, driver="GPKG")
    report = tmp_path / "report.csv"

    out, _ = run(path, "--report", str(report))

    assert "imported 2 · unchanged 0 · rejected 2" in out
    assert sorted(Parcel.objects.values_list("identifier", flat=True)) == ["00004-1-1", "00004-1-2"]
    reasons = reasons_by_fid(report)
    assert reasons[3][0].startswith(
        "overlap: the parcel overlaps 00004-1-4 (FID 4) of this file by"
    )
    assert reasons[4][0].startswith(
        "overlap: the parcel overlaps 00004-1-3 (FID 3) of this file by"
    )


def block(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    """Return a rectangle in metres from a corner north of the lots, in UTM 48N."""
    x, y = HANOI[0], HANOI[1] + 400.0
    return shapely.geometry.box(x + x0, y + y0, x + x1, y + y1)


def block_rows(prefix: str, blocks: list[Polygon]) -> list[dict]:
    return [
        {"maThua": f"{prefix}-{n + 1}", "loaiDat": "ODT", "dienTich": b.area, "geometry": b}
        for n, b in enumerate(blocks)
    ]


def overlap_reasons(report: Path) -> dict[int, str]:
    return {fid: reason for fid, (reason,) in reasons_by_fid(report).items()}


# A registered 30 m square: at 1:1000 the map permits it 0.4 · √900 = 12 m² of error.
SQUARE = (0.0, 0.0, 30.0, 30.0)
NUMBER = r"(\d+\.\d)"


def test_slivers_each_within_their_pair_that_together_take_a_registered_parcel_are_refused(
    tmp_path, commune
):
    parcels_frame(block_rows("00004-1", [block(*SQUARE)])).to_file(tmp_path / "a.gpkg")
    run(tmp_path / "a.gpkg")
    # Twenty slivers of 15 m² on free ground, each 0.8 m into the square's east side:
    # 1.2 m² each, under the 1.5 m² a 15 m² parcel's map permits; 24 m² together.
    slivers = [block(29.2, 1.5 * n, 39.2, 1.5 * (n + 1)) for n in range(20)]
    parcels_frame(block_rows("00004-2", slivers)).to_file(tmp_path / "b.gpkg")
    report = tmp_path / "report.csv"

    _, error = refused(tmp_path / "b.gpkg", "--report", str(report))

    assert "Every one of the 20 features has the same problem" in str(error)
    assert "registered parcel 00004-1-1" in str(error)
    reasons = overlap_reasons(report)
    assert sorted(reasons) == list(range(1, 21))
    for reason in reasons.values():
        found = re.fullmatch(
            rf"overlap: the parcel overlaps registered parcel 00004-1-1 by {NUMBER} m², and "
            rf"with 19 other features of this file by {NUMBER} m² in all \(the map permits "
            rf"{NUMBER} m² of its {NUMBER} m²\); current parcels do not overlap: correct the "
            r"boundary, or change the registered parcel by a deed first",
            reason,
        )
        assert found is not None, reason
        assert float(found[1]) == pytest.approx(1.2, abs=0.1)
        assert float(found[2]) == pytest.approx(24.0, abs=0.2)
        assert float(found[3]) == pytest.approx(12.0, abs=0.1)
        assert float(found[4]) == pytest.approx(900.0, abs=1)
    assert Parcel.objects.count() == 1


def test_narrow_features_of_one_file_that_together_take_another_of_its_features_are_refused(
    tmp_path, commune
):
    # Six 50 m² features, each 0.45 m into the square's east side: 2.25 m² each, under
    # the 2.8 m² a 50 m² parcel's map permits; 13.5 m² together, beyond the square's 12.
    taking = [block(29.55, 5 * n, 39.55, 5 * (n + 1)) for n in range(6)]
    elsewhere = block(100, 0, 120, 20)
    rows = block_rows("00004-1", [block(*SQUARE), *taking, elsewhere])
    parcels_frame(rows).to_file(tmp_path / "a.gpkg")
    report = tmp_path / "report.csv"

    out, _ = run(tmp_path / "a.gpkg", "--report", str(report))

    assert "imported 1 · unchanged 0 · rejected 7" in out
    assert list(Parcel.objects.values_list("identifier", flat=True)) == ["00004-1-8"]
    reasons = overlap_reasons(report)
    found = re.fullmatch(
        rf"overlap: the parcel overlaps 6 other features of this file by {NUMBER} m² in all "
        rf"\(the map permits {NUMBER} m² of this parcel's {NUMBER} m²\); .*",
        reasons[1],
    )
    assert found is not None, reasons[1]
    assert [float(n) for n in found.groups()] == pytest.approx([13.5, 12.0, 900.0], rel=2e-3)
    for fid in range(2, 8):
        found = re.fullmatch(
            rf"overlap: the parcel overlaps 00004-1-1 \(FID 1\) of this file by {NUMBER} m², "
            rf"and with 5 other features of this file by {NUMBER} m² in all \(the map "
            rf"permits {NUMBER} m² of its {NUMBER} m²\); .*",
            reasons[fid],
        )
        assert found is not None, reasons[fid]
        assert [float(n) for n in found.groups()] == pytest.approx(
            [2.25, 13.5, 12.0, 900.0], abs=0.06, rel=2e-3
        )


def test_slivers_of_digitising_all_round_a_registered_parcel_and_between_features_pass(
    tmp_path, commune
):
    parcels_frame(block_rows("00004-1", [block(*SQUARE)])).to_file(tmp_path / "a.gpkg")
    run(tmp_path / "a.gpkg")
    # Neighbours on all four sides, each 7 cm into the square (8.4 m² of its 12 in all),
    # the east one cut in six lots that overlap each other by 3 cm along their sides.
    reach, seam = 0.07, 0.03
    east = [block(30 - reach, 5 * n - (seam if n else 0), 40, 5 * (n + 1)) for n in range(6)]
    around = [
        block(-10, 0, reach, 30),  # west
        block(0, 30 - reach, 30, 40),  # north
        block(0, -10, 30, reach),  # south
    ]
    parcels_frame(block_rows("00004-2", [*east, *around])).to_file(tmp_path / "b.gpkg")

    out, _ = run(tmp_path / "b.gpkg")

    assert "imported 9 · unchanged 0 · rejected 0" in out


def test_a_file_taking_what_an_earlier_file_left_of_a_parcels_tolerance_is_refused(
    tmp_path, commune
):
    parcels_frame(block_rows("00004-1", [block(*SQUARE)])).to_file(tmp_path / "a.gpkg")
    run(tmp_path / "a.gpkg")
    # Eight slivers 0.8 m into the square's east side, 1.2 m² each: 9.6 m² of its 12.
    first = [block(29.2, 1.5 * n, 39.2, 1.5 * (n + 1)) for n in range(8)]
    parcels_frame(block_rows("00004-2", first)).to_file(tmp_path / "b.gpkg")
    assert "imported 8 · unchanged 0 · rejected 0" in run(tmp_path / "b.gpkg")[0]
    # Eight more along the rest of the side: 9.6 m² more, within what one file may take,
    # but the square would have lost 19.2 m² to current parcels.
    second = [block(29.2, 12 + 1.5 * n, 39.2, 12 + 1.5 * (n + 1)) for n in range(8)]
    parcels_frame(block_rows("00004-3", second)).to_file(tmp_path / "c.gpkg")
    report = tmp_path / "report.csv"

    _, error = refused(tmp_path / "c.gpkg", "--report", str(report))

    assert "registered parcel 00004-1-1" in str(error)
    reasons = overlap_reasons(report)
    assert sorted(reasons) == list(range(1, 9))
    for reason in reasons.values():
        found = re.fullmatch(
            rf"overlap: the parcel overlaps registered parcel 00004-1-1 by {NUMBER} m², and "
            rf"with 7 other features of this file and the current parcels that already "
            rf"overlap it by {NUMBER} m², by {NUMBER} m² in all \(the map permits {NUMBER} m² "
            rf"of its {NUMBER} m²\); .*",
            reason,
        )
        assert found is not None, reason
        assert [float(n) for n in found.groups()] == pytest.approx(
            [1.2, 9.6, 19.2, 12.0, 900.0], abs=0.1, rel=1e-3
        )
    assert Parcel.objects.count() == 9


def test_slivers_of_digitising_along_a_parcel_from_several_files_pass(tmp_path, commune):
    parcels_frame(block_rows("00004-1", [block(*SQUARE)])).to_file(tmp_path / "a.gpkg")
    run(tmp_path / "a.gpkg")
    # Three files, each with lots 7 cm into one side of the square: 6.3 m² of its 12.
    reach = 0.07
    files = [
        [block(30 - reach, 5 * n, 40, 5 * (n + 1)) for n in range(6)],  # east
        [block(5 * n, 30 - reach, 5 * (n + 1), 40) for n in range(6)],  # north
        [block(-10, 0, reach, 30)],  # west
    ]
    for n, lots in enumerate(files):
        parcels_frame(block_rows(f"00004-{n + 5}", lots)).to_file(tmp_path / f"{n}.gpkg")
        out, _ = run(tmp_path / f"{n}.gpkg")
        assert f"imported {len(lots)} · unchanged 0 · rejected 0" in out
    assert Parcel.objects.count() == 14


def test_a_file_registered_already_under_other_identifiers_is_refused_in_one_message(
    tmp_path, commune
):
    path = tmp_path / "thua.gpkg"
    parcels_frame(valid_rows(3)).to_file(path, driver="GPKG")
    run(path)
    renumbered = valid_rows(3)
    for n, row in enumerate(renumbered):
        row["maThua"] = f"00004-7-{n + 1}"
    parcels_frame(renumbered).to_file(path, driver="GPKG")

    _, error = refused(path, "--report", str(tmp_path / "report.csv"))

    assert "Every one of the 3 features has the same problem" in str(error)
    assert "the file is registered already under other identifiers" in str(error)
    assert Parcel.objects.count() == 3


# --- text encodings ------------------------------------------------------------------

ADDRESS = "Số 1 Đường Láng"  # ends in a letter a CP1258 tone mark could follow


def shapefile(tmp_path: Path, *, encoding: str, cpg: str | None) -> Path:
    rows = valid_rows(2)
    for row in rows:
        row["diaChi"] = ADDRESS
    path = tmp_path / "thua.shp"
    pyogrio.write_dataframe(parcels_frame(rows), path, encoding=encoding)
    if cpg is None:
        path.with_suffix(".cpg").unlink()
    else:
        path.with_suffix(".cpg").write_text(cpg)
    return path


def test_cp1258_text_declared_utf8_is_reported_as_wrong_encoding(tmp_path, commune):
    path = shapefile(tmp_path, encoding="cp1258", cpg="UTF-8")
    report = tmp_path / "report.csv"

    _, error = refused(path, "--report", str(report))

    # The whole file's cause, said once; the report still lists each feature.
    assert "Every one of the 2 features has the same problem" in str(error)
    assert "pass --encoding with the file's own" in str(error)
    assert Parcel.objects.count() == 0
    reasons = reasons_by_fid(report)
    assert sorted(reasons) == [0, 1]
    assert reasons[0][0].startswith("wrong encoding: the bytes")
    assert "pass --encoding" in reasons[0][0]


def test_utf8_text_declared_latin1_is_reported_as_mojibake(tmp_path, commune):
    path = shapefile(tmp_path, encoding="UTF-8", cpg="ISO-8859-1")
    report = tmp_path / "report.csv"

    _, error = refused(path, "--report", str(report))

    assert "the text is not in the encoding it was read in" in str(error)
    reasons = reasons_by_fid(report)
    assert sorted(reasons) == [0, 1]
    assert "is UTF-8 text read as" in reasons[0][0] and "--encoding UTF-8" in reasons[0][0]
    out, _ = run(path, "--encoding", "UTF-8")
    assert "imported 2" in out
    assert Parcel.objects.get(identifier="00004-1-1").address == ADDRESS


@pytest.mark.parametrize(
    ("cpg", "options"),
    [("UTF-8", ["--encoding", "cp1258"]), (None, ["--encoding", "cp1258"]), ("CP1258", [])],
)
def test_cp1258_text_imports_whole_when_the_encoding_is_known(tmp_path, commune, cpg, options):
    path = shapefile(tmp_path, encoding="cp1258", cpg=cpg)

    out, _ = run(path, *options)

    assert "imported 2" in out
    # GDAL's own CP1258 decoding drops the last letter ("Đường Lán").
    assert Parcel.objects.get(identifier="00004-1-2").address == ADDRESS


# --- identifiers, CRS and layers --------------------------------------------------------


def test_identifier_composed_from_sheet_and_parcel_fields_with_commune_option(tmp_path, commune):
    frame = parcels_frame(valid_rows(2)).drop(columns=["maThua"])
    frame["soTo"] = [12, 12]
    frame["soThua"] = [345, 346]
    path = tmp_path / "thua.gpkg"
    frame.to_file(path, driver="GPKG")

    with pytest.raises(CommandError, match="no commune field; give the commune with --commune"):
        run(path)
    out, _ = run(path, "--commune", "00004")

    assert "identifier ← soTo (tờ) + soThua (thửa), unit 00004 from --commune" in out
    assert sorted(Parcel.objects.values_list("identifier", flat=True)) == [
        "00004-12-345",
        "00004-12-346",
    ]


def test_identifier_composed_with_a_numeric_commune_field_keeps_the_codes_zeros(tmp_path, commune):
    frame = parcels_frame(valid_rows(1)).drop(columns=["maThua"])
    frame["MA_XA"], frame["SO_TO"], frame["SO_THUA"] = [4], ["03"], ["21"]
    path = tmp_path / "thua.gpkg"
    frame.to_file(path, driver="GPKG")

    run(path)

    assert Parcel.objects.get().identifier == "00004-3-21"


def test_fields_named_by_options_override_the_guesses(tmp_path, commune):
    frame = parcels_frame(valid_rows(2)).rename(
        columns={"loaiDat": "LD_2024", "diaChi": "vi_tri", "dienTich": "dt_gcn"}
    )
    frame["xa"], frame["to_bd"], frame["thua_so"] = ["00004", "00004"], [7, 7], [1, 2]
    path = tmp_path / "thua.gpkg"
    frame.drop(columns=["maThua"]).to_file(path, driver="GPKG")
    options = ["--land-use-field", "ld_2024", "--address-field", "VI_TRI", "--area-field", "dt_gcn"]

    with pytest.raises(CommandError, match=r"which field holds the parcel identifier.*xa, to_bd"):
        run(path, *options)
    out, _ = run(path, "--id-field", "xa,to_bd,thua_so", *options, "--valid-from", "2024-07-01")

    assert "identifier ← xa (xã) + to_bd (tờ) + thua_so (thửa)" in out
    parcel = Parcel.objects.get(identifier="00004-7-2")
    assert (parcel.land_use, parcel.registered_area) == ("ODT", Decimal("560.00"))
    assert parcel.address == "Số 2 phố Hàng Bạc, Hoàn Kiếm"
    assert parcel.valid_from.isoformat() == "2024-07-01"


def test_progress_is_reported_per_batch_and_per_step(tmp_path, commune):
    path = tmp_path / "thua.gpkg"
    parcels_frame(valid_rows(5)).to_file(path, driver="GPKG")
    seen: list[tuple[str, object]] = []

    class Recorder:
        def read(self, done: int, total: int | None) -> None:
            seen.append(("read", (done, total)))

        def step(self, description: str) -> None:
            seen.append(("step", description))

    importing.import_parcels(
        path, options=importing.ImportOptions(batch_size=2), progress=Recorder()
    )

    assert seen == [
        ("read", (0, 5)),
        ("read", (2, 5)),
        ("read", (4, 5)),
        ("read", (5, 5)),
        ("step", "checking duplicates and the register"),
        ("step", "writing 5 parcels"),
    ]


def test_shapefile_without_prj_needs_srs_and_a_contradicting_srs_needs_override(tmp_path, commune):
    path = tmp_path / "thua.shp"
    pyogrio.write_dataframe(parcels_frame(valid_rows(2)), path, encoding="UTF-8")

    with pytest.raises(CommandError, match="--override-srs"):
        run(path, "--srs", "EPSG:4326")
    path.with_suffix(".prj").unlink()
    with pytest.raises(CommandError, match=r"The layer has no CRS.*--srs EPSG"):
        run(path)
    out, _ = run(path, "--srs", "EPSG:3405")

    assert "imported 2" in out
    parcel = Parcel.objects.get(identifier="00004-1-1")
    assert parcel.boundary.area == pytest.approx(lot(0).area, rel=1e-3)


def test_geopackage_with_several_layers_needs_layer(tmp_path, commune):
    path = tmp_path / "thua.gpkg"
    parcels_frame(valid_rows(2)).to_file(path, layer="thua_moi", driver="GPKG")
    parcels_frame(valid_rows(1)).to_file(path, layer="thua_cu", driver="GPKG")

    with pytest.raises(
        CommandError, match=r"2 layers with geometry; choose one with --layer.*thua_moi.*thua_cu"
    ):
        run(path)
    out, _ = run(path, "--layer", "thua_moi")

    assert "layer thua_moi" in out and Parcel.objects.count() == 2


def test_unreadable_file_is_refused_with_a_precise_message(tmp_path):
    path = tmp_path / "thua.gpkg"
    path.write_text("not a GeoPackage")

    with pytest.raises(CommandError, match="GDAL cannot read it"):
        run(path)
    with pytest.raises(CommandError, match="no such file"):
        run(tmp_path / "missing.gpkg")


# --- the canonical fast path agrees with the profiles ---------------------------------


@pytest.mark.parametrize("key", sorted(PROFILES))
def test_canonical_fast_path_accepts_exactly_what_the_parser_keeps_unchanged(key):
    profile = PROFILES[key]
    form = profile.canonical_pattern
    assert form is not None
    rng = random.Random(20_251_127)
    samples = [
        "".join(rng.choice("0123456789-0") for _ in range(rng.randint(5, 21))) for _ in range(3000)
    ]
    unit = "0" * (form.unit_code_length - 1) + "4"
    samples += [f"{unit}-{rng.randint(0, 12000)}-{rng.randint(0, 120000)}" for _ in range(2000)]
    samples += [
        f"{unit}{rng.choice('0123')}{rng.randint(0, 10000):04d}{rng.randint(0, 9999):04d}"
        for _ in range(2000)
    ]
    samples += [f"{unit}-01-2", f"{unit}-1-02", f"{unit}20000000", f"{unit}10001" + "0000"]
    re2 = pc.match_substring_regex(pa.array(samples), f"^{form.pattern.pattern}$").to_pylist()
    for sample, re2_match in zip(samples, re2, strict=True):
        match = form.pattern.fullmatch(sample)
        assert bool(match) == re2_match, sample  # Python and Arrow read the pattern alike
        try:
            parsed = profile.parse_identifier(sample)
        except ValueError:
            assert match is None, sample
            continue
        assert bool(match) == (profile.format_identifier(parsed) == sample), sample
        if match:
            assert match["unit"] == parsed.unit_code
