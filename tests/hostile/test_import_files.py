"""Hostile parcel files given to `manage.py import_parcels`.

Each file is built here, small, in the test's folder. Each case asserts the refusal
names what is wrong, that no parcel or journal entry was written, that no file was left
(temp dirs, report dir beyond the report, beside the input) and, for files that point
somewhere, that the local listener they point at got no connection.
"""

from __future__ import annotations

import io
import json
import stat
import tarfile
import time
import unicodedata
import zipfile
from io import StringIO
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
from django.core.management import CommandError, call_command
from pyproj import Transformer
from shapely.geometry import Polygon

from landinfo.profiles import get_profile
from parcels.importing.safe_files import gdal_reading
from parcels.models import Parcel
from tests.factories import AdministrativeUnitFactory
from tests.hostile.conftest import Sandbox

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(get_profile().key != "vn", reason="the files are Vietnamese cadastre"),
]

WGS84 = 4326
UTM_48N = 3405
STORAGE_SRID = 5897
LON, LAT = 105.83, 21.03  # Hà Nội
HANOI_UTM = Transformer.from_crs(WGS84, UTM_48N, always_xy=True).transform(LON, LAT)
SECRET = "root:x:0:0"  # the first line of /etc/passwd: must reach no report, row or output


@pytest.fixture(autouse=True)
def commune() -> None:
    AdministrativeUnitFactory(code="00004", name="Phường Hàng Bạc")


def square(x: float, y: float, size: float) -> list[list[float]]:
    return [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]


def feature(ring: list[list[float]], n: int = 1, **properties: str) -> dict:
    return {
        "type": "Feature",
        "properties": {"maThua": f"00004-1-{n}", "loaiDat": "ODT", **properties},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def geojson(path: Path, *features: dict, crs: dict | None = None) -> Path:
    document: dict = {"type": "FeatureCollection", "features": list(features)}
    if crs is not None:
        document["crs"] = crs
    path.write_text(json.dumps(document))
    return path


def layer(path: Path, geometries: list, crs: int, driver: str | None = None) -> Path:
    """Write polygons (shapely) with identifiers 00004-1-1... into a file GDAL writes."""
    count = len(geometries)
    pyogrio.raw.write(
        str(path),
        geometry=np.array(shapely.to_wkb(geometries), dtype=object),
        field_data=[
            np.array([f"00004-1-{n + 1}" for n in range(count)], dtype=object),
            np.array(["ODT"] * count, dtype=object),
        ],
        fields=["maThua", "loaiDat"],
        crs=f"EPSG:{crs}",
        geometry_type="Polygon",
        driver=driver,
    )
    return path


def run(path: Path | str, *args: str) -> str:
    out, err = StringIO(), StringIO()
    call_command("import_parcels", str(path), *args, stdout=out, stderr=err)
    output = out.getvalue() + err.getvalue()
    assert SECRET not in output
    return output


def refused(path: Path | str, match: str, *args: str) -> str:
    """Run the import, expecting it refused with a message matching `match`."""
    with pytest.raises(CommandError, match=match) as refusal:
        run(path, *args)
    assert SECRET not in str(refusal.value)
    return str(refusal.value)


def nothing_imported(path: Path, sandbox: Sandbox, *args: str) -> tuple[str, str]:
    """Run the import, expecting it to import nothing and exit 1; return the report and why."""
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as refusal:
        call_command("import_parcels", str(path), *args, stdout=out, stderr=err)
    message = str(refusal.value)
    assert refusal.value.returncode == 1
    assert SECRET not in out.getvalue() + err.getvalue() + message
    return report_reasons(sandbox), message


def report_reasons(sandbox: Sandbox) -> str:
    """Return the text of the report, the only one written."""
    (report,) = sandbox.reports.iterdir()
    text = report.read_text(encoding="utf-8")
    assert SECRET not in text
    return text


# --- 1. geometry that is not a boundary ------------------------------------------------------


def test_a_bow_tie_polygon_is_reported_invalid(sandbox):
    path = geojson(
        sandbox.inputs / "bowtie.geojson",
        feature(
            [[LON, LAT], [LON + 1e-4, LAT + 1e-4], [LON + 1e-4, LAT], [LON, LAT + 1e-4], [LON, LAT]]
        ),
    )
    sandbox.seal()
    text, _ = nothing_imported(path, sandbox)
    assert "invalid geometry: Self-intersection" in text
    sandbox.assert_clean(reports=1)


def test_an_unclosed_ring_is_reported_unreadable(sandbox):
    ring = square(LON, LAT, 1e-4)[:-1]  # the last point does not repeat the first
    path = geojson(sandbox.inputs / "unclosed.geojson", feature(ring))
    sandbox.seal()
    text, _ = nothing_imported(path, sandbox)
    assert "unreadable geometry: the geometry cannot be read (an unclosed ring" in text
    sandbox.assert_clean(reports=1)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_nan_and_infinite_coordinates_are_reported(sandbox, bad):
    x, y = HANOI_UTM
    polygon = Polygon([(x, y), (x + 20, y), (bad, y + 20), (x, y + 20)])
    path = layer(sandbox.inputs / "nan.gpkg", [polygon, Polygon(square(x + 40, y, 20))], UTM_48N)
    sandbox.seal()
    output = run(path)
    # The one sound feature is imported; the other is refused, not stored with NaN.
    assert "imported 1" in output and "rejected 1" in output
    (report,) = sandbox.reports.iterdir()
    assert "00004-1-1" in report.read_text()
    assert not Parcel.objects.filter(identifier="00004-1-1").exists()
    sandbox.parcels += 1
    sandbox.assert_clean(reports=1)


def test_latitude_91_in_wgs84_is_outside_the_country(sandbox):
    path = geojson(sandbox.inputs / "pole.geojson", feature(square(LON, 90.9999, 2e-4)))
    sandbox.seal()
    text, message = nothing_imported(path, sandbox)
    assert "outside the country" in text
    assert "None of the CRSs Việt Nam's files usually come in puts them there" in message
    sandbox.assert_clean(reports=1)


@pytest.mark.parametrize(
    ("declared", "ring", "right"),
    [
        # UTM metres in a file that says EPSG:4326 ("longitude 586 000°"); without unit
        # boundaries the storage CRS is named first, 699 m from UTM 48N.
        (WGS84, square(HANOI_UTM[0], HANOI_UTM[1], 20), STORAGE_SRID),
        # degrees in a file that says it is in the storage CRS (metres): near its false origin
        (STORAGE_SRID, square(LON, LAT, 1e-4), WGS84),
    ],
    ids=["metres-declared-degrees", "degrees-declared-metres"],
)
def test_coordinates_in_another_crs_than_declared_are_refused_naming_the_right_crs(
    sandbox, declared, ring, right
):
    path = layer(sandbox.inputs / "wrong_crs.gpkg", [Polygon(ring)], declared)
    sandbox.seal()
    text, message = nothing_imported(path, sandbox)
    assert "outside the country" in text and "EPSG:" in text
    # One message for the file, naming a CRS that puts it in place.
    assert "1 of the first 1 features lie out of place" in message
    assert "1 outside Việt Nam (its land and islands" in message
    assert f"import again with --srs EPSG:{right} --override-srs" in message
    sandbox.assert_clean(reports=1)


# --- 2. too many vertices ----------------------------------------------------------------------


def circle(vertices: int, radius: float = 30.0) -> Polygon:
    angles = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    x, y = HANOI_UTM
    return Polygon(np.column_stack((x + radius * np.cos(angles), y + radius * np.sin(angles))))


def test_a_boundary_with_more_vertices_than_the_limit_is_refused(sandbox, settings):
    settings.LANDINFO = {**settings.LANDINFO, "IMPORT_MAX_VERTICES": 50}
    path = layer(sandbox.inputs / "dense.gpkg", [circle(60)], UTM_48N)
    sandbox.seal()
    text, _ = nothing_imported(path, sandbox)
    assert "too many vertices: the boundary has 61 vertices" in text
    assert "at most 50 (LANDINFO_IMPORT_MAX_VERTICES)" in text
    sandbox.assert_clean(reports=1)


# --- 3. empty, featureless and truncated files -----------------------------------------------


@pytest.mark.parametrize("name", ["empty.geojson", "empty.gpkg", "empty.shp", "empty.zip"])
def test_an_empty_file_is_refused(sandbox, name):
    path = sandbox.inputs / name
    path.write_bytes(b"")
    sandbox.seal()
    refused(path, r"is empty \(0 bytes\)")
    sandbox.assert_clean()


def test_a_file_without_features_is_refused(sandbox):
    path = layer(sandbox.inputs / "none.gpkg", [], UTM_48N)
    sandbox.seal()
    refused(path, "the layer has no features")
    sandbox.assert_clean()


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".shp", ".fgb"])
def test_a_truncated_file_imports_nothing(sandbox, suffix):
    x, y = HANOI_UTM
    lots = [Polygon(square(x + 40 * n, y, 20)) for n in range(200)]
    path = layer(sandbox.inputs / f"cut{suffix}", lots, UTM_48N)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    sandbox.seal()
    try:
        output = run(path, "--strict")
    except CommandError as error:
        # GDAL cannot read it at all, or --strict refused the features it could not read.
        message = str(error)
        assert "GDAL" in message or "cannot" in message or "--strict" in message, message
    else:
        pytest.fail(f"a truncated file was imported: {output}")
    assert Parcel.objects.count() == 0
    sandbox.assert_clean(reports=len(list(sandbox.reports.glob("*.csv"))))


# --- 4. archives ---------------------------------------------------------------------------------


def shapefile_members(sandbox: Sandbox) -> dict[str, bytes]:
    """Return the files of a one-parcel Shapefile, built in a scratch folder and removed."""
    scratch = sandbox.inputs.parent / "scratch"
    scratch.mkdir()
    x, y = HANOI_UTM
    layer(scratch / "thua.shp", [Polygon(square(x, y, 20))], UTM_48N)
    members = {path.name: path.read_bytes() for path in scratch.iterdir()}
    for path in scratch.iterdir():
        path.unlink()
    scratch.rmdir()
    return members


def test_a_zip_bomb_is_refused_before_it_is_inflated(sandbox):
    path = sandbox.inputs / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in shapefile_members(sandbox).items():
            archive.writestr(name, data)
        with archive.open("thua.dbf.bak", "w", force_zip64=True) as member:
            block = bytes(2**24)
            for _ in range(8):  # 128 MiB of zeros in about 130 KiB
                member.write(block)
    assert path.stat().st_size < 2**20
    sandbox.seal()
    started = time.monotonic()
    message = refused(path, "zip bomb")
    assert "LANDINFO_IMPORT_MAX_COMPRESSION_RATIO" in message
    assert time.monotonic() - started < 5  # refused from the directory, not by inflating
    sandbox.assert_clean()


def test_a_zip_larger_than_the_unpacked_limit_is_refused(sandbox, settings):
    settings.LANDINFO = {**settings.LANDINFO, "IMPORT_MAX_UNPACKED_BYTES": 200}
    path = sandbox.inputs / "big.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in shapefile_members(sandbox).items():
            archive.writestr(name, data)
    sandbox.seal()
    refused(path, "LANDINFO_IMPORT_MAX_UNPACKED_BYTES")
    sandbox.assert_clean()


@pytest.mark.parametrize(
    "evil", ["../evil.shp", "../../etc/cron.d/evil", "/srv/evil.geojson", "a/../../evil"]
)
def test_a_zip_entry_outside_the_archive_is_refused(sandbox, evil):
    path = sandbox.inputs / "slip.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in shapefile_members(sandbox).items():
            archive.writestr(name, data)
        archive.writestr(evil, b"evil")
    sandbox.seal()
    refused(path, "points outside the archive")
    sandbox.assert_clean()


def test_a_zip_with_a_symlink_entry_is_refused(sandbox):
    path = sandbox.inputs / "link.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in shapefile_members(sandbox).items():
            if name != "thua.dbf":
                archive.writestr(name, data)
        link = zipfile.ZipInfo("thua.dbf")
        link.create_system = 3  # Unix: the mode bits below are read
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    sandbox.seal()
    refused(path, "is a symbolic link")
    sandbox.assert_clean()


def test_a_zip_inside_the_zip_is_refused(sandbox):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        for name, data in shapefile_members(sandbox).items():
            archive.writestr(name, data)
    path = sandbox.inputs / "nested.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("inner.zip", inner.getvalue())
    sandbox.seal()
    refused(path, "archive inside the archive")
    # Renamed, it is still seen for what it is.
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("thua.shp", inner.getvalue())
    refused(path, "zip inside the zip")
    sandbox.assert_clean()


@pytest.mark.parametrize(("mode", "kind"), [("w", "tar"), ("w:gz", "gzip")])
def test_a_tar_is_refused_by_its_bytes_whatever_its_name(sandbox, mode, kind):
    path = sandbox.inputs / "thua.shp"  # named like the data it hides
    with tarfile.open(path, mode) as archive:
        for name, data in shapefile_members(sandbox).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        evil = tarfile.TarInfo("../evil")
        evil.type = tarfile.SYMTYPE
        evil.linkname = "/etc/passwd"
        archive.addfile(evil)
    sandbox.seal()
    refused(path, f"is a {kind} archive; only .zip archives are accepted")
    sandbox.assert_clean()


# --- 5. drivers, virtual paths and references --------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "/vsicurl/{url}/parcels.geojson",
        "/vsicurl_streaming/{url}/parcels.geojson",
        "/vsizip//vsicurl/{url}/parcels.zip",
        "/vsis3/bucket/parcels.gpkg",
        "{url}/parcels.geojson",
        "GeoJSON:{url}/parcels.geojson",
        "PG:host=127.0.0.1 port={port} dbname=x",
        "WFS:{url}/wfs",
    ],
)
def test_a_virtual_or_remote_path_is_refused_without_connecting(sandbox, listener, template):
    path = template.format(url=listener.url, port=listener.port)
    sandbox.seal()
    refused(path, "only a local file or folder can be imported")
    assert listener.connections == 0
    sandbox.assert_clean()


def vrt(source: str) -> str:
    return (
        f"<OGRVRTDataSource><OGRVRTLayer name='thua'><SrcDataSource>{source}</SrcDataSource>"
        f"<GeometryType>wkbPolygon</GeometryType></OGRVRTLayer></OGRVRTDataSource>"
    )


@pytest.mark.parametrize("name", ["thua.geojson", "thua.kml", "thua.gml", "thua.csv"])
def test_a_vrt_under_any_name_is_refused_before_gdal_opens_it(sandbox, listener, name):
    path = sandbox.inputs / name
    path.write_text(vrt(f"/vsicurl/{listener.url}/thua.geojson"))
    sandbox.seal()
    refused(path, "GDAL description file")
    assert listener.connections == 0
    sandbox.assert_clean()


@pytest.mark.parametrize("name", ["passwd.vrt", "passwd.ovf"])
def test_a_description_file_pointing_at_a_local_file_is_refused(sandbox, name):
    path = sandbox.inputs / name
    path.write_text(vrt("/etc/passwd").replace("<OGRVRT", "<OGRVRT", 1))
    sandbox.seal()
    refused(path, "describes data held elsewhere")
    sandbox.assert_clean()


def test_a_zip_holding_only_a_vrt_is_refused(sandbox, listener):
    path = sandbox.inputs / "thua.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("thua.dat", vrt(f"/vsicurl/{listener.url}/x.geojson"))
    sandbox.seal()
    refused(path, "GDAL description file")
    assert listener.connections == 0
    sandbox.assert_clean()


def test_a_geojson_crs_link_is_refused_without_fetching_it(sandbox, listener):
    path = geojson(
        sandbox.inputs / "link.geojson",
        feature(square(LON, LAT, 1e-4)),
        crs={"type": "link", "properties": {"href": f"{listener.url}/crs.wkt", "type": "ogcwkt"}},
    )
    sandbox.seal()
    refused(path, r'a link \("href"\) for GDAL to fetch')
    assert listener.connections == 0
    sandbox.assert_clean()


def test_a_format_outside_the_allow_list_is_refused(sandbox):
    path = sandbox.inputs / "track.gpx"
    path.write_text(
        '<?xml version="1.0"?><gpx version="1.1" creator="t" '
        'xmlns="http://www.topografix.com/GPX/1/1">'
        f'<wpt lat="{LAT}" lon="{LON}"><name>00004-1-1</name></wpt></gpx>'
    )
    sandbox.seal()
    refused(path, "GDAL's GPX driver, which parcel files may not use", "--layer", "waypoints")
    sandbox.assert_clean()


def test_gml_schema_and_xlink_references_are_not_fetched(sandbox, listener):
    """A GML without a DTD is read, but GDAL fetches neither its schema nor its xlinks."""
    ring = " ".join(f"{x},{y}" for x, y in square(LON, LAT, 1e-4))
    path = sandbox.inputs / "thua.gml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<ogr:FeatureCollection xmlns:ogr="http://ogr.maptools.org/" '
        'xmlns:gml="http://www.opengis.net/gml" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:schemaLocation="http://ogr.maptools.org/ {listener.url}/schema.xsd">'
        "<gml:featureMember><ogr:thua>"
        f'<ogr:maThua>00004-1-1</ogr:maThua><ogr:loaiDat xlink:href="{listener.url}/#ODT">'
        "ODT</ogr:loaiDat>"
        '<ogr:geometryProperty><gml:Polygon srsName="EPSG:4326"><gml:outerBoundaryIs>'
        f"<gml:LinearRing><gml:coordinates>{ring}</gml:coordinates></gml:LinearRing>"
        "</gml:outerBoundaryIs></gml:Polygon></ogr:geometryProperty>"
        "</ogr:thua></gml:featureMember></ogr:FeatureCollection>"
    )
    sandbox.seal()
    run(path, "--srs", "EPSG:4326", "--dry-run")
    assert listener.connections == 0
    sandbox.assert_clean()  # and the .gfs GDAL writes beside a GML file is gone


# --- 6. XML entities ------------------------------------------------------------------------------


def kml(doctype: str, name: str) -> str:
    ring = " ".join(f"{x},{y}" for x, y in square(LON, LAT, 1e-4))
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{doctype}'
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark>'
        f"<name>{name}</name><ExtendedData><Data name='loaiDat'><value>ODT</value></Data>"
        "</ExtendedData><Polygon><outerBoundaryIs><LinearRing>"
        f"<coordinates>{ring}</coordinates></LinearRing></outerBoundaryIs></Polygon>"
        "</Placemark></Document></kml>"
    )


def gml(doctype: str, name: str) -> str:
    ring = " ".join(f"{x},{y}" for x, y in square(LON, LAT, 1e-4))
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{doctype}'
        '<ogr:FeatureCollection xmlns:ogr="http://ogr.maptools.org/" '
        'xmlns:gml="http://www.opengis.net/gml"><gml:featureMember><ogr:thua>'
        f"<ogr:maThua>{name}</ogr:maThua><ogr:loaiDat>ODT</ogr:loaiDat>"
        '<ogr:geometryProperty><gml:Polygon srsName="EPSG:4326"><gml:outerBoundaryIs>'
        f"<gml:LinearRing><gml:coordinates>{ring}</gml:coordinates></gml:LinearRing>"
        "</gml:outerBoundaryIs></gml:Polygon></ogr:geometryProperty>"
        "</ogr:thua></gml:featureMember></ogr:FeatureCollection>"
    )


LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">'
        for n in range(1, 10)
    )
    + "]>"
)


@pytest.mark.parametrize("build", [kml, gml], ids=["kml", "gml"])
@pytest.mark.parametrize(
    ("doctype", "name"),
    [
        ('<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>', "&secret;"),
        ('<!DOCTYPE x [<!ENTITY remote SYSTEM "{url}/entity">]>', "&remote;"),
        ('<!DOCTYPE x SYSTEM "{url}/doctype.dtd">', "00004-1-1"),
        (LAUGHS, "&lol9;"),
    ],
    ids=["xxe-file", "xxe-http", "external-dtd", "billion-laughs"],
)
def test_xml_entities_are_refused_unexpanded_and_unfetched(sandbox, listener, build, doctype, name):
    suffix = ".kml" if build is kml else ".gml"
    path = sandbox.inputs / f"thua{suffix}"
    path.write_text(build(doctype.replace("{url}", listener.url), name))
    sandbox.seal()
    refused(path, r"contains a DTD \(<!DOCTYPE or <!ENTITY>\)")
    assert listener.connections == 0
    sandbox.assert_clean()


def test_a_dtd_far_into_the_file_is_still_found(sandbox):
    path = sandbox.inputs / "thua.kml"
    padding = "<!--" + "x" * (3 * 2**20) + "-->"
    path.write_text(kml(padding + '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>', "&e;"))
    sandbox.seal()
    refused(path, "contains a DTD")
    sandbox.assert_clean()


# --- 7. legacy encodings -----------------------------------------------------------------------

VIETNAMESE = "Số 5 Đường Nguyễn Trãi, Phường Thượng Đình, Quận Thanh Xuân"
KOREAN = "서울특별시 종로구 세종대로 209 (세종로)"

# TCVN 5712:1993 VN3 ("TCVN3", the .VnTime fonts): the bytes of "Số 5 Đường" as such a font
# stores them (ố = 0xE8, § = Đ, ­ = ư, ê = ờ). Only the refusal depends on them.
TCVN3_BYTES = b"S\xe8 5 \xa7\xad\xeang"


def cp1258(text: str) -> bytes:
    """Return `text` as CP1258 stores it: base letters composed, tone marks combining."""
    stored = []
    for char in unicodedata.normalize("NFC", text):
        try:
            stored.append(char.encode("cp1258"))
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", char)
            # The mark that makes a letter of its own (ô, ơ, ư, â, ă, ê) composes; the
            # tone mark stays a combining character.
            for mark in marks:
                letter = unicodedata.normalize("NFC", base + mark)
                rest = "".join(other for other in marks if other != mark)
                try:
                    stored.append((letter + rest).encode("cp1258"))
                    break
                except UnicodeEncodeError:
                    continue
            else:
                stored.append((base + "".join(marks)).encode("cp1258"))
    return b"".join(stored)


def dbf_shapefile(folder: Path, address: bytes, cpg: str | None) -> Path:
    """Write a one-parcel Shapefile whose address field holds exactly `address`."""
    x, y = HANOI_UTM
    path = folder / "thua.shp"
    placeholder = "A" * len(address)
    pyogrio.raw.write(
        str(path),
        geometry=np.array([shapely.to_wkb(Polygon(square(x, y, 20)))], dtype=object),
        field_data=[
            np.array(["00004-1-1"], dtype=object),
            np.array(["ODT"], dtype=object),
            np.array([placeholder], dtype=object),
        ],
        fields=["maThua", "loaiDat", "diaChi"],
        crs=f"EPSG:{UTM_48N}",
        geometry_type="Polygon",
        encoding="ISO-8859-1",
    )
    dbf = path.with_suffix(".dbf")
    data = dbf.read_bytes()
    assert data.count(placeholder.encode()) == 1
    data = data.replace(placeholder.encode(), address)
    # Byte 29, the language driver id: 0 says nothing of the code page, as in most files
    # from older desktop GIS.
    dbf.write_bytes(data[:29] + b"\x00" + data[30:])
    path.with_suffix(".cpg").unlink(missing_ok=True)
    if cpg is not None:
        path.with_suffix(".cpg").write_text(cpg)
    return path


@pytest.mark.parametrize(
    ("text", "codec", "cpg", "options"),
    [
        (VIETNAMESE, "cp1258", "1258", []),
        (VIETNAMESE, "cp1258", None, ["--encoding", "cp1258"]),
        (KOREAN, "cp949", "CP949", []),
        (KOREAN, "cp949", "EUC-KR", []),
        (KOREAN, "cp949", None, ["--encoding", "cp949"]),
    ],
    ids=["cp1258-cpg", "cp1258-option", "euckr-cpg-cp949", "euckr-cpg-euckr", "euckr-option"],
)
def test_legacy_encodings_import_exactly_when_named(sandbox, text, codec, cpg, options):
    stored = cp1258(text) if codec == "cp1258" else text.encode(codec)
    path = dbf_shapefile(sandbox.inputs, stored, cpg)
    sandbox.seal()
    output = run(path, *options)
    assert "imported 1" in output, output
    address = Parcel.objects.get(identifier="00004-1-1").address
    assert address == unicodedata.normalize("NFC", text)
    assert unicodedata.is_normalized("NFC", address)
    sandbox.parcels += 1
    sandbox.assert_clean()


@pytest.mark.parametrize(
    ("text", "codec"), [(VIETNAMESE, "cp1258"), (KOREAN, "cp949")], ids=["cp1258", "euckr"]
)
def test_legacy_text_without_cpg_or_option_is_reported_with_the_option_to_pass(
    sandbox, text, codec
):
    stored = cp1258(text) if codec == "cp1258" else text.encode(codec)
    path = dbf_shapefile(sandbox.inputs, stored, None)
    sandbox.seal()
    report, _ = nothing_imported(path, sandbox)
    assert "wrong encoding" in report and "does not say its encoding" in report
    assert "pass --encoding" in report and codec in report
    sandbox.assert_clean(reports=1)


@pytest.mark.parametrize(
    ("cpg", "options"),
    [("TCVN3", []), ("ABC", []), (None, ["--encoding", "TCVN3"]), (None, ["--encoding", "vn3"])],
)
def test_tcvn3_is_refused_with_the_way_to_convert_it(sandbox, cpg, options):
    path = dbf_shapefile(sandbox.inputs, TCVN3_BYTES, cpg)
    sandbox.seal()
    refused(path, "convert the file's text to Unicode first", *options)
    sandbox.assert_clean()


def test_tcvn3_without_any_declaration_is_not_imported_as_latin_letters(sandbox):
    path = dbf_shapefile(sandbox.inputs, TCVN3_BYTES, None)
    sandbox.seal()
    report, _ = nothing_imported(path, sandbox)
    assert "does not say its encoding" in report
    sandbox.assert_clean(reports=1)


# --- the second line: GDAL offline while it reads -----------------------------------------------


def test_gdal_reads_offline_even_where_the_checks_would_miss_a_link(sandbox, listener):
    """A link the checks missed is still not fetched: GDAL's HTTP goes to a dead proxy."""
    path = geojson(
        sandbox.inputs / "link.geojson",
        feature(square(LON, LAT, 1e-4)),
        crs={"type": "link", "properties": {"href": f"{listener.url}/crs.wkt", "type": "ogcwkt"}},
    )
    with gdal_reading(str(path)):
        pyogrio.read_info(str(path))
    assert listener.connections == 0
    # The control: without the offline options, GDAL does fetch it.
    pyogrio.read_info(str(path))
    deadline = time.monotonic() + 2
    while listener.connections == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert listener.connections > 0


@pytest.mark.parametrize(
    ("keep", "message"),
    [(0.5, "is not a readable zip archive"), (0.97, "cannot be unpacked")],
    ids=["truncated", "damaged"],
)
def test_a_truncated_or_damaged_zip_is_refused(sandbox, keep, message):
    path = sandbox.inputs / "thua.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in shapefile_members(sandbox).items():
            archive.writestr(name, data * 50)
    data = path.read_bytes()
    if keep < 0.9:
        path.write_bytes(data[: int(len(data) * keep)])  # the directory at the end is lost
    else:
        middle = len(data) // 3  # the directory survives, a member's bytes do not
        path.write_bytes(data[:middle] + bytes(64) + data[middle + 64 :])
    sandbox.seal()
    refused(path, message)
    sandbox.assert_clean()


def test_a_zipped_shapefile_with_its_arcgis_metadata_still_imports(sandbox):
    """The checks refuse what points elsewhere, not the ordinary company of a Shapefile."""
    path = sandbox.inputs / "thua.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in shapefile_members(sandbox).items():
            archive.writestr(name, data)
        archive.writestr("thua.shp.xml", '<?xml version="1.0"?><metadata><idinfo/></metadata>')
    sandbox.seal()
    assert "imported 1" in run(path)
    sandbox.parcels += 1
    sandbox.assert_clean()
