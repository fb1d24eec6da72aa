"""The surveyor's file: coordinate lists as a trích đo / 측량성과 prints them, and DXF drawings."""

from __future__ import annotations

import random
import warnings
from pathlib import Path

import numpy as np
import pyogrio.raw
import pytest
import shapely
from django.utils import translation

from landinfo.profiles import get_profile
from landinfo.profiles.survey_crs import (
    VN_SURVEY_CRS,
    vn_province_meridians,
    vn_survey_crs_of_province,
)
from parcels.importing import survey

# The files are read alike in both profiles (X the northing in both countries' practice).
pytestmark = pytest.mark.every_profile

LIMITS = {"max_parcels": 200, "max_vertices": 1000}

# Two 10 m × 12 m lots side by side in VN-2000 / TM-3 105°30′ (northing X, easting Y).
NORTH, EAST = 2_301_234.56, 571_890.12
LOTS = [
    [(NORTH, EAST), (NORTH, EAST + 10), (NORTH + 12, EAST + 10), (NORTH + 12, EAST)],
    [(NORTH, EAST + 10), (NORTH, EAST + 20), (NORTH + 12, EAST + 20), (NORTH + 12, EAST + 10)],
]


def polygons(parcels: list[survey.SurveyedParcel]) -> list[shapely.Polygon]:
    return [shapely.geometry.shape(parcel.boundary) for parcel in parcels]


def expected() -> list[shapely.Polygon]:
    return [shapely.Polygon([(y, x) for x, y in lot]) for lot in LOTS]


def number(value: float, comma: bool) -> str:
    text = f"{value:.2f}"
    return text.replace(".", ",") if comma else text


def trich_do(
    *,
    separator: str,
    comma: bool,
    heading: str,
    header: bool,
    closed: bool,
    names: bool = True,
) -> str:
    """Return LOTS as a list, written one of the ways offices write them."""
    lines: list[str] = []
    for n, lot in enumerate(LOTS, 1):
        if heading:
            lines.append(f"{heading} {n}")
        elif n > 1:
            lines.append("")
        if header:
            lines.append(separator.join(["STT", "X (m)", "Y (m)"] if names else ["X", "Y"]))
        points = [*lot, lot[0]] if closed else lot
        for k, (x, y) in enumerate(points, 1):
            fields = [number(x, comma), number(y, comma)]
            lines.append(separator.join([str(k), *fields] if names else fields))
    return "\n".join(lines) + "\n"


LAYOUTS = [
    {"separator": "\t", "comma": True, "heading": "Thửa", "header": True, "closed": True},
    {"separator": "   ", "comma": True, "heading": "", "header": True, "closed": False},
    {"separator": ";", "comma": True, "heading": "Thửa đất", "header": False, "closed": True},
    {"separator": ", ", "comma": False, "heading": "필지", "header": True, "closed": False},
    {"separator": ",", "comma": False, "heading": "", "header": False, "closed": True},
    {"separator": " ", "comma": False, "heading": "", "header": False, "closed": False},
    {
        "separator": "\t",
        "comma": False,
        "heading": "",
        "header": True,
        "closed": True,
        "names": False,
    },
]


@pytest.mark.parametrize("layout", LAYOUTS, ids=range(len(LAYOUTS)))
def test_a_coordinate_list_reads_x_as_northing_whatever_its_layout(layout):
    text = trich_do(**layout)
    assert survey.detect_format(text.encode()) == survey.COORDINATES
    parcels = survey.read_survey(text.encode(), format=survey.COORDINATES, **LIMITS)
    assert len(parcels) == 2
    for got, want in zip(polygons(parcels), expected(), strict=True):
        assert got.equals(want), (got, want)


@pytest.mark.parametrize("encoding", ["utf-16", "cp1258", "utf-8-sig"])
def test_a_list_saved_by_excel_in_another_encoding_is_read(encoding):
    text = trich_do(separator="\t", comma=True, heading="Thửa", header=True, closed=True)
    text = text.replace("STT", "Số hiệu điểm")
    if encoding == "cp1258":  # its letters with a tone mark are a base and a combining mark
        text = text.replace("Thửa", "Th\u01b0\u0309a").replace(
            "Số hiệu điểm", "S\u00f4\u0301 hi\u00ea\u0323u \u0111i\u00ea\u0309m"
        )
    parcels = survey.read_survey(text.encode(encoding), format=survey.COORDINATES, **LIMITS)
    assert [p.equals(w) for p, w in zip(polygons(parcels), expected(), strict=True)] == [True] * 2


def test_random_point_names_and_notes_between_parcels_are_kept_apart():
    rng = random.Random()
    lines = []
    for n, lot in enumerate(LOTS, 1):
        lines.append(f"Thửa {n}")
        for x, y in lot:
            name = rng.choice(["M", "A", "Đ", ""]) + str(rng.randint(1, 999))
            lines.append(f"{name} {number(x, True)} {number(y, True)} mốc bê tông")
        lines.append(f"Diện tích: {rng.randint(100, 200)},{rng.randint(0, 9)} m²")
    with translation.override("en"):
        parcels = survey.read_survey("\n".join(lines).encode(), format=survey.COORDINATES, **LIMITS)
    assert [p.equals(w) for p, w in zip(polygons(parcels), expected(), strict=True)] == [True] * 2
    assert parcels[0].where == "lines 2 to 5"


def refused(data: bytes, file_format: str = survey.COORDINATES, **limits: int) -> str:
    with translation.override("en"), pytest.raises(survey.SurveyFileError) as error:
        survey.read_survey(data, format=file_format, **(LIMITS | limits))
    return error.value.message


def test_a_list_errors_say_the_line_parcel_and_point():
    text = trich_do(separator="\t", comma=True, heading="Thửa", header=True, closed=True)
    lines = text.splitlines()
    lines[10] = "3\t2301246,56\t57I900,12"  # parcel 2's third point, a letter I for a 1
    message = refused("\n".join(lines).encode())
    assert "Line 11 (parcel 2, point 2)" in message and "57I900,12" in message


def test_a_parcel_of_one_point_is_refused_with_its_line():
    text = "Thửa 1\n1 2301234,56 571890,12\n\nThửa 2\n" + "\n".join(
        f"{k} {x} {y}" for k, (x, y) in enumerate(LOTS[1], 1)
    )
    assert "Parcel 1 (line 2) has 1 distinct points" in refused(text.encode())


def test_a_boundary_whose_points_are_out_of_order_names_the_nearest_point():
    a, b, c, d = LOTS[0]
    text = "\n".join(f"{k} {x} {y}" for k, (x, y) in enumerate([a, b, d, c], 1))
    message = refused(text.encode())
    assert "Parcel 1 (lines 1 to 4)" in message and "crosses itself near point" in message


def test_binary_garbage_is_not_read_as_a_list():
    garbage = bytes(random.Random().randrange(256) for _ in range(4096)) + b"\x00"
    assert "not a text file" in refused(garbage)


def test_a_list_past_the_vertex_limit_stops_at_the_limit():
    text = "\n".join(f"{k} {NORTH + k * 0.01} {EAST + (k % 2)}" for k in range(1, 200_000))
    assert "more than 50 points (line 51)" in refused(text.encode(), max_vertices=50)


def test_a_list_past_the_parcel_limit_is_refused():
    lot = "\n".join(f"{k} {x} {y}" for k, (x, y) in enumerate(LOTS[0], 1))
    text = "\n\n".join([lot] * 6)
    assert "more than 5 new parcels" in refused(text.encode(), max_parcels=5)


# --- DXF -----------------------------------------------------------------------------------


def write_dxf(path: Path, entities: list[tuple[shapely.Geometry, str, str]]) -> bytes:
    """Write (geometry, layer, text) entities as a DXF drawing with GDAL's DXF writer."""
    wkb = np.array([shapely.to_wkb(geometry) for geometry, _, _ in entities], dtype=object)
    style = np.array(
        [f'LABEL(f:"Arial",t:"{text}")' if text else "" for _, _, text in entities], dtype=object
    )
    layers = np.array([layer for _, layer, _ in entities], dtype=object)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "'crs' was not provided")  # a DXF has none
        pyogrio.raw.write(
            str(path),
            wkb,
            field_data=[style, layers],
            fields=["OGR_STYLE", "Layer"],
            geometry_type="Unknown",
            driver="DXF",
        )
    return path.read_bytes()


def ring(lot: list[tuple[float, float]]) -> shapely.LineString:
    """Return a lot as CAD draws it: a closed polyline, x the easting."""
    return shapely.LineString([(y, x) for x, y in [*lot, lot[0]]])


def inside(lot: list[tuple[float, float]]) -> shapely.Point:
    return shapely.Polygon([(y, x) for x, y in lot]).centroid


def test_a_dxf_gives_the_closed_polylines_of_its_parcel_layer_and_the_land_use_inside(
    tmp_path,
):
    codes = [use.code for use in get_profile().land_uses[1:3]]
    north, east = NORTH - 5, EAST - 5
    frame = [(north, east), (north, east + 30), (north + 22, east + 30), (north + 22, east)]
    data = write_dxf(
        tmp_path / "trich-do.dxf",
        [
            (ring(LOTS[0]), "THUA", ""),
            (ring(LOTS[1]), "THUA", ""),
            (ring(frame), "KHUNG", ""),  # the sheet's frame: closed, on another layer
            (shapely.LineString([(EAST, NORTH), (EAST + 5, NORTH + 5)]), "THUA", ""),
            (inside(LOTS[0]), "CHU", codes[0]),
            (inside(LOTS[1]), "CHU", f"2 {codes[1]}"),
        ],
    )
    assert survey.detect_format(data) == survey.DXF
    message = refused(data, survey.DXF)
    assert "several layers" in message and "'KHUNG' (1)" in message and "'THUA' (2)" in message
    assert "no closed polylines on layer 'NHA'" in refused(data, survey.DXF, layer="NHA")
    parcels = survey.read_survey(data, format=survey.DXF, layer="thua", **LIMITS)
    assert [p.equals(w) for p, w in zip(polygons(parcels), expected(), strict=True)] == [True] * 2
    assert [parcel.land_use for parcel in parcels] == codes


def minimal_dxf(*sections: str) -> bytes:
    return ("".join(sections) + "  0\nEOF\n").encode()


def section(name: str, body: str) -> str:
    return f"  0\nSECTION\n  2\n{name}\n{body}  0\nENDSEC\n"


def lwpolyline(layer: str, points: list[tuple[float, float]]) -> str:
    vertices = "".join(f" 10\n{x}\n 20\n{y}\n" for x, y in points)
    return (
        f"  0\nLWPOLYLINE\n  8\n{layer}\n100\nAcDbEntity\n100\nAcDbPolyline\n"
        f" 90\n{len(points)}\n 70\n1\n{vertices}"
    )


FACE = "  0\n3DFACE\n  8\n0\n" + "".join(
    f" 1{k}\n{x}\n 2{k}\n{y}\n 3{k}\n0\n"
    for k, (x, y) in enumerate([(0, 0), (9, 0), (9, 9), (0, 9)])
)


def test_a_dxf_of_3d_faces_and_blocks_has_no_parcels():
    square = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]
    block = "  0\nBLOCK\n  8\n0\n  2\nB1\n 70\n0\n 10\n0\n 20\n0\n 30\n0\n  3\nB1\n"
    data = minimal_dxf(
        section("HEADER", "  9\n$ACADVER\n  1\nAC1015\n"),
        section("BLOCKS", block + lwpolyline("THUA", square) + "  0\nENDBLK\n"),
        section("ENTITIES", "  0\nINSERT\n  8\n0\n  2\nB1\n 10\n5\n 20\n5\n 30\n0\n" + FACE),
    )
    assert "no closed polylines" in refused(data, survey.DXF)


def test_a_binary_or_broken_dxf_is_refused():
    assert "binary DXF" in refused(b"AutoCAD Binary DXF\r\n\x1a\x00" + bytes(200), survey.DXF)
    broken = b"  0\nSECTION\n  2\nENTITIES\n" + bytes(
        random.Random().randrange(256) for _ in range(999)
    )
    message = refused(broken, survey.DXF)
    assert "cannot be read" in message or "no closed polylines" in message
    assert "/vsimem" not in message


def test_a_dxf_polyline_past_the_vertex_limit_is_refused():
    circle = [
        (round(100 * np.cos(t), 3), round(100 * np.sin(t), 3)) for t in np.linspace(0, 6.28, 300)
    ]
    data = minimal_dxf(
        section("HEADER", "  9\n$ACADVER\n  1\nAC1015\n"),
        section("ENTITIES", lwpolyline("THUA", circle[:-1]) + lwpolyline("THUA", circle[:-1])),
    )
    assert "has 299 vertices" in refused(data, survey.DXF, max_vertices=100)


# --- the profile's table ----------------------------------------------------------------


def test_vietnamese_provinces_have_their_circulars_meridians_and_merged_ones_all_theirs():
    assert vn_province_meridians("01") == (105.0,)  # Hà Nội
    # TP Hồ Chí Minh since 2025 (with Bình Dương, Bà Rịa - Vũng Tàu), written as a căn cước
    # writes it.
    assert vn_province_meridians("079") == (105.75, 107.75)
    assert vn_province_meridians("33") == (105.5,)  # Hưng Yên + Thái Bình: one meridian
    assert vn_province_meridians("25") == (104.75, 105.0, 106.0)  # Phú Thọ, Vĩnh Phúc, Hòa Bình
    assert vn_province_meridians("99") == ()  # not a province
    assert vn_survey_crs_of_province("79") == (9210, 5899)
    codes = {choice.epsg for choice in VN_SURVEY_CRS}
    assert all(set(vn_survey_crs_of_province(f"{n:02d}")) <= codes for n in range(100))


def test_the_survey_crs_labels_read_as_officers_write_them():
    choices = {choice.epsg: choice for choice in VN_SURVEY_CRS}
    with translation.override("vi"):
        assert choices[9210].name() == "VN-2000, kinh tuyến trục 105°45′, múi chiếu 3°"
    with translation.override("en"):
        assert choices[5897].name() == "VN-2000, central meridian 105°, 3° zone"
