"""A parcel's attributes read from the columns of a batch, and the problems of each value.

Checks run on whole Arrow columns; Python looks only at the values that fail them, and
at identifiers not already written in canonical form (JurisdictionProfile.canonical_pattern).
Each reader takes the batch's `Problems` and adds to it; a value refused is null (NaN
for areas, 0 for map scales) in what it returns.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from landinfo.profiles import InvalidParcelIdentifier, JurisdictionProfile, UnknownLandUse
from landinfo.profiles.base import CanonicalPattern
from landinfo.profiles.text import quote_input
from parcels.areas import beyond_tolerance
from parcels.importing.encodings import is_text
from parcels.importing.fields import FieldMapping, parse_map_scale
from parcels.importing.problems import Problem, Problems

# Parcel column limits (parcels.models.Parcel); a longer value is reported, never cut.
_ADDRESS_MAX_LENGTH = 300
_AREA_LIMIT_M2 = Decimal("1e12")  # registered_area is numeric(14, 2)


class _Rejected(Exception):
    """Raised by a value check; the reader reports it and goes on."""

    def __init__(self, problem: Problem, detail: str) -> None:
        super().__init__(detail)
        self.problem = problem
        self.detail = detail


_FLOAT_EXACT_INTEGERS = 2**53  # larger integers stored as floats have lost digits


def _as_strings(column: pa.Array) -> tuple[pa.Array, npt.NDArray[np.bool_]]:
    """Return the values as trimmed text, null when empty, and where floats lost digits.

    Numbers are codes here (sheet 12, PNU 1111010100100120003): an integral float is
    written as an integer, unless it is too large to be exact.
    """
    lost = np.zeros(len(column), dtype=bool)
    if is_text(column):
        text = pc.utf8_trim_whitespace(column)
    elif pa.types.is_floating(column.type):
        values = column.to_numpy(zero_copy_only=False)
        integral = np.isfinite(values) & (np.floor(values) == values)
        lost = integral & (np.abs(values) >= _FLOAT_EXACT_INTEGERS)
        text = pa.array(
            [
                None if value is None else str(int(value)) if exact else repr(value)
                for value, exact in zip(column.to_pylist(), integral & ~lost, strict=True)
            ],
            pa.large_string(),
        )
    else:
        text = pc.cast(column, pa.large_string())
    text = pc.cast(text, pa.large_string())
    empty = pa.scalar(None, pa.large_string())
    return pc.if_else(pc.equal(text, ""), empty, text), lost


def _read_area(value: str) -> float:
    """Return a registered area in m², rounded to the register's 0.01 m², from text."""
    if "," in value:
        raise _Rejected(
            Problem.BAD_AREA,
            f"{quote_input(value)} is not a number the import reads: write it with a decimal "
            f"point and no thousands separator",
        )
    try:
        area = Decimal(value)
    except InvalidOperation:
        raise _Rejected(Problem.BAD_AREA, f"{quote_input(value)} is not a number") from None
    if not area.is_finite():
        raise _Rejected(Problem.BAD_AREA, f"{quote_input(value)} is not a number")
    if area >= _AREA_LIMIT_M2:
        raise _Rejected(Problem.BAD_AREA, f"the area {value} m² is larger than any parcel")
    return _check_area(float(area.quantize(Decimal("0.01"))), value)


def _check_area(rounded: float, written: object) -> float:
    """Return `rounded` if the register can keep it as an area; refuse it otherwise."""
    if not rounded < _AREA_LIMIT_M2:
        raise _Rejected(Problem.BAD_AREA, f"the area {written} m² is larger than any parcel")
    if not rounded > 0:
        raise _Rejected(Problem.BAD_AREA, f"the area {written} m² is not positive")
    return rounded


# --- identifiers ----------------------------------------------------------------------


def identifiers(
    texts: dict[str, pa.Array],
    mapping: FieldMapping,
    profile: JurisdictionProfile,
    integer_fields: frozenset[str],
    problems: Problems,
) -> tuple[pa.Array, pa.Array]:
    """Return the canonical identifiers and their unit codes, null where refused."""
    parts, skip = _identifier_parts(texts, mapping, problems)
    parts, candidates = _composed(parts, mapping, profile, integer_fields)
    ready, found, units = _canonical(candidates, profile.canonical_pattern)
    pending = np.flatnonzero(~ready & ~skip)
    values = [part.take(pending).to_pylist() for part in parts]
    for position, index in enumerate(pending):
        text = _written(mapping, [value[position] for value in values])
        try:
            parsed = profile.parse_identifier(text, unit_code=mapping.unit_code)
        except InvalidParcelIdentifier as error:
            problems.add(
                index, mapping.identifier_source, Problem.UNREADABLE_IDENTIFIER, str(error)
            )
            problems.written[int(index)] = text
            continue
        found[index] = profile.format_identifier(parsed)
        units[index] = parsed.unit_code
    return pa.array(found, pa.large_string()), pa.array(units, pa.large_string())


def _identifier_parts(
    texts: dict[str, pa.Array], mapping: FieldMapping, problems: Problems
) -> tuple[list[pa.Array], npt.NDArray[np.bool_]]:
    """Return each identifier field as text, and the rows refused already (and reported)."""
    source = mapping.identifier_source
    parts: list[pa.Array] = []
    skip = problems.garbled_in(*mapping.identifier)
    for name in mapping.identifier:
        text, lost = _as_strings(texts[name])
        for index in np.flatnonzero(lost & ~skip):
            problems.add(
                index,
                source,
                Problem.UNREADABLE_IDENTIFIER,
                f"{name} {texts[name][index].as_py()!r} is stored as a floating-point "
                f"number, which has lost digits; store identifiers as text",
            )
        skip |= lost
        parts.append(text)
    empty = [part.is_null().to_numpy(zero_copy_only=False) for part in parts]
    for index in np.flatnonzero(np.logical_or.reduce(empty) & ~skip):
        names = [name for name, mask in zip(mapping.identifier, empty, strict=True) if mask[index]]
        problems.add(index, source, Problem.MISSING_IDENTIFIER, f"{' and '.join(names)} is empty")
        skip[index] = True
    return parts, skip


def _composed(
    parts: list[pa.Array],
    mapping: FieldMapping,
    profile: JurisdictionProfile,
    integer_fields: frozenset[str],
) -> tuple[list[pa.Array], pa.Array]:
    """Return the parts as the identifier spells them, and the identifiers they compose."""
    if not mapping.identifier_labels:
        return parts, parts[0]
    composition = profile.identifier_fields
    assert composition is not None  # labels are only set for composing profiles
    canonical = profile.canonical_pattern
    has_unit = mapping.identifier_labels[0] == composition.unit.label
    if has_unit and mapping.identifier[0] in integer_fields and canonical:
        # A code such as 00004 in a numeric column lost its zeros, not its value.
        parts = [pc.utf8_lpad(parts[0], canonical.unit_code_length, "0"), *parts[1:]]
    unit = (
        []
        if has_unit or mapping.unit_code is None
        else [pa.scalar(mapping.unit_code, pa.large_string())]
    )
    separator = pa.scalar(composition.separator, pa.large_string())
    return parts, pc.binary_join_element_wise(*unit, *parts, separator)


def _canonical(
    candidates: pa.Array, pattern: CanonicalPattern | None
) -> tuple[npt.NDArray[np.bool_], list[str | None], list[str | None]]:
    """Return which candidates are canonical already, and their identifiers and units.

    The others are None, for the profile's parser to read.
    """
    if pattern is not None:
        canonical = pc.match_substring_regex(candidates, f"^{pattern.pattern.pattern}$")
        ready = canonical.fill_null(False).to_numpy(zero_copy_only=False)
        length = pattern.unit_code_length
    else:
        ready, length = np.zeros(len(candidates), dtype=bool), 0
    none = pa.scalar(None, pa.large_string())
    text = pc.cast(candidates, pa.large_string())
    found = pc.if_else(ready, text, none).to_pylist()
    units = pc.if_else(ready, pc.utf8_slice_codeunits(text, 0, length), none).to_pylist()
    return ready, found, units


def _written(mapping: FieldMapping, values: list[str]) -> str:
    """Return an identifier's fields as one text the profile's parser reads."""
    if not mapping.identifier_labels:
        return values[0]
    return " ".join(
        f"{label} {value}" for label, value in zip(mapping.identifier_labels, values, strict=True)
    )


# --- land use, address, area, map scale -----------------------------------------------


def map_scales(
    texts: dict[str, pa.Array],
    mapping: FieldMapping,
    given: int | None,
    profile: JurisdictionProfile,
    problems: Problems,
) -> npt.NDArray[np.int64]:
    """Return each feature's map scale denominator: --map-scale, the field's, or 0.

    0 stands for "not given": the profile's usual scale is assumed, and the register
    keeps no scale for the parcel.
    """
    count = len(problems.rejected)
    if given is not None:
        return np.full(count, given, dtype=np.int64)
    field_name = mapping.map_scale
    scales = np.zeros(count, dtype=np.int64)
    if field_name is None:
        return scales
    text, _ = _as_strings(texts[field_name])
    skip = problems.garbled_in(field_name)
    for row, value in enumerate(text.to_pylist()):
        if value is None or skip[row]:
            continue
        try:
            scales[row] = parse_map_scale(value, profile)
        except ValueError as error:
            problems.add(row, field_name, Problem.BAD_MAP_SCALE, str(error))
    return scales


def compare_areas(
    registered: npt.NDArray[np.float64],
    drawn: npt.NDArray[np.float64],
    scales: npt.NDArray[np.int64],
    mapping: FieldMapping,
    profile: JurisdictionProfile,
    problems: Problems,
) -> None:
    """Note the registered areas beyond the tolerance of their map's scale; import them."""
    field_name = mapping.area
    if field_name is None:
        return  # the registered area is the boundary's: nothing to compare
    scale = np.where(scales > 0, scales, profile.default_map_scale)
    beyond, tolerance = beyond_tolerance(profile, registered, drawn, scale)
    for row in np.flatnonzero(beyond & ~problems.rejected):
        difference = drawn[row] - registered[row]
        problems.add(
            row,
            field_name,
            Problem.AREA_DIFFERS,
            f"registered {registered[row]:.2f} m², the boundary {drawn[row]:.1f} m² "
            f"({difference:+.1f} m², {100 * difference / registered[row]:+.1f} %), beyond "
            f"the tolerance of {tolerance[row]:.1f} m² at 1:{scale[row]} "
            f"({profile.area_rule}); imported as registered",
        )


def land_uses(
    column: pa.Array, mapping: FieldMapping, profile: JurisdictionProfile, problems: Problems
) -> pa.Array:
    """Return the profile's land-use codes the values name, null where none."""
    field_name = mapping.land_use
    text, _ = _as_strings(column)
    # Each distinct value is read once, as a deed's is (profile.parse_land_use): a
    # file holds a few codes in millions of rows.
    distinct = pc.unique(text)
    readings: list[str | None] = []
    details: list[str] = []
    for value in distinct.to_pylist():
        try:
            readings.append(None if value is None else profile.parse_land_use(value))
            details.append("")
        except UnknownLandUse as refusal:
            readings.append(None)
            details.append(str(refusal))
    position = pc.index_in(text, value_set=distinct)
    codes = pa.array(readings, pa.large_string()).take(position)
    unknown = codes.is_null().to_numpy(zero_copy_only=False) & ~problems.garbled_in(field_name)
    for index in np.flatnonzero(unknown):
        at = position[index].as_py()
        detail = details[at] if at is not None and details[at] else "the land use is empty"
        problems.add(index, field_name, Problem.UNKNOWN_LAND_USE, detail)
    return codes


def addresses(texts: dict[str, pa.Array], mapping: FieldMapping, problems: Problems) -> pa.Array:
    """Return the addresses, blank where the file has none."""
    field_name = mapping.address
    if field_name is None:
        return pa.array(np.full(len(problems.rejected), ""), pa.large_string())
    text, _ = _as_strings(texts[field_name])
    text = text.fill_null("")
    lengths = pc.utf8_length(text).to_numpy(zero_copy_only=False)
    too_long = (lengths > _ADDRESS_MAX_LENGTH) & ~problems.garbled_in(field_name)
    for index in np.flatnonzero(too_long):
        problems.add(
            index,
            field_name,
            Problem.BAD_ADDRESS,
            f"the address has {lengths[index]} characters; the register keeps at most "
            f"{_ADDRESS_MAX_LENGTH}",
        )
    return text


def registered_areas(
    texts: dict[str, pa.Array],
    computed: npt.NDArray[np.float64],
    mapping: FieldMapping,
    problems: Problems,
) -> npt.NDArray[np.float64]:
    """Return the registered areas in m², NaN where there is none to register."""
    field_name = mapping.area
    if field_name is None:
        field_name, column = "geometry", pa.array(computed, mask=np.isnan(computed))
    else:
        column = texts[field_name]
    areas = np.full(len(column), np.nan)
    skip = problems.garbled_in(field_name)
    if mapping.area is None:
        skip |= np.isnan(computed)  # no boundary: its problem is reported already
    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
        values = column.to_numpy(zero_copy_only=False).astype(np.float64)
        rounded = np.round(values, 2)
        good = np.isfinite(rounded) & (rounded > 0) & (rounded < float(_AREA_LIMIT_M2))
        areas[good] = rounded[good]
        for index in np.flatnonzero(~good & ~skip):
            try:
                if np.isnan(values[index]):
                    raise _Rejected(Problem.BAD_AREA, "the area is empty")
                _check_area(rounded[index], values[index])
            except _Rejected as rejected:
                problems.add(index, field_name, rejected.problem, rejected.detail)
        return areas
    text, _ = _as_strings(column)
    for row, value in enumerate(text.to_pylist()):
        if skip[row]:
            continue
        try:
            if value is None:
                raise _Rejected(Problem.BAD_AREA, "the area is empty")
            areas[row] = _read_area(value)
        except _Rejected as rejected:
            problems.add(row, field_name, rejected.problem, rejected.detail)
    return areas
