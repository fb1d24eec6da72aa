"""Exports of the public layers (parcels/publishing/exports.py), re-read with GDAL against real PostGIS.

ogr2ogr reads the database on a connection of its own, so the data must be committed:
these tests use `transactional_db`.
"""

from __future__ import annotations

import datetime as dt
import resource
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pyogrio
import pytest
import shapely
from django.contrib.auth.models import Group, User
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.management import call_command
from django.db import connection
from pyproj import CRS

from landinfo.srid import STORAGE_SRID, WEB_MERCATOR, WGS84
from parcels.models import Parcel
from parcels.publishing import exports, layers
from tests.factories import (
    AdministrativeUnitFactory,
    LandPriceFactory,
    ParcelFactory,
    ZoningZoneFactory,
    current_entry,
    holders_now,
)
from transactions.deeds import services
from transactions.deeds.services import ChildParcel, DeedInput, PartyInput


@pytest.fixture(autouse=True)
def _english(settings):
    """Ask in English unless a test says otherwise: the messages are asserted in English."""
    settings.LANGUAGE_CODE = "en"


VI_ADDRESS = "Số 12 ngõ 34 phố Hàng Bạc, phường Hàng Đào, quận Hoàn Kiếm, Hà Nội"
KO_NAME = "청운효자동 (종로구)"
# Holders whose names and numbers must never appear in an export.
# Persons and numbers the exports must never carry, numbers as each profile registers them.
SECRET_PEOPLE = {
    "vn": (
        ("Trần Thị Bí Mật", "079199012345"),
        ("김비밀", "001080123456"),
        ("Lê Văn Riêng Tư", "001099000777"),
        ("Phạm Kín Đáo", "036088001122"),
    ),
    "kr": (
        ("Trần Thị Bí Mật", "9901012123457"),
        ("김비밀", "8001011234560"),
        ("Lê Văn Riêng Tư", "9906061000770"),
        ("Phạm Kín Đáo", "8808081001124"),
    ),
}
REGISTERED_ON = dt.date(2020, 1, 1)
TRANSFERRED_ON = dt.date(2024, 2, 1)
SUBDIVIDED_ON = dt.date(2024, 3, 1)


def _tolerance(srid: int) -> float:
    # 1e-6 degree is ≈ 0.1 m; 1 mm in a projected CRS.
    return 1e-6 if CRS.from_epsg(srid).is_geographic else 1e-3


def _rectangle(x0: float, y0: float, x1: float, y1: float) -> MultiPolygon:
    ring = ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0))
    return MultiPolygon(Polygon(ring), srid=STORAGE_SRID)


@pytest.fixture
def register(transactional_db, profile) -> dict[str, Any]:
    """Commit a small register: two communes, four parcels, zoning, a price and deeds."""
    notary = User.objects.create(username="notary-exports")
    notary.groups.add(Group.objects.get(name="notary"))
    uses = [land_use.code for land_use in profile.land_uses[:2]]
    commune_vi = AdministrativeUnitFactory(name="Phường Hàng Đào")
    commune_ko = AdministrativeUnitFactory(name=KO_NAME)
    vi = ParcelFactory(admin_unit=commune_vi, cell=(0, 0), address=VI_ADDRESS, land_use=uses[0])
    ko = ParcelFactory(admin_unit=commune_ko, cell=(5, 0), address=KO_NAME, land_use=uses[1])
    far = ParcelFactory(admin_unit=commune_vi, cell=(20, 20), land_use=uses[0])
    ZoningZoneFactory(code="R1", name="Khu dân cư 주거지역")  # covers cells 0..9 only
    LandPriceFactory(parcel=vi)
    *registered, (heir, heir_id) = SECRET_PEOPLE[profile.key]
    for parcel, (name, national_id) in zip((vi, ko, far), registered, strict=True):
        services.record_first_registration(
            parcel_id=parcel.pk,
            holders=[(PartyInput(kind="person", name=name, national_id=national_id), 1)],
            deed=DeedInput(
                effective_date=REGISTERED_ON,
                recorded_by=notary,
                expected_last_entry=current_entry(parcel.pk),
            ),
        )
    services.record_transfer(
        parcel_id=vi.pk,
        transferors=holders_now(vi.pk),
        recipients=[(PartyInput(kind="person", name=heir, national_id=heir_id), 1)],
        transfer_type="gift",
        deed=DeedInput(
            effective_date=TRANSFERRED_ON,
            recorded_by=notary,
            expected_last_entry=current_entry(vi.pk),
        ),
    )
    x0, y0, x1, y1 = far.boundary.extent
    split = services.subdivide_parcel(
        parcel_id=far.pk,
        children=[
            ChildParcel(_rectangle(x0, y0, x0 + 8, y1)),
            ChildParcel(_rectangle(x0 + 8, y0, x1, y1)),
        ],
        deed=DeedInput(
            effective_date=SUBDIVIDED_ON,
            recorded_by=notary,
            expected_last_entry=current_entry(far.pk),
        ),
    )
    children = list(Parcel.objects.filter(created_by=split).order_by("pk"))
    return {
        "vi": vi,
        "ko": ko,
        "far": far,
        "children": children,
        "commune_vi": commune_vi,
        "commune_ko": commune_ko,
        "uses": uses,
        "secrets": list(SECRET_PEOPLE[profile.key]),
    }


def _export(tmp_path: Path, layer: str, fmt: str, **params: str) -> exports.ExportResult:
    format_ = exports.FORMATS[fmt]
    return exports.export(layer, fmt, tmp_path, exports.export_params(params, format_))


def _read(result: exports.ExportResult, layer: str = "parcels") -> Any:
    """Return the export read back by GDAL as a GeoDataFrame, and its path for GDAL."""
    path = str(result.path)
    if result.path.suffix == ".zip":
        path = f"/vsizip/{path}/{layer}.shp"
    return pyogrio.read_dataframe(path), path


def _first_vertex(parcel: Parcel, srid: int) -> tuple[float, float]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(v), ST_Y(v) FROM (SELECT ST_PointN(ST_ExteriorRing(ST_GeometryN("
            "ST_Transform(boundary, %s), 1)), 1) AS v FROM parcels_parcel WHERE id = %s) q",
            [srid, parcel.pk],
        )
        x, y = cursor.fetchone()
    return x, y


def _identifiers(frame: Any) -> set[str]:
    return set(frame["identifier"].astype(str))


# --- every format in a CRS other than the storage one -----------------------------------

CASES = [(fmt, srid) for fmt in exports.FORMATS for srid in (WEB_MERCATOR, WGS84)]
CASES = [(fmt, srid) for fmt, srid in CASES if fmt != "kml" or srid == WGS84]


@pytest.mark.every_profile
@pytest.mark.parametrize(("fmt", "srid"), CASES)
def test_every_format_reads_back_with_its_features_text_crs_and_coordinates(
    register, tmp_path, fmt, srid
):
    result = _export(tmp_path, "parcels", fmt, srs=f"EPSG:{srid}")
    frame, path = _read(result)

    expected = {register["vi"].identifier, register["ko"].identifier} | {
        child.identifier for child in register["children"]
    }
    assert len(frame) == result.features == len(expected)
    assert _identifiers(frame) == expected
    by_identifier = frame.set_index(frame["identifier"].astype(str))
    # Vietnamese diacritics and Hangul survive every driver and encoding.
    assert by_identifier.loc[register["vi"].identifier, "address"] == VI_ADDRESS
    assert by_identifier.loc[register["ko"].identifier, "unit_name"] == KO_NAME
    assert by_identifier.loc[register["ko"].identifier, "address"] == KO_NAME

    crs = pyogrio.read_info(path)["crs"]
    if fmt == "csv":
        assert crs is None  # CSV has no CRS; its coordinates are still in the one asked
    else:
        assert CRS.from_user_input(crs).to_epsg() == srid

    x, y = _first_vertex(register["vi"], srid)
    geometry = by_identifier.loc[register["vi"].identifier, frame.geometry.name]
    vertices = shapely.get_coordinates(geometry)
    assert min(abs(vx - x) + abs(vy - y) for vx, vy in vertices) <= _tolerance(srid)
    assert result.filename == f"parcels.{exports.FORMATS[fmt].download_extension}"


@pytest.mark.every_profile
def test_default_crs_is_the_profiles_storage_crs(register, tmp_path):
    result = _export(tmp_path, "parcels", "gpkg")
    frame, path = _read(result)
    assert CRS.from_user_input(pyogrio.read_info(path)["crs"]).to_epsg() == STORAGE_SRID
    x, y = _first_vertex(register["vi"], STORAGE_SRID)
    geometry = frame.set_index("identifier").loc[register["vi"].identifier, "geometry"]
    assert min(abs(vx - x) + abs(vy - y) for vx, vy in shapely.get_coordinates(geometry)) <= 1e-3


@pytest.mark.every_profile
def test_shapefile_is_a_zip_with_prj_and_utf8_cpg_and_the_documented_short_names(
    register, tmp_path
):
    result = _export(tmp_path, "parcels", "shp", srs="3857")
    with zipfile.ZipFile(result.path) as archive:
        assert sorted(archive.namelist()) == sorted(
            f"parcels.{part}" for part in ("shp", "shx", "dbf", "prj", "cpg")
        )
        assert archive.read("parcels.cpg").decode().strip().upper() in {"UTF-8", "UTF8"}
        assert "Mercator" in archive.read("parcels.prj").decode()
    info = pyogrio.read_info(f"/vsizip/{result.path}/parcels.shp")
    assert list(info["fields"]) == ["id", *(f.short for f in layers.PARCELS.fields)]
    assert all(len(name) <= 10 for name in info["fields"])
    assert info["encoding"].upper().replace("-", "") == "UTF8"


def test_kml_refuses_any_crs_but_wgs84(db):
    with pytest.raises(layers.InvalidLayerRequest, match="EPSG:4326"):
        exports.export_params({"srs": "EPSG:3857"}, exports.FORMATS["kml"])
    assert exports.export_params({}, exports.FORMATS["kml"]).srid == WGS84


# --- filters ----------------------------------------------------------------------------


@pytest.mark.every_profile
def test_bbox_in_web_mercator_keeps_the_parcels_it_touches(register, tmp_path):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT "
            "ST_Extent(ST_Buffer(boundary_3857, -2)) AS e FROM parcels_parcel WHERE id = %s) q",
            [register["vi"].pk],
        )
        bbox = ",".join(repr(n) for n in cursor.fetchone())
    frame, _ = _read(_export(tmp_path, "parcels", "geojson", bbox=bbox, **{"bbox-crs": "3857"}))
    assert _identifiers(frame) == {register["vi"].identifier}


@pytest.mark.every_profile
def test_admin_unit_land_use_and_zoning_filters(register, tmp_path):
    in_ko = _export(tmp_path / "a", "parcels", "gpkg", admin_unit=register["commune_ko"].code)
    assert _identifiers(_read(in_ko)[0]) == {register["ko"].identifier}
    second_use = _export(tmp_path / "b", "parcels", "gpkg", land_use=register["uses"][1])
    assert _identifiers(_read(second_use)[0]) == {register["ko"].identifier}
    zoned = _export(tmp_path / "c", "parcels", "gpkg", zoning="R1")
    assert _identifiers(_read(zoned)[0]) == {register["vi"].identifier, register["ko"].identifier}


@pytest.mark.every_profile
def test_as_of_shows_a_subdivided_parcel_before_and_its_children_after(register, tmp_path):
    before = _export(tmp_path / "a", "parcels", "fgb", as_of="2024-02-15")
    after = _export(tmp_path / "b", "parcels", "fgb", as_of="2024-06-01")
    children = {child.identifier for child in register["children"]}
    assert register["far"].identifier in _identifiers(_read(before)[0])
    assert not children & _identifiers(_read(before)[0])
    assert children <= _identifiers(_read(after)[0])
    assert register["far"].identifier not in _identifiers(_read(after)[0])
    assert before.filename == "parcels-2024-02-15.fgb"


@pytest.mark.every_profile
def test_changes_over_a_period_list_created_retired_and_transferred(register, tmp_path):
    result = _export(tmp_path, "changes", "gpkg", start="2024-01-01", end="2024-12-31")
    frame, _ = _read(result, "changes")
    changes = set(zip(frame["identifier"], frame["change"], frame["date"].astype(str), strict=True))
    assert changes == {
        (register["vi"].identifier, "transferred", "2024-02-01"),
        (register["far"].identifier, "retired", "2024-03-01"),
        *((child.identifier, "created", "2024-03-01") for child in register["children"]),
    }


# --- privacy ----------------------------------------------------------------------------

PERIOD = {"changes": {"start": "2000-01-01", "end": "2030-12-31"}}


@pytest.mark.every_profile
def test_no_export_of_any_layer_contains_a_persons_name_or_id(register, tmp_path):
    LandPriceFactory(parcel=register["ko"], year=2024)
    for layer in layers.LAYERS:
        for fmt in ("geojson", "csv"):
            result = _export(tmp_path / f"{layer}-{fmt}", layer, fmt, **PERIOD.get(layer, {}))
            assert result.features > 0, layer  # an empty file would prove nothing
            data = result.path.read_bytes()
            for name, national_id in register["secrets"]:
                assert name.encode() not in data, (layer, fmt, name)
                assert national_id.encode() not in data, (layer, fmt, national_id)


# --- failures and progress ---------------------------------------------------------------


def test_a_failed_export_leaves_nothing_and_says_what_gdal_said(transactional_db, tmp_path):
    broken = layers.Query("SELECT id, no_such_column AS geom FROM parcels_parcel", {})
    with pytest.raises(exports.ExportFailed, match="no_such_column") as failure:
        exports.write_export(
            layers.PARCELS, exports.FORMATS["gpkg"], tmp_path, query=broken, srid=3857
        )
    assert list(tmp_path.iterdir()) == []
    password = connection.settings_dict["PASSWORD"]
    assert not password or password not in str(failure.value)


def test_progress_is_reported_from_start_to_end(register, tmp_path):
    calls: list[tuple[int, int]] = []
    params = exports.export_params({"srs": "3857"})
    result = exports.write_export(
        layers.PARCELS,
        exports.FORMATS["gpkg"],
        tmp_path,
        query=params.query(layers.PARCELS),
        srid=params.srid,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls[0] == (0, 4)
    assert calls[-1] == (result.features, 4) == (4, 4)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_a_cancelled_export_stops_gdal_and_leaves_nothing(register, tmp_path):
    class Cancelled(Exception):
        pass

    def cancel(done: int, total: int) -> None:
        if done:  # the first feature reported: the job was cancelled meanwhile
            raise Cancelled

    with pytest.raises(Cancelled):
        exports.write_export(
            layers.PARCELS,
            exports.FORMATS["geojson"],
            tmp_path,
            query=layers.query(layers.PARCELS),
            srid=STORAGE_SRID,
            progress=cancel,
        )
    assert list(tmp_path.iterdir()) == []


def test_only_the_listed_gdal_drivers_run(tmp_path):
    rogue = exports.Format("sqlite", "SQLite", "sqlite", "application/x-sqlite3", "SQLite")
    with pytest.raises(layers.InvalidLayerRequest, match="not an export format"):
        exports.write_export(
            layers.PARCELS, rogue, tmp_path, query=layers.query(layers.PARCELS), srid=1
        )
    assert list(tmp_path.iterdir()) == []


# --- the view ---------------------------------------------------------------------------


def _leftovers() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("landinfo-export-*"))


@pytest.mark.every_profile
def test_small_export_downloads_at_once_and_leaves_no_temporary_file(register, client, tmp_path):
    before = _leftovers()
    response = client.get("/exports/parcels.gpkg", {"srs": "EPSG:3857", "as_of": "2024-06-01"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geopackage+sqlite3"
    assert response["Content-Disposition"] == 'attachment; filename="parcels-2024-06-01.gpkg"'
    saved = tmp_path / "download.gpkg"
    saved.write_bytes(b"".join(response.streaming_content))
    response.close()
    assert len(pyogrio.read_dataframe(saved)) == 4
    assert _leftovers() == before


def test_large_export_is_sent_to_the_planners_job_page(register, client, settings):
    settings.LANDINFO = {**settings.LANDINFO, "EXPORT_SYNC_MAX_FEATURES": 2}
    response = client.get("/exports/parcels.gpkg?srs=3857&land_use=" + register["uses"][0])
    assert response.status_code == 303
    location = response["Location"]
    assert location.startswith(
        "http://testserver/planner/exports/new?"
    )  # absolute, for GIS clients
    assert "srs=3857" in location and "layer=parcels" in location and "format=gpkg" in location
    assert client.get("/exports/parcels.gpkg?srs=3857&admin_unit=" + register["commune_ko"].code)[
        "Content-Disposition"
    ].startswith("attachment")


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("srs=EPSG:999999", "not a CRS PostGIS knows"),
        ("srs=WGS84", "not an EPSG code"),
        ("bbox=1,2,3", "four numbers"),
        ("bbox=106,21,105,22", "minimum below its maximum"),
        ("bbox=300,21,305,22", "outside longitude"),
        ("bbox=1,2,3,4&bbox-crs=EPSG:0", "not an EPSG code"),
        ("as_of=2024-02-30", "YYYY-MM-DD"),
        ("as_of=01/02/2024", "YYYY-MM-DD"),
        ("start=2024-01-01", "both start and end"),
        ("land_use=NOPE", "land-use code"),
        ("admin_unit=00000000", "administrative unit"),
        ("zoning=NOPE", "zoning zone"),
        ("bbox_crs=3857", "Unknown parameter"),
    ],
)
def test_bad_parameters_are_refused_with_a_400_that_says_why(db, client, query, says):
    response = client.get(f"/exports/parcels.geojson?{query}")
    assert response.status_code == 400
    assert says in response.json()["detail"]


def test_the_land_use_filter_is_stored_as_its_code_however_typed(profile):
    code = profile.land_uses[0].code
    typed = exports.export_params({"land_use": f" {code.lower()}\u200b"})
    assert typed.filters == {"land_use": code}


def test_layer_and_format_mismatches_are_400(db, client):
    assert client.get("/exports/parcels.kml?srs=3857").status_code == 400
    assert "period" in client.get("/exports/changes.csv").json()["detail"]
    assert "changes layer only" in client.get("/exports/zoning.csv?start=2024-01-01&end=2024-02-01").json()["detail"]  # fmt: skip
    assert "no history" in client.get("/exports/admin_units.csv?as_of=2024-01-01").json()["detail"]


def test_unknown_layer_or_format_is_404(db, client):
    unknown_layer = client.get("/exports/owners.gpkg")
    assert unknown_layer.status_code == 404
    assert "the layers are parcels" in unknown_layer.json()["detail"]
    unknown_format = client.get("/exports/parcels.xlsx")
    assert unknown_format.status_code == 404
    assert "the formats are gpkg" in unknown_format.json()["detail"]


# --- memory, at 100,000 parcels ---------------------------------------------------------

# The bound this test holds the export to: GDAL's child process peaks under 100 MB
# (GeoPackage and FlatGeobuf), 100,000 parcels cost it at most 10 MB more than 10,000,
# and this process grows by at most 50 MB. Measured with GDAL 3.6 (Debian 12): ogr2ogr
# peaks at ≈57 MB for 10,000 and ≈59 MB for 100,000 parcels in GeoPackage, ≈54 MB for
# 100,000 in FlatGeobuf (without its R-tree, which held ≈108 MB); this process, 0 MB.
CHILD_PEAK_BOUND_KB = 100 * 1024
FLAT_MARGIN_KB = 10 * 1024
SELF_GROWTH_BOUND_KB = 50 * 1024


def _peak_rss_kb() -> int:
    """Return this process's peak RSS, kB (the high-water mark reset by _reset_peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _reset_peak() -> None:
    # Linux: writing 5 resets the high-water mark, so a later peak is the export's own.
    Path("/proc/self/clear_refs").write_text("5")


@pytest.mark.slow
def test_export_of_100k_parcels_stays_within_a_memory_bound_flat_in_n(
    transactional_db, tmp_path, monkeypatch, capsys
):
    call_command("generate_parcels", count=100_000, seed=1, verbosity=0)
    assert Parcel.objects.count() == 100_000
    peaks: dict[str, int] = {}
    measure = tmp_path / "child-peak"

    # GNU time reports the peak RSS of ogr2ogr itself (not of ogrinfo or this process).
    arguments = exports._ogr2ogr_args

    def timed(*args: Any, **kwargs: Any) -> list[str]:
        return ["/usr/bin/time", "-f", "%M", "-o", str(measure), *arguments(*args, **kwargs)]

    monkeypatch.setattr(exports, "_ogr2ogr_args", timed)
    runs = (("10k", "gpkg", 10_000), ("100k", "gpkg", None), ("fgb_100k", "fgb", None))
    for label, fmt, limit in runs:
        _reset_peak()
        before = _peak_rss_kb()
        query = layers.query(layers.PARCELS, limit=limit)
        result = exports.write_export(
            layers.PARCELS,
            exports.FORMATS[fmt],
            tmp_path / label,
            query=query,
            srid=STORAGE_SRID,
        )
        assert result.features == (limit or 100_000)
        peaks[f"self_{label}"] = _peak_rss_kb() - before
        peaks[f"child_{label}"] = int(measure.read_text().split()[-1])
    with capsys.disabled():
        print(f"\nexport memory (kB): {peaks}")
    assert peaks["child_100k"] <= CHILD_PEAK_BOUND_KB
    assert peaks["child_fgb_100k"] <= CHILD_PEAK_BOUND_KB
    assert peaks["child_100k"] <= peaks["child_10k"] + FLAT_MARGIN_KB
    assert peaks["self_100k"] <= SELF_GROWTH_BOUND_KB
