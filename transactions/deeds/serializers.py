"""The shape of a deed in JSON: DRF serializers, one per kind, and the API's answers.

A body that does not fit is malformed (400, with the field errors); whether the
register accepts a well-formed deed is the act's to say (transactions.deeds.services).
The notary forms reuse the fields that read a share, a CRS and the limits below, so a
deed is read one way whatever brought it. Which serializer reads which kind is the
table of kinds' (transactions.deeds.kinds).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar, cast

from django.conf import settings
from django.contrib.gis.gdal import GDALException, SpatialReference
from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from landinfo.profiles import UnknownLandUse, get_profile
from landinfo.profiles.base import LONG_TERM
from landinfo.srid import STORAGE_SRID
from parcels.importing import survey
from parcels.models import Parcel
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
                    {
                        key: [gettext("This field is not part of this kind of deed.")]
                        for key in unknown
                    }
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
                gettext("%(error)s; leave it out to keep the parent's.") % {"error": unknown}
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


def _holder_kind_help() -> str:
    kinds = ", ".join(f"{kind.code} ({kind.party_kind})" for kind in get_profile().holder_kinds)
    return (
        "The kind of holder as the register distinguishes them, with the kind of party it "
        f"is: {kinds}. Either or both of kind and holder_kind; they must agree."
    )


class NewPartySerializer(_Strict):
    """A party the register may not know yet, described as the deed describes it."""

    kind = serializers.ChoiceField(
        choices=Party.Kind.values,
        required=False,
        default="",
        help_text="person, organisation or state (where the profile's law lets the State "
        "hold a right); may be left out when holder_kind says it.",
    )
    holder_kind = serializers.ChoiceField(choices=[], required=False, default="")
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(serializers.ChoiceField, self.fields["holder_kind"])
        field.choices = [kind.code for kind in get_profile().holder_kinds]
        field.help_text = _holder_kind_help()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            attrs["kind"], attrs["holder_kind"] = people.holder_kind(
                attrs["holder_kind"], kind=attrs["kind"], birth_year=attrs["birth_year"]
            )
        except people.InvalidHolderKind as error:
            field = "birth_year" if attrs["birth_year"] is not None else "holder_kind"
            raise serializers.ValidationError({field: [str(error)]}) from None
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
    "required": ["name"],
    "properties": {
        "kind": {
            "type": "string",
            "enum": Party.Kind.values,
            "description": "Required unless holder_kind says it; the State only where the "
            "profile's law lets it hold a right (Korea, not Vietnam).",
        },
        "holder_kind": {
            "type": "string",
            "description": "The profile's kind of holder (Vietnam, Land Law 2024 art. 4: "
            "individual, household, community, domestic_organisation, "
            "religious_organisation, overseas_vietnamese, foreign_invested, "
            "foreign_diplomatic; Korea, 부동산등기법 제48조: individual, corporation, "
            "state, local_government, unincorporated, foreigner).",
        },
        "name": {
            "type": "string",
            "maxLength": 300,
            "description": "Stored as it reads: NFC, an invisible or blank-looking character "
            "between words a space, spaces collapsed; a name with no letter left is a 400.",
        },
        "national_id": {"type": "string", "maxLength": 32, "description": _NATIONAL_ID_HELP},
        "birth_year": {
            "type": "integer",
            "nullable": True,
            "description": "A natural person's only: refused (400) for an organisation or "
            "the State.",
        },
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


class RightParticularsSerializer(_Strict):
    """What the certificate states of the right the deed begins, each item optional.

    Vietnam (Circular 10/2024/TT-BTNMT): origin (nguồn gốc sử dụng), use_form (hình thức
    sử dụng), term (thời hạn sử dụng), attached_assets (tài sản gắn liền với đất),
    certificate_serial (số phát hành) and certificate_number (số vào sổ cấp GCN). Korea:
    origin (등기원인) and certificate_number; a term, form of use, attached assets or
    serial is refused there (422).
    """

    origin = serializers.ChoiceField(
        choices=[],
        required=False,
        default="",
        help_text="Where the right comes from (VN: nguồn gốc sử dụng; KR: 등기원인).",
    )
    use_form = serializers.ChoiceField(
        choices=[],
        required=False,
        default="",
        allow_blank=True,
        help_text="VN: sử dụng riêng (private) or sử dụng chung (common).",
    )
    term = serializers.RegexField(
        rf"^({LONG_TERM}|[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}})$",
        required=False,
        default="",
        allow_blank=True,
        help_text=f'"{LONG_TERM}" (VN: lâu dài), or the last day of use, YYYY-MM-DD.',
    )
    attached_assets = PersonTextField(
        what="The attached assets",
        max_length=500,
        required=False,
        default="",
        allow_blank=True,
        help_text='The assets attached to the land, as the certificate states them; "" none.',
    )
    certificate_serial = serializers.CharField(
        max_length=32,
        required=False,
        default="",
        allow_blank=True,
        help_text="The serial printed on the certificate's paper (VN: số phát hành).",
    )
    certificate_number = serializers.CharField(
        max_length=32,
        required=False,
        default="",
        allow_blank=True,
        help_text="The certificate's entry number in the book of certificates issued.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        profile = get_profile()
        origin = cast(serializers.ChoiceField, self.fields["origin"])
        origin.choices = [choice.code for choice in profile.right_origins]
        use_form = cast(serializers.ChoiceField, self.fields["use_form"])
        use_form.choices = [choice.code for choice in profile.use_forms]

    def validate_term(self, value: str) -> str:
        if value and value != LONG_TERM:
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                raise serializers.ValidationError(
                    gettext('Give the last day of use as YYYY-MM-DD, or "%(long)s".')
                    % {"long": LONG_TERM}
                ) from None
        return value


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
    particulars = RightParticularsSerializer(
        required=False,
        default=dict,
        help_text="What the certificate states of the right (origin, term, ...). The origin "
        "defaults to the profile's for a first registration (Korea: preservation, 소유권보존).",
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
    particulars = RightParticularsSerializer(
        required=False,
        default=dict,
        help_text="What the recipients' certificate states, where it differs from what the "
        "law carries over: the term, form of use and attached assets of the right "
        "transferred, and the origin the transfer gives (VN: nhận chuyển nhượng / thừa kế / "
        "tặng cho; KR: 매매 / 증여 / 상속).",
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
        "invalid": gettext_lazy("Give a GeoJSON geometry of type Polygon or MultiPolygon."),
        "unreadable": gettext_lazy("This GeoJSON geometry cannot be read: {error}"),
        "large": format_lazy(
            gettext_lazy("A boundary has at most {most} vertices."), most=_MAX_VERTICES
        ),
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
            gettext("EPSG:%(code)s is not a coordinate system GDAL knows.") % {"code": code}
        ) from None
    return code


def survey_crs_choices() -> list[tuple[int, str]]:
    """Return the profile's survey CRSs as (EPSG code, label in the active language)."""
    return [(choice.epsg, choice.name()) for choice in get_profile().survey_crs]


def survey_children(parcels: list[survey.SurveyedParcel]) -> list[dict[str, Any]]:
    """Return the parcels read from a survey file as the deed's `children`."""
    return [{"boundary": p.boundary, "land_use": p.land_use, "address": ""} for p in parcels]


# The largest surveyor's file (or GeoJSON) the form and the API take: a survey of a few
# hundred parcels is a few hundred kilobytes. The API takes it in base64: 4 characters for 3 bytes.
SURVEY_MAX_BYTES = 5 * 2**20


class SurveyFileSerializer(_Strict):
    """The surveyor's file of the new parcels, instead of `children`.

    A coordinate list as a trích đo địa chính or 측량성과 prints it: one parcel after
    another, each point "number X Y" with X the northing and Y the easting in metres of
    the deed's `crs` (spaces, tabs, commas or semicolons between fields, a decimal comma
    or point; a header line, a blank line or a "Thửa 1" / "필지 1" line between parcels).
    Or an ASCII DXF drawing with one closed polyline (LWPOLYLINE, POLYLINE) per new
    parcel; a land-use code written inside a parcel is its land use. The new parcels
    take the parent's land use and address otherwise.
    """

    format = serializers.ChoiceField(
        choices=[survey.COORDINATES, survey.DXF],
        required=False,
        default="",
        help_text="Default: told by the file's first bytes.",
    )
    # Its length is checked in validate(), in the file's bytes, not in base64 characters.
    content = serializers.CharField(
        trim_whitespace=False,
        help_text="The file's bytes in base64 (RFC 4648), at most 5 MB.",
    )
    layer = serializers.CharField(
        max_length=255,
        required=False,
        default="",
        allow_blank=True,
        help_text="DXF: the layer of the parcels' polylines, when several layers have some.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        too_large = serializers.ValidationError(
            {"content": [gettext("The file is larger than 5 MB.")]}
        )
        if len(attrs["content"]) > (SURVEY_MAX_BYTES + 2) // 3 * 4:
            raise too_large  # more base64 than 5 MB make, checked before decoding it
        try:
            data = base64.b64decode(attrs["content"], validate=True)
        except (binascii.Error, ValueError):
            raise serializers.ValidationError(
                {"content": [gettext("The file is not base64 (RFC 4648).")]}
            ) from None
        if len(data) > SURVEY_MAX_BYTES:
            raise too_large
        file_format = attrs["format"] or survey.detect_format(data)
        if file_format not in (survey.COORDINATES, survey.DXF):
            raise serializers.ValidationError(
                {"format": [gettext("GeoJSON is sent as `children`, not as a survey file.")]}
            )
        try:
            parcels = survey.read_survey(
                data,
                format=file_format,
                layer=attrs["layer"],
                max_parcels=MAX_CHILDREN,
                max_vertices=int(settings.LANDINFO["IMPORT_MAX_VERTICES"]),
            )
        except survey.SurveyFileError as error:
            raise serializers.ValidationError(error.message) from None
        return {"children": survey_children(parcels)}


class SubdivisionSerializer(_OnParcel):
    """The split of a parcel into surveyed children that cover it.

    The children are given as GeoJSON (`children`) or as the surveyor's file (`survey`),
    in the CRS `crs` names. Boundaries that do not lie on the parcel are refused with
    what would put them on it (X and Y swapped, another zone of the profile's survey CRSs).
    """

    kind_name = "subdivision"
    children = serializers.ListField(
        child=DeedChildSerializer(), min_length=2, max_length=MAX_CHILDREN, required=False
    )
    survey = SurveyFileSerializer(required=False)
    crs = serializers.IntegerField(
        min_value=1,
        max_value=999_999,
        required=False,
        default=4326,
        help_text="EPSG code of the children's coordinates (default 4326, WGS84 lon/lat). "
        "The survey CRSs of the profile: Vietnam VN-2000 / TM-3 on a province's central "
        "meridian (EPSG:5896-5899, 9205-9218), VN-2000 / UTM 48N, 49N (3405, 3406); Korea "
        "2000 belts (5185 West, 5186 Central, 5187 East, 5188 East Sea) and UTM-K (5179).",
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
        given = "survey" if "survey" in attrs else "children"
        if "survey" in attrs:
            if "children" in attrs:
                raise serializers.ValidationError(
                    {
                        "survey": [
                            gettext("Give the new parcels as `children` or as `survey`, not both.")
                        ]
                    }
                )
            read = DeedChildSerializer(data=attrs.pop("survey")["children"], many=True)
            if not read.is_valid():
                raise serializers.ValidationError({"survey": [first_child_error(read.errors)]})
            attrs["children"] = list(read.validated_data)
        if "children" not in attrs:
            raise serializers.ValidationError(
                {"children": [gettext("Give the new parcels as `children` or as `survey`.")]}
            )
        if not 2 <= len(attrs["children"]) <= MAX_CHILDREN:
            raise serializers.ValidationError(
                {
                    given: [
                        gettext("A subdivision makes 2 to %(most)s parcels.")
                        % {"most": MAX_CHILDREN}
                    ]
                }
            )
        # First what would place boundaries that miss the parcel (metres read as degrees
        # included), then GDAL's word on those it cannot carry into the storage CRS.
        self._check_placement(attrs, given)
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

    def _check_placement(self, attrs: dict[str, Any], given: str) -> None:
        parent = Parcel.objects.filter(pk=attrs["parcel"]).only("boundary", "identifier").first()
        if parent is None:
            return  # the act says the parcel is unknown
        try:
            survey.check_placement(
                [json.loads(child["boundary"].json) for child in attrs["children"]],
                crs=attrs["crs"],
                parent=parent.boundary,
                parent_name=get_profile().display_stored(parent.identifier),
                choices=survey_crs_choices(),
            )
        except survey.SurveyFileError as error:
            raise serializers.ValidationError({given: [error.message]}) from None


def first_child_error(errors: Any) -> str:
    """Return the first error of a list of children's errors, naming the new parcel."""
    for number, error in enumerate(errors, 1):
        for field, messages in (error or {}).items():
            return f"New parcel {number}, {field}: {messages[0]}"
    return "The new parcels cannot be read."


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
                {
                    "holders": [
                        gettext("An amendment names the holders the entry should have named.")
                    ]
                }
            )
        if attrs["mode"] == CorrectionMode.REVERSE and attrs["holders"]:
            raise serializers.ValidationError(
                {
                    "holders": [
                        gettext("A reversal restores the holders the entry ended; it names none.")
                    ]
                }
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
