"""Whether imported features lie where the register can hold them, and which CRS would.

Two tests, each on whole arrays with prepared geometries (shapely 2):

- the country: the middle of each boundary lies in the profile's outline (its land and
  islands with a margin, landinfo.profiles.outline);
- the administrative unit the parcel is imported into, where that unit has a boundary:
  the parcel lies within it, give or take the profile's unit_tolerance_m.

A file read in the wrong CRS fails them together, feature after feature. `diagnose`
reads a sample of its features in each CRS the profile's files usually come in and finds
the ones that put them in place; `whole_file_missed` decides when the file, rather than
some of its features, is wrong, and `describe` says so in one message.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError, ProjError

from landinfo.profiles import JurisdictionProfile
from landinfo.profiles.base import UsualCRS
from landinfo.sql import read_cursor, table
from parcels.importing.crs import WGS84
from parcels.models import AdministrativeUnit

SAMPLE_SIZE = 2000  # features read again in each usual CRS: a few ms per CRS

# A whole file is taken to be in the wrong CRS when another CRS puts every feature in
# place and the file's own leaves at least this share of them out. Moving a whole file
# moves every parcel near its unit's edge out of the unit (for 699 m and communes a few
# kilometres across, a fifth of them or more); a few misdrawn parcels are a few in a
# hundred, and stay reported one by one.
WHOLE_FILE_SHARE = 0.1

_UNIT_TABLE = table(AdministrativeUnit)


class UnitAreas:
    """The boundaries of administrative units by code, loaded once each per import.

    Each is kept as it is (for distances in messages) and buffered by the tolerance,
    prepared (for the tests). A unit without a boundary, or not in the register, is
    None: nothing is checked against it.
    """

    def __init__(self, tolerance_m: float) -> None:
        self.tolerance_m = tolerance_m
        self._areas: dict[str, tuple[shapely.Geometry, shapely.Geometry] | None] = {}

    def load(self, codes: Iterable[str]) -> None:
        """Read the boundaries of the units among `codes` not read yet, in one query."""
        missing = sorted({code for code in codes if code not in self._areas})
        if not missing:
            return
        with read_cursor(AdministrativeUnit) as cursor:
            cursor.execute(
                f"SELECT code, ST_AsBinary(boundary) FROM {_UNIT_TABLE} "  # noqa: S608 - a table name
                "WHERE code = ANY(%s) AND boundary IS NOT NULL",
                [missing],
            )
            found = {code: bytes(wkb) for code, wkb in cursor.fetchall()}
        for code in missing:
            wkb = found.get(code)
            if wkb is None:
                self._areas[code] = None
                continue
            boundary = shapely.from_wkb(wkb)
            area = shapely.buffer(boundary, self.tolerance_m)
            shapely.prepare(area)
            self._areas[code] = (boundary, area)

    @property
    def any_boundary(self) -> bool:
        """Return whether any unit read so far has a boundary."""
        return any(area is not None for area in self._areas.values())

    def boundary(self, code: str) -> shapely.Geometry | None:
        """Return the unit's boundary as the register keeps it, or None."""
        area = self._areas.get(code)
        return None if area is None else area[0]

    def check(
        self,
        codes: npt.NDArray[np.object_],
        geometries: npt.NDArray[np.object_] | None = None,
        x: npt.NDArray[np.float64] | None = None,
        y: npt.NDArray[np.float64] | None = None,
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        """Return which rows were checked (a unit with a boundary) and which lie in it.

        Rows are boundaries (`geometries`, wholly within) or points (`x`, `y`).
        """
        checked = np.zeros(len(codes), dtype=bool)
        inside = np.ones(len(codes), dtype=bool)
        self.load(code for code in codes if code is not None)
        for code in {code for code in codes if code is not None}:
            area = self._areas.get(code)
            if area is None:
                continue
            rows = np.flatnonzero(codes == code)
            checked[rows] = True
            if geometries is not None:
                inside[rows] = shapely.covers(area[1], geometries[rows])
            else:
                assert x is not None and y is not None
                inside[rows] = shapely.contains_xy(area[1], x[rows], y[rows])
        return checked, inside


def middles(geometries: npt.NDArray[np.object_]) -> tuple[npt.NDArray[np.float64], ...]:
    """Return the middle of each geometry's bounding box: x, y."""
    bounds = shapely.bounds(geometries)
    return (bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2


def units_at(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    codes: Iterable[str],
    srid: int,
) -> list[tuple[str, str] | None]:
    """Return, for each point, the unit of its own unit's level that holds it: code, name.

    Points are in `srid`; `codes` are the units they should lie in. None where no unit
    of the register with a boundary holds the point.
    """
    found: list[tuple[str, str] | None] = [None] * len(x)
    if not len(x):
        return found
    with read_cursor(AdministrativeUnit) as cursor:
        cursor.execute(
            f"""
            SELECT pt.n, u.code, u.name
            FROM unnest(%(x)s::float8[], %(y)s::float8[], %(codes)s::text[])
                 WITH ORDINALITY AS pt(x, y, own, n)
            JOIN {_UNIT_TABLE} AS own ON own.code = pt.own
            CROSS JOIN LATERAL (
                SELECT u.code, u.name FROM {_UNIT_TABLE} AS u
                WHERE u.level = own.level AND u.code <> pt.own
                  AND ST_Intersects(u.boundary, ST_SetSRID(ST_MakePoint(pt.x, pt.y), %(srid)s))
                ORDER BY u.code LIMIT 1
            ) AS u
            """,  # noqa: S608 - Django's table name
            {
                "x": list(map(float, x)),
                "y": list(map(float, y)),
                "codes": list(codes),
                "srid": srid,
            },
        )
        for n, code, name in cursor.fetchall():
            found[n - 1] = (code, name)
    return found


def unit_label(noun: str, unit: tuple[str, str]) -> str:
    """Return how a message names a unit: "commune 00905 (Phường Hàng Đào)"."""
    code, name = unit
    return f"{noun} {code}" + (f" ({name})" if name and name != code else "")


_UNITS = {"metre": "m", "meter": "m", "metres": "m"}


def point_text(crs: CRS, x: float, y: float, to_wgs84: Transformer | None = None) -> str:
    """Return a point's coordinates labelled as `crs` defines them, x (east) first.

    Longitude and latitude only where they are degrees: numbers beyond ±180 and ±90 in a
    geographic CRS are said to be something else. In a projected CRS, `to_wgs84` (from
    `crs`) adds the longitude and latitude of the point, when it has them.
    """
    if not (np.isfinite(x) and np.isfinite(y)):
        return "no finite coordinates"
    if crs.is_geographic:
        if -180 <= x <= 180 and -90 <= y <= 90:
            return f"longitude {x:.5f}, latitude {y:.5f}"
        return (
            f"x {x:.1f}, y {y:.1f}, which are not degrees of longitude and latitude "
            f"(those lie within ±180 and ±90)"
        )
    unit = crs.axis_info[0].unit_name if crs.axis_info else "metre"
    unit = _UNITS.get(unit, unit)
    text = f"easting {x:.1f} {unit}, northing {y:.1f} {unit}"
    if to_wgs84 is not None:
        lon, lat = to_wgs84.transform(x, y, errcheck=False)
        if np.isfinite(lon) and np.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90:
            text += f" (longitude {lon:.5f}, latitude {lat:.5f})"
    return text


@dataclass(slots=True)
class Sample:
    """The first features of a file, as the file gives them: middles and unit codes."""

    x: list[float] = field(default_factory=list)
    y: list[float] = field(default_factory=list)
    codes: list[str | None] = field(default_factory=list)

    def add(
        self,
        x: npt.NDArray[np.float64],
        y: npt.NDArray[np.float64],
        codes: Iterable[str | None],
    ) -> None:
        room = SAMPLE_SIZE - len(self.x)
        if room <= 0:
            return
        self.x += x[:room].tolist()
        self.y += y[:room].tolist()
        self.codes += list(itertools.islice(codes, room))

    def __len__(self) -> int:
        return len(self.x)


@dataclass(frozen=True, slots=True)
class Placing:
    """How many of the sample one CRS puts in place."""

    crs: UsualCRS | None  # None: the file's own
    placed: int


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """How the sample lies in the file's CRS, and in the usual ones that do better."""

    total: int
    declared: Placing
    better: tuple[Placing, ...]  # most placed first, then the profile's order
    units_checked: bool
    where: tuple[float, float] | None  # the sample's middle, in the file's CRS
    outside_country: int = 0  # read in the file's CRS
    # In the country but outside the unit they are numbered in, read in the file's CRS,
    # and the units of the register they lie in instead: unit (code, name) → features.
    outside_unit: int = 0
    found_in: tuple[tuple[tuple[str, str], int], ...] = ()

    @property
    def missed(self) -> int:
        return self.total - self.declared.placed

    @property
    def fitting(self) -> tuple[Placing, ...]:
        """Return the CRSs that put every feature of the sample in place."""
        return tuple(placing for placing in self.better if placing.placed == self.total)


@dataclass(frozen=True, slots=True)
class _Reading:
    """The sample read in one CRS: where each feature lies in the storage CRS."""

    x: npt.NDArray[np.float64]
    y: npt.NDArray[np.float64]
    in_country: npt.NDArray[np.bool_]
    checked: npt.NDArray[np.bool_]  # its unit has a boundary
    in_unit: npt.NDArray[np.bool_]  # True where not checked

    @property
    def placed(self) -> int:
        return int((self.in_country & self.in_unit).sum())


def _read(
    source: CRS,
    sample: Sample,
    profile: JurisdictionProfile,
    units: UnitAreas,
    codes: npt.NDArray[np.object_],
) -> _Reading | None:
    """Return where `source` puts the sampled features; None if it cannot read them."""
    try:
        transformer = Transformer.from_crs(source, profile.storage_srid, always_xy=True)
        x, y = transformer.transform(np.array(sample.x), np.array(sample.y), errcheck=False)
    except (CRSError, ProjError):
        return None
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    finite = np.isfinite(x) & np.isfinite(y)
    x, y = np.where(finite, x, 0.0), np.where(finite, y, 0.0)
    in_country = finite & profile.outline.contains_xy(x, y)
    checked, in_unit = units.check(codes, x=x, y=y)
    return _Reading(x, y, in_country, checked, in_unit)


def diagnose(
    sample: Sample, source: CRS, profile: JurisdictionProfile, units: UnitAreas
) -> Diagnosis:
    """Return how the sample lies read in `source` and in each of the profile's usual CRSs."""
    codes = np.array(sample.codes, dtype=object)
    reading = _read(source, sample, profile, units, codes)
    declared = reading.placed if reading is not None else 0
    better: list[Placing] = []
    for usual in profile.usual_crs:
        try:
            crs = CRS.from_user_input(usual.definition)
        except CRSError:
            continue
        if crs.equals(source, ignore_axis_order=True):
            continue
        other = _read(crs, sample, profile, units, codes)
        if other is not None and other.placed > declared:
            better.append(Placing(usual, other.placed))
    better.sort(key=lambda placing: -placing.placed)  # stable: the profile's order in ties
    where = None
    if len(sample):
        where = (float(np.median(sample.x)), float(np.median(sample.y)))
    if reading is None:
        return Diagnosis(len(sample), Placing(None, 0), tuple(better), False, where, len(sample))
    strayed = np.flatnonzero(reading.in_country & ~reading.in_unit)
    found_in = Counter(
        unit
        for unit in units_at(
            reading.x[strayed], reading.y[strayed], codes[strayed], profile.storage_srid
        )
        if unit is not None
    )
    return Diagnosis(
        total=len(sample),
        declared=Placing(None, declared),
        better=tuple(better),
        units_checked=bool(reading.checked.any()),
        where=where,
        outside_country=int((~reading.in_country).sum()),
        outside_unit=len(strayed),
        found_in=tuple(found_in.most_common()),
    )


def whole_file_missed(diagnosis: Diagnosis) -> bool:
    """Return whether the file's CRS, not some of its features, puts them out of place."""
    if diagnosis.total == 0 or diagnosis.missed == 0:
        return False
    if diagnosis.declared.placed == 0:
        return True
    return bool(diagnosis.fitting) and diagnosis.missed >= WHOLE_FILE_SHARE * diagnosis.total


def _srs_option(usual: UsualCRS, override: bool) -> str:
    definition = usual.definition if " " not in usual.definition else f'"{usual.definition}"'
    return f"--srs {definition}" + (" --override-srs" if override else "")


def describe(
    diagnosis: Diagnosis,
    *,
    source: CRS,
    source_name: str,
    profile: JurisdictionProfile,
    file_has_crs: bool,
) -> str:
    """Return the one message for a file whose features lie out of place: what was found.

    Where they lie (in the file's CRS, as it labels its axes), how many lie outside the
    country and how many in it but outside their unit, in which units instead; then the
    CRS that puts them in place, or, when none does, what else moves a whole file.
    """
    head = _what_was_found(diagnosis, source, source_name, profile)
    if diagnosis.fitting:
        return f"{head} {_fitting_crs(diagnosis, profile, file_has_crs)}"
    return f"{head} {_no_fitting_crs(diagnosis, profile)}"


def _what_was_found(
    diagnosis: Diagnosis, source: CRS, source_name: str, profile: JurisdictionProfile
) -> str:
    """Return where the sample lies, and how many of it lie out of place, and where."""
    where = ""
    if diagnosis.where is not None:
        to_wgs84 = Transformer.from_crs(source, WGS84, always_xy=True)
        where = f", around {point_text(source, *diagnosis.where, to_wgs84)}"
    found = []
    if diagnosis.outside_country:
        found.append(
            f"{diagnosis.outside_country} outside {profile.name} (its land and islands, and "
            f"{profile.outline_margin_m / 1000:g} km beyond)"
        )
    if diagnosis.outside_unit:
        text = (
            f"{diagnosis.outside_unit} in {profile.name} but outside the {profile.units_noun} "
            f"they are numbered in"
        )
        if diagnosis.found_in:
            shown = diagnosis.found_in[:3]
            text += ", " + ", ".join(
                f"{count} in {unit_label(profile.unit_noun, unit)}" for unit, count in shown
            )
            elsewhere = diagnosis.outside_unit - sum(count for _, count in shown)
            text += (f" and {elsewhere} elsewhere" if elsewhere else "") + " instead"
        found.append(text)
    return (
        f"Read in {source_name}, {diagnosis.missed} of the first {diagnosis.total} features "
        f"lie out of place{where}: {'; '.join(found)}."
    )


def _fitting_crs(diagnosis: Diagnosis, profile: JurisdictionProfile, file_has_crs: bool) -> str:
    """Return the CRS that puts every feature of the sample in place, and the others that would."""
    first, others = diagnosis.fitting[0].crs, diagnosis.fitting[1:4]
    assert first is not None
    text = (
        f"The file is in another CRS: {first.name} ({first.definition}) puts every "
        f"one of them in place; import again with {_srs_option(first, file_has_crs)}."
    )
    if others:
        names = ", ".join(f"{p.crs.name} ({p.crs.definition})" for p in others if p.crs)
        text += f" So would {names}"
        text += (
            "."
            if diagnosis.units_checked
            else f"; the {profile.units_noun} have no boundaries in "
            f"the register to tell them apart: use the CRS the file was made in."
        )
    return text


def _no_fitting_crs(diagnosis: Diagnosis, profile: JurisdictionProfile) -> str:
    """Return what else moves a whole file, when none of the usual CRSs puts it in place."""
    if diagnosis.better:
        closest = diagnosis.better[0]
        assert closest.crs is not None
        return (
            f"None of the CRSs {profile.name}'s files usually come in puts all of them "
            f"in place; the closest, {closest.crs.name} ({closest.crs.definition}), puts "
            f"{closest.placed} of them: check the coordinates, and give their CRS with --srs."
        )
    if not diagnosis.outside_country:
        # In the country, in the file's own CRS: no CRS moves them into their units, so
        # the drawing is shifted, or the identifiers name other units.
        units_noun = profile.units_noun
        return (
            f"None of the CRSs {profile.name}'s files usually come in puts them in their "
            f"{units_noun}: the boundaries are shifted off them, or the identifiers name "
            f"another {profile.unit_noun} than the one the parcels are drawn in; compare the "
            f"file with the {units_noun}' boundaries in the register."
        )
    return (
        f"None of the CRSs {profile.name}'s files usually come in puts them there "
        f"either: the coordinates are wrong (swapped, or in other units?), or the file is "
        f"of another country."
    )
