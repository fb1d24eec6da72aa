"""The shape of a deed in JSON: DRF serializers, one per kind, and the API's answers.

A body that does not fit is malformed (400, with the field errors); whether the
register accepts a well-formed deed is the act's to say (transactions.deeds.services).
The notary forms reuse the fields that read a share, a CRS and the limits below, so a
deed is read one way whatever brought it. Which serializer reads which kind is the
table of kinds' (transactions.deeds.kinds).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

from django.contrib.gis.gdal import GDALException, SpatialReference
from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from landinfo.profiles import UnknownLandUse, get_profile
from landinfo.srid import STORAGE_SRID
from transactions import people
from transactions.deeds.payloads import CorrectionMode, TransferType
from transactions.deeds.services import PartyInput
from transactions.models import Party
from transactions.shares import LARGEST_TERM, InvalidShare, Share

# Ids are bigint and shares are stored as two integers (transactions.shares): larger
# numbers would fail in the database, after the deed was checked, instead of being
# refused with a reason.
MAX_ID = 2**63 - 1
_MAX_PARTIES = 100
MAX_CHILDREN = 200
MAX_MERGED = 50  # parcels one merge joins
_MAX_VERTICES = 100_000


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

    def to_internal_value(self, data: Any) -> Share:
        try:
            return Share.read(data)
        except InvalidShare as invalid:
            value = data if isinstance(data, str | int) else type(data).__name__
            self.fail(invalid.code, value=value, limit=LARGEST_TERM)
            raise AssertionError from None  # pragma: no cover - fail() raises

    def to_representation(self, value: Share) -> str:
        return Share.text(value)


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
    # Contact, not law: kept on the party for the alerts of applications on their parcels,
    # never in the journal's payload.
    email = serializers.EmailField(max_length=254, required=False, default="", allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["email"]:
            try:
                attrs["email"] = people.email_address(attrs["email"])
            except people.InvalidEmail as error:
                raise serializers.ValidationError({"email": [str(error)]}) from None
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
        "email": {
            "type": "string",
            "format": "email",
            "maxLength": 254,
            "description": "Where the party is alerted of applications on their parcels "
            "(stored on a party the deed registers; not part of the journal).",
        },
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
        "invalid": gettext_lazy(
            "Name a party by its id or describe it: {{kind, name, national_id, ...}}."
        ),
        "range": format_lazy(
            gettext_lazy("A party id is a whole number from 1 to {most}."), most=MAX_ID
        ),
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


class DeedSerializer(_Strict):
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
            "required": gettext_lazy(
                "Send the parcel sheet's last_entry (0 when it has none): a deed says which "
                "state of the register it was made against."
            ),
            "null": gettext_lazy(
                "Send the parcel sheet's last_entry (0 when it has none), not null."
            ),
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


class _OnParcel(DeedSerializer):
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
            "required": gettext_lazy(
                "Name the transferors: each holder who gives, with the share they give. "
                "Nobody's share passes without the deed saying so."
            )
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
        error_messages={"required": gettext_lazy("Name the mortgage discharged by its right id.")},
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


class MergeSerializer(DeedSerializer):
    """The merge of adjacent parcels of one unit, land use and holder set into one."""

    kind_name = "merge"
    parcels = serializers.ListField(child=_id_field(), min_length=2, max_length=MAX_MERGED)
    address = PersonTextField(
        what="The address", max_length=300, required=False, default="", allow_blank=True
    )


class CorrectionSerializer(DeedSerializer):
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
