"""The contract every jurisdiction profile fulfils.

A profile is everything that differs between national cadastres: how a parcel is
identified and how people type that identifier, which CRS the register stores
boundaries in and which CRSs the country's files come in, the land-use code list, the
area the register covers, the scales of its cadastral maps and the area error they
permit, and the default language. Everything else in the code base is the same for
every country.
"""

from __future__ import annotations

import abc
import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, TypeVar

from landinfo.profiles.conventions import (
    DEFAULT_FORMATS,
    AdministrativeLevel,
    Formats,
    join_places,
)
from landinfo.profiles.survey_crs import SurveyCRS
from landinfo.profiles.text import is_invisible, normalize_text, quote_input
from landinfo.translation import gettext as _

# A remark closing a unit's name, e.g. "Tỉnh Mẫu (dữ liệu tổng hợp)": no part of an address.
_ADDRESS_REMARK = re.compile(r"\s*\([^()]*\)\s*$")

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from landinfo.profiles.outline import Outline

# Areas are checked one at a time (the parcel sheet) and a batch at a time (the import).
_Area = TypeVar("_Area", float, "npt.NDArray[np.float64]")


class InvalidParcelIdentifier(ValueError):
    """Raised when text cannot be read as a parcel identifier; the message says why."""


class InvalidNationalId(ValueError):
    """Raised when text is not an identity number the profile accepts; the message says why."""


class UnknownLandUse(ValueError):
    """Raised when text names no land-use code of the profile's list; the message says so.

    `text` is the text as it was cleaned (what the list was searched for).
    """

    def __init__(self, message: str, text: str) -> None:
        super().__init__(message)
        self.text = text


@dataclass(frozen=True, slots=True)
class ParcelIdentifier:
    """A parsed parcel identifier.

    `unit_code` is the code of the administrative unit that numbers parcels
    (Vietnam: the commune; Korea: the legal dong/ri). The remaining parts are
    profile-specific and kept as a tuple of ints so that the value is hashable and
    orders naturally.
    """

    unit_code: str
    parts: tuple[int, ...]


# The coarse groups a land use falls in; the map colours parcels by group, so every
# profile maps its own code list onto these.
LAND_USE_GROUPS: frozenset[str] = frozenset(
    {
        "agricultural",
        "residential",
        "commercial",
        "public",
        "infrastructure",
        "religious",
        "water",
        "forest",
        "unused",
        "defence",
    }
)


@dataclass(frozen=True, slots=True)
class LandUse:
    code: str
    name: str  # in the profile's own language
    name_en: str
    group: str  # a coarse grouping used for map colours (agricultural, residential, ...)


@dataclass(frozen=True, slots=True)
class HolderKind:
    """A kind of holder as the country's register distinguishes them (its certificate names it).

    `label` is an English msgid, translated where it is shown. `party_kind` is the
    register's own kind of the party it maps to ("person", "organisation", "state"):
    what decides masking and the identity number's rules. `birth_year`: the kind is a
    natural person, whose year of birth the certificate prints. `new_holders`: a deed may
    still make a party of this kind a holder (False: only rights the law keeps from
    before, as Vietnam's households).
    """

    code: str
    label: str
    party_kind: str
    birth_year: bool = False
    new_holders: bool = True


@dataclass(frozen=True, slots=True)
class Choice:
    """A coded value of the profile's lists (a right's origin, its form of use)."""

    code: str
    label: str  # an English msgid, translated where it is shown


# A right's term (Right.long_term, Right.term_end) in a deed or payload: "long_term", or
# the last day of use as "YYYY-MM-DD"; "" when the deed states none.
LONG_TERM = "long_term"


@dataclass(frozen=True, slots=True)
class Bounds:
    """An area in WGS84 degrees: (west, south, east, north)."""

    west: float
    south: float
    east: float
    north: float

    def contains(self, lon: float, lat: float) -> bool:
        return self.west <= lon <= self.east and self.south <= lat <= self.north


@dataclass(frozen=True, slots=True)
class LandArea:
    """An area the register covers that Natural Earth's country polygon leaves out.

    `points` are (longitude, latitude) pairs: one point marks a small island (the
    outline's margin makes it a disc), more mark the corners of an archipelago or of
    reclaimed land (their convex hull, then the margin).
    """

    name: str
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True, slots=True)
class UsualCRS:
    """A CRS the country's GIS files come in: `definition` is what --srs takes."""

    definition: str  # "EPSG:5897", or a PROJ string for a zone EPSG has no code for
    name: str


@dataclass(frozen=True, slots=True)
class CanonicalPattern:
    """The canonical spelling of a profile's identifiers, as one regular expression.

    The importer takes a value that matches it as it is, without the profile's parser,
    which costs about 25 µs a value: half a minute per million parcels. It must accept
    exactly what the parser returns unchanged, in Python's re and in RE2 (no lookahead),
    which Arrow matches whole columns with; the tests check both.
    """

    pattern: re.Pattern[str]  # the group "unit" is the unit code
    unit_code_length: int


@dataclass(frozen=True, slots=True)
class IdentifierField:
    """A part of an identifier that cadastral files carry in a field of its own."""

    label: str  # the word the profile's parser reads before the number
    names: tuple[str, ...]  # the field's names, folded (parcels.importing.fields)


@dataclass(frozen=True, slots=True)
class IdentifierFields:
    """How cadastral files compose a profile's identifier from separate fields."""

    unit: IdentifierField  # optional in a file: the importer's --commune gives it otherwise
    parts: tuple[IdentifierField, ...]  # required, in canonical order
    separator: str  # between parts in the canonical form


class JurisdictionProfile(abc.ABC):
    """Return identifiers, CRS, land uses and language for one national cadastre."""

    key: str  # "vn", "kr"
    name: str
    storage_srid: int  # a projected CRS in metres
    default_language: str  # a Django language code
    # The register's legal time zone (IANA name): "today" for a deed's date, and every
    # moment a person reads (history, certificates, the verify page) is in it.
    time_zone: str
    currency: str  # ISO 4217 code of official land prices
    # A rectangle around the country in WGS84, sea and neighbours included: a cheap first
    # test (a point far outside it is not in the country). Where parcels can lie is
    # `outline`.
    area_of_use: Bounds
    map_center: tuple[float, float]  # (lat, lon) where the map opens
    # What people type, shown under the search boxes: an identifier and an address.
    search_example: str
    land_uses: tuple[LandUse, ...]
    # The CRSs the country's files come in, the storage CRS first and the likeliest next:
    # an import whose features miss the country or their units names the one that puts
    # them in place (parcels.importing.placement).
    usual_crs: tuple[UsualCRS, ...]
    # Land the outline must hold beyond Natural Earth's country polygon.
    added_land: tuple[LandArea, ...] = ()
    # How far beyond the country's land (Natural Earth 1:10m) a parcel may lie. Natural
    # Earth's coast and borders are generalised for 1:10,000,000 and leave out islands
    # under about 10 km²; the register also holds tidal flats, salt fields, aquaculture
    # ponds and reclaimed land at the shore. 10 km covers those and the islets near a
    # mapped coast, and stays far below the smallest error of a whole file that the
    # outline is there to catch: a UTM zone read for its neighbour (about 600 km), a
    # false northing of the wrong era (Korea's belts: 100 km), degrees read as metres.
    # Shifts of a few hundred metres to tens of kilometres (a datum, a TM-3 zone for the
    # next one) stay on land: the administrative units' boundaries catch those.
    outline_margin_m: float = 10_000.0
    # How far a parcel may stand out of the administrative unit it is imported into: its
    # lines and the unit's were drawn from different surveys, which agree to about 0.5 mm
    # at the scale of a 1:10,000 map.
    unit_tolerance_m: float = 5.0
    # The scale denominators of the country's cadastral maps, and the one assumed for a
    # parcel whose map scale the register was not given.
    map_scales: tuple[int, ...]
    default_map_scale: int
    area_rule: str  # the rule of law permissible_area_error comes from, for messages
    # Calendar days an office has to decide an application before it is flagged overdue
    # (LANDINFO_REGISTRATION_DAYS overrides it with the office's published time).
    registration_days: int = 10
    # The CRSs a surveyor's file of new parcel boundaries comes in, as officers name them
    # (landinfo.profiles.survey_crs); the deed forms offer them.
    survey_crs: tuple[SurveyCRS, ...] = ()

    def survey_crs_of_province(self, code: str) -> tuple[int, ...]:
        """Return the EPSG codes of `survey_crs` a province's surveys are in (none: unknown)."""
        return ()

    # The levels of government whose units the register holds, largest first
    # (AdministrativeUnit.level values); a unit of any other level (a district stored
    # before a reform abolished it) is no part of an address.
    administrative_levels: tuple[AdministrativeLevel, ...]
    # How an address writes its places: smallest first or largest first, and between them.
    address_smallest_first: bool
    address_separator: str
    # Decimals every area is printed with, everywhere: one area, one spelling.
    area_decimals: int
    # How each language writes days, numbers, areas and amounts in this profile; a
    # language not listed writes as English.
    formats: Mapping[str, Formats] = DEFAULT_FORMATS

    def formats_for(self, language: str | None) -> Formats:
        """Return how `language` ("vi", "ko-kr", ...) writes in this profile."""
        code = (language or self.default_language).lower().split("-")[0]
        return self.formats.get(code) or self.formats["en"]

    def administrative_level(self, level: int) -> AdministrativeLevel | None:
        """Return the profile's level stored as `level`; None for a level it has not."""
        return next((known for known in self.administrative_levels if known.level == level), None)

    def unit_address(self, units: Sequence[tuple[int, str]]) -> str:
        """Return a chain of units, (level, name) largest first, as an address writes it.

        "Phường Bến Thành, Thành phố Hồ Chí Minh"; "서울특별시 종로구 청운동". A unit of a
        level the profile has not (a district kept from before 2025) and a closing remark
        in parentheses ("(dữ liệu tổng hợp)") are left out.
        """
        names = [
            _ADDRESS_REMARK.sub("", name)
            for level, name in units
            if self.administrative_level(level) is not None
        ]
        return join_places(
            names, smallest_first=self.address_smallest_first, separator=self.address_separator
        )

    # --- what a right records (the certificate's particulars) ---
    # The kinds of holder the register distinguishes, the first the default of a form.
    holder_kinds: tuple[HolderKind, ...] = ()
    # Where a right comes from (VN: nguồn gốc sử dụng; KR: 등기원인), by code.
    right_origins: tuple[Choice, ...] = ()
    # The origin of the rights a first registration begins when the deed states none.
    first_registration_origin: str = ""
    # The origin of the rights a transfer gives its recipients, by transfer type.
    transfer_origins: Mapping[str, str] = MappingProxyType({})
    # The forms of use (VN: hình thức sử dụng); empty when the register records none.
    use_forms: tuple[Choice, ...] = ()
    # Whether a land-use right has a term (VN) or the right is perpetual (KR ownership).
    right_terms: bool = False
    # Whether the certificate states the assets attached to the land (VN); Korea registers
    # buildings in a register of their own.
    attached_assets: bool = False
    # Whether the certificate paper has a serial of its own besides its entry number.
    certificate_serial: bool = False

    @abc.abstractmethod
    def parse_identifier(self, text: str, *, unit_code: str | None = None) -> ParcelIdentifier:
        """Return the identifier written in `text`, in any spelling people use.

        `unit_code` is the administrative unit the user is working in, for short
        spellings that leave it out ("12/345" within a commune, "12-3" within a dong).
        Raise InvalidParcelIdentifier with a message a person can act on otherwise.
        """

    @abc.abstractmethod
    def format_identifier(self, identifier: ParcelIdentifier) -> str:
        """Return the canonical text form stored in `Parcel.identifier`."""

    @abc.abstractmethod
    def display_identifier(self, identifier: ParcelIdentifier) -> str:
        """Return the form people read on a certificate ("tờ 12 thửa 345", "산 12-3")."""

    def display_stored(self, identifier: str) -> str:
        """Return a stored identifier as a certificate prints it; as stored if unreadable.

        A parcel imported from an older register in another format keeps its identifier,
        which people then read as it was written.
        """
        try:
            return self.display_identifier(self.parse_identifier(identifier))
        except InvalidParcelIdentifier:
            return identifier

    def lot_address(self, identifier: str, units: Sequence[tuple[int, str]]) -> str:
        """Return the parcel's lot address: where it lies by lot number, as the register writes it.

        `units` are (level, name) of the parcel's unit and those above it, province
        first. A remark in parentheses at the end of a unit's name ("(dữ liệu tổng hợp)")
        and a unit of a level the profile has not are no part of an address. An
        identifier the profile cannot read is written as stored, after the units.
        """
        names = [
            (level, _ADDRESS_REMARK.sub("", name))
            for level, name in units
            if self.administrative_level(level) is not None
        ]
        try:
            parsed = self.parse_identifier(identifier)
        except InvalidParcelIdentifier:
            return join_places(
                [*(name for _, name in names), identifier],
                smallest_first=self.address_smallest_first,
                separator=self.address_separator,
            )
        return self._lot_address(parsed, names)

    @abc.abstractmethod
    def _lot_address(self, identifier: ParcelIdentifier, units: list[tuple[int, str]]) -> str:
        """Return the lot address of `identifier` in `units` (province first, levels the profile has)."""

    def map_label(self, identifier: ParcelIdentifier) -> str:
        """Return the short number printed inside the parcel on a map ("345", "산 12-3")."""
        return self.display_identifier(identifier)

    @abc.abstractmethod
    def identifier_series(self, identifier: str) -> str:
        """Return the prefix of the canonical identifiers numbered in one series with `identifier`.

        New parcels made by a subdivision or merge are numbered on from the highest
        number of the series (Vietnam: the map sheet; Korea: the main lot number).
        """

    @abc.abstractmethod
    def new_identifiers(self, parent: str, taken: Collection[str], count: int) -> list[str]:
        """Return `count` new canonical identifiers in `parent`'s series, after all of `taken`.

        `taken` holds every identifier of the series ever registered, retired ones
        included: a number is never given twice. Raise InvalidParcelIdentifier when the
        series is full.
        """

    @abc.abstractmethod
    def permissible_area_error(self, area: _Area, scale: int | _Area) -> _Area:
        """Return how far (m²) a registered `area` may differ from its boundary's on a map.

        `scale` is the map's scale denominator (1000 for 1:1000); both may be numpy
        arrays, element by element.
        """

    @functools.cached_property
    def outline(self) -> Outline:
        """Return where the country's parcels can lie, in the storage CRS (loaded once)."""
        from landinfo.profiles.outline import load_outline  # shapely and pyproj, lazily

        return load_outline(self)

    @abc.abstractmethod
    def normalize_national_id(self, text: str, *, kind: str, today: dt.date | None = None) -> str:
        """Return the identity number in `text` as its canonical digits, whatever its spelling.

        `kind` is the party's: "person", "organisation" or "state" (organisations and the
        State are numbered alike). Hyphens, spaces, dots and full-width digits are
        accepted (`text.compact_number`); the result is checked against the national
        rules (length, date, check digit where the law defines one). Raise
        InvalidNationalId with a message a person can act on otherwise. One number has
        one spelling here, so that one party is registered once. `today` (default: the
        machine's date) bounds dates of birth.
        """

    def normalize_identifier(self, text: str, *, unit_code: str | None = None) -> str:
        """Return the canonical form of any accepted spelling."""
        return self.format_identifier(self.parse_identifier(text, unit_code=unit_code))

    def land_use(self, code: str) -> LandUse:
        """Return the land use for `code`; raise KeyError if the code list lacks it."""
        for land_use in self.land_uses:
            if land_use.code == code:
                return land_use
        raise KeyError(code)

    def land_use_or_code(self, code: str) -> LandUse:
        """Return the land use for `code`; a code outside the list names itself.

        A parcel imported from an older code list keeps its code: the sheet shows it.
        """
        try:
            return self.land_use(code)
        except KeyError:
            return LandUse(code=code, name=code, name_en=code, group="")

    @property
    def land_use_codes(self) -> frozenset[str]:
        return frozenset(land_use.code for land_use in self.land_uses)

    def parse_land_use(self, text: str, *, blank: bool = False) -> str:
        """Return the code of the list that `text` names; raise UnknownLandUse otherwise.

        The one reading of a land-use code a person typed or a file holds (deed forms
        and API, the import, the layers' `land_use=` filter). It is cleaned as all typed
        or pasted text is (normalize_text: invisible characters, any kind of space),
        full-width forms are made ASCII (NFKC), and case is ignored: every profile's
        codes are upper-case ASCII ("odt", " ODT<ZWSP>" and "ＯＤＴ" are "ODT").
        `blank`: empty text is allowed, and returned as "".
        """
        # A code is one word: a character nobody sees inside it ("O<WJ>D<WJ>T") is no
        # break between words, as normalize_text must read it in names, but nothing.
        visible = "".join(char for char in text if not is_invisible(char))
        cleaned = unicodedata.normalize("NFKC", normalize_text(visible))
        # Upper-casing only ASCII: "tın".upper() would be "TIN", a code it does not spell.
        code = cleaned.upper() if cleaned.isascii() else cleaned
        if code in self.land_use_codes or (blank and not code):
            return code
        examples = ", ".join(land_use.code for land_use in self.land_uses[:6])
        raise UnknownLandUse(
            _("%(text)s is not a land-use code of %(profile)s (codes such as %(examples)s, ...)")
            % {"text": quote_input(cleaned), "profile": self.name, "examples": examples}
            if cleaned
            else _("the land use is empty"),
            cleaned,
        )

    def holder_kind(self, code: str) -> HolderKind:
        """Return the holder kind `code`; raise KeyError if the profile has none such."""
        for kind in self.holder_kinds:
            if kind.code == code:
                return kind
        raise KeyError(code)

    def right_origin(self, code: str) -> Choice:
        """Return the origin `code`; raise KeyError if the profile has none such."""
        return _choice(self.right_origins, code)

    def use_form(self, code: str) -> Choice:
        """Return the form of use `code`; raise KeyError if the profile has none such."""
        return _choice(self.use_forms, code)

    @property
    def state_may_hold(self) -> bool:
        """Return whether the State may be the holder of a right the register records."""
        return any(kind.party_kind == "state" for kind in self.holder_kinds)

    # --- import ---
    # The word for the unit that numbers parcels in the importer's messages ("commune
    # 00004 is not in the register"), and its plural.
    unit_noun: str = "administrative unit"
    units_noun: str = "administrative units"
    # The canonical spelling the importer reads without the parser; None: it parses all.
    canonical_pattern: CanonicalPattern | None = None
    # The fields cadastral files split an identifier into; None: one field holds it.
    identifier_fields: IdentifierFields | None = None


def _choice(choices: tuple[Choice, ...], code: str) -> Choice:
    for choice in choices:
        if choice.code == code:
            return choice
    raise KeyError(code)
