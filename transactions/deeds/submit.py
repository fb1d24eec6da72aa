"""The deed API: `POST /api/transactions/` records a deed; `GET /api/parcels/<id>/holders`.

A deed arrives as JSON, is checked for its shape here (DRF serializers: 400 when it is
malformed), and is recorded by one act of transactions.deeds.services, which refuses what
the register cannot accept (`DeedRefused` and its kinds: 404, 409, 422). The notary
forms (transactions.deeds.views) build the same JSON body and go through the same path, so
a deed is read one way whatever brought it.

Every error answers `{"error": code, "detail": message}`: codes are stable for
programs, messages are for people. A request repeated with its `Idempotency-Key`
returns the entry it recorded (201 again, `Idempotent-Replayed: true`), never a
second entry.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any, ClassVar, cast

from django.contrib.auth.models import AbstractUser
from django.contrib.gis.gdal import GDALException, SpatialReference
from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DataError
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
)
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from landinfo.profiles import UnknownLandUse, get_profile
from landinfo.srid import STORAGE_SRID
from parcels.models import Parcel
from parcels.selectors import display_identifier
from transactions import audit, people
from transactions.deeds import services
from transactions.deeds.payloads import CorrectionMode, TransferType
from transactions.deeds.services import ChildParcel, DeedInput, PartyInput
from transactions.exceptions import DeedRefused
from transactions.journal.hashing import canonical_json
from transactions.models import JournalEntry, Party

logger = logging.getLogger(__name__)

RECORD = "transactions.record_deed"
CORRECT = "transactions.correct_deed"
VIEW_PERSONAL_DATA = "transactions.view_personal_data"

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# RFC 9110 field values are visible ASCII and spaces; 128 fits the journal's column.
_IDEMPOTENCY_KEY = re.compile(r"[\x20-\x7e]{1,128}")
# A deed, boundaries and all, is far below this; a larger body is not a deed.
MAX_BODY_BYTES = 5 * 2**20
# Ids are bigint and shares are stored as two integers: larger numbers would fail in
# the database, after the deed was checked, instead of being refused with a reason.
MAX_ID = 2**63 - 1
_MAX_SHARE_TERM = 2**31 - 1
_SHARE = re.compile(r"\s*([0-9]{1,10})\s*(?:/\s*([0-9]{1,10})\s*)?")
_MAX_PARTIES = 100
MAX_CHILDREN = 200
MAX_MERGED = 50  # parcels one merge joins
_MAX_VERTICES = 100_000


# --- the shape of a deed ------------------------------------------------------------------


class _Strict(serializers.Serializer):
    # Refuses keys it does not know: a misspelt `expected_last_entry` must not silently
    # turn the staleness check off. (A comment, not a docstring: docstrings are the
    # schema's descriptions of the serializers below.)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(str(key) for key in data if key not in self.fields)
            if unknown:
                raise serializers.ValidationError(
                    {key: ["This field is not part of this kind of deed."] for key in unknown}
                )
        return super().to_internal_value(data)


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^[0-9]{1,10}(/[0-9]{1,10})?$",
        "description": 'A share of the parcel written "n/d", e.g. "1/2" ("1" is the whole).',
        "example": "1/2",
    }
)
class ShareField(serializers.Field):
    """A share of a parcel written "n/d"; the register decides whether it is one it accepts."""

    default_error_messages = {
        "invalid": 'A share is written "n/d", e.g. "1/2"; got {value!r}.',
        "zero": "A share cannot have the denominator 0.",
        "large": "A share's numerator and denominator are at most {limit} once reduced.",
    }

    def to_internal_value(self, data: Any) -> Fraction:
        match = _SHARE.fullmatch(data) if isinstance(data, str) else None
        if match is None:
            self.fail("invalid", value=data if isinstance(data, str | int) else type(data).__name__)
        numerator, denominator = int(match[1]), int(match[2] or 1)
        if denominator == 0:
            self.fail("zero")
        share = Fraction(numerator, denominator)
        if max(share.numerator, share.denominator) > _MAX_SHARE_TERM:
            self.fail("large", limit=_MAX_SHARE_TERM)
        return share

    def to_representation(self, value: Fraction) -> str:
        return f"{value.numerator}/{value.denominator}"


class PersonTextField(serializers.CharField):
    """Text about a person (a name, an address, a reason), normalised as the register keeps it.

    transactions.people.person_text: NFC, an invisible or blank-looking character
    between words one space as any space is, trimmed; what is left empty or unreadable
    is a 400 saying so.
    """

    def __init__(self, *, what: str, name: bool = False, **kwargs: Any) -> None:
        self.what = what
        self.is_name = name
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        text = super().to_internal_value(data)
        try:
            if self.is_name:
                return people.party_name(text)
            return people.person_text(
                text,
                what=self.what,
                required=not self.allow_blank,
                max_length=self.max_length or 300,
            )
        except people.UnreadableText as error:
            raise serializers.ValidationError(str(error)) from None


class LandUseField(serializers.CharField):
    """A land-use code, read as everywhere (profile.parse_land_use): "odt" is "ODT"."""

    def to_internal_value(self, data: Any) -> str:
        text = super().to_internal_value(data)
        try:
            return get_profile().parse_land_use(text, blank=self.allow_blank)
        except UnknownLandUse as unknown:
            raise serializers.ValidationError(
                f"{unknown}; leave it out to keep the parent's."
            ) from None


_NATIONAL_ID_HELP = (
    "Required for a person. Any spelling: hyphens, spaces, dots and full-width digits are "
    "ignored, and the number is stored as the profile's digits (Vietnam: the 12-digit căn "
    "cước or 9-digit CMND for a person, the 10- or 13-digit tax code for an organisation; "
    "Korea: the 13-digit resident or foreigner registration number for a person, the "
    "10-digit business or 13-digit corporate registration number for an organisation). "
    "A number that is not one (bad date, check digit) is a 400. A known number names the "
    "party already registered."
)


class NewPartySerializer(_Strict):
    """A party the register may not know yet, described as the deed describes it."""

    kind = serializers.ChoiceField(choices=Party.Kind.values)
    name = PersonTextField(what="The name", name=True, max_length=300)
    national_id = serializers.CharField(
        max_length=32, required=False, default="", allow_blank=True, help_text=_NATIONAL_ID_HELP
    )
    birth_year = serializers.IntegerField(
        min_value=1850, max_value=2200, required=False, allow_null=True, default=None
    )
    address = PersonTextField(
        what="The address", max_length=300, required=False, default="", allow_blank=True
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            attrs["national_id"] = people.national_id(attrs["national_id"], kind=attrs["kind"])
        except people.InvalidNationalId as error:
            raise serializers.ValidationError({"national_id": [str(error)]}) from None
        return attrs


_NEW_PARTY_SCHEMA = {
    "type": "object",
    "required": ["kind", "name"],
    "properties": {
        "kind": {"type": "string", "enum": Party.Kind.values},
        "name": {
            "type": "string",
            "maxLength": 300,
            "description": "Stored as it reads: NFC, an invisible or blank-looking character "
            "between words a space, spaces collapsed; a name with no letter left is a 400.",
        },
        "national_id": {"type": "string", "maxLength": 32, "description": _NATIONAL_ID_HELP},
        "birth_year": {"type": "integer", "nullable": True},
        "address": {"type": "string", "maxLength": 300},
    },
}


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "minimum": 1, "description": "A party's id."},
            _NEW_PARTY_SCHEMA,
        ],
        "description": "An existing party by id, or a party described by the deed "
        "(registered if the register does not know it).",
    }
)
class PartyRefField(serializers.Field):
    """A party named by a deed: its id, or its description (services.PartyInput)."""

    default_error_messages = {
        "invalid": "Name a party by its id or describe it: {{kind, name, national_id, ...}}.",
        "range": f"A party id is a whole number from 1 to {MAX_ID}.",
    }

    def to_internal_value(self, data: Any) -> int | PartyInput:
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int):
            if not 0 < data <= MAX_ID:
                self.fail("range")
            return data
        if isinstance(data, Mapping):
            described = NewPartySerializer(data=data)
            if not described.is_valid():
                raise serializers.ValidationError(described.errors)
            return PartyInput(**described.validated_data)
        self.fail("invalid")
        raise AssertionError  # pragma: no cover - fail() raises

    def to_representation(self, value: Any) -> Any:
        return value


def _id_field(**options: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **options)


def _amount_field(**options: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=24, decimal_places=4, min_value=Decimal(0), **options
    )


class DeedHolderSerializer(_Strict):
    """A party and the share of the whole parcel they hold or receive."""

    party = PartyRefField()
    share = ShareField()


class DeedTransferorSerializer(_Strict):
    """A current holder and the share of the whole parcel they give."""

    party = _id_field(help_text="The id of a current holder.")
    share = ShareField(help_text="The share of the whole parcel this holder gives.")


class _Deed(_Strict):
    """What every deed carries."""

    kind_name: ClassVar[str] = ""

    effective_date = serializers.DateField(
        help_text="The day the deed takes legal effect (YYYY-MM-DD), today or earlier."
    )
    expected_last_entry = serializers.IntegerField(
        min_value=0,
        max_value=MAX_ID,
        help_text="Required: `last_entry` of the parcel sheet the deed was prepared from (0 "
        "when it had none; for a merge, the largest of its parcels'; for a correction, the "
        "sheet of the corrected entry's parcel). A deed says what it acts on: one made "
        "against another state of the parcel is refused as stale (409).",
        error_messages={
            "required": "Send the parcel sheet's last_entry (0 when it has none): a deed "
            "says which state of the register it was made against.",
            "null": "Send the parcel sheet's last_entry (0 when it has none), not null.",
        },
    )
    document_sha256 = serializers.RegexField(
        r"^[0-9a-fA-F]{64}$",
        required=False,
        default="",
        allow_blank=True,
        help_text="Hex SHA-256 of the signed deed document.",
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        # `kind` is the discriminator of the request's schema (its mapping lists the
        # kinds); parse_deed chose this serializer by it, so it holds this one's kind.
        return {
            "kind": serializers.CharField(help_text=f'"{self.kind_name}"'),
            **super().get_fields(),
        }


class _OnParcel(_Deed):
    parcel = _id_field(help_text="The id of the parcel the deed is about.")


class FirstRegistrationSerializer(_OnParcel):
    """The first holders of a parcel nobody holds; their shares add up to 1."""

    kind_name = "first_registration"
    holders = serializers.ListField(
        child=DeedHolderSerializer(), min_length=1, max_length=_MAX_PARTIES
    )


class TransferSerializer(_OnParcel):
    """A sale, gift or inheritance of the land-use right, whole or a share."""

    kind_name = "transfer"
    transfer_type = serializers.ChoiceField(choices=[kind.value for kind in TransferType])
    price = _amount_field(required=False, default=Decimal(0), help_text="0 or absent for a gift.")
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False, default="")
    transferors = serializers.ListField(
        child=DeedTransferorSerializer(),
        min_length=1,
        max_length=_MAX_PARTIES,
        help_text="Required: each current holder who gives, with the share of the whole "
        "parcel they give (the holders and their ids are in /api/parcels/{id}/holders).",
        error_messages={
            "required": "Name the transferors: each holder who gives, with the share they "
            "give. Nobody's share passes without the deed saying so."
        },
    )
    recipients = serializers.ListField(
        child=DeedHolderSerializer(), min_length=1, max_length=_MAX_PARTIES
    )


class MortgageSerializer(_OnParcel):
    """A mortgage of the whole parcel to a lender."""

    kind_name = "mortgage"
    lender = PartyRefField()
    amount = _amount_field(help_text="The amount the mortgage secures.")
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False, default="")


class DischargeSerializer(_OnParcel):
    """The discharge of a mortgage on the parcel."""

    kind_name = "discharge"
    mortgage = _id_field(
        help_text="Required: the id of the mortgage right discharged "
        "(/api/parcels/{id}/holders lists them).",
        error_messages={"required": "Name the mortgage discharged by its right id."},
    )


@extend_schema_field(
    {
        "type": "object",
        "description": "A GeoJSON Polygon or MultiPolygon in the deed's `crs`.",
        "required": ["type", "coordinates"],
        "properties": {
            "type": {"type": "string", "enum": ["Polygon", "MultiPolygon"]},
            "coordinates": {"type": "array", "items": {}},
        },
    }
)
class GeoJSONGeometryField(serializers.Field):
    """A GeoJSON Polygon or MultiPolygon, read by GDAL; its CRS is set by the deed."""

    default_error_messages = {
        "invalid": "Give a GeoJSON geometry of type Polygon or MultiPolygon.",
        "unreadable": "This GeoJSON geometry cannot be read: {error}",
        "large": f"A boundary has at most {_MAX_VERTICES} vertices.",
    }

    def to_internal_value(self, data: Any) -> GEOSGeometry:
        if not isinstance(data, Mapping) or data.get("type") not in {"Polygon", "MultiPolygon"}:
            self.fail("invalid")
        try:
            geometry = GEOSGeometry(json.dumps(dict(data), allow_nan=False))
        except (GDALException, GEOSException, ValueError, TypeError) as error:
            self.fail("unreadable", error=str(error)[:200])
        if geometry.geom_type not in {"Polygon", "MultiPolygon"}:
            self.fail("invalid")
        if geometry.num_coords > _MAX_VERTICES:
            self.fail("large")
        return geometry

    def to_representation(self, value: Any) -> Any:
        return json.loads(value.json)


class DeedChildSerializer(_Strict):
    """A parcel a subdivision makes."""

    boundary = GeoJSONGeometryField()
    land_use = LandUseField(
        required=False,
        default="",
        allow_blank=True,
        help_text="A code of the profile's list, in any case. Default: the parent's.",
    )
    address = PersonTextField(
        what="The address",
        max_length=300,
        required=False,
        default="",
        allow_blank=True,
        help_text="Default: the parent's.",
    )


def check_crs(code: int) -> int:
    """Return the EPSG code if GDAL knows the CRS; refuse it otherwise."""
    try:
        SpatialReference(code)
    except (GDALException, ValueError, TypeError):
        raise serializers.ValidationError(
            f"EPSG:{code} is not a coordinate system GDAL knows."
        ) from None
    return code


class SubdivisionSerializer(_OnParcel):
    """The split of a parcel into surveyed children that cover it."""

    kind_name = "subdivision"
    children = serializers.ListField(
        child=DeedChildSerializer(), min_length=2, max_length=MAX_CHILDREN
    )
    crs = serializers.IntegerField(
        min_value=1,
        max_value=999_999,
        required=False,
        default=4326,
        help_text="EPSG code of the children's coordinates (default 4326, WGS84 lon/lat).",
    )
    tolerance_m2 = serializers.DecimalField(
        max_digits=12,
        decimal_places=4,
        min_value=Decimal(0),
        required=False,
        allow_null=True,
        default=None,
        help_text="Gap or overlap tolerated between the parent and its children, m².",
    )

    def validate_crs(self, value: int) -> int:
        return check_crs(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # A boundary GDAL cannot carry into the storage CRS (coordinates outside the
        # CRS's domain) is malformed; the service would otherwise fail on it, not refuse.
        for index, child in enumerate(attrs["children"]):
            boundary = child["boundary"].clone()
            boundary.srid = attrs["crs"]
            try:
                boundary.transform(STORAGE_SRID)
            except (GDALException, GEOSException, ValueError):
                raise serializers.ValidationError(
                    {
                        "children": [
                            f"children[{index}].boundary: its coordinates are not in "
                            f"EPSG:{attrs['crs']}, or lie outside the national grid."
                        ]
                    }
                ) from None
        return attrs


class MergeSerializer(_Deed):
    """The merge of adjacent parcels of one unit, land use and holder set into one."""

    kind_name = "merge"
    parcels = serializers.ListField(child=_id_field(), min_length=2, max_length=MAX_MERGED)
    address = PersonTextField(
        what="The address", max_length=300, required=False, default="", allow_blank=True
    )


class CorrectionSerializer(_Deed):
    """A registrar's correction of an entry by a new entry: reverse it, or amend its holders."""

    kind_name = "correction"
    corrects = _id_field(help_text="The sequence of the journal entry corrected.")
    mode = serializers.ChoiceField(choices=[mode.value for mode in CorrectionMode])
    reason = PersonTextField(what="The reason", max_length=500)
    holders = serializers.ListField(
        child=DeedHolderSerializer(),
        required=False,
        default=list,
        max_length=_MAX_PARTIES,
        help_text="For `amend` (required there): the holders and shares the entry should "
        "have named. A `reverse` names none.",
    )
    parcel = _id_field(
        help_text="Required: the parcel of the corrected entry, whose sheet's last_entry is "
        "`expected_last_entry`; an entry on another parcel is refused.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["mode"] == CorrectionMode.AMEND and not attrs["holders"]:
            raise serializers.ValidationError(
                {"holders": ["An amendment names the holders the entry should have named."]}
            )
        if attrs["mode"] == CorrectionMode.REVERSE and attrs["holders"]:
            raise serializers.ValidationError(
                {"holders": ["A reversal restores the holders the entry ended; it names none."]}
            )
        return attrs


DEED_SERIALIZERS: dict[str, type[serializers.Serializer]] = {
    serializer.kind_name: serializer
    for serializer in (  # type: ignore[misc]
        FirstRegistrationSerializer,
        TransferSerializer,
        MortgageSerializer,
        DischargeSerializer,
        SubdivisionSerializer,
        MergeSerializer,
        CorrectionSerializer,
    )
}


class DeedParcelSerializer(serializers.Serializer):
    """A parcel as a deed names it."""

    id = serializers.IntegerField()
    identifier = serializers.CharField()
    display = serializers.CharField()


class DeedLinksSerializer(serializers.Serializer):
    """Where to read the parcel the deed changed."""

    parcel = serializers.CharField(help_text="The parcel's sheet in the API.")
    history = serializers.CharField(help_text="Its deeds through time.")
    map = serializers.CharField(help_text="The parcel on the map.")


class DeedResultSerializer(serializers.Serializer):
    """The journal entry a deed was recorded as."""

    sequence = serializers.IntegerField(help_text="The entry's place in the journal.")
    kind = serializers.CharField(help_text="The kind of deed, as sent.")
    effective_date = serializers.DateField()
    recorded_at = serializers.DateTimeField(help_text="When the register recorded the deed.")
    entry_hash = serializers.CharField()
    prev_hash = serializers.CharField()
    parcel = DeedParcelSerializer(
        help_text="The parcel of the deed (a subdivision's parent, a merge's new parcel)."
    )
    parcels_created = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Ids of the parcels a subdivision or merge made.",
    )
    links = DeedLinksSerializer()


class DeedErrorSerializer(serializers.Serializer):
    """Why the request was not done."""

    error = serializers.CharField(
        help_text="A stable code: invalid, not_authenticated, permission_denied, not_found, "
        "conflict, stale, parcel_retired, transfer_refused, correction_refused, "
        "deed_refused, idempotency_key_reused, ..."
    )
    detail = serializers.CharField(help_text="What is wrong and what to do, for a person.")
    field_errors = serializers.JSONField(
        required=False, help_text="Per field, when the body is malformed."
    )


# --- reading and recording a deed ---------------------------------------------------------


class MalformedDeed(Exception):
    """The body is not a deed: 400, with the field errors when there are some."""

    def __init__(self, message: str, fields: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields


def request_sha256(body: Any) -> str:
    """Return the SHA-256 of the canonical JSON of a deed's body (what a replay must repeat)."""
    try:
        text = canonical_json(body)
        return hashlib.sha256(text.encode()).hexdigest()
    except (ValueError, TypeError, UnicodeEncodeError, RecursionError):
        raise MalformedDeed(
            "The body holds a number JSON cannot write exactly (e.g. 1e400) or text that is "
            "not Unicode; send finite numbers and UTF-8 text."
        ) from None


def parse_deed(body: Any) -> tuple[str, dict[str, Any]]:
    """Return the kind of the deed in `body` and its checked terms; MalformedDeed if not one."""
    if not isinstance(body, Mapping):
        raise MalformedDeed("The body is a JSON object describing one deed.")
    kind = body.get("kind")
    serializer_class = DEED_SERIALIZERS.get(kind) if isinstance(kind, str) else None
    if serializer_class is None:
        raise MalformedDeed(
            f"'kind' must be one of {', '.join(DEED_SERIALIZERS)}.",
            {"kind": ["Unknown kind of deed."]},
        )
    serializer = serializer_class(data=body)
    if not serializer.is_valid():
        raise MalformedDeed(first_error(serializer.errors), serializer.errors)
    return str(kind), dict(serializer.validated_data)


def first_error(errors: Any, path: str = "", *, with_path: bool = True) -> str:
    """Return the first error of DRF's nested errors as "field.sub[0].name: message".

    Without `with_path`, the message alone (the notary forms name the field themselves).
    """
    if isinstance(errors, Mapping):
        for key, value in errors.items():
            name = key if key != "non_field_errors" else ""
            inner = f"{path}.{name}".strip(".") if name else path
            return first_error(value, inner, with_path=with_path)
    if isinstance(errors, list):
        for index, value in enumerate(errors):
            if value:
                inner = path if isinstance(value, str) else f"{path}[{index}]"
                return first_error(value, inner, with_path=with_path)
    message = str(errors)
    return f"{path}: {message}" if path and with_path else message


def _shares(holders: list[Mapping[str, Any]]) -> list[tuple[Any, Fraction]]:
    return [(holder["party"], holder["share"]) for holder in holders]


def _first_registration(data: dict[str, Any], deed: DeedInput) -> JournalEntry:
    return services.record_first_registration(
        parcel_id=data["parcel"], holders=_shares(data["holders"]), deed=deed
    )


def _transfer(data: dict[str, Any], deed: DeedInput) -> JournalEntry:
    return services.record_transfer(
        parcel_id=data["parcel"],
        recipients=_shares(data["recipients"]),
        transfer_type=data["transfer_type"],
        price=data["price"].normalize(),
        currency=data["currency"] or None,
        transferors=_shares(data["transferors"]),
        deed=deed,
    )


def _mortgage(data: dict[str, Any], deed: DeedInput) -> JournalEntry:
    return services.record_mortgage(
        parcel_id=data["parcel"],
        lender=data["lender"],
        amount=data["amount"].normalize(),
        currency=data["currency"] or None,
        deed=deed,
    )


def _discharge(data: dict[str, Any], deed: DeedInput) -> JournalEntry:
    return services.record_discharge(
        parcel_id=data["parcel"], mortgage_id=data["mortgage"], deed=deed
    )


def _subdivision(data: dict[str, Any], deed: DeedInput) -> JournalEntry:
    children = []
    for child in data["children"]:
        boundary = child["boundary"].clone()
        boundary.srid = data["crs"]
        children.append(
            ChildParcel(boundary=boundary, land_use=child["land_use"], address=child["address"])
        )
    return services.subdivide_parcel(
        parcel_id=data["parcel"],
        children=children,
        tolerance_m2=data["tolerance_m2"],
        deed=deed,
    )


def _merge(data: dict[str, Any], deed: DeedInput) -> JournalEntry:
    return services.merge_parcels(parcel_ids=data["parcels"], address=data["address"], deed=deed)


def _correction(data: dict[str, Any], deed: DeedInput) -> JournalEntry:
    target = JournalEntry.objects.filter(sequence=data["corrects"]).only("payload").first()
    if target is not None:
        parcel_id = json.loads(target.payload)["parcel"]["id"]
        if parcel_id != data["parcel"]:
            raise DeedRefused(
                f"Entry #{data['corrects']} is a deed on parcel {parcel_id}, not on "
                f"parcel {data['parcel']}; check the entry's number."
            )
    return services.record_correction(
        corrects=data["corrects"],
        mode=data["mode"],
        reason=data["reason"],
        holders=_shares(data["holders"]),
        deed=deed,
    )


# The act of the register each kind of deed is recorded by.
ACTS: dict[str, Callable[[dict[str, Any], DeedInput], JournalEntry]] = {
    "first_registration": _first_registration,
    "transfer": _transfer,
    "mortgage": _mortgage,
    "discharge": _discharge,
    "subdivision": _subdivision,
    "merge": _merge,
    "correction": _correction,
}


def permission_for(kind: str) -> str:
    """Return the permission recording a deed of `kind` needs."""
    return CORRECT if kind == "correction" else RECORD


def record(kind: str, data: dict[str, Any], deed: DeedInput) -> JournalEntry:
    """Record the checked deed; raise DeedRefused (or PermissionDenied) when refused.

    A database error that a check should have caught becomes a refusal here, logged
    with its trace: the deed was not recorded, and the caller learns so without a 500.
    """
    try:
        return ACTS[kind](data, deed)
    except DataError as error:
        logger.exception("A %s deed passed its checks but the database refused it", kind)
        raise DeedRefused(
            "The register cannot store this deed as written (a number in it is out of "
            "range); nothing was recorded."
        ) from error


def deed_result(entry: JournalEntry) -> dict[str, Any]:
    """Return the API's answer for a recorded entry: the same for the request and its replays."""
    payload = json.loads(entry.payload)
    parcel = payload["parcel"]
    return {
        "sequence": entry.sequence,
        "kind": entry.kind,
        "effective_date": entry.effective_date.isoformat(),
        "recorded_at": entry.recorded_at.isoformat(),
        "entry_hash": entry.entry_hash,
        "prev_hash": entry.prev_hash,
        "parcel": {
            "id": parcel["id"],
            "identifier": parcel["identifier"],
            "display": display_identifier(parcel["identifier"]),
        },
        "parcels_created": [created["id"] for created in payload.get("parcels_created", [])],
        "links": {
            "parcel": reverse("transactions:detail", args=[parcel["id"]]),
            "history": reverse("transactions:history", args=[parcel["id"]]),
            "map": f"{reverse('parcels:home')}?parcel={parcel['id']}",
        },
    }


# --- the views ---------------------------------------------------------------------------


def _error(code: str, detail: str, http_status: int, **extra: Any) -> Response:
    return Response({"error": code, "detail": detail, **extra}, status=http_status)


_DEED_EXAMPLE = {
    "kind": "transfer",
    "parcel": 42,
    "effective_date": "2025-03-01",
    "expected_last_entry": 17,
    "transfer_type": "sale",
    "price": "2500000000",
    "transferors": [{"party": 7, "share": "1/1"}],
    "recipients": [
        {
            "party": {"kind": "person", "name": "Lê Văn Cường", "national_id": "001080000003"},
            "share": "1/1",
        }
    ],
}
_ERROR = OpenApiResponse(DeedErrorSerializer)


class _DeedAPIView(APIView):
    """A signed-in user's JSON endpoint, answering every error as {"error", "detail"}."""

    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]

    def handle_exception(self, exc: Exception) -> Response:
        """Answer DRF's own errors (401, 403, 400, 415, ...) in the deed API's shape."""
        if isinstance(exc, DjangoPermissionDenied):
            exc = exceptions.PermissionDenied(str(exc) or None)
        response = super().handle_exception(exc)
        if isinstance(exc, exceptions.APIException):
            if isinstance(exc.detail, list | dict):
                code, detail = "invalid", first_error(exc.detail)
            else:
                code, detail = str(exc.get_codes()), str(exc.detail)
            response.data = {"error": code, "detail": detail}
        return response


class DeedsView(_DeedAPIView):
    """Record a deed in the register's journal."""

    @extend_schema(
        operation_id="record_deed",
        summary="Record a deed (notary; corrections: registrar)",
        description="Checks the deed and records it as one journal entry, or refuses it "
        "with a reason. The `kind` chooses the terms the body carries. Every deed says "
        "what it acts on: the parcel sheet's `last_entry` as `expected_last_entry` "
        "(required; a deed prepared against another state of the parcel is refused, 409 "
        "`stale`), a transfer its transferors and their shares, a discharge its mortgage, "
        "a correction its entry and parcel. A missing one is a 400 naming it. Names and "
        "addresses are stored normalised (invisible characters are word breaks), national IDs as "
        "the profile's digits, whatever their spelling. Retrying with the same "
        "`Idempotency-Key` and body returns the recorded entry again (201, "
        "`Idempotent-Replayed: true`); the same key with another body is refused (422).",
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                OpenApiTypes.STR,
                location=OpenApiParameter.HEADER,
                required=True,
                description="1 to 128 printable ASCII characters, new for each deed "
                "(a UUID is a good choice).",
            ),
            OpenApiParameter(
                "Location",
                OpenApiTypes.STR,
                location=OpenApiParameter.HEADER,
                response=[201],
                required=True,
                description="The sheet of the deed's parcel in the API.",
            ),
            OpenApiParameter(
                REPLAYED_HEADER,
                OpenApiTypes.STR,
                location=OpenApiParameter.HEADER,
                response=[201],
                enum=["true"],
                description="Present when the request repeated an earlier one's "
                f"{IDEMPOTENCY_HEADER} and body: the entry was recorded then, not now.",
            ),
        ],
        request=PolymorphicProxySerializer(
            component_name="Deed",
            serializers=dict(DEED_SERIALIZERS),
            resource_type_field_name="kind",
        ),
        examples=[OpenApiExample("A sale to a new person", value=_DEED_EXAMPLE, request_only=True)],
        responses={
            201: DeedResultSerializer,
            400: OpenApiResponse(DeedErrorSerializer, description="Not a deed: malformed."),
            401: OpenApiResponse(DeedErrorSerializer, description="Not signed in."),
            403: OpenApiResponse(DeedErrorSerializer, description="Not a notary or registrar."),
            404: OpenApiResponse(DeedErrorSerializer, description="It names what is not there."),
            409: OpenApiResponse(
                DeedErrorSerializer, description="It conflicts with the register as it stands."
            ),
            413: OpenApiResponse(
                DeedErrorSerializer, description="The body is too large to be a deed."
            ),
            415: OpenApiResponse(DeedErrorSerializer, description="The body is not JSON."),
            422: OpenApiResponse(DeedErrorSerializer, description="The register refuses it."),
        },
    )
    def post(self, request: Request) -> Response:
        """Record the deed in the body; answer with its journal entry."""
        user = cast(AbstractUser, request.user)  # IsAuthenticated: a real user
        if not (user.has_perm(RECORD) or user.has_perm(CORRECT)):
            raise exceptions.PermissionDenied("Recording deeds is for notaries and registrars.")
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if key is None:
            return _error(
                "idempotency_key_missing",
                f"Send an {IDEMPOTENCY_HEADER} header (e.g. a new UUID) with each deed, and "
                "the same one when you retry it, so it is never recorded twice.",
                status.HTTP_400_BAD_REQUEST,
            )
        if not _IDEMPOTENCY_KEY.fullmatch(key):
            return _error(
                "idempotency_key_invalid",
                f"The {IDEMPOTENCY_HEADER} is 1 to 128 printable ASCII characters.",
                status.HTTP_400_BAD_REQUEST,
            )
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES:
            return _error(
                "too_large",
                f"A deed is at most {MAX_BODY_BYTES // 2**20} MB of JSON.",
                status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        try:
            body = request.data
        except RecursionError:
            raise exceptions.ParseError("The JSON is nested too deeply to be a deed.") from None
        try:
            sha = request_sha256(body)
            kind, data = parse_deed(body)
        except MalformedDeed as malformed:
            extra = {"field_errors": malformed.fields} if malformed.fields else {}
            return _error("invalid", malformed.message, status.HTTP_400_BAD_REQUEST, **extra)
        if not user.has_perm(permission_for(kind)):
            raise exceptions.PermissionDenied(
                "Corrections are recorded by registrars."
                if kind == "correction"
                else "Recording deeds is for notaries."
            )
        deed = DeedInput(
            effective_date=data["effective_date"],
            recorded_by=user,
            document_sha256=data["document_sha256"].lower(),
            expected_last_entry=data["expected_last_entry"],
            idempotency_key=key,
            request_sha256=sha,
        )
        try:
            entry = record(kind, data, deed)
        except DeedRefused as refused:
            return _error(refused.code, refused.message, refused.status)
        response = Response(deed_result(entry), status=status.HTTP_201_CREATED)
        response["Location"] = reverse("transactions:detail", args=[response.data["parcel"]["id"]])
        if getattr(entry, "replayed", False):
            response[REPLAYED_HEADER] = "true"
        return response


class HolderPartySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Party.Kind.values)
    name = serializers.CharField(help_text="Unmasked.")
    national_id = serializers.CharField(help_text='"" when the register has none.')


class HolderRightSerializer(serializers.Serializer):
    right = serializers.IntegerField(help_text="The right's id (a discharge names a mortgage).")
    kind = serializers.CharField()
    share = serializers.CharField()
    valid_from = serializers.DateField()
    party = HolderPartySerializer()


class HoldersSerializer(serializers.Serializer):
    parcel = DeedParcelSerializer()
    last_entry = serializers.IntegerField(allow_null=True)
    holders = HolderRightSerializer(many=True)


class ParcelHoldersView(_DeedAPIView):
    """The holders of a parcel's rights, unmasked, for those who may read personal data."""

    @extend_schema(
        operation_id="parcel_holders",
        summary="The parcel's current holders, unmasked (notaries, registrars)",
        description="Names and national ID numbers of the holders of the rights in force "
        "on the parcel, and the parcel's `last_entry`. Personal data: each call is "
        "recorded (who read which parties, when).",
        responses={200: HoldersSerializer, 401: _ERROR, 403: _ERROR, 404: _ERROR},
    )
    def get(self, request: Request, pk: int) -> Response:
        """Return the holders of the rights in force on the parcel, and record the read."""
        if not request.user.has_perm(VIEW_PERSONAL_DATA):
            raise exceptions.PermissionDenied(
                "Holders' personal data is for notaries and registrars."
            )
        parcel = (
            Parcel.objects.filter(pk=pk).values("id", "identifier").first()
            if pk <= MAX_ID
            else None
        )
        if parcel is None:
            return _error("not_found", f"No parcel has the id {pk}.", status.HTTP_404_NOT_FOUND)
        holders = audit.current_holders(
            pk, user=request.user, purpose=f"API: /api/parcels/{pk}/holders"
        )
        return Response(
            {
                "parcel": {**parcel, "display": display_identifier(parcel["identifier"])},
                "last_entry": services.last_entry([pk]),
                "holders": [
                    {
                        "right": holder.right_id,
                        "kind": holder.kind,
                        "share": holder.share_text,
                        "valid_from": holder.valid_from.isoformat(),
                        "party": {
                            "id": holder.party_id,
                            "kind": holder.party_kind,
                            "name": holder.name,
                            "national_id": holder.national_id,
                        },
                    }
                    for holder in holders
                ],
            }
        )
