"""Which fields of a layer give which attribute of a parcel, and how a map scale is read.

The options name fields (--id-field, --land-use-field, ...); the others are guessed from
the names cadastral files use. An identifier is one field, or the fields of its parts
where the profile's files split it (JurisdictionProfile.identifier_fields).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from landinfo.profiles import JurisdictionProfile
from landinfo.profiles.text import fold_text, quote_input
from parcels.importing.options import ImportOptions
from parcels.importing.problems import ParcelFileError


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
    composition = profile.identifier_fields
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


def map_fields(
    fields: Sequence[str], options: ImportOptions, profile: JurisdictionProfile
) -> FieldMapping:
    """Return which field gives which attribute: the options first, else the guesses."""
    identifier, labels = _map_identifier(fields, options, profile)
    unit_noun = profile.unit_noun
    canonical = profile.canonical_pattern
    if options.unit_code is not None and canonical is not None:
        length = canonical.unit_code_length
        if not re.fullmatch(f"[0-9]{{{length}}}", options.unit_code):
            raise ParcelFileError(
                f"--commune {options.unit_code!r}: a {unit_noun} code has {length} digits."
            )
    if labels and len(labels) == len(identifier) and options.unit_code is None:
        composition = profile.identifier_fields
        assert composition is not None  # labels are only set for composing profiles
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


def used_fields(mapping: FieldMapping) -> list[str]:
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
