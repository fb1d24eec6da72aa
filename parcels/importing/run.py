"""Import parcels from any file GDAL reads, checking every feature and repairing none.

The file is read in Arrow batches, so memory stays flat in its size. Geometry is checked
and transformed to the storage CRS with shapely and pyproj, and placed: in the profile's
country, and in the administrative unit each parcel is imported into (parcels.importing.placement);
attributes are checked with Arrow compute kernels, a whole batch at a time. Every feature with a readable identifier is COPYed
into a temporary staging table, marked accepted or rejected. The checks that need the
whole file (duplicate identifiers) or the register (administrative units, parcels
already registered) are one SQL statement each over that table, and one
INSERT ... SELECT writes the accepted parcels. All of it is one transaction: either
every accepted parcel is in the register or none is. A cause that is the whole file's
(its CRS, its encoding, a field mapping) refuses the whole file in one message.

Problems go to a second temporary table as they are found, one row per problem; the
report is COPYed out of it sorted by feature, so neither holds the file in memory.
"""

from __future__ import annotations

import codecs
import datetime as dt
import enum
import io
import itertools
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Protocol

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyogrio
import pyogrio.errors
import shapely
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone
from pyogrio import raw as ogr_raw
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from landinfo.profiles import (
    InvalidParcelIdentifier,
    JurisdictionProfile,
    UnknownLandUse,
    get_profile,
)
from landinfo.profiles.text import fold_text, quote_input
from parcels import overlaps
from parcels.areas import beyond_tolerance, ground_areas
from parcels.importing import placement
from parcels.importing.safe_files import (
    UnsafeFileError,
    check_driver,
    check_source,
    gdal_reading,
    read_zip_member,
)
from parcels.models import AdministrativeUnit

WGS84 = 4326
SHAPEFILE_DRIVER = "ESRI Shapefile"

# A boundary that moved less than this is the registered one: a re-run of the same file
# goes through the same transformation, and survey precision is coarser still.
SAME_BOUNDARY_TOLERANCE_M = 0.01

# Parcel column limits (parcels.models.Parcel); a longer value is reported, never cut.
_ADDRESS_MAX_LENGTH = 300
_AREA_LIMIT_M2 = Decimal("1e12")  # registered_area is numeric(14, 2)

_FIRST_PROBLEMS_SHOWN = 10
_OVERLAPS_SHOWN = 5  # parcels a feature overlaps, named in its row of the report
DEFAULT_BATCH_SIZE = 65_536

# The word for the unit that numbers parcels, in messages ("commune 00004 is not ...").
_UNIT_NOUN = {"vn": "commune", "kr": "legal dong"}
_UNIT_NOUNS = {"vn": "communes", "kr": "legal dongs"}


class ParcelFileError(Exception):
    """Raised when a file, layer, CRS or field mapping cannot be imported at all.

    The message names what is wrong and the option that fixes it.
    """


class ImportAborted(Exception):
    """Raised when the database refused the write; nothing was imported."""


class Problem(enum.Enum):
    """Why a feature was not imported; the value heads its reason in the report."""

    MISSING_GEOMETRY = "missing geometry"
    TOO_MANY_VERTICES = "too many vertices"
    UNREADABLE_GEOMETRY = "unreadable geometry"
    NOT_POLYGONAL = "not polygonal"
    INVALID_GEOMETRY = "invalid geometry"
    OUTSIDE_AREA = "outside the country"
    OUTSIDE_UNIT = "outside its administrative unit"
    MISSING_IDENTIFIER = "missing identifier"
    UNREADABLE_IDENTIFIER = "unreadable identifier"
    DUPLICATE_IDENTIFIER = "duplicate identifier"
    WRONG_ENCODING = "wrong encoding"
    BAD_AREA = "bad area"
    BAD_MAP_SCALE = "bad map scale"
    UNKNOWN_LAND_USE = "unknown land use"
    BAD_ADDRESS = "bad address"
    UNKNOWN_UNIT = "unknown administrative unit"
    CONFLICT = "conflict"
    OVERLAP = "overlap"
    # A note, not a refusal: the parcel is imported and the report lists it.
    AREA_DIFFERS = "registered area differs from the boundary"

    @property
    def rejects(self) -> bool:
        """Return whether a feature with this problem is left out of the import."""
        return self is not Problem.AREA_DIFFERS


class _Status(enum.StrEnum):
    """The state of a staged feature."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    UNCHANGED = "unchanged"  # already current in the register with the same boundary


@dataclass(frozen=True, kw_only=True)
class ImportOptions:
    """What the caller chose; None means "guess" or "use the file's own"."""

    layer: str | None = None
    # One field holding the whole identifier, or the fields of its parts in the order of
    # the canonical form (Vietnam: commune, sheet, parcel; or sheet, parcel + unit_code).
    id_fields: tuple[str, ...] = ()
    unit_code: str | None = None  # the commune / legal dong for short spellings
    srs: str | None = None
    override_srs: bool = False
    land_use_field: str | None = None
    address_field: str | None = None
    area_field: str | None = None
    map_scale_field: str | None = None
    map_scale: int | None = None  # of the file's cadastral map; None: its field, else the profile's
    encoding: str | None = None
    valid_from: dt.date | None = None  # None: today
    create_units: bool = False
    strict: bool = False
    dry_run: bool = False
    report_path: Path | None = None
    batch_size: int = DEFAULT_BATCH_SIZE


@dataclass(frozen=True, slots=True)
class FieldMapping:
    """Which fields of the layer give which attribute of a parcel."""

    identifier: tuple[str, ...]  # one field, or the parts of a composed identifier
    identifier_labels: tuple[str, ...]  # the parser's word before each part; () for one field
    unit_code: str | None  # from --commune, for identifiers that leave the unit out
    land_use: str
    address: str | None
    area: str | None
    map_scale: str | None = None

    @property
    def identifier_source(self) -> str:
        """Return the field(s) the identifier comes from, as the report names them."""
        return "+".join(self.identifier)

    def describe(self) -> list[str]:
        """Return one line per parcel attribute: where its value comes from."""
        identifier = "identifier ← " + " + ".join(
            f"{name} ({label})" if label else name
            for name, label in itertools.zip_longest(self.identifier, self.identifier_labels)
        )
        if self.unit_code is not None:
            identifier += f", unit {self.unit_code} from --commune where the value has none"
        area = self.area or "computed from the boundary (no area field)"
        lines = [
            identifier,
            f"land use ← {self.land_use}",
            f"address ← {self.address or '(none: left blank)'}",
            f"registered area ← {area}",
        ]
        if self.map_scale is not None:
            lines.append(f"map scale ← {self.map_scale}")
        return lines


@dataclass(frozen=True, slots=True)
class ReportedProblem:
    """One row of the report."""

    fid: int
    identifier: str
    field: str
    reason: str


@dataclass(slots=True)
class ImportResult:
    """What an import read, wrote and refused."""

    path: str
    layer: str
    driver: str
    source_crs: str
    storage_srid: int
    mapping: FieldMapping
    text_encoding: str
    notes: list[str] = field(default_factory=list)  # mappings a reader should know about
    read: int = 0
    imported: int = 0  # written; with --dry-run, that would have been written
    unchanged: int = 0
    rejected: int = 0  # features, each counted once
    area_notes: int = 0  # imported (or unchanged) with a registered area beyond tolerance
    map_scale: str = ""  # where the map scale of the area check comes from
    problems: dict[str, int] = field(default_factory=dict)  # Problem value → features
    first_problems: list[ReportedProblem] = field(default_factory=list)
    created_units: list[str] = field(default_factory=list)
    report_path: Path | None = None
    committed: bool = False
    dry_run: bool = False
    strict: bool = False


class Progress(Protocol):
    """Where a running import reports how far it got."""

    def read(self, done: int, total: int | None) -> None:
        """Take the number of features read so far, and in the layer if GDAL knows it."""

    def step(self, description: str) -> None:
        """Take what the import does once the file is read."""


# --- field guessing -----------------------------------------------------------------
#
# Field names are compared folded: case, diacritics, spaces and punctuation ignored, so
# "MA_THUA", "maThua" and "Mã thửa" are all "mathua". Earlier names win.

_IDENTIFIER_NAMES = (
    "identifier",
    "parcelid",
    "parcelidentifier",
    "pnu",
    "필지고유번호",
    "mathua",
    "mathuadat",
    "idthua",
    "sohieu",
    "sohieuthua",
    "parcelcode",
    "jibun",  # a lot number within a dong: needs --commune with the dong code
    "지번",
)
_LAND_USE_NAMES = (
    "landuse",
    "landusecode",
    "loaidat",
    "maloaidat",
    "kyhieuloaidat",
    "mucdich",
    "mucdichsudung",
    "kyhieumucdich",
    "mdsd",
    "jimok",
    "지목",
    "jimokcode",
)
_ADDRESS_NAMES = ("address", "diachi", "diachithuadat", "addr", "juso", "주소", "location")
# Not "shape_area" or "shape_area_1": GIS tools fill those in the file's CRS units, nor
# the register's own "computed_area" (its "comp_area", dBase's "computed_a").
_AREA_NAMES = (
    "registeredarea",
    "regarea",  # the register's Shapefile exports (parcels.publishing.layers, Field.short)
    "registered",  # "registered_area" cut to dBase's 10 characters by GDAL or QGIS
    "area",
    "aream2",
    "dientich",
    "dientichm2",
    "dientichphaply",
    "dtpl",
    "myeonjeok",
    "면적",
)
# The scale of the cadastral map a parcel was drawn on ("1:1000", "1/1000" or 1000).
_MAP_SCALE_NAMES = ("mapscale", "scale", "tyle", "tylebando", "tylebd", "tlbd", "chukcheok", "축척")


@dataclass(frozen=True, slots=True)
class _Part:
    """A part of an identifier that cadastral files carry in a field of its own."""

    label: str  # the word the profile's parser reads before the number
    names: tuple[str, ...]  # folded field names that carry it


@dataclass(frozen=True, slots=True)
class _Composition:
    """How a profile's identifier is composed from separate fields."""

    unit: _Part  # optional in the file: --commune gives it otherwise
    parts: tuple[_Part, ...]  # required, in canonical order
    separator: str  # between parts in the canonical form


# Vietnamese cadastral databases (ViLIS, VBDLIS, TT 25/2014 exchange files) keep the
# commune code, map sheet and parcel number in separate columns.
_COMPOSITIONS: dict[str, _Composition] = {
    "vn": _Composition(
        unit=_Part(
            "xã", ("maxa", "maxaphuong", "madvhc", "madonvihanhchinh", "commune", "communecode")
        ),
        parts=(
            _Part(
                "tờ",
                ("soto", "sotobando", "sohieutobando", "shbando", "tobando", "sheet", "mapsheet"),
            ),
            _Part("thửa", ("sothua", "sothututhua", "shthua", "sothuadat", "thua", "parcel")),
        ),
        separator="-",
    ),
}


@dataclass(frozen=True, slots=True)
class _CanonicalForm:
    """The canonical spelling of a profile's identifiers, matched without the parser."""

    pattern: re.Pattern[str]  # the group "unit" is the unit code
    unit_code_length: int


# A value already in canonical form skips the profile's parser, which costs about 25 µs
# a value: half a minute per million parcels. Every other spelling is parsed; the tests
# check that each pattern accepts exactly what the parser would return unchanged, in
# Python's re and in RE2, which Arrow matches whole columns with.
_CANONICAL_FORMS: dict[str, _CanonicalForm] = {
    "vn": _CanonicalForm(re.compile(r"(?P<unit>[0-9]{5})-[1-9][0-9]{0,3}-[1-9][0-9]{0,4}"), 5),
    # Main lot number 0001..9999 spelled without a lookahead, which RE2 (Arrow) lacks.
    "kr": _CanonicalForm(
        re.compile(
            r"(?P<unit>[0-9]{10})[12]"
            r"(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])[0-9]{4}"
        ),
        10,
    ),
}


def _fold_name(name: str) -> str:
    return "".join(char for char in fold_text(name) if char.isalnum())


def _find_field(fields: Sequence[str], name: str, option: str) -> str:
    """Return the layer field `name` names: exactly, or else ignoring case and accents."""
    if name in fields:
        return name
    matches = [candidate for candidate in fields if _fold_name(candidate) == _fold_name(name)]
    if len(matches) == 1:
        return matches[0]
    raise ParcelFileError(
        f"{option} {name!r}: the layer has no such field"
        + (" (several match ignoring case)" if matches else "")
        + f"; its fields are: {', '.join(fields) or '(none)'}."
    )


def _guess_field(fields: Sequence[str], names: Sequence[str]) -> str | None:
    """Return the first field whose folded name is in `names`, by the order of `names`."""
    by_folded: dict[str, str] = {}
    for candidate in fields:
        by_folded.setdefault(_fold_name(candidate), candidate)
    return next((by_folded[name] for name in names if name in by_folded), None)


def _map_identifier(
    fields: Sequence[str], options: ImportOptions, profile: JurisdictionProfile
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the identifier field(s) and, when composed, the label of each."""
    composition = _COMPOSITIONS.get(profile.key)
    if options.id_fields:
        names = tuple(_find_field(fields, name, "--id-field") for name in options.id_fields)
        if len(names) == 1:
            return names, ()
        if composition is None:
            raise ParcelFileError(
                f"--id-field: {profile.name} identifiers are not composed from several fields; "
                f"name the one field that holds them."
            )
        parts = composition.parts
        if len(names) == len(parts) + 1:
            return names, (composition.unit.label, *(part.label for part in parts))
        if len(names) == len(parts):
            return names, tuple(part.label for part in parts)
        raise ParcelFileError(
            f"--id-field: give one field, or the {len(parts) + 1} fields of the parts "
            f"({', '.join([composition.unit.label, *(part.label for part in parts)])}) in that "
            f"order, or the last {len(parts)} with --commune; got {len(names)}."
        )
    single = _guess_field(fields, _IDENTIFIER_NAMES)
    if single is not None:
        return (single,), ()
    if composition is not None:
        found = [_guess_field(fields, part.names) for part in composition.parts]
        if all(name is not None for name in found):
            part_names = tuple(name for name in found if name is not None)
            labels = tuple(part.label for part in composition.parts)
            unit = _guess_field(fields, composition.unit.names)
            if unit is not None:
                return (unit, *part_names), (composition.unit.label, *labels)
            return part_names, labels
    raise ParcelFileError(
        f"Cannot tell which field holds the parcel identifier; name it with --id-field. "
        f"The layer's fields are: {', '.join(fields) or '(none)'}."
    )


def _map_fields(
    fields: Sequence[str], options: ImportOptions, profile: JurisdictionProfile
) -> FieldMapping:
    """Return which field gives which attribute: the options first, else the guesses."""
    identifier, labels = _map_identifier(fields, options, profile)
    unit_noun = _UNIT_NOUN.get(profile.key, "administrative unit")
    canonical = _CANONICAL_FORMS.get(profile.key)
    if options.unit_code is not None and canonical is not None:
        length = canonical.unit_code_length
        if not re.fullmatch(f"[0-9]{{{length}}}", options.unit_code):
            raise ParcelFileError(
                f"--commune {options.unit_code!r}: a {unit_noun} code has {length} digits."
            )
    if labels and len(labels) == len(identifier) and options.unit_code is None:
        composition = _COMPOSITIONS[profile.key]
        if labels[0] != composition.unit.label:
            raise ParcelFileError(
                f"The identifier is composed from {' and '.join(identifier)}, but the layer has "
                f"no {unit_noun} field; give the {unit_noun} with --commune CODE."
            )

    def attribute(option: str | None, names: Sequence[str], flag: str) -> str | None:
        if option is not None:
            return _find_field(fields, option, flag)
        return _guess_field(fields, names)

    land_use = attribute(options.land_use_field, _LAND_USE_NAMES, "--land-use-field")
    if land_use is None:
        raise ParcelFileError(
            f"Cannot tell which field holds the land-use code; name it with --land-use-field. "
            f"The layer's fields are: {', '.join(fields) or '(none)'}."
        )
    if options.map_scale is not None and options.map_scale not in profile.map_scales:
        raise ParcelFileError(_map_scale_refusal(str(options.map_scale), profile, "--map-scale"))
    return FieldMapping(
        identifier=identifier,
        identifier_labels=labels,
        unit_code=options.unit_code,
        land_use=land_use,
        address=attribute(options.address_field, _ADDRESS_NAMES, "--address-field"),
        area=attribute(options.area_field, _AREA_NAMES, "--area-field"),
        # --map-scale names one scale for the whole file: a field is then not read.
        map_scale=None
        if options.map_scale is not None
        else attribute(options.map_scale_field, _MAP_SCALE_NAMES, "--map-scale-field"),
    )


def _map_scale_refusal(value: str, profile: JurisdictionProfile, where: str) -> str:
    scales = ", ".join(f"1:{scale}" for scale in profile.map_scales)
    return (
        f"{where} {quote_input(value)} is not a scale of {profile.name}'s cadastral maps ({scales})"
    )


_MAP_SCALE = re.compile(r"(?:1\s*[:/]\s*)?([0-9]{3,6})(?:\.0+)?")


def parse_map_scale(value: str, profile: JurisdictionProfile) -> int:
    """Return the denominator of a map scale written "1:1000", "1/1000" or "1000".

    Raise ValueError, with a message, for anything else or a scale the profile has no
    cadastral maps at.
    """
    match = _MAP_SCALE.fullmatch(value.strip().replace(" ", ""))
    if match is None or int(match[1]) not in profile.map_scales:
        raise ValueError(_map_scale_refusal(value, profile, "the map scale"))
    return int(match[1])


# --- text encoding ------------------------------------------------------------------

# Text stored as UTF-8 but read as one of these shows as "Ä\x90Æ°á»\x9dng" for "Đường".
_MOJIBAKE_CODECS = ("cp1252", "latin-1")
_ENCODING_HINT = "pass --encoding with the file's real encoding (often UTF-8 or cp1258)"
_UNKNOWN_HINT = (
    "pass --encoding with its real encoding: cp1258 (Vietnamese Windows), cp949 (Korean "
    "EUC-KR), UTF-8, ..."
)


@dataclass(frozen=True, slots=True)
class _TextDecoding:
    """How text reaches Python from the file.

    GDAL recodes Shapefile (DBF) text with iconv, which drops the last character of
    every value in stateful encodings such as CP1258, the Vietnamese Windows code page.
    So when the encoding is known, GDAL hands the bytes over unchanged as ISO-8859-1
    (one character per byte) and Python decodes them.
    """

    codec: str | None  # the Python codec of the stored bytes; None: GDAL's decoding
    transport: str | None  # pyogrio's `encoding`: "ISO-8859-1" to get DBF bytes unchanged
    origin: str  # for the summary
    # Nothing says the encoding (no .cpg, no code page in the DBF): GDAL then reads the
    # bytes as ISO-8859-1, which turns CP1258 or EUC-KR text into plausible Latin
    # letters ("NguyêÞn"). Only ASCII text is certain; the rest is reported.
    unknown: bool = False

    def decode(self, column: pa.Array) -> tuple[pa.Array, dict[int, str]]:
        """Return `column` with its text decoded and composed (NFC), and why some was not.

        Composed Unicode ("ố" as one character) is what search compares; CP1258 stores
        tone marks as separate characters.
        """
        if not _is_text(column):
            return column, {}
        if self.codec is None:
            try:
                column.validate(full=True)
            except pa.ArrowInvalid:
                # GDAL passed the stored bytes through and they are not UTF-8.
                stored = column.cast(pa.large_binary()).to_pylist()
                column, errors = _decode_bytes(stored, "utf-8")
            else:
                errors = {}
        else:
            if self.transport is not None:
                stored = [
                    None if value is None else value.encode(self.transport)
                    for value in column.to_pylist()
                ]
            else:
                stored = column.cast(pa.large_binary()).to_pylist()
            column, errors = _decode_bytes(stored, self.codec)
        if self.unknown:
            unknown = "the file does not say its encoding (no .cpg file, no code page in the .dbf)"
            for row in errors:  # not UTF-8 either: GDAL passed the bytes through
                errors[row] = f"{errors[row].split(';')[0]}, and {unknown}; {_UNKNOWN_HINT}"
            non_ascii = pc.invert(pc.string_is_ascii(column)).fill_null(False)
            for position in np.flatnonzero(non_ascii.to_numpy(zero_copy_only=False)):
                errors[int(position)] = (
                    f"{quote_input(column[position].as_py())} is not ASCII and {unknown}; "
                    f"{_UNKNOWN_HINT}"
                )
        return pc.utf8_normalize(column, "NFC"), errors

    def field_name(self, name: str) -> str:
        """Return a field name as the file's encoding spells it."""
        if self.codec is None or self.transport is None:
            return name
        return name.encode(self.transport).decode(self.codec, errors="replace")


def _is_text(column: pa.Array) -> bool:
    return bool(pa.types.is_string(column.type) or pa.types.is_large_string(column.type))


def _decode_bytes(stored: list[bytes | None], codec: str) -> tuple[pa.Array, dict[int, str]]:
    values: list[str | None] = []
    errors: dict[int, str] = {}
    for index, raw in enumerate(stored):
        if raw is None:
            values.append(None)
            continue
        try:
            values.append(raw.decode(codec))
        except UnicodeDecodeError as error:
            bad = raw[max(error.start - 8, 0) : error.end + 8]
            errors[index] = f"the bytes {bad!r} are not valid {codec}; {_ENCODING_HINT}"
            values.append(None)
    return pa.array(values, pa.large_string()), errors


def _repertoire(*codecs_: str) -> str:
    """Return an RE2 character class of every character the single-byte `codecs_` decode."""
    characters: set[str] = set()
    for codec in codecs_:
        characters.update(bytes(range(256)).decode(codec, errors="ignore"))
    return "[" + "".join(f"\\x{{{ord(char):X}}}" for char in sorted(characters)) + "]"


# Mojibake of UTF-8 read as a single-byte code page is made of that code page's
# characters only; Vietnamese or Korean text always has others, so it is not looked at.
_MOJIBAKE_SUSPECT = f"^{_repertoire(*_MOJIBAKE_CODECS)}*$"


def _encoding_suspects(column: pa.Array) -> npt.NDArray[np.intp]:
    """Return the positions of the values `_encoding_problem` has to look at."""
    if not _is_text(column):
        return np.empty(0, dtype=np.intp)
    suspect = pc.or_(
        pc.match_substring(column, "\ufffd"),
        pc.and_(
            pc.invert(pc.string_is_ascii(column)),
            pc.match_substring_regex(column, _MOJIBAKE_SUSPECT),
        ),
    )
    return np.flatnonzero(suspect.fill_null(False).to_numpy(zero_copy_only=False))


def _encoding_problem(value: str) -> str | None:
    """Return why `value` looks decoded with the wrong encoding, or None."""
    if value.isascii():
        return None
    if "\ufffd" in value:
        return (
            f"{quote_input(value)} contains U+FFFD replacement characters: it was decoded "
            f"with the wrong encoding before it reached this file; {_ENCODING_HINT}"
        )
    for codec in _MOJIBAKE_CODECS:
        try:
            recovered = value.encode(codec).decode("utf-8")
        except UnicodeError:
            continue
        if recovered != value:
            return (
                f"{quote_input(value)} is UTF-8 text read as {codec} (it reads "
                f"{quote_input(recovered)} as UTF-8); pass --encoding UTF-8"
            )
    return None


def _python_codec(name: str) -> str | None:
    """Return Python's name for the encoding `name`, or None if Python has none."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _codec_from_cpg(declared: str) -> str | None:
    """Return the Python codec a .cpg file names, read the way GDAL reads it."""
    name = declared.strip()
    if name.isdigit():  # "1258": a Windows code page; "88591": ISO 8859-1
        name = f"iso8859_{name[4:]}" if name.startswith("8859") and len(name) > 4 else f"cp{name}"
    elif match := re.fullmatch(r"(?:ISO)?[-_ ]?8859[-_ ]?(\d+)", name, re.IGNORECASE):
        name = f"iso8859_{match[1]}"
    elif match := re.fullmatch(r"ANSI[-_ ]?(\d+)", name, re.IGNORECASE):
        name = f"cp{match[1]}"
    return _python_codec(name)


def _read_cpg(path: str, layer: str) -> str | None:
    """Return the text of the layer's .cpg file beside it or in its zip, or None."""
    location = Path(path)
    wanted = f"{layer}.cpg".casefold()
    if location.suffix.casefold() == ".zip" and zipfile.is_zipfile(location):
        with zipfile.ZipFile(location) as archive:
            names = archive.namelist()
        for member in names:
            if PurePosixPath(member).name.casefold() == wanted:
                return read_zip_member(location, member).decode("ascii", errors="replace")
        return None
    folder = location if location.is_dir() else location.parent
    for suffix in (".cpg", ".CPG"):
        candidate = folder / f"{layer}{suffix}"
        if candidate.is_file():
            with candidate.open("rb") as file:  # a .cpg names an encoding; read no more
                return file.read(1024).decode("ascii", errors="replace")
    return None


# Vietnamese encodings of the font era that Python (and iconv) cannot decode: TCVN3 is
# TCVN 5712:1993's VN3 font encoding (the ".VnTime" fonts), VNI and VISCII others. Their
# bytes would decode as some Windows code page without error, into wrong letters, so a
# file in one is refused with the way out rather than guessed at.
_LEGACY_VIETNAMESE = re.compile(r"(TCVN|ABC|VN3|VNI|VISCII|5712)", re.IGNORECASE)
_LEGACY_HINT = (
    "convert the file's text to Unicode first (e.g. with Unikey's converter, from "
    "TCVN3 (ABC) to Unicode), then import it with --encoding UTF-8"
)


def _dbf_code_page(path: str, layer: str) -> int | None:
    """Return the language driver id (code page mark) of the layer's .dbf, or None."""
    location = Path(path)
    wanted = f"{layer}.dbf".casefold()
    if location.suffix.casefold() == ".zip" and zipfile.is_zipfile(location):
        with zipfile.ZipFile(location) as archive:
            names = archive.namelist()
        for member in names:
            if PurePosixPath(member).name.casefold() == wanted:
                header = read_zip_member(location, member)
                return header[29] if len(header) > 29 else None
        return None
    folder = location if location.is_dir() else location.parent
    for candidate in folder.iterdir():
        if candidate.name.casefold() == wanted and candidate.is_file():
            with candidate.open("rb") as file:
                header = file.read(32)
            return header[29] if len(header) > 29 else None
    return None


def _text_decoding(path: str, layer: str, driver: str, encoding: str | None) -> _TextDecoding:
    """Return how to read the layer's text: --encoding, else the .cpg, else GDAL's way."""
    transport = "ISO-8859-1" if driver == SHAPEFILE_DRIVER else None
    if encoding is not None:
        codec = _python_codec(encoding)
        if _LEGACY_VIETNAMESE.search(encoding):
            raise ParcelFileError(f"--encoding {encoding!r} cannot be read here: {_LEGACY_HINT}.")
        if codec is None:
            raise ParcelFileError(
                f"--encoding {encoding!r} is not an encoding Python knows; "
                f"use e.g. UTF-8, cp1258 or latin-1."
            )
        return _TextDecoding(codec, transport, f"{codec} (--encoding)")
    if driver != SHAPEFILE_DRIVER:
        return _TextDecoding(None, None, "UTF-8 (as the format defines)")
    declared = _read_cpg(path, layer)
    if declared is None:
        if _dbf_code_page(path, layer) == 0:
            return _TextDecoding(
                None, None, "unknown (no .cpg, no code page in the DBF): ASCII only", True
            )
        return _TextDecoding(None, None, "as GDAL reads the DBF (no .cpg file)")
    if _LEGACY_VIETNAMESE.search(declared):
        raise ParcelFileError(
            f"{path}: the .cpg says the text is in {declared.strip()!r}, which cannot be "
            f"read here; {_LEGACY_HINT}."
        )
    codec = _codec_from_cpg(declared)
    if codec is None:
        return _TextDecoding(None, None, f"as GDAL reads the DBF (.cpg names {declared.strip()!r})")
    if codec == "utf-8":
        return _TextDecoding(None, None, "UTF-8 (.cpg)")
    return _TextDecoding(codec, transport, f"{codec} (.cpg)")


# --- CRS ------------------------------------------------------------------------------


def _crs_name(crs: CRS) -> str:
    authority = crs.to_authority()
    code = f"{authority[0]}:{authority[1]}" if authority else "a CRS without an EPSG code"
    return f"{code} ({crs.name})"


def _source_crs(declared: str | None, srs: str | None, override: bool) -> CRS:
    """Return the CRS of the layer's coordinates: its own, or --srs when it has none."""
    given: CRS | None = None
    if srs is not None:
        try:
            given = CRS.from_user_input(srs)
        except CRSError as error:
            raise ParcelFileError(f"--srs {srs!r} is not a CRS PROJ knows: {error}") from error
    own: CRS | None = None
    if declared:
        try:
            own = CRS.from_user_input(declared)
        except CRSError as error:
            if given is None:
                raise ParcelFileError(
                    f"The layer's CRS cannot be read ({error}); give it with --srs EPSG:xxxx "
                    f"and --override-srs."
                ) from error
    if own is None and given is None:
        raise ParcelFileError(
            "The layer has no CRS (a Shapefile without .prj?); give it with --srs EPSG:xxxx, "
            "e.g. EPSG:3405 for VN-2000 / UTM 48N or EPSG:4326 for longitude/latitude."
        )
    if own is not None and given is not None and not own.equals(given, ignore_axis_order=True):
        if not override:
            raise ParcelFileError(
                f"The layer says its CRS is {_crs_name(own)} but --srs says {_crs_name(given)}; "
                f"add --override-srs to read the coordinates as --srs says."
            )
        return given
    if given is not None:
        return given
    assert own is not None  # one of the two, as checked above
    return own


# --- geometry -----------------------------------------------------------------------

_POLYGONAL_TYPE_IDS = (3, 6)  # Polygon, MultiPolygon (shapely.GeometryType)
_POLYGON_TYPE_ID = 3
_VALID = "Valid Geometry"  # what GEOS says of a valid geometry

_HEX_DIGITS = np.frombuffer(
    b"".join(f"{byte:02X}".encode() for byte in range(256)), dtype=np.uint16
)


@dataclass(frozen=True, slots=True)
class _FeatureProblem:
    row: int  # within the batch
    field: str
    problem: Problem
    detail: str


@dataclass(frozen=True, slots=True)
class _Frame:
    """Where coordinates come from and go to."""

    source: CRS
    source_name: str  # for messages: naming a CRS looks it up in PROJ's database
    storage_srid: int
    to_storage: Transformer
    to_wgs84: Transformer
    profile: JurisdictionProfile


@dataclass(slots=True)
class _Geometries:
    """The boundaries of one batch in the storage CRS; None where a problem was found."""

    boundaries: npt.NDArray[np.object_]
    areas: npt.NDArray[np.float64]  # on the ground (parcels.areas), NaN without a boundary
    problems: list[_FeatureProblem]
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


def _check_geometries(wkb: pa.Array, frame: _Frame) -> _Geometries:
    """Return the batch's boundaries in the storage CRS and the problems of the others.

    Validity is what the database's constraint checks: validity in the storage CRS.
    The reason is given in the file's coordinates when the file's geometry is already
    invalid, so that it points at a place the user can find.
    """
    count = len(wkb)
    problems: list[_FeatureProblem] = []

    def report(indices: npt.NDArray[np.intp], problem: Problem, details: Sequence[str]) -> None:
        for index, detail in zip(indices, details, strict=True):
            problems.append(_FeatureProblem(int(index), "geometry", problem, detail))

    missing = wkb.is_null().to_numpy(zero_copy_only=False)
    geometries = shapely.from_wkb(wkb.to_numpy(zero_copy_only=False), on_invalid="ignore")
    # Checked before anything costlier than counting: validity and transformation of a
    # million-vertex "parcel" take seconds and memory that no real parcel needs.
    limit = int(settings.LANDINFO["IMPORT_MAX_VERTICES"])
    vertices = shapely.get_num_coordinates(geometries)
    too_many = vertices > limit
    report(
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
        report(np.flatnonzero(mask), problem, [detail] * int(mask.sum()))
    report(
        np.flatnonzero(wrong_type),
        Problem.NOT_POLYGONAL,
        [
            f"a {geometry.geom_type} is not an area; a parcel boundary is a Polygon or MultiPolygon"
            for geometry in geometries[wrong_type]
        ],
    )

    candidates = np.flatnonzero(polygonal & ~empty)
    projected = shapely.transform(geometries[candidates], _project(frame.to_storage))
    finite = np.all(np.isfinite(shapely.bounds(projected)), axis=1)
    lost_x, lost_y = placement.middles(geometries[candidates[~finite]])
    report(
        candidates[~finite],
        Problem.OUTSIDE_AREA,
        [
            f"the feature lies at {placement.point_text(frame.source, x_at, y_at)}; it "
            f"cannot be transformed from {frame.source_name} to EPSG:{frame.storage_srid}: "
            f"is that the file's CRS (--srs)?"
            for x_at, y_at in zip(lost_x, lost_y, strict=True)
        ],
    )
    x, y = placement.middles(projected[finite])
    in_country = np.zeros(len(candidates), dtype=bool)
    in_country[finite] = frame.profile.outline.contains_xy(x, y)
    outside = finite & ~in_country
    report(
        candidates[outside], Problem.OUTSIDE_AREA, _where(geometries[candidates[outside]], frame)
    )

    # Checked where they are, in or out of the country: one report says all that is wrong.
    valid = finite & shapely.is_valid(projected)
    broken = finite & ~valid
    report(
        candidates[broken],
        Problem.INVALID_GEOMETRY,
        [
            reason
            if reason != _VALID
            else f"becomes invalid when transformed to EPSG:{frame.storage_srid}: {after}"
            for reason, after in zip(
                shapely.is_valid_reason(geometries[candidates[broken]]),
                shapely.is_valid_reason(projected[broken]),
                strict=True,
            )
        ],
    )

    kept = valid & in_country
    polygons = kept & (shapely.get_type_id(projected) == _POLYGON_TYPE_ID)
    # The register keeps MultiPolygons; a Polygon is the one-part case, not a change.
    projected[polygons] = shapely.multipolygons(projected[polygons, np.newaxis])
    boundaries = np.full(count, None, dtype=object)
    areas = np.full(count, np.nan)
    boundaries[candidates[kept]] = projected[kept]
    areas[candidates[kept]] = ground_areas(projected[kept], frame.storage_srid)
    source_x, source_y = placement.middles(geometries[candidates])
    return _Geometries(
        boundaries=boundaries,
        areas=areas,
        problems=problems,
        with_z=int(shapely.has_z(geometries[candidates]).sum()),
        sampled=candidates,
        source_x=source_x,
        source_y=source_y,
    )


def _where(geometries: npt.NDArray[np.object_], frame: _Frame) -> list[str]:
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


def _hex_wkb(boundaries: npt.NDArray[np.object_]) -> pa.LargeStringArray:
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


# --- attributes ---------------------------------------------------------------------


class _Rejected(Exception):
    """Raised by a value check; the import reports it and goes on."""

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
    if _is_text(column):
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


class _Problems:
    """The problems of one batch, as they are found."""

    def __init__(self, count: int, found: list[_FeatureProblem]) -> None:
        self.found = found
        self.rejected = np.zeros(count, dtype=bool)
        for item in found:
            self.rejected[item.row] = True
        self.garbled: dict[str, npt.NDArray[np.bool_]] = {}  # field → values not decodable
        self.written: dict[int, str] = {}  # identifiers as written, where they were refused

    def add(
        self, row: int | np.integer[Any], field_name: str, problem: Problem, detail: str
    ) -> None:
        self.found.append(_FeatureProblem(int(row), field_name, problem, detail))
        if problem.rejects:
            self.rejected[row] = True
        if problem is Problem.WRONG_ENCODING:
            self.garbled.setdefault(field_name, np.zeros(len(self.rejected), dtype=bool))
            self.garbled[field_name][row] = True

    def garbled_in(self, *field_names: str) -> npt.NDArray[np.bool_]:
        """Return where the text of any of `field_names` is garbled: nothing else is said."""
        mask = np.zeros(len(self.rejected), dtype=bool)
        for name in field_names:
            if name in self.garbled:
                mask |= self.garbled[name]
        return mask


class _Batches:
    """Check the batches of one layer against one mapping; return staging and problem rows.

    Checks run on whole Arrow columns; Python looks only at the values that fail
    them, and at identifiers not already written in canonical form.
    """

    def __init__(
        self,
        *,
        profile: JurisdictionProfile,
        mapping: FieldMapping,
        frame: _Frame,
        text: _TextDecoding,
        columns: dict[str, str],
        integer_fields: frozenset[str],
        geometry_column: str,
        fid_column: str,
        map_scale: int | None,
    ) -> None:
        self.profile = profile
        self.mapping = mapping
        self.frame = frame
        self.text = text
        self.columns = columns  # field name → Arrow column name
        self.integer_fields = integer_fields
        self.geometry_column = geometry_column
        self.fid_column = fid_column
        self.canonical = _CANONICAL_FORMS.get(profile.key)
        self.composition = _COMPOSITIONS.get(profile.key)
        self.with_z = 0
        self.map_scale = map_scale  # --map-scale; else the field's, else the profile's
        self.units = placement.UnitAreas(profile.unit_tolerance_m)
        self.sample = placement.Sample()
        self.misplaced = 0  # features outside the country or their unit

    def check(self, batch: pa.RecordBatch, first_seq: int) -> tuple[pa.Table, pa.Table]:
        """Return the batch's rows for the staging table and for the problem table."""
        mapping = self.mapping
        geometries = _check_geometries(batch.column(self.geometry_column), self.frame)
        self.with_z += geometries.with_z
        problems = _Problems(batch.num_rows, geometries.problems)
        texts = {
            name: self._decoded(batch.column(self.columns[name]), name, problems)
            for name in dict.fromkeys(_used_fields(mapping))
        }
        identifiers, units = self._identifiers(texts, problems)
        unit_codes = units.to_numpy(zero_copy_only=False)
        self._place(geometries, unit_codes, problems)
        land_uses = self._land_uses(texts[mapping.land_use], problems)
        addresses = self._addresses(texts, problems)
        scales = self._map_scales(texts, problems)
        areas = self._areas(texts, geometries.areas, problems)
        self._compare_areas(areas, geometries.areas, scales, problems)

        fids = batch.column(self.fid_column)
        staged = np.flatnonzero(identifiers.is_valid().to_numpy(zero_copy_only=False))
        accepted = ~problems.rejected[staged]
        boundaries = geometries.boundaries[staged]
        boundaries[~accepted] = None
        staged_areas = areas[staged]
        staging = pa.table(
            {
                "seq": pa.array(first_seq + staged, pa.int64()),
                "fid": fids.take(staged),
                "identifier": identifiers.take(staged),
                "unit_code": units.take(staged),
                "land_use": land_uses.take(staged),
                "registered_area": pa.array(staged_areas, mask=np.isnan(staged_areas)),
                "address": addresses.take(staged),
                # Kept only when given: a parcel without one follows the profile's usual scale.
                "map_scale": pa.array(scales[staged], pa.int32(), mask=scales[staged] == 0),
                "boundary": _hex_wkb(boundaries),
                "status": pa.array(
                    np.where(accepted, _Status.ACCEPTED.value, _Status.REJECTED.value),
                    pa.string(),
                ),
            }
        )
        found = sorted(problems.found, key=lambda item: item.row)
        positions = np.array([item.row for item in found], dtype=np.intp)
        shown = identifiers.take(positions).to_pylist()
        report = pa.table(
            {
                "seq": pa.array(first_seq + positions, pa.int64()),
                "fid": fids.take(positions),
                "identifier": pa.array(
                    [
                        identifier or problems.written.get(item.row, "")
                        for identifier, item in zip(shown, found, strict=True)
                    ],
                    pa.string(),
                ),
                "field": pa.array([item.field for item in found], pa.string()),
                "kind": pa.array([item.problem.value for item in found], pa.string()),
                "rejects": pa.array([item.problem.rejects for item in found], pa.bool_()),
                "reason": pa.array(
                    [f"{item.problem.value}: {item.detail}" for item in found], pa.string()
                ),
            }
        )
        return staging, report

    def _place(
        self,
        geometries: _Geometries,
        unit_codes: npt.NDArray[np.object_],
        problems: _Problems,
    ) -> None:
        """Refuse the boundaries outside the unit they are imported into; keep a sample.

        Where the unit has a boundary in the register; a unit not in it is reported by
        the register's checks, and one without a boundary checks nothing.
        """
        self.sample.add(geometries.source_x, geometries.source_y, unit_codes[geometries.sampled])
        self.misplaced += sum(item.problem is Problem.OUTSIDE_AREA for item in geometries.problems)
        # Element-wise tests of object arrays: "is not None" would test the array itself.
        rows = np.flatnonzero((unit_codes != None) & (geometries.boundaries != None))  # noqa: E711
        if not len(rows):
            return
        checked, inside = self.units.check(unit_codes[rows], geometries.boundaries[rows])
        noun = _UNIT_NOUN.get(self.profile.key, "administrative unit")
        tolerance = self.profile.unit_tolerance_m
        outside = rows[checked & ~inside]
        middles = shapely.centroid(geometries.boundaries[outside])
        instead = placement.units_at(
            shapely.get_x(middles),
            shapely.get_y(middles),
            unit_codes[outside],
            self.profile.storage_srid,
        )
        for row, middle, unit in zip(outside, middles, instead, strict=True):
            code = unit_codes[row]
            away = shapely.distance(self.units.boundary(code), middle)
            where = (
                f"its middle lies {away:.0f} m outside it, "
                + (
                    f"in {placement.unit_label(noun, unit)}"
                    if unit is not None
                    else f"in no other {noun} of the register"
                )
                if away > 0
                else f"it crosses that unit's boundary by more than {tolerance:g} m"
            )
            problems.add(
                row,
                "geometry",
                Problem.OUTSIDE_UNIT,
                f"the parcel is not in {noun} {code}, whose parcel it is: {where}; is "
                f"{self.frame.source_name} the file's CRS (--srs), and {code} its {noun}?",
            )
            geometries.boundaries[row] = None
            self.misplaced += 1

    def _map_scales(self, texts: dict[str, pa.Array], problems: _Problems) -> npt.NDArray[np.int64]:
        """Return each feature's map scale denominator: --map-scale, the field's, or 0.

        0 stands for "not given": the profile's usual scale is assumed, and the register
        keeps no scale for the parcel.
        """
        count = len(problems.rejected)
        if self.map_scale is not None:
            return np.full(count, self.map_scale, dtype=np.int64)
        field_name = self.mapping.map_scale
        scales = np.zeros(count, dtype=np.int64)
        if field_name is None:
            return scales
        text, _ = _as_strings(texts[field_name])
        skip = problems.garbled_in(field_name)
        for row, value in enumerate(text.to_pylist()):
            if value is None or skip[row]:
                continue
            try:
                scales[row] = parse_map_scale(value, self.profile)
            except ValueError as error:
                problems.add(row, field_name, Problem.BAD_MAP_SCALE, str(error))
        return scales

    def _compare_areas(
        self,
        registered: npt.NDArray[np.float64],
        drawn: npt.NDArray[np.float64],
        scales: npt.NDArray[np.int64],
        problems: _Problems,
    ) -> None:
        """Note the registered areas beyond the tolerance of their map's scale; import them."""
        field_name = self.mapping.area
        if field_name is None:
            return  # the registered area is the boundary's: nothing to compare
        profile = self.profile
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

    def _decoded(self, column: pa.Array, field_name: str, problems: _Problems) -> pa.Array:
        """Return the column's values decoded; report the text in a wrong encoding."""
        decoded, errors = self.text.decode(column)
        for row, detail in errors.items():
            problems.add(row, field_name, Problem.WRONG_ENCODING, detail)
        for row in _encoding_suspects(decoded):
            suspicion = _encoding_problem(decoded[row].as_py())
            if suspicion is not None:
                problems.add(row, field_name, Problem.WRONG_ENCODING, suspicion)
        return decoded

    def _identifiers(
        self, texts: dict[str, pa.Array], problems: _Problems
    ) -> tuple[pa.Array, pa.Array]:
        """Return the canonical identifiers and their unit codes, null where refused."""
        mapping = self.mapping
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
            names = [
                name for name, mask in zip(mapping.identifier, empty, strict=True) if mask[index]
            ]
            problems.add(
                index, source, Problem.MISSING_IDENTIFIER, f"{' and '.join(names)} is empty"
            )
            skip[index] = True

        has_unit = False
        if mapping.identifier_labels:
            assert self.composition is not None  # labels are only set for composing profiles
            has_unit = mapping.identifier_labels[0] == self.composition.unit.label
            if has_unit and mapping.identifier[0] in self.integer_fields and self.canonical:
                # A code such as 00004 in a numeric column lost its zeros, not its value.
                parts[0] = pc.utf8_lpad(parts[0], self.canonical.unit_code_length, "0")
            unit = (
                []
                if has_unit or mapping.unit_code is None
                else [pa.scalar(mapping.unit_code, pa.large_string())]
            )
            separator = pa.scalar(self.composition.separator, pa.large_string())
            candidates = pc.binary_join_element_wise(*unit, *parts, separator)
        else:
            candidates = parts[0]

        if self.canonical is not None:
            canonical = pc.match_substring_regex(candidates, f"^{self.canonical.pattern.pattern}$")
            ready = canonical.fill_null(False).to_numpy(zero_copy_only=False)
            length = self.canonical.unit_code_length
        else:
            ready, length = np.zeros(len(candidates), dtype=bool), 0
        none = pa.scalar(None, pa.large_string())
        identifiers = pc.if_else(ready, pc.cast(candidates, pa.large_string()), none).to_pylist()
        units = pc.if_else(
            ready, pc.utf8_slice_codeunits(pc.cast(candidates, pa.large_string()), 0, length), none
        ).to_pylist()

        pending = np.flatnonzero(~ready & ~skip)
        values = [part.take(pending).to_pylist() for part in parts]
        for position, index in enumerate(pending):
            written = [value[position] for value in values]
            if mapping.identifier_labels:
                text = " ".join(
                    f"{label} {value}"
                    for label, value in zip(mapping.identifier_labels, written, strict=True)
                )
            else:
                text = written[0]
            try:
                parsed = self.profile.parse_identifier(text, unit_code=mapping.unit_code)
            except InvalidParcelIdentifier as error:
                problems.add(index, source, Problem.UNREADABLE_IDENTIFIER, str(error))
                problems.written[int(index)] = text
                continue
            identifiers[index] = self.profile.format_identifier(parsed)
            units[index] = parsed.unit_code
        return pa.array(identifiers, pa.large_string()), pa.array(units, pa.large_string())

    def _land_uses(self, column: pa.Array, problems: _Problems) -> pa.Array:
        """Return the profile's land-use codes the values name, null where none."""
        field_name = self.mapping.land_use
        text, _ = _as_strings(column)
        # Each distinct value is read once, as a deed's is (profile.parse_land_use): a
        # file holds a few codes in millions of rows.
        distinct = pc.unique(text)
        readings: list[str | None] = []
        details: list[str] = []
        for value in distinct.to_pylist():
            try:
                readings.append(None if value is None else self.profile.parse_land_use(value))
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

    def _addresses(self, texts: dict[str, pa.Array], problems: _Problems) -> pa.Array:
        """Return the addresses, blank where the file has none."""
        field_name = self.mapping.address
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

    def _areas(
        self,
        texts: dict[str, pa.Array],
        computed: npt.NDArray[np.float64],
        problems: _Problems,
    ) -> npt.NDArray[np.float64]:
        """Return the registered areas in m², NaN where there is none to register."""
        field_name = self.mapping.area
        if field_name is None:
            field_name, column = "geometry", pa.array(computed, mask=np.isnan(computed))
        else:
            column = texts[field_name]
        areas = np.full(len(column), np.nan)
        skip = problems.garbled_in(field_name)
        if self.mapping.area is None:
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


# --- the database side --------------------------------------------------------------

_CREATE_TABLES = (
    """
    CREATE TEMPORARY TABLE import_staging (
        seq bigint NOT NULL,
        fid bigint NOT NULL,
        identifier text NOT NULL,
        unit_code text NOT NULL,
        land_use text,
        registered_area numeric(14, 2),
        address text,
        map_scale integer,
        boundary geometry(MultiPolygon, %(srid)s),
        status text NOT NULL
    ) ON COMMIT DROP
    """,
    """
    CREATE TEMPORARY TABLE import_problems (
        n bigserial,
        seq bigint NOT NULL,
        fid bigint NOT NULL,
        identifier text NOT NULL,
        field text NOT NULL,
        kind text NOT NULL,
        rejects boolean NOT NULL DEFAULT true,  -- false: a note, the feature is imported
        reason text NOT NULL
    ) ON COMMIT DROP
    """,
)
_DROP_TABLES = "DROP TABLE import_staging, import_problems"

_COPY_STAGING = (
    "COPY import_staging (seq, fid, identifier, unit_code, land_use, registered_area, "
    "address, map_scale, boundary, status) FROM STDIN WITH (FORMAT csv)"
)
_COPY_PROBLEMS = (
    "COPY import_problems (seq, fid, identifier, field, kind, rejects, reason) "
    "FROM STDIN WITH (FORMAT csv)"
)

# Every occurrence after the first names the first: the file must say which is right.
_FIND_DUPLICATES = """
    INSERT INTO import_problems (seq, fid, identifier, field, kind, reason)
    SELECT later.seq, later.fid, later.identifier, %(field)s, %(kind)s,
           %(kind)s || ': ' || later.identifier || ' is also the identifier of FID '
           || first.fid || ', earlier in the file'
    FROM (
        SELECT DISTINCT ON (identifier) identifier, seq, fid
        FROM import_staging
        WHERE identifier IN (
            SELECT identifier FROM import_staging GROUP BY identifier HAVING count(*) > 1
        )
        ORDER BY identifier, seq
    ) AS first
    JOIN import_staging AS later ON later.identifier = first.identifier AND later.seq > first.seq
"""

_FIND_UNKNOWN_UNITS = """
    INSERT INTO import_problems (seq, fid, identifier, field, kind, reason)
    SELECT s.seq, s.fid, s.identifier, %(field)s, %(kind)s,
           %(kind)s || ': ' || %(noun)s || ' ' || s.unit_code || ' is not in the register; '
           || 'load administrative units first or pass --create-units'
    FROM import_staging AS s
    WHERE NOT EXISTS (
        SELECT 1 FROM parcels_administrativeunit AS u WHERE u.code = s.unit_code
    )
"""

_MARK_REJECTED = """
    UPDATE import_staging AS s SET status = 'rejected'
    FROM (SELECT DISTINCT seq FROM import_problems WHERE rejects) AS p
    WHERE p.seq = s.seq AND s.status = 'accepted'
"""

# An identifier already current in the register: the same parcel (skipped, which makes
# a re-run harmless) or a change, which only a registered deed may make.
_COMPARE_WITH_REGISTER = """
    WITH registered AS (
        SELECT s.seq, s.fid, s.identifier,
               -- "=" is exact equality of coordinates (PostGIS 3), which a re-run of the
               -- same file gives; the distance is only computed for boundaries that differ.
               CASE WHEN p.boundary = s.boundary THEN 0
                    ELSE ST_HausdorffDistance(p.boundary, s.boundary) END AS shift,
               p.land_use AS registered_land_use, s.land_use,
               p.registered_area AS registered_area, s.registered_area AS file_area,
               p.address AS registered_address, s.address AS file_address
        FROM import_staging AS s
        JOIN parcels_parcel AS p ON p.identifier = s.identifier AND p.valid_to IS NULL
        WHERE s.status = 'accepted'
    ), compared AS (
        SELECT *,
               shift >= %(tolerance)s AS moved,
               registered_land_use IS DISTINCT FROM land_use AS land_use_differs,
               %(compare_area)s AND registered_area IS DISTINCT FROM file_area AS area_differs,
               %(compare_address)s AND registered_address IS DISTINCT FROM file_address
                   AS address_differs
        FROM registered
    ), marked AS (
        UPDATE import_staging AS s
        SET status = CASE WHEN c.moved OR c.land_use_differs OR c.area_differs
                               OR c.address_differs
                          THEN 'rejected' ELSE 'unchanged' END
        FROM compared AS c
        WHERE c.seq = s.seq
    )
    INSERT INTO import_problems (seq, fid, identifier, field, kind, reason)
    SELECT c.seq, c.fid, c.identifier, d.field, %(kind)s, %(kind)s || ': ' || d.reason
    FROM compared AS c
    CROSS JOIN LATERAL (VALUES
        (1, 'geometry', CASE WHEN c.moved THEN
            'the registered boundary of ' || c.identifier || ' differs by up to '
            || round(c.shift::numeric, 2) || ' m; changing a registered boundary needs a deed, '
            || 'not an import' END),
        (2, %(land_use_field)s, CASE WHEN c.land_use_differs THEN
            'the register has land use ' || c.registered_land_use || ' for ' || c.identifier
            || ', the file ' || c.land_use || '; changing a registered parcel needs a deed, '
            || 'not an import' END),
        (3, %(area_field)s, CASE WHEN c.area_differs THEN
            'the register has ' || c.registered_area || ' m² for ' || c.identifier
            || ', the file ' || c.file_area || ' m²; changing a registered parcel needs a '
            || 'deed, not an import' END),
        (4, %(address_field)s, CASE WHEN c.address_differs THEN
            'the register has the address ' || quote_literal(c.registered_address) || ' for '
            || c.identifier || ', the file ' || quote_literal(c.file_address)
            || '; changing a registered parcel needs a deed, not an import' END)
    ) AS d(position, field, reason)
    WHERE d.reason IS NOT NULL
    ORDER BY c.seq, d.position
"""

# A current parcel's ground passes to another only by a deed (parcels.overlaps). Each
# feature to be imported is measured against the current parcels of the register under
# another identifier (its own is the parcel itself, compared above) and against the
# other features to be imported: each pair of the file once, both of its features
# refused. Both joins run on a GiST index (the register's, the staging table's), and
# only pairs whose interiors meet are measured: most pairs of boxes that meet are
# neighbours sharing a side, which one relate test (12 µs) sets aside for less than the
# intersection would cost.
#
# Then what each parcel loses to the whole file: a registered parcel to all the features
# on it, united with what current parcels already overlap of it (else a run of files,
# each within its allowance, takes what no one file may), a feature to all the others,
# held to the tolerance for its own area at the coarsest of the maps involved; else
# slivers each under their pair's tolerance take together what no pair may. What
# current parcels overlap is measured only for the registered parcels the file reaches
# into, one relate test per current neighbour. Every feature taking part is refused, naming the parcel,
# the total and the tolerance (the file cannot tell which of them is right), and so is a
# feature of the file that loses too much. The pieces are only united (counted once
# where features overlap each other) when their sum is over the tolerance: the union is
# the dearer, and never more than the sum.
_INTERIORS_MEET = "ST_Relate(s.boundary, o.boundary, '2********')"
_SCALES = (
    f"greatest({overlaps.map_scale_sql('s.map_scale')}, {overlaps.map_scale_sql('o.map_scale')})"
)
_OF_THE_FILE = "f.identifier || ' (FID ' || f.fid || ') of this file'"
_OTHER_FEATURES = (
    "(sides.takers - 1) || CASE WHEN sides.takers > 2 THEN ' other features' "
    "ELSE ' other feature' END || ' of this file'"
)
_FIND_OVERLAPS = f"""
    WITH pairs AS (
        SELECT s.seq, NULL::bigint AS other_seq, o.identifier AS other,
               s.boundary AS mine, o.boundary AS theirs, {_SCALES} AS scale
        FROM import_staging AS s
        JOIN parcels_parcel AS o
          ON o.boundary && s.boundary AND o.valid_to IS NULL AND o.identifier <> s.identifier
        WHERE s.status = 'accepted' AND {_INTERIORS_MEET}
        UNION ALL
        SELECT s.seq, o.seq, NULL, s.boundary, o.boundary, {_SCALES}
        FROM import_staging AS s
        JOIN import_staging AS o
          ON o.boundary && s.boundary AND o.seq > s.seq AND o.status = 'accepted'
        WHERE s.status = 'accepted' AND {_INTERIORS_MEET}
    ), cut AS (
        SELECT seq, other_seq, other, scale,
               ST_CollectionExtract(ST_Intersection(mine, theirs), 3) AS piece,
               ST_Area(mine) AS mine, ST_Area(theirs) AS theirs
        FROM pairs
    ), measured AS (
        SELECT *, ST_Area(piece) AS shared FROM cut
    ), beyond AS (
        SELECT *, {overlaps.tolerance_sql("least(mine, theirs)", "scale")} AS tolerance
        FROM measured
    ), losses AS (
        SELECT other AS registered, NULL::bigint AS loser, seq AS taker, piece, shared,
               theirs AS area, scale
        FROM measured WHERE other_seq IS NULL
        UNION ALL
        SELECT NULL, other_seq, seq, piece, shared, theirs, scale
        FROM measured WHERE other_seq IS NOT NULL
        UNION ALL
        SELECT NULL, seq, other_seq, piece, shared, mine, scale
        FROM measured WHERE other_seq IS NOT NULL
    ), held AS (
        SELECT d.registered, h.held, ST_Area(h.held) AS already
        FROM (SELECT DISTINCT other AS registered FROM measured WHERE other_seq IS NULL) AS d
        JOIN parcels_parcel AS r ON r.identifier = d.registered AND r.valid_to IS NULL
        CROSS JOIN LATERAL ({overlaps.HELD_SQL}) AS h
        WHERE h.held IS NOT NULL
    ), lost AS (
        -- One feature alone on a parcel nothing current overlaps is held to its pair's
        -- tolerance, never more than the loser's.
        SELECT l.registered, l.loser, array_agg(l.taker) AS takers,
               array_agg(l.shared) AS shares, array_agg(l.piece) AS pieces,
               sum(l.shared) AS summed, max(l.area) AS area,
               {overlaps.tolerance_sql("max(l.area)", "max(l.scale)")} AS tolerance
        FROM losses AS l
        GROUP BY l.registered, l.loser
        HAVING count(*) > 1 OR l.registered IN (SELECT registered FROM held)
    ), overrun AS (
        SELECT * FROM (
            SELECT l.registered, l.loser, l.takers, l.shares, l.area, l.tolerance,
                   coalesce(h.already, 0) AS already,
                   CASE WHEN l.summed + coalesce(h.already, 0) <= l.tolerance
                        THEN l.summed + coalesce(h.already, 0)
                        WHEN h.held IS NULL THEN ST_Area(ST_Union(l.pieces))
                        ELSE ST_Area(ST_Union(l.pieces || h.held)) END AS taken
            FROM lost AS l LEFT JOIN held AS h ON h.registered = l.registered
        ) AS united
        -- Only a file that adds to the loss answers for it: a parcel already overlapped
        -- beyond its tolerance (older data) refuses nothing that takes none of it.
        WHERE taken > tolerance AND taken - already > {overlaps.ADDED_M2}
    ), sides AS (
        SELECT 'pair' AS kind, seq, other_seq, other, shared, mine AS area, tolerance,
               NULL::float8 AS taken, NULL::int AS takers, NULL::float8 AS already
        FROM beyond WHERE shared > tolerance
        UNION ALL
        SELECT 'pair', other_seq, seq, NULL, shared, theirs, tolerance, NULL, NULL, NULL
        FROM beyond WHERE shared > tolerance AND other_seq IS NOT NULL
        UNION ALL
        SELECT 'taker', t.seq, o.loser, o.registered, t.shared, o.area, o.tolerance, o.taken,
               cardinality(o.takers), o.already
        FROM overrun AS o CROSS JOIN LATERAL unnest(o.takers, o.shares) AS t(seq, shared)
        UNION ALL
        SELECT 'loser', loser, NULL, NULL, taken, area, tolerance, taken,
               cardinality(takers) + 1, NULL
        FROM overrun WHERE loser IS NOT NULL
    ), described AS (
        SELECT sides.seq, sides.shared,
               CASE sides.kind
               WHEN 'pair' THEN
                   coalesce('registered parcel ' || sides.other, {_OF_THE_FILE})
                   || ' by ' || round(sides.shared::numeric, 1) || ' m² ('
                   || round((100 * sides.shared / sides.area)::numeric, 1)
                   || ' %% of this parcel; the map permits '
                   || round(sides.tolerance::numeric, 1) || ' m²)'
               WHEN 'taker' THEN
                   coalesce('registered parcel ' || sides.other, {_OF_THE_FILE})
                   || ' by ' || round(sides.shared::numeric, 1) || ' m², and with '
                   || CASE WHEN sides.already > 0 THEN
                          CASE WHEN sides.takers > 1 THEN {_OTHER_FEATURES} || ' and '
                               ELSE '' END
                          || 'the current parcels that already overlap it by '
                          || round(sides.already::numeric, 1) || ' m²,'
                      ELSE {_OTHER_FEATURES} END
                   || ' by ' || round(sides.taken::numeric, 1)
                   || ' m² in all (the map permits ' || round(sides.tolerance::numeric, 1)
                   || ' m² of its ' || round(sides.area::numeric, 1) || ' m²)'
               ELSE
                   {_OTHER_FEATURES} || ' by ' || round(sides.taken::numeric, 1)
                   || ' m² in all (the map permits ' || round(sides.tolerance::numeric, 1)
                   || ' m² of this parcel''s ' || round(sides.area::numeric, 1) || ' m²)'
               END AS what,
               row_number() OVER (
                   PARTITION BY sides.seq ORDER BY coalesce(sides.taken, sides.shared) DESC
               ) AS rank
        FROM sides LEFT JOIN import_staging AS f ON f.seq = sides.other_seq
    ), marked AS (
        UPDATE import_staging AS s SET status = 'rejected'
        FROM (SELECT DISTINCT seq FROM sides) AS o
        WHERE o.seq = s.seq
    )
    INSERT INTO import_problems (seq, fid, identifier, field, kind, reason)
    SELECT s.seq, s.fid, s.identifier, 'geometry', %(kind)s,
           %(kind)s || ': the parcel overlaps '
           || string_agg(d.what, ', ' ORDER BY d.rank) FILTER (WHERE d.rank <= %(shown)s)
           || CASE WHEN count(*) > %(shown)s THEN ' and ' || (count(*) - %(shown)s) || ' more'
                   ELSE '' END
           || '; current parcels do not overlap: correct the boundary, or change the '
           || 'registered parcel by a deed first'
    FROM described AS d JOIN import_staging AS s ON s.seq = d.seq
    GROUP BY s.seq, s.fid, s.identifier
    ORDER BY s.seq
"""  # noqa: S608 - our own SQL fragments; every value is bound

# Imports wait for each other, and for deeds taking ground, before they look at the
# register: two files with the same ground, imported at once, would each pass against a
# register without the other (parcels.overlaps.GROUND_LOCK).
_IMPORT_LOCK = overlaps.GROUND_LOCK

_MISSING_UNITS = """
    SELECT DISTINCT s.unit_code FROM import_staging AS s
    WHERE s.status = 'accepted' AND NOT EXISTS (
        SELECT 1 FROM parcels_administrativeunit AS u WHERE u.code = s.unit_code
    )
    ORDER BY s.unit_code
"""

# boundary_3857 is generated by PostgreSQL and must not be in the column list.
_INSERT_PARCELS = """
    INSERT INTO parcels_parcel
        (identifier, admin_unit_id, land_use, registered_area, address, map_scale, boundary,
         valid_from, valid_to)
    SELECT s.identifier, u.id, s.land_use, s.registered_area, s.address, s.map_scale,
           s.boundary, %(valid_from)s, NULL
    FROM import_staging AS s
    JOIN parcels_administrativeunit AS u ON u.code = s.unit_code
    WHERE s.status = 'accepted'
"""

_COUNT_STATUSES = "SELECT status, count(*) FROM import_staging GROUP BY status"
_COUNT_REJECTED = "SELECT count(DISTINCT seq) FROM import_problems WHERE rejects"
_COUNT_NOTED = "SELECT count(DISTINCT seq) FROM import_problems WHERE NOT rejects"
_COUNT_PROBLEMS = """
    SELECT kind, count(DISTINCT seq) AS features FROM import_problems WHERE rejects
    GROUP BY kind ORDER BY features DESC, kind
"""
_FIRST_PROBLEMS = """
    SELECT fid, identifier, field, reason FROM import_problems WHERE rejects
    ORDER BY seq, n LIMIT %(limit)s
"""
_EXAMPLES_OF = """
    SELECT reason FROM (
        SELECT DISTINCT ON (reason) reason, seq, n FROM import_problems
        WHERE kind = %(kind)s ORDER BY reason, seq, n
    ) AS examples
    ORDER BY seq, n LIMIT 3
"""
_WRITE_REPORT = """
    COPY (SELECT fid, identifier, field, reason FROM import_problems ORDER BY seq, n)
    TO STDOUT WITH (FORMAT csv, HEADER)
"""

_CSV_OPTIONS = pa_csv.WriteOptions(include_header=False, quoting_style="all_valid")


def _copy(cursor: CursorWrapper, sql: str, table: pa.Table) -> None:
    """COPY the rows of `table` in; pyarrow quotes every value, so an unquoted empty is NULL."""
    if table.num_rows == 0:
        return
    buffer = io.BytesIO()
    pa_csv.write_csv(table, buffer, _CSV_OPTIONS)
    buffer.seek(0)
    with connection.wrap_database_errors:
        cursor.copy_expert(sql, buffer)


def _open_report(path: str, chosen: Path | None) -> tuple[Path, BinaryIO]:
    """Return the report's path and file: the one chosen, else a new one in the report folder.

    A report of its own per run: two runs in the same second do not share one.
    """
    if chosen is not None:
        chosen.parent.mkdir(parents=True, exist_ok=True)
        return chosen, chosen.open("wb")
    folder = Path(settings.LANDINFO["IMPORT_REPORT_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"import-{Path(path).stem}-{stamp}"
    attempt = 1
    while True:
        candidate = folder / (f"{name}.csv" if attempt == 1 else f"{name}-{attempt}.csv")
        try:
            return candidate, candidate.open("xb")
        except FileExistsError:
            attempt += 1


def _write_report(cursor: CursorWrapper, path: str, chosen: Path | None) -> Path:
    """Write the problems, sorted by feature, as CSV; return where."""
    try:
        target, report = _open_report(path, chosen)
        with report, connection.wrap_database_errors:
            cursor.copy_expert(_WRITE_REPORT, report)
    except OSError as error:
        where = chosen or settings.LANDINFO["IMPORT_REPORT_DIR"]
        raise ParcelFileError(
            f"The report cannot be written to {where} ({error.strerror or error}), so nothing "
            f"was imported; choose another place with --report."
        ) from error
    return target


# --- the import -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Layer:
    name: str
    driver: str
    crs: str | None
    fields: tuple[str, ...]
    field_types: dict[str, str]  # field → numpy dtype name
    features: int | None
    geometry_type: str | None


def _open_layer(path: str, layer: str | None, encoding: str | None = None) -> _Layer:
    """Return the layer to import: the one named, or the file's only spatial layer.

    `encoding` is pyogrio's, for the field names: see _TextDecoding.
    """
    try:
        layers = pyogrio.list_layers(path)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as error:
        raise ParcelFileError(f"{path}: GDAL cannot read it as a vector file: {error}") from error
    names = [str(name) for name, _ in layers]
    spatial = [str(name) for name, geometry_type in layers if geometry_type is not None]
    if layer is None:
        if len(spatial) != 1:
            listing = ", ".join(
                f"{name} ({geometry_type or 'no geometry'})" for name, geometry_type in layers
            )
            raise ParcelFileError(
                f"{path} has {len(spatial)} layers with geometry; choose one with --layer. "
                f"Its layers: {listing or '(none)'}."
            )
        layer = spatial[0]
    elif layer not in names:
        raise ParcelFileError(
            f"{path} has no layer {layer!r}; its layers are: {', '.join(names) or '(none)'}."
        )
    try:
        info = pyogrio.read_info(path, layer=layer, encoding=encoding)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as error:
        raise ParcelFileError(f"{path}, layer {layer}: {error}") from error
    try:
        check_driver(path, str(info["driver"]))
    except UnsafeFileError as error:
        raise ParcelFileError(str(error)) from error
    if info["geometry_type"] is None:
        raise ParcelFileError(f"{path}, layer {layer}: the layer has no geometry column.")
    fields = tuple(str(name) for name in info["fields"])
    return _Layer(
        name=layer,
        driver=str(info["driver"]),
        crs=info["crs"],
        fields=fields,
        field_types={name: str(dtype) for name, dtype in zip(fields, info["dtypes"], strict=True)},
        features=info["features"] if info["features"] >= 0 else None,
        geometry_type=info["geometry_type"],
    )


def import_parcels(
    path: str | Path,
    *,
    options: ImportOptions,
    progress: Progress | None = None,
) -> ImportResult:
    """Import the parcels of a GIS file into the register in one transaction.

    Return what was read, imported, found unchanged and rejected, and the report's path.
    Raise ParcelFileError when the file cannot be imported at all, and ImportAborted
    when the database refused the write; nothing is imported then. With
    `options.strict`, one rejected feature is enough for nothing to be imported.
    """
    path = str(path)
    try:
        check_source(path)
    except UnsafeFileError as error:
        raise ParcelFileError(str(error)) from error
    try:
        with gdal_reading(path):
            run = _Import(path, options)
            with transaction.atomic(durable=True):
                run.execute(progress)
    except DatabaseError as error:
        raise ImportAborted(
            f"The database refused the import, so nothing was imported: {error}".strip()
        ) from error
    return run.result


class _Import:
    """One run of the import: the layer, how it maps onto parcels, and what came of it."""

    def __init__(self, path: str, options: ImportOptions) -> None:
        self.path = path
        self.options = options
        self.profile = profile = get_profile()
        self.layer = layer = _open_layer(path, options.layer)
        self.text = _text_decoding(path, layer.name, layer.driver, options.encoding)
        if self.text.transport is not None:
            # GDAL decoded the field names too: read them again, passed through.
            self.layer = layer = _open_layer(path, layer.name, self.text.transport)
        # With bytes passed through as ISO-8859-1, field names arrive that way too.
        self.columns = {self.text.field_name(name): name for name in layer.fields}
        self.mapping = mapping = _map_fields(list(self.columns), options, profile)
        source = _source_crs(layer.crs, options.srs, options.override_srs)
        self.frame = _Frame(
            source=source,
            source_name=_crs_name(source),
            storage_srid=profile.storage_srid,
            to_storage=Transformer.from_crs(
                source, CRS.from_epsg(profile.storage_srid), always_xy=True
            ),
            to_wgs84=Transformer.from_crs(source, CRS.from_epsg(WGS84), always_xy=True),
            profile=profile,
        )
        self.result = ImportResult(
            path=path,
            layer=layer.name,
            driver=layer.driver,
            source_crs=self.frame.source_name,
            storage_srid=profile.storage_srid,
            mapping=mapping,
            text_encoding=self.text.origin,
            dry_run=options.dry_run,
            strict=options.strict,
        )
        if mapping.area is None:
            self.result.notes.append(
                "registered area = area of the boundary on the ellipsoid, rounded to 0.01 m² "
                "(the file has no area field)"
            )
        elif options.map_scale is not None:
            self.result.map_scale = f"1:{options.map_scale} (--map-scale)"
        elif mapping.map_scale is not None:
            self.result.map_scale = (
                f"{mapping.map_scale}; 1:{profile.default_map_scale} where it is empty"
            )
        else:
            self.result.map_scale = f"1:{profile.default_map_scale} ({profile.name}'s usual)"
        self.file_has_crs = bool(layer.crs)

    def execute(self, progress: Progress | None) -> None:
        """Stage, check and write the layer; run inside the import's transaction."""
        cursor = connection.cursor()
        # Compiling the checks' plans (their costs are those of joins over the whole file)
        # took longer than running them: 0.15 s of a 0.6 s import of 5,000 parcels.
        cursor.execute("SET LOCAL jit = off")
        for statement in _CREATE_TABLES:
            cursor.execute(statement, {"srid": self.profile.storage_srid})
        self._stage(cursor, progress)
        if progress is not None:
            progress.step("checking duplicates and the register")
        self._check_staged(cursor)
        accepted = self._summarise(cursor)
        refusal = self._whole_file_cause(cursor, accepted)
        if self.result.rejected or self.result.area_notes or self.options.report_path is not None:
            self.result.report_path = _write_report(cursor, self.path, self.options.report_path)
        if refusal is not None:
            raise ParcelFileError(
                f"{self.path}: nothing was imported. {refusal} The report lists every "
                f"feature: {self.result.report_path}"
            )
        if self.options.strict and self.result.rejected:
            transaction.set_rollback(True)
            return
        if progress is not None:
            progress.step(f"writing {accepted} parcels")
        self._write(cursor, accepted)
        cursor.execute(_DROP_TABLES)
        if self.options.dry_run:
            transaction.set_rollback(True)
            return
        self.result.committed = True

    def _stage(self, cursor: CursorWrapper, progress: Progress | None) -> None:
        """Read the layer batch by batch into the staging and problem tables."""
        layer, mapping = self.layer, self.mapping
        integer_fields = frozenset(
            name
            for name, column in self.columns.items()
            if layer.field_types[column].startswith(("int", "uint"))
        )
        read = 0
        if progress is not None:
            progress.read(read, layer.features)
        try:
            with ogr_raw.open_arrow(
                self.path,
                layer=layer.name,
                encoding=self.text.transport,
                columns=[self.columns[name] for name in dict.fromkeys(_used_fields(mapping))],
                return_fids=True,
                batch_size=self.options.batch_size,
                use_pyarrow=True,
            ) as (meta, reader):
                batches = _Batches(
                    profile=self.profile,
                    mapping=mapping,
                    frame=self.frame,
                    text=self.text,
                    columns=self.columns,
                    integer_fields=integer_fields,
                    geometry_column=meta["geometry_name"] or "wkb_geometry",
                    fid_column=meta["fid_column"],
                    map_scale=self.options.map_scale,
                )
                self.batches = batches
                for batch in reader:
                    staging, problems = batches.check(batch, read)
                    _copy(cursor, _COPY_STAGING, staging)
                    _copy(cursor, _COPY_PROBLEMS, problems)
                    read += batch.num_rows
                    if progress is not None:
                        progress.read(read, layer.features)
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as error:
            # OSError: Arrow's stream reports GDAL's failure on a truncated file that way.
            raise ParcelFileError(
                f"{self.path}, layer {layer.name}: GDAL failed while reading it (a truncated "
                f"or damaged file?): {error}"
            ) from error
        if read == 0:
            raise ParcelFileError(
                f"{self.path}, layer {layer.name}: the layer has no features; there is "
                f"nothing to import (an empty export, or the wrong layer?)."
            )
        self.result.read = read
        if batches.with_z:
            self.result.notes.append(
                f"Z coordinates dropped from {batches.with_z} features: the register keeps "
                f"boundaries in 2D"
            )

    def _check_staged(self, cursor: CursorWrapper) -> None:
        """Run the checks that need the whole file or the register, one statement each."""
        mapping = self.mapping
        cursor.execute("CREATE INDEX ON import_staging USING gist (boundary)")
        cursor.execute("ANALYZE import_staging")  # a temporary table has no statistics
        cursor.execute(
            _FIND_DUPLICATES,
            {"field": mapping.identifier_source, "kind": Problem.DUPLICATE_IDENTIFIER.value},
        )
        if not self.options.create_units:
            cursor.execute(
                _FIND_UNKNOWN_UNITS,
                {
                    "field": mapping.identifier_source,
                    "kind": Problem.UNKNOWN_UNIT.value,
                    "noun": _UNIT_NOUN.get(self.profile.key, "administrative unit"),
                },
            )
        cursor.execute(_MARK_REJECTED)
        cursor.execute(_IMPORT_LOCK)
        cursor.execute(
            _COMPARE_WITH_REGISTER,
            {
                "tolerance": SAME_BOUNDARY_TOLERANCE_M,
                "kind": Problem.CONFLICT.value,
                "compare_area": mapping.area is not None,
                "compare_address": mapping.address is not None,
                "land_use_field": mapping.land_use,
                "area_field": mapping.area or "",
                "address_field": mapping.address or "",
            },
        )
        cursor.execute(
            _FIND_OVERLAPS,
            {
                **overlaps.tolerance_params(self.profile),
                "kind": Problem.OVERLAP.value,
                "shown": _OVERLAPS_SHOWN,
            },
        )

    def _summarise(self, cursor: CursorWrapper) -> int:
        """Fill in the counts and first problems; return how many features are accepted."""
        result = self.result
        cursor.execute(_COUNT_STATUSES)
        statuses = dict(cursor.fetchall())
        cursor.execute(_COUNT_REJECTED)
        (result.rejected,) = cursor.fetchone()
        cursor.execute(_COUNT_NOTED)
        (result.area_notes,) = cursor.fetchone()
        cursor.execute(_COUNT_PROBLEMS)
        result.problems = dict(cursor.fetchall())
        cursor.execute(_FIRST_PROBLEMS, {"limit": _FIRST_PROBLEMS_SHOWN})
        result.first_problems = [ReportedProblem(*row) for row in cursor.fetchall()]
        result.unchanged = statuses.get(_Status.UNCHANGED, 0)
        accepted: int = statuses.get(_Status.ACCEPTED, 0)
        if result.read != accepted + result.unchanged + result.rejected:
            raise ImportAborted(
                f"Internal error: {result.read} features read, but {accepted} accepted, "
                f"{result.unchanged} unchanged and {result.rejected} rejected; nothing was "
                f"imported."
            )
        return accepted

    def _whole_file_cause(self, cursor: CursorWrapper, accepted: int) -> str | None:
        """Return why the file as a whole cannot be imported, or None.

        Its CRS, when features lie out of place and the profile's usual CRSs tell that the
        file, not they, is off (parcels.importing.placement); otherwise, when no feature can be
        imported and one problem is every feature's, that problem and the option to fix it.
        """
        profile = self.profile
        batches = self.batches
        if batches.misplaced:
            diagnosis = placement.diagnose(
                batches.sample, self.frame.source, profile, batches.units
            )
            if placement.whole_file_missed(diagnosis):
                return placement.describe(
                    diagnosis,
                    source=self.frame.source,
                    source_name=self.frame.source_name,
                    profile=profile,
                    unit_noun=_UNIT_NOUN.get(profile.key, "administrative unit"),
                    units_noun=_UNIT_NOUNS.get(profile.key, "administrative units"),
                    file_has_crs=self.file_has_crs,
                )
        result = self.result
        if accepted or result.unchanged or not result.read:
            return None
        for problem, advice in self._whole_file_advice().items():
            if result.problems.get(problem.value) == result.read:
                cursor.execute(_EXAMPLES_OF, {"kind": problem.value})
                examples = "; ".join(reason for (reason,) in cursor.fetchall())
                return (
                    f"Every one of the {result.read} features has the same problem, so it is "
                    f"the file's: {advice}. For example: {examples}."
                )
        return None

    def _whole_file_advice(self) -> dict[Problem, str]:
        """Return, for each problem that can be a whole file's, what would fix it; in order."""
        mapping, profile = self.mapping, self.profile
        units = _UNIT_NOUNS.get(profile.key, "administrative units")
        return {
            Problem.OUTSIDE_AREA: (
                f"none lies in {profile.name} read in {self.frame.source_name}; give the "
                f"file's CRS with --srs"
            ),
            Problem.WRONG_ENCODING: (
                f"the text is not in the encoding it was read in ({self.text.origin}); "
                f"pass --encoding with the file's own (UTF-8, cp1258, cp949, ...)"
            ),
            Problem.NOT_POLYGONAL: (
                f"layer {self.layer.name} holds no parcel boundaries (polygons); choose the "
                f"parcel layer with --layer"
            ),
            Problem.MISSING_GEOMETRY: (
                "no feature has a boundary; in a CSV file it is read from a column named WKT"
            ),
            Problem.MISSING_IDENTIFIER: (
                f"{mapping.identifier_source} holds no identifiers; name the identifier "
                f"field(s) with --id-field"
            ),
            Problem.UNREADABLE_IDENTIFIER: (
                f"{mapping.identifier_source} holds no parcel identifiers of {profile.name}; "
                f"name the identifier field(s) with --id-field, and the {_UNIT_NOUN.get(profile.key)} "
                f"with --commune when they leave it out"
            ),
            Problem.UNKNOWN_LAND_USE: (
                f"{mapping.land_use} holds no land-use codes of {profile.name}; name the "
                f"land-use field with --land-use-field"
            ),
            Problem.BAD_AREA: (
                f"{mapping.area or 'the boundary'} holds no areas in m²; name the area field "
                f"with --area-field"
            ),
            Problem.BAD_MAP_SCALE: (
                f"{mapping.map_scale} holds no map scales; name the field with "
                f"--map-scale-field, or give the scale with --map-scale"
            ),
            Problem.OVERLAP: (
                "each lies on ground that current parcels of the register (or other features "
                "of the file) hold, alone or with others: the file is registered already under "
                "other identifiers, or it is shifted (it is read in "
                f"{self.frame.source_name}: is that its CRS?), or its features take, together, "
                "more of a parcel than its map permits"
            ),
            Problem.UNKNOWN_UNIT: (
                f"none of its {units} is in the register; load the administrative units "
                f"first, or pass --create-units"
            ),
        }

    def _write(self, cursor: CursorWrapper, accepted: int) -> None:
        """Create the missing units if asked, then insert the accepted parcels at once."""
        if self.options.create_units:
            cursor.execute(_MISSING_UNITS)
            self.result.created_units = [code for (code,) in cursor.fetchall()]
            AdministrativeUnit.objects.bulk_create(
                AdministrativeUnit(code=code, name=code, level=AdministrativeUnit.Level.COMMUNE)
                for code in self.result.created_units
            )
        valid_from = self.options.valid_from or timezone.localdate()
        cursor.execute(_INSERT_PARCELS, {"valid_from": valid_from})
        self.result.imported = cursor.rowcount
        if self.result.imported != accepted:
            raise ImportAborted(
                f"Internal error: {accepted} features accepted but {self.result.imported} "
                f"inserted; nothing was imported."
            )


def _used_fields(mapping: FieldMapping) -> list[str]:
    """Return the layer fields the mapping reads, identifier first."""
    return [
        name
        for name in (
            *mapping.identifier,
            mapping.land_use,
            mapping.address,
            mapping.area,
            mapping.map_scale,
        )
        if name is not None
    ]
