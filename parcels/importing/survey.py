"""Read the file a surveyor hands the land office: the new parcels of a subdivision.

A trích đo địa chính (Vietnam) or a 지적측량성과도 (Korea) gives each new parcel's corner
points in the national grid, as a printed list ("STT X(m) Y(m)", one parcel after
another) or as a CAD drawing (DXF, one closed polyline per parcel). Both are read here
into GeoJSON polygons in the file's own CRS, (easting, northing) as GIS orders them;
which CRS that is the officer says, and the register's transformation (GDAL) carries
them into the storage CRS with the deed. `check_placement` then tells, before the deed
is filed, a file that lies elsewhere than the parcel it divides: X and Y swapped, or
measured on another central meridian or belt than the one chosen.

Survey practice in both countries names the northing X and the easting Y (the
reverse of CAD and GIS): a list's X column is read as the northing.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyogrio
import shapely
from django.contrib.gis.geos import GEOSGeometry
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from pyogrio.errors import DataLayerError, DataSourceError, FieldError, GeometryError
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError, ProjError

from landinfo.profiles import UnknownLandUse, get_profile
from landinfo.profiles.text import quote_input
from parcels.importing.safe_files import GDAL_OFFLINE

DXF = "dxf"
COORDINATES = "coordinates"
GEOJSON = "geojson"
FORMATS = (GEOJSON, DXF, COORDINATES)


class SurveyFileError(ValueError):
    """Raised with a message for the officer (in the request's language) saying where."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class SurveyedParcel:
    """A new parcel read from the file: its boundary as a GeoJSON Polygon in the file's CRS."""

    boundary: dict[str, Any]
    land_use: str = ""  # a code of the profile's list the drawing wrote inside it, or ""
    where: str = ""  # where the file gives it ("lines 3-9", "polyline 2A1"), for messages


# --- which format -------------------------------------------------------------------------

_BINARY_DXF = b"AutoCAD Binary DXF"
# An ASCII DXF opens with a group code 0 and SECTION (or a 999 comment before it).
_DXF_START = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*(?:999\r?\n[^\n]*\n\s*)*0\r?\n\s*SECTION\s")


def detect_format(data: bytes, name: str = "") -> str:
    """Return the format of a surveyor's file: GeoJSON, DXF or a list, by bytes and name."""
    head = data[:4096]
    if head.startswith(_BINARY_DXF) or _DXF_START.match(head):
        return DXF
    suffix = name.rpartition(".")[2].casefold() if "." in name else ""
    if suffix in {"geojson", "json"} or head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in {b"{", b"["}:
        return GEOJSON
    if suffix == "dxf":
        return DXF
    return COORDINATES


def read_survey(
    data: bytes, *, format: str, max_parcels: int, max_vertices: int, layer: str = ""
) -> list[SurveyedParcel]:
    """Return the new parcels of a DXF drawing or a coordinate list (not GeoJSON: the deed's)."""
    if format == DXF:
        parcels = read_dxf(data, layer=layer, max_vertices=max_vertices)
    elif format == COORDINATES:
        parcels = read_coordinate_list(
            _text(data), max_parcels=max_parcels, max_vertices=max_vertices
        )
    else:
        raise ValueError(f"not a survey format: {format}")
    if len(parcels) > max_parcels:
        raise SurveyFileError(
            _("The file has %(count)s new parcels; a subdivision makes 2 to %(limit)s parcels.")
            % {"count": len(parcels), "limit": max_parcels}
        )
    return parcels


# --- coordinate lists ---------------------------------------------------------------------

# "Thửa 1", "Thua so 2", "Thửa đất 3", "필지 1", "Parcel 1": the start of the next parcel.
_PARCEL_HEADING = re.compile(r"^\s*(thửa|thua|필지|parcel|lot)(\s|\b|$)", re.IGNORECASE)
_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")
_LETTER = re.compile(r"[^\W\d_]")
# Control characters a text list never holds (tab, CR and LF aside).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LEGACY_ENCODINGS = {"vn": "cp1258", "kr": "cp949"}


def _text(data: bytes) -> str:
    """Return the list's text: UTF-8, else the country's Windows code page (Excel's export)."""
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = data.decode("utf-16")  # Excel's "Unicode text"
        else:
            text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        encoding = _LEGACY_ENCODINGS.get(get_profile().key, "cp1252")
        text = data.decode(encoding, errors="replace")
    bad = _CONTROL.search(text)
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1
        raise SurveyFileError(
            _(
                "Line %(line)s holds characters no coordinate list has; this is not a text "
                "file (save the list as text, .txt or .csv)."
            )
            % {"line": line}
        )
    return text


def _fields(line: str) -> list[str]:
    """Return the fields of a list's line, whatever separates them.

    A semicolon or tab separates fields, and then a comma is a decimal comma; otherwise
    spaces separate them (a comma before a space too), and a line of numbers joined by
    commas alone ("1,2345678.12,567890.45") is split at the commas.
    """
    line = line.strip()
    if ";" in line or "\t" in line:
        return [part.strip() for part in re.split(r"[;\t]+", line) if part.strip()]
    parts = [part for part in re.split(r",?\s+", line.rstrip(",")) if part]
    if len(parts) == 1 and line.count(",") >= 2:
        return [part.strip() for part in line.split(",") if part.strip()]
    return parts


def _number(text: str) -> float | None:
    if not _NUMBER.fullmatch(text):
        return None
    return float(text.replace(",", "."))


def _point(line: str, position: int) -> tuple[str, float, float] | None:
    """Return (name, X, Y) of a list's line "STT X Y [...]" or "X Y", or None if not one."""
    fields = _fields(line)
    if len(fields) == 2:
        name, x, y = str(position), _number(fields[0]), _number(fields[1])
    elif len(fields) >= 3:
        name, x, y = fields[0], _number(fields[1]), _number(fields[2])
    else:
        return None
    if x is None or y is None or not (math.isfinite(x) and math.isfinite(y)):
        return None
    return name, x, y


@dataclass(slots=True)
class _Open:
    """A parcel of the list being read: its points and the lines they are on."""

    number: int
    points: list[tuple[str, float, float, int]] = field(default_factory=list)


def read_coordinate_list(text: str, *, max_parcels: int, max_vertices: int) -> list[SurveyedParcel]:
    """Return the parcels of a coordinate list, one after another, each "STT X Y" per point.

    A blank line, a "Thửa 1" / "필지 1" line or any line of words ends a parcel (a header
    before the first point is skipped). X is the northing and Y the easting. A parcel's
    last point may repeat its first. Errors name the line, the parcel and the point.
    """
    parcels: list[SurveyedParcel] = []
    current = _Open(1)

    def close() -> None:
        nonlocal current
        if current.points:
            parcels.append(_list_parcel(current))
            if len(parcels) > max_parcels:
                raise SurveyFileError(
                    _(
                        "The file has more than %(limit)s new parcels; a subdivision makes "
                        "2 to %(limit)s parcels."
                    )
                    % {"limit": max_parcels}
                )
            current = _Open(current.number + 1)

    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or _PARCEL_HEADING.match(line):
            close()
            continue
        point = _point(line, len(current.points) + 1)
        if point is None:
            fields = _fields(line)
            if _LETTER.search(line) and not (len(fields) >= 3 and _number(fields[0]) is not None):
                # A header ("STT X(m) Y(m)") or a note ("Diện tích: 120,5 m²").
                close()
                continue
            raise SurveyFileError(
                _(
                    "Line %(line)s (parcel %(parcel)s, point %(point)s) is not a point: "
                    'write "number X Y" with X the northing and Y the easting in metres, '
                    "e.g. 1  2345678,12  567890,45. The line reads %(text)s."
                )
                % {
                    "line": number,
                    "parcel": current.number,
                    "point": len(current.points) + 1,
                    "text": quote_input(line[:80]),
                }
            )
        name, x, y = point
        current.points.append((name, x, y, number))
        if len(current.points) > max_vertices:
            raise SurveyFileError(
                _(
                    "Parcel %(parcel)s has more than %(limit)s points (line %(line)s); a "
                    "parcel boundary may have at most %(limit)s."
                )
                % {"parcel": current.number, "limit": max_vertices, "line": number}
            )
    close()
    if not parcels:
        raise SurveyFileError(
            _(
                'The list holds no points: write each point as "number X Y" on its own '
                "line, one parcel after another."
            )
        )
    return parcels


def _list_parcel(parcel: _Open) -> SurveyedParcel:
    """Return one parcel of a list as a polygon, (Y, X) being (easting, northing)."""
    points = parcel.points
    first_line, last_line = points[0][3], points[-1][3]
    ring = [(y, x) for _, x, y, _ in points]
    if len(ring) > 1 and ring[0] == ring[-1]:
        ring.pop()
    if len(set(ring)) < 3:
        raise SurveyFileError(
            _(
                "Parcel %(parcel)s (line %(line)s) has %(count)s distinct points; a parcel "
                "boundary needs at least 3."
            )
            % {"parcel": parcel.number, "line": first_line, "count": len(set(ring))}
        )
    ring.append(ring[0])
    polygon = shapely.Polygon(ring)
    if not polygon.is_valid:
        raise SurveyFileError(
            _(
                "Parcel %(parcel)s (lines %(first)s to %(last)s) is not a polygon: its "
                "boundary crosses itself%(near)s. Check the order of its points."
            )
            % {
                "parcel": parcel.number,
                "first": first_line,
                "last": last_line,
                "near": _near(polygon, points),
            }
        )
    where = _("lines %(first)s to %(last)s") % {"first": first_line, "last": last_line}
    return SurveyedParcel(
        boundary={"type": "Polygon", "coordinates": [[list(p) for p in ring]]},
        where=where,
    )


def _near(polygon: shapely.Polygon, points: Sequence[tuple[str, float, float, int]]) -> str:
    """Return " near point 5" for the point closest to where the boundary crosses itself."""
    reason = shapely.is_valid_reason(polygon)
    found = re.search(r"\[([-0-9.e+]+) ([-0-9.e+]+)\]", reason)
    if not found:
        return ""
    east, north = float(found[1]), float(found[2])
    name, *_rest = min(points, key=lambda p: (p[1] - north) ** 2 + (p[2] - east) ** 2)
    return _(" near point %(point)s") % {"point": name}


# --- DXF ----------------------------------------------------------------------------------

# GDAL's DXF driver gives every entity with its subclass markers ("AcDbEntity:AcDbPolyline");
# a parcel is a closed LWPOLYLINE or POLYLINE (R12 files have no markers at all). Circles,
# arcs, splines, 3D faces and hatches are drawn for other things than boundaries.
_POLYLINE_CLASSES = ("AcDbPolyline", "AcDb2dPolyline", "AcDb3dPolyline")
_OTHER_CLASSES = ("Circle", "Arc", "Ellipse", "Spline", "Face", "Hatch", "Text", "Solid")
# MTEXT formatting codes ("\A1;", "\fArial|b0;", braces) around the words of a label.
_MTEXT_CODES = re.compile(r"\\[A-Za-z][^;\\]*;|\\[PpNn~]|[{}]")
# GDAL's options for a file from outside: nothing is fetched, and blocks stay blocks (an
# INSERT is not expanded, so nested blocks cannot multiply a drawing a thousandfold).
_DXF_OPTIONS = {**GDAL_OFFLINE, "DXF_INLINE_BLOCKS": "FALSE"}


def read_dxf(data: bytes, *, layer: str = "", max_vertices: int) -> list[SurveyedParcel]:
    """Return the closed polylines of a DXF drawing's layer as the new parcels.

    A text inside a parcel that is a land-use code of the profile's list gives its land
    use; the drawing's parcel numbers are not taken (the register numbers new parcels).
    When closed polylines lie on several layers, `layer` names the parcels' one.
    """
    if data.startswith(_BINARY_DXF):
        raise SurveyFileError(
            _("This is a binary DXF; save the drawing as an ASCII DXF (R12 or later).")
        )
    if not _DXF_START.match(data[:4096]):
        raise SurveyFileError(_("This is not a DXF drawing (it does not start with a SECTION)."))
    entities = _dxf_entities(data)
    boundaries: dict[str, list[tuple[str, Any]]] = {}
    texts: list[tuple[Any, str]] = []
    for geometry, layer_name, classes, handle, text in entities:
        if geometry is None:
            continue
        if text and shapely.get_type_id(geometry) == 0:  # a TEXT or MTEXT: a point
            texts.append((geometry, _MTEXT_CODES.sub("", text).strip()))
            continue
        polygon = _closed_polyline(geometry, classes)
        if polygon is not None:
            boundaries.setdefault(layer_name, []).append((handle, polygon))
    chosen = _dxf_layer(boundaries, layer.strip())
    parcels = []
    for number, (handle, polygon) in enumerate(chosen, 1):
        where = (
            _("polyline %(number)s (handle %(handle)s)") % {"number": number, "handle": handle}
            if handle
            else _("polyline %(number)s") % {"number": number}
        )
        vertices = int(shapely.get_num_coordinates(polygon)) - 1
        if vertices > max_vertices:
            raise SurveyFileError(
                _(
                    "Parcel %(parcel)s, %(where)s, has %(count)s vertices; a parcel boundary "
                    "may have at most %(limit)s. Simplify the boundary."
                )
                % {"parcel": number, "where": where, "count": vertices, "limit": max_vertices}
            )
        if not polygon.is_valid:
            raise SurveyFileError(
                _(
                    "Parcel %(parcel)s, %(where)s, is not a polygon: its boundary crosses "
                    "itself (%(reason)s)."
                )
                % {"parcel": number, "where": where, "reason": shapely.is_valid_reason(polygon)}
            )
        parcels.append(
            SurveyedParcel(
                boundary={
                    "type": "Polygon",
                    "coordinates": [
                        shapely.get_coordinates(ring).tolist()
                        for ring in (polygon.exterior, *polygon.interiors)
                    ],
                },
                land_use=_land_use_inside(polygon, texts),
                where=where,
            )
        )
    return parcels


def _dxf_entities(data: bytes) -> list[tuple[Any, str, str, str, str]]:
    """Return (geometry, layer, subclasses, handle, text) of each entity of the drawing."""
    previous = {name: pyogrio.get_gdal_config_option(name) for name in _DXF_OPTIONS}
    pyogrio.set_gdal_config_options(_DXF_OPTIONS)
    try:
        with warnings.catch_warnings():
            # GDAL's remarks on a drawing ("Non closed ring detected" for a 3D face) are
            # not the officer's concern: what is taken from it is checked below.
            warnings.simplefilter("ignore", RuntimeWarning)
            meta, _fids, wkb, columns = pyogrio.raw.read(data, layer="entities")
    except (DataSourceError, DataLayerError, FieldError, GeometryError, ValueError):
        # GDAL's reason names its memory file and drivers: nothing the officer can act on.
        raise SurveyFileError(
            _(
                "The DXF drawing cannot be read; save it again from the CAD program as an "
                "ASCII DXF (R12 to 2018)."
            )
        ) from None
    finally:
        pyogrio.set_gdal_config_options(previous)
    names = list(meta["fields"])

    def column(name: str) -> Sequence[Any]:
        return columns[names.index(name)] if name in names else [None] * len(wkb)

    geometries = shapely.force_2d(
        shapely.from_wkb(np.asarray(wkb, dtype=object), on_invalid="ignore")
    )
    return [
        (geometry, str(layer or ""), str(classes or ""), str(handle or ""), str(text or ""))
        for geometry, layer, classes, handle, text in zip(
            geometries,
            column("Layer"),
            column("SubClasses"),
            column("EntityHandle"),
            column("Text"),
            strict=True,
        )
    ]


def _closed_polyline(geometry: Any, classes: str) -> Any:
    """Return the polygon a closed polyline encloses, or None for any other entity."""
    if any(other in classes for other in _OTHER_CLASSES):
        return None
    if classes and not any(marker in classes for marker in _POLYLINE_CLASSES):
        return None
    # GDAL reads a polyline as a line string, closed or not; a polygon comes from a 3D
    # face, a solid, a hatch or a mesh (which an R12 file does not mark), never a parcel.
    if shapely.get_type_id(geometry) != 1:
        return None
    coordinates = shapely.get_coordinates(geometry)
    if len(coordinates) < 4 or not np.array_equal(coordinates[0], coordinates[-1]):
        return None
    return shapely.Polygon(coordinates)


def _dxf_layer(boundaries: dict[str, list[tuple[str, Any]]], layer: str) -> list[tuple[str, Any]]:
    """Return the closed polylines of the parcels' layer, refusing a choice left to guess."""
    found = ", ".join(
        _("%(layer)s (%(count)s)") % {"layer": quote_input(name), "count": len(items)}
        for name, items in sorted(boundaries.items())
    )
    if not boundaries:
        raise SurveyFileError(
            _(
                "The DXF drawing has no closed polylines; draw each new parcel as a closed "
                "polyline (LWPOLYLINE or POLYLINE), not as lines, blocks or 3D faces."
            )
        )
    if layer:
        folded = {name.casefold(): name for name in boundaries}
        if layer.casefold() not in folded:
            raise SurveyFileError(
                _(
                    "The DXF drawing has no closed polylines on layer %(layer)s; its closed "
                    "polylines are on the layers %(found)s."
                )
                % {"layer": quote_input(layer), "found": found}
            )
        return boundaries[folded[layer.casefold()]]
    if len(boundaries) > 1:
        raise SurveyFileError(
            _(
                "The DXF drawing has closed polylines on several layers: %(found)s. Name the "
                "layer of the new parcels."
            )
            % {"found": found}
        )
    return next(iter(boundaries.values()))


def _land_use_inside(polygon: Any, texts: Sequence[tuple[Any, str]]) -> str:
    """Return the one land-use code the drawing writes inside `polygon`, or ""."""
    profile = get_profile()
    # Korean cadastral maps write the land category's symbol after the lot number
    # ("123-4대", 공간정보관리법 시행규칙 제64조); Vietnamese ones the code ("ODT").
    symbols = {symbol: code for code, symbol in getattr(profile, "land_use_symbols", {}).items()}
    codes = set()
    for point, text in texts:
        if not polygon.contains(point):
            continue
        for word in re.split(r"[\s/,;]+", text):
            lot = _LOT_AND_SYMBOL.fullmatch(word)
            if lot is not None and lot["symbol"] in symbols:
                codes.add(symbols[lot["symbol"]])
                continue
            try:
                codes.add(profile.parse_land_use(word))
            except UnknownLandUse:
                continue
    return codes.pop() if len(codes) == 1 else ""


_LOT_AND_SYMBOL = re.compile(r"(?:산\s*)?[0-9]+(?:-[0-9]+)?(?P<symbol>\D)")


# --- placement ----------------------------------------------------------------------------

# How far from the parcel it divides a surveyed boundary may lie before the file is taken
# for one in another CRS: beyond any gap or overlap a deed's tolerance allows, far below
# the shift of a neighbouring central meridian (15′ is about 27 km) or of swapped axes.
_NEAR_M = 200.0


def check_placement(
    boundaries: Sequence[dict[str, Any]],
    *,
    crs: int,
    parent: GEOSGeometry,
    parent_name: str,
    choices: Sequence[tuple[int, str]],
) -> None:
    """Refuse boundaries (GeoJSON in EPSG:`crs`) that do not lie on the parcel they divide.

    Says what would put them on it: X and Y swapped, or another of `choices` (EPSG code,
    label), or, when nothing does, where they lie.
    """
    points = np.array(
        [point[:2] for boundary in boundaries for point in _positions(boundary)], dtype=float
    )
    if points.size == 0:
        return
    east, north = (points.min(axis=0) + points.max(axis=0)) / 2
    near = _NEAR_M + math.dist(parent.extent[:2], parent.extent[2:])
    if not parent.srid:
        raise ValueError("the parent's boundary has no SRID")
    storage = CRS.from_epsg(parent.srid)
    to_parent = _distance_to(parent, storage)
    if to_parent(crs, east, north) <= near:
        return
    if to_parent(crs, north, east) <= near:
        raise SurveyFileError(
            _(
                "The new parcels do not lie on parcel %(parcel)s, but would with X and Y "
                "swapped: in a survey list X is the northing and Y the easting. Swap the "
                "columns, or check the file."
            )
            % {"parcel": parent_name}
        )
    for code, label in choices:
        if code != crs and to_parent(code, east, north) <= near:
            raise SurveyFileError(
                _(
                    "The new parcels do not lie on parcel %(parcel)s in the coordinate "
                    "system chosen, but do in %(crs)s: choose the one the survey was "
                    "measured in."
                )
                % {"parcel": parent_name, "crs": label}
            )
    distance = to_parent(crs, east, north)
    raise SurveyFileError(
        _(
            "The new parcels lie %(distance)s km from parcel %(parcel)s (or outside the "
            "coordinate system chosen): check the coordinate system, its zone, and that X "
            "is the northing and Y the easting."
        )
        % {
            "distance": number_format(distance / 1000, 1) if math.isfinite(distance) else "?",
            "parcel": parent_name,
        }
    )


def _positions(geometry: dict[str, Any]) -> list[Any]:
    """Return the positions of a GeoJSON Polygon or MultiPolygon."""
    coordinates = geometry.get("coordinates") or []
    if geometry.get("type") == "MultiPolygon":
        return [p for polygon in coordinates for ring in polygon for p in ring]
    return [p for ring in coordinates for p in ring]


def _distance_to(parent: GEOSGeometry, storage: CRS) -> Callable[[int, float, float], float]:
    """Return f(crs, x, y): metres from (x, y) in EPSG:crs to the parent (inf: off the grid)."""
    cache: dict[int, Transformer | None] = {}

    def distance(code: int, x: float, y: float) -> float:
        if code not in cache:
            try:
                cache[code] = Transformer.from_crs(CRS.from_epsg(code), storage, always_xy=True)
            except (CRSError, ProjError):
                cache[code] = None
        transformer = cache[code]
        if transformer is None:
            return math.inf
        try:
            px, py = transformer.transform(x, y, errcheck=True)
        except ProjError:
            return math.inf
        if not (math.isfinite(px) and math.isfinite(py)):
            return math.inf
        return float(parent.distance(GEOSGeometry(f"POINT({px} {py})", srid=parent.srid)))

    return distance
