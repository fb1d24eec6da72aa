"""The geometry checks of one batch, and the boundaries that pass them, as COPY reads them.

Every boundary is read from WKB, held to a number of vertices, transformed to the storage
CRS, placed in the profile's country (parcels.importing.placement) and checked valid
there: the database's constraint checks validity in the storage CRS. Nothing is repaired.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import shapely
from django.conf import settings
from pyproj import Transformer

from parcels.areas import ground_areas
from parcels.importing import placement
from parcels.importing.crs import Frame
from parcels.importing.problems import FeatureProblem, Problem

_POLYGONAL_TYPE_IDS = (3, 6)  # Polygon, MultiPolygon (shapely.GeometryType)
_POLYGON_TYPE_ID = 3
_VALID = "Valid Geometry"  # what GEOS says of a valid geometry

_HEX_DIGITS = np.frombuffer(
    b"".join(f"{byte:02X}".encode() for byte in range(256)), dtype=np.uint16
)


@dataclass(slots=True)
class Geometries:
    """The boundaries of one batch in the storage CRS; None where a problem was found."""

    boundaries: npt.NDArray[np.object_]
    areas: npt.NDArray[np.float64]  # on the ground (parcels.areas), NaN without a boundary
    problems: list[FeatureProblem]
    with_z: int
    # The rows with a polygonal boundary, and its middle in the file's coordinates: what
    # placement.diagnose reads again in other CRSs when features lie out of place.
    sampled: npt.NDArray[np.intp]
    source_x: npt.NDArray[np.float64]
    source_y: npt.NDArray[np.float64]


def _project(transformer: Transformer) -> Callable[[npt.NDArray[np.float64]], Any]:
    """Return a coordinate function for shapely.transform that applies `transformer`."""

    def apply(coordinates: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        x, y = transformer.transform(coordinates[:, 0], coordinates[:, 1])
        return np.column_stack((x, y))

    return apply


def check_geometries(wkb: pa.Array, frame: Frame) -> Geometries:
    """Return the batch's boundaries in the storage CRS and the problems of the others.

    Validity is what the database's constraint checks: validity in the storage CRS.
    The reason is given in the file's coordinates when the file's geometry is already
    invalid, so that it points at a place the user can find.
    """
    problems: list[FeatureProblem] = []
    geometries, candidates = _readable(wkb, problems)
    polygons = geometries[candidates]
    projected, finite = _transformed(polygons, candidates, frame, problems)
    in_country = _in_country(polygons, projected, finite, candidates, frame, problems)
    # Checked where they are, in or out of the country: one report says all that is wrong.
    valid = _valid(polygons, projected, finite, candidates, frame, problems)
    kept = valid & in_country
    polygon = kept & (shapely.get_type_id(projected) == _POLYGON_TYPE_ID)
    # The register keeps MultiPolygons; a Polygon is the one-part case, not a change.
    projected[polygon] = shapely.multipolygons(projected[polygon, np.newaxis])
    boundaries = np.full(len(wkb), None, dtype=object)
    areas = np.full(len(wkb), np.nan)
    boundaries[candidates[kept]] = projected[kept]
    areas[candidates[kept]] = ground_areas(projected[kept], frame.storage_srid)
    source_x, source_y = placement.middles(polygons)
    return Geometries(
        boundaries=boundaries,
        areas=areas,
        problems=problems,
        with_z=int(shapely.has_z(polygons).sum()),
        sampled=candidates,
        source_x=source_x,
        source_y=source_y,
    )


def _report(
    problems: list[FeatureProblem],
    indices: npt.NDArray[np.intp],
    problem: Problem,
    details: Sequence[str],
) -> None:
    for index, detail in zip(indices, details, strict=True):
        problems.append(FeatureProblem(int(index), "geometry", problem, detail))


def _readable(
    wkb: pa.Array, problems: list[FeatureProblem]
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.intp]]:
    """Return the batch's geometries and the rows of those that can be parcel boundaries.

    Report the others: missing, unreadable, empty, too many vertices, not polygonal.
    """
    missing = wkb.is_null().to_numpy(zero_copy_only=False)
    geometries = shapely.from_wkb(wkb.to_numpy(zero_copy_only=False), on_invalid="ignore")
    # Checked before anything costlier than counting: validity and transformation of a
    # million-vertex "parcel" take seconds and memory that no real parcel needs.
    limit = int(settings.LANDINFO["IMPORT_MAX_VERTICES"])
    vertices = shapely.get_num_coordinates(geometries)
    too_many = vertices > limit
    _report(
        problems,
        np.flatnonzero(too_many),
        Problem.TOO_MANY_VERTICES,
        [
            f"the boundary has {count} vertices; a parcel boundary may have at most {limit} "
            f"(LANDINFO_IMPORT_MAX_VERTICES): simplify it or split the parcel"
            for count in vertices[too_many]
        ],
    )
    geometries[too_many] = None
    unreadable = ~missing & ~too_many & shapely.is_missing(geometries)
    empty = shapely.is_empty(geometries)
    polygonal = np.isin(shapely.get_type_id(geometries), _POLYGONAL_TYPE_IDS)
    wrong_type = ~missing & ~too_many & ~unreadable & ~empty & ~polygonal
    for mask, problem, detail in (
        (missing, Problem.MISSING_GEOMETRY, "the feature has no geometry"),
        (
            unreadable,
            Problem.UNREADABLE_GEOMETRY,
            "the geometry cannot be read (an unclosed ring, or curved?)",
        ),
        (empty, Problem.MISSING_GEOMETRY, "the geometry is empty"),
    ):
        _report(problems, np.flatnonzero(mask), problem, [detail] * int(mask.sum()))
    _report(
        problems,
        np.flatnonzero(wrong_type),
        Problem.NOT_POLYGONAL,
        [
            f"a {geometry.geom_type} is not an area; a parcel boundary is a Polygon or MultiPolygon"
            for geometry in geometries[wrong_type]
        ],
    )
    return geometries, np.flatnonzero(polygonal & ~empty)


def _transformed(
    polygons: npt.NDArray[np.object_],
    candidates: npt.NDArray[np.intp],
    frame: Frame,
    problems: list[FeatureProblem],
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.bool_]]:
    """Return the polygons in the storage CRS, and which have finite coordinates there."""
    projected = shapely.transform(polygons, _project(frame.to_storage))
    finite = np.all(np.isfinite(shapely.bounds(projected)), axis=1)
    lost_x, lost_y = placement.middles(polygons[~finite])
    _report(
        problems,
        candidates[~finite],
        Problem.OUTSIDE_AREA,
        [
            f"the feature lies at {placement.point_text(frame.source, x_at, y_at)}; it "
            f"cannot be transformed from {frame.source_name} to EPSG:{frame.storage_srid}: "
            f"is that the file's CRS (--srs)?"
            for x_at, y_at in zip(lost_x, lost_y, strict=True)
        ],
    )
    return projected, finite


def _in_country(
    polygons: npt.NDArray[np.object_],
    projected: npt.NDArray[np.object_],
    finite: npt.NDArray[np.bool_],
    candidates: npt.NDArray[np.intp],
    frame: Frame,
    problems: list[FeatureProblem],
) -> npt.NDArray[np.bool_]:
    """Return which polygons lie in the profile's country; report the others."""
    x, y = placement.middles(projected[finite])
    in_country = np.zeros(len(candidates), dtype=bool)
    in_country[finite] = frame.profile.outline.contains_xy(x, y)
    outside = finite & ~in_country
    _report(problems, candidates[outside], Problem.OUTSIDE_AREA, _where(polygons[outside], frame))
    return in_country


def _valid(
    polygons: npt.NDArray[np.object_],
    projected: npt.NDArray[np.object_],
    finite: npt.NDArray[np.bool_],
    candidates: npt.NDArray[np.intp],
    frame: Frame,
    problems: list[FeatureProblem],
) -> npt.NDArray[np.bool_]:
    """Return which polygons are valid in the storage CRS; report the others, and why."""
    valid = finite & shapely.is_valid(projected)
    broken = finite & ~valid
    _report(
        problems,
        candidates[broken],
        Problem.INVALID_GEOMETRY,
        [
            reason
            if reason != _VALID
            else f"becomes invalid when transformed to EPSG:{frame.storage_srid}: {after}"
            for reason, after in zip(
                shapely.is_valid_reason(polygons[broken]),
                shapely.is_valid_reason(projected[broken]),
                strict=True,
            )
        ],
    )
    return valid


def _where(geometries: npt.NDArray[np.object_], frame: Frame) -> list[str]:
    """Return where each geometry lies, outside the profile's country: in the file's CRS."""
    x, y = placement.middles(geometries)
    profile = frame.profile
    return [
        f"the feature lies at {placement.point_text(frame.source, x_at, y_at, frame.to_wgs84)}"
        f", outside {profile.name} (its land and islands, and "
        f"{profile.outline_margin_m / 1000:g} km beyond), read in {frame.source_name}: is "
        f"that its CRS (--srs)?"
        for x_at, y_at in zip(x, y, strict=True)
    ]


def hex_wkb(boundaries: npt.NDArray[np.object_]) -> pa.LargeStringArray:
    """Return each boundary as hex WKB, the form of geometry PostgreSQL's COPY reads.

    Plain WKB: the staging column's type gives the SRID.
    """
    if not len(boundaries):
        return pa.array([], pa.large_string())
    binary = pa.array(shapely.to_wkb(boundaries), type=pa.large_binary())
    offsets = np.frombuffer(binary.buffers()[1], dtype=np.int64)[: len(binary) + 1]
    data = np.frombuffer(binary.buffers()[2] or b"", dtype=np.uint8)
    # pyarrow has no hex kernel; a table of digit pairs converts the batch in one step.
    digits = _HEX_DIGITS[data[offsets[0] : offsets[-1]]]
    return pa.LargeStringArray.from_buffers(
        len(binary),
        pa.py_buffer((offsets - offsets[0]) * 2),
        pa.py_buffer(digits.tobytes()),
        null_bitmap=binary.buffers()[0],
    )
