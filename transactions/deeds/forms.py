"""The notary forms: what a person types, turned into the deed API's JSON body.

Each form checks what a browser sends (dates, numbers, files, GeoJSON) and gives the
deed's terms as the body `POST /api/transactions/` takes (`deed_body`), so that a deed
from a form is read by the same serializers and recorded by the same act as one from
the API (transactions.deeds.submit). The register's own refusals come from the service.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from django.utils import timezone
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from landinfo.formats import area_unit, register_area
from landinfo.profiles import UnknownLandUse, get_profile
from landinfo.profiles.base import LONG_TERM
from landinfo.profiles.text import quote_input
from parcels.importing import survey
from transactions import people
from transactions.applications import office
from transactions.deeds.payloads import CorrectionMode, TransferType
from transactions.deeds.serializers import (
    MAX_CHILDREN,
    MAX_ID,
    SURVEY_MAX_BYTES,
    survey_children,
    survey_crs_choices,
)
from transactions.deeds.services import DEFAULT_SUBDIVISION_TOLERANCE_M2, document_sha256
from transactions.models import Party
from transactions.shares import InvalidShare, Share

# A scanned deed of a few pages is a few megabytes; a larger upload is not a deed.
DOCUMENT_MAX_BYTES = 20 * 2**20
# What a deed document may be, by the bytes it starts with (the name and the declared
# type are the sender's word; the signature is the file's).
DOCUMENT_SIGNATURES = {
    b"%PDF-": "application/pdf",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}
MAX_ROWS = 20


# What the page says when a hidden field of a deed form is missing or was altered: the
# notary cannot correct it, only load the form again.
STATE_LOST = _(
    "The form does not say which state of the parcel it was filled in from; "
    "reload the page and fill it in again."
)
FORM_INCOMPLETE = _("The form came back incomplete; reload the page and fill it in again.")

# The kinds of transfer as the pages name them (the form offers them, a history shows them).
TRANSFER_TYPES: dict[str, Promise] = {
    TransferType.SALE: _("Sale"),
    TransferType.GIFT: _("Gift"),
    TransferType.INHERITANCE: _("Inheritance"),
}


def _share(text: str) -> Share:
    """Return the share typed as "n/d", or raise a form error that says how to write it."""
    try:
        return Share.read(text.strip())
    except InvalidShare:
        raise forms.ValidationError(
            _('Write the share as a fraction of the whole parcel, e.g. "1/2" or "1/1".'),
            code="share",
        ) from None


def _person_text(value: str, what: str, *, required: bool = False, max_length: int = 300) -> str:
    """Return text about a person as the register keeps it, or raise the form error why not."""
    try:
        return people.person_text(value, what=what, required=required, max_length=max_length)
    except people.UnreadableText as error:
        raise forms.ValidationError(str(error), code="unreadable") from None


class ShareInput(forms.CharField):
    """A share typed "n/d"; cleaned to the same text, reduced."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 23)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "class": "share-input",
                    "inputmode": "numeric",
                    "pattern": r"\s*[0-9]+\s*(/\s*[0-9]+\s*)?",
                    "size": 7,
                }
            ),
        )
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        text = super().clean(value)
        return Share.text(_share(text)) if text else ""


class DeedForm(forms.Form):
    """What every deed form carries: the date, the document, and the hidden guards."""

    kind = ""
    document_required = True

    effective_date = forms.DateField(
        label=_("Effective date"),
        help_text=_("The day the deed takes legal effect: today or earlier."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    document = forms.FileField(
        label=_("Signed deed document"),
        help_text=_("PDF, PNG or JPEG, at most 20 MB. Its SHA-256 is written in the journal."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
    )
    # The parcel's last entry when the form was loaded, with the holders it showed: what
    # the deed acts on. A deed on a parcel that changed since is refused as stale instead
    # of overwriting what someone else recorded; a form without it is not a deed. The
    # notary never sees the field: whatever is wrong with it, the page says what to do.
    expected_last_entry = forms.IntegerField(
        min_value=0,
        max_value=MAX_ID,
        widget=forms.HiddenInput(),
        error_messages=dict.fromkeys(("required", "invalid", "min_value", "max_value"), STATE_LOST),
    )
    # Made once per form shown: a second submission of the same form finds the entry
    # the first one recorded instead of recording the deed twice.
    idempotency_key = forms.CharField(
        max_length=128,
        widget=forms.HiddenInput(),
        error_messages=dict.fromkeys(("required", "max_length"), FORM_INCOMPLETE),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["document"].required = self.document_required
        if not self.is_bound:
            self.initial.setdefault("effective_date", timezone.localdate())
            self.initial.setdefault("idempotency_key", str(uuid.uuid4()))
        self.document_bytes = b""
        if office.reviewed():
            self._add_contract_fields()

    def _add_contract_fields(self) -> None:
        """Add the contract's particulars as the profile's law names them (filed, not recorded)."""
        for particular in office.contract_fields():
            words: dict[str, Any] = {
                "required": False,
                "label": particular.label,
                "help_text": particular.help_text,
            }
            field: forms.Field
            if particular.name == "date":
                date_input = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
                field = forms.DateField(widget=date_input, **words)
            else:
                length = 100 if particular.name == "cause" else 300
                field = forms.CharField(max_length=length, **words)
            self.fields[f"contract_{particular.name}"] = field

    @property
    def contract_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("contract_")]

    def contract(self) -> dict[str, str]:
        """Return the particulars typed, as the body's `contract` object; empty ones left out."""
        contract = {}
        for name in self.fields:
            value = self.cleaned_data.get(name) if name.startswith("contract_") else None
            if value:
                text = value.isoformat() if hasattr(value, "isoformat") else str(value)
                contract[name.removeprefix("contract_")] = text
        return contract

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # The hidden guards' errors are the page's, not a field's the notary can see.
        for name in ("expected_last_entry", "idempotency_key"):
            for error in self.errors.pop(name, []):
                self.add_error(None, error)
        return data

    def clean_document(self) -> UploadedFile | None:
        document = self.cleaned_data.get("document")
        if not document:
            return None
        if document.size is not None and document.size > DOCUMENT_MAX_BYTES:
            raise forms.ValidationError(
                _("The document is larger than 20 MB; scan it at a lower resolution.")
            )
        content = b"".join(document.chunks())
        if not any(content.startswith(signature) for signature in DOCUMENT_SIGNATURES):
            raise forms.ValidationError(_("The document must be a PDF, PNG or JPEG file."))
        self.document_bytes = content
        return document

    @property
    def document_sha256(self) -> str:
        return document_sha256(self.document_bytes) if self.document_bytes else ""

    def deed_terms(self) -> dict[str, Any]:
        """Return the kind-specific part of the deed's JSON body."""
        raise NotImplementedError

    def deed_body(self) -> dict[str, Any]:
        """Return the deed as the JSON body of `POST /api/transactions/`."""
        data = self.cleaned_data
        body: dict[str, Any] = {
            "kind": self.kind,
            "effective_date": data["effective_date"].isoformat(),
            "expected_last_entry": data.get("expected_last_entry"),
        }
        if self.document_sha256:
            body["document_sha256"] = self.document_sha256
        return body | self.deed_terms()


class PartyForm(forms.Form):
    """A party a deed names: found by national ID, or described to be registered."""

    national_id = forms.CharField(
        label=_("National ID / registration number"),
        max_length=32,
        required=False,
        help_text=_("A number the register knows names that party; leave the name empty."),
    )
    # The profile's kinds of holder (its law's, e.g. Vietnam's Land Law 2024 art. 4), not
    # the register's three kinds of party: the State is offered only where it may hold.
    kind = forms.ChoiceField(label=_("Kind of holder"), choices=[])
    name = forms.CharField(label=_("Full name"), max_length=300, required=False)
    birth_year = forms.IntegerField(
        label=_("Year of birth"),
        min_value=1850,
        max_value=2200,
        required=False,
        help_text=_("A person's only; an organisation has none."),
    )
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    email = forms.EmailField(
        label=_("E-mail (for alerts)"),
        max_length=254,
        required=False,
        help_text=_("Alerts of applications on their parcels go there; not in the journal."),
    )

    # Whether only kinds a deed may still make holders are offered (a transfer's
    # recipients: no new Vietnamese household, Land Law 2024 art. 4).
    new_holders_only = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = [
            kind
            for kind in get_profile().holder_kinds
            if kind.new_holders or not self.new_holders_only
        ]
        field = cast(forms.ChoiceField, self.fields["kind"])
        field.choices = [(kind.code, _(kind.label)) for kind in kinds]
        field.initial = kinds[0].code if kinds else ""

    def has_party(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return bool(data.get("national_id") or data.get("name"))

    def clean_name(self) -> str:
        name = self.cleaned_data.get("name") or ""
        if not name:
            return ""
        try:
            return people.party_name(name)
        except people.UnreadableText as error:
            raise forms.ValidationError(str(error), code="unreadable") from None

    def clean_address(self) -> str:
        return _person_text(self.cleaned_data.get("address") or "", "The address")

    def clean_email(self) -> str:
        typed = self.cleaned_data.get("email") or ""
        try:
            return people.email_address(typed) if typed else ""
        except people.InvalidEmail:
            raise forms.ValidationError(_("Enter a valid e-mail address.")) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("kind"):
            return data  # the field's error says it
        try:
            data["party_kind"], _code = people.holder_kind(
                data["kind"], kind="", birth_year=data.get("birth_year")
            )
        except people.InvalidHolderKind as error:
            self.add_error("birth_year" if data.get("birth_year") else "kind", str(error))
            return data
        try:
            # One spelling per number: the party is found whatever the hyphens and spaces.
            national_id = people.national_id(data.get("national_id") or "", kind=data["party_kind"])
        except people.InvalidNationalId as error:
            self.add_error("national_id", str(error))
            return data
        data["national_id"] = national_id
        if national_id and not data.get("name"):
            party = Party.objects.filter(national_id=national_id).only("pk").first()
            if party is None:
                self.add_error(
                    "national_id",
                    _(
                        "No party has this number in the register; fill in the name to register them."
                    ),
                )
            else:
                data["party_id"] = party.pk
        return data

    def party_ref(self) -> int | dict[str, Any]:
        """Return the party as the deed API names it: an id, or a description."""
        data = self.cleaned_data
        if data.get("party_id"):
            return int(data["party_id"])
        return {
            "holder_kind": data["kind"],
            "name": data["name"],
            "national_id": data["national_id"],
            "birth_year": data.get("birth_year"),
            "address": data.get("address") or "",
            "email": data.get("email") or "",
        }


class HolderForm(PartyForm):
    """A party and the share of the parcel they receive."""

    share = ShareInput(label=_("Share"), required=False, help_text=_('e.g. "1/2"'))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.has_party() and not data.get("share") and "share" not in self.errors:
            self.add_error("share", _("Give the share this party receives."))
        if data.get("share") and not self.has_party():
            self.add_error("name", _("Name the party who receives this share."))
        return data


class _HolderFormSet(forms.BaseFormSet):
    def holders(self) -> list[dict[str, Any]]:
        """Return the rows that name a party, as the deed API's holders."""
        return [
            {"party": form.party_ref(), "share": form.cleaned_data["share"]}
            for form in self.forms
            if form.has_party()
        ]

    def clean(self) -> None:
        if any(self.errors):
            return
        if not self.holders() and self.min_num:
            raise forms.ValidationError(_("Name at least one party and their share."))


HolderFormSet = forms.formset_factory(
    HolderForm, formset=_HolderFormSet, extra=0, min_num=1, max_num=MAX_ROWS, absolute_max=MAX_ROWS
)


class RecipientForm(HolderForm):
    """A party who receives a share by transfer: of a kind a deed may still make a holder."""

    new_holders_only = True


RecipientFormSet = forms.formset_factory(
    RecipientForm,
    formset=_HolderFormSet,
    extra=0,
    min_num=1,
    max_num=MAX_ROWS,
    absolute_max=MAX_ROWS,
)
OptionalHolderFormSet = forms.formset_factory(
    HolderForm, formset=_HolderFormSet, extra=1, max_num=MAX_ROWS, absolute_max=MAX_ROWS
)


class ParticularsForm(DeedForm):
    """A deed that begins a land-use right: what its certificate states of it.

    The fields are the profile's (landinfo.profiles.base): Vietnam's certificate states
    the origin, form of use, term, attached assets and serial (Circular 10/2024/TT-BTNMT),
    Korea's the cause of registration; a field the profile has not is not offered.
    """

    origin = forms.ChoiceField(label=_("Origin of the right"), choices=[], required=False)
    use_form = forms.ChoiceField(label=_("Form of use"), choices=[], required=False)
    long_term = forms.BooleanField(label=_("Long-term use"), required=False)
    term_end = forms.DateField(
        label=_("Term of use until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Leave empty for long-term use."),
    )
    attached_assets = forms.CharField(
        label=_("Assets attached to the land"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("As the certificate states them; leave empty if none."),
    )
    certificate_serial = forms.CharField(
        label=_("Certificate serial"), max_length=32, required=False
    )
    certificate_number = forms.CharField(
        label=_("Certificate entry number"), max_length=32, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        profile = get_profile()
        blank = ("", _("As the law gives it") if self.kind == "transfer" else "—")
        origins = [(o.code, _(o.label)) for o in profile.right_origins]
        cast(forms.ChoiceField, self.fields["origin"]).choices = [blank, *origins]
        forms_of_use = [(u.code, _(u.label)) for u in profile.use_forms]
        cast(forms.ChoiceField, self.fields["use_form"]).choices = [blank, *forms_of_use]
        offered = {
            "use_form": bool(profile.use_forms),
            "long_term": profile.right_terms,
            "term_end": profile.right_terms,
            "attached_assets": profile.attached_assets,
            "certificate_serial": profile.certificate_serial,
        }
        for name, shown in offered.items():
            if not shown:
                del self.fields[name]

    @property
    def particular_fields(self) -> list[forms.BoundField]:
        names = (
            "origin",
            "use_form",
            "long_term",
            "term_end",
            "attached_assets",
            "certificate_serial",
            "certificate_number",
        )
        return [self[name] for name in names if name in self.fields]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("long_term") and data.get("term_end"):
            self.add_error(
                "term_end", _("A term is long-term or ends on a day, not both; clear one.")
            )
        for name, what in (
            ("attached_assets", "The attached assets"),
            ("certificate_serial", "The certificate's serial"),
            ("certificate_number", "The certificate's number"),
        ):
            if data.get(name):
                try:
                    data[name] = _person_text(data[name], what, max_length=500)
                except forms.ValidationError as error:
                    self.add_error(name, error)
        return data

    def particulars(self) -> dict[str, Any]:
        """Return {"particulars": ...} of the deed's body, when the form states any."""
        data = self.cleaned_data
        term = (
            LONG_TERM
            if data.get("long_term")
            else data["term_end"].isoformat()
            if data.get("term_end")
            else ""
        )
        stated = {
            "origin": data.get("origin") or "",
            "use_form": data.get("use_form") or "",
            "term": term,
            "attached_assets": data.get("attached_assets") or "",
            "certificate_serial": data.get("certificate_serial") or "",
            "certificate_number": data.get("certificate_number") or "",
        }
        stated = {key: value for key, value in stated.items() if value}
        return {"particulars": stated} if stated else {}


class TransferForm(ParticularsForm):
    """A sale, gift or inheritance of the land-use right, whole or in shares."""

    kind = "transfer"

    transfer_type = forms.ChoiceField(
        label=_("Kind of transfer"),
        choices=list(TRANSFER_TYPES.items()),
    )
    price = forms.DecimalField(
        label=_("Price"),
        min_value=Decimal(0),
        max_digits=20,
        decimal_places=2,
        required=False,
        help_text=_("For a sale; leave empty for a gift or an inheritance."),
    )
    currency = forms.RegexField(
        label=_("Currency"), regex=r"^[A-Z]{3}$", max_length=3, required=False
    )

    def __init__(
        self, *args: Any, owners: Sequence[tuple[int, Fraction]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.owners: list[tuple[int, Fraction]] = []
        self.fields["currency"].initial = get_profile().currency
        self.add_owners(owners)

    def add_owners(self, owners: Sequence[tuple[int, Fraction]], *, offer: bool = False) -> None:
        """Add each holder as a transferor: a tick and the share they give.

        A new form offers every holder giving all they hold (ticked, share filled in).
        A submitted form reads what the notary left ticked and typed, nothing else: a
        holder unticked gives nothing. `offer` puts the offer into a submitted form
        shown again, for holders it did not show (the parcel changed since): they are
        transferors only if the notary submits it again.
        """
        defaults = {}
        for party_id, share in owners:
            self.owners.append((party_id, share))
            self.fields[f"transferor_{party_id}"] = forms.BooleanField(
                required=False, initial=True, label=_("Transfers")
            )
            self.fields[f"transferor_share_{party_id}"] = ShareInput(
                required=False, initial=Share.text(share), label=_("Share transferred")
            )
            defaults[f"transferor_{party_id}"] = "on"
            defaults[f"transferor_share_{party_id}"] = Share.text(share)
        if self.is_bound and offer and defaults:
            self.data = data = cast(QueryDict, self.data).copy()
            for key, value in defaults.items():
                data.setdefault(key, value)

    def transferor_fields(self, party_id: int) -> tuple[forms.BoundField, forms.BoundField]:
        return self[f"transferor_{party_id}"], self[f"transferor_share_{party_id}"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.owners:
            raise forms.ValidationError(
                _(
                    "This parcel has no registered holder to transfer from: record its "
                    "first registration first."
                )
            )
        if not any(data.get(f"transferor_{p}") for p, _held in self.owners):
            raise forms.ValidationError(_("Tick at least one holder who transfers."))
        for party_id, _held in self.owners:
            if data.get(f"transferor_{party_id}") and not data.get(f"transferor_share_{party_id}"):
                self.add_error(f"transferor_share_{party_id}", _("Give the share transferred."))
        return data

    def deed_terms(self) -> dict[str, Any]:
        data = self.cleaned_data
        price = data.get("price") or Decimal(0)
        return self.particulars() | {
            "transfer_type": data["transfer_type"],
            "price": f"{price:f}",
            "currency": data.get("currency") or get_profile().currency,
            "transferors": [
                {"party": party_id, "share": data[f"transferor_share_{party_id}"]}
                for party_id, _held in self.owners
                if data.get(f"transferor_{party_id}")
            ],
        }


class FirstRegistrationForm(ParticularsForm):
    """The first holders of a parcel nobody holds yet."""

    kind = "first_registration"

    def deed_terms(self) -> dict[str, Any]:
        return self.particulars()


class MortgageForm(DeedForm):
    """A mortgage of the whole parcel to a lender."""

    kind = "mortgage"

    amount = forms.DecimalField(
        label=_("Amount secured"), min_value=Decimal("0.01"), max_digits=20, decimal_places=2
    )
    currency = forms.RegexField(
        label=_("Currency"), regex=r"^[A-Z]{3}$", max_length=3, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].initial = get_profile().currency

    def deed_terms(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "amount": f"{data['amount']:f}",
            "currency": data.get("currency") or get_profile().currency,
        }


class LenderForm(PartyForm):
    """The lender of a mortgage: usually a bank, registered by its business number."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organisations = [
            kind.code
            for kind in get_profile().holder_kinds
            if kind.party_kind == Party.Kind.ORGANISATION
        ]
        self.fields["kind"].initial = organisations[0] if organisations else None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.has_party():
            self.add_error("name", _("Name the lender, or give their registration number."))
        return data


class DischargeForm(DeedForm):
    """The discharge of one of the parcel's mortgages."""

    kind = "discharge"

    mortgage = forms.TypedChoiceField(label=_("Mortgage discharged"), coerce=int, choices=[])

    def __init__(
        self, *args: Any, mortgages: Sequence[tuple[int, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedChoiceField, self.fields["mortgage"])
        field.choices = list(mortgages)
        field.widget = forms.RadioSelect(choices=list(mortgages))
        if len(mortgages) == 1:
            self.fields["mortgage"].initial = mortgages[0][0]

    def deed_terms(self) -> dict[str, Any]:
        return {"mortgage": self.cleaned_data["mortgage"]}


class SubdivisionForm(DeedForm):
    """A split of the parcel into surveyed children: the surveyor's file, or GeoJSON."""

    kind = "subdivision"

    children_file = forms.FileField(
        label=_("Survey file of the new parcels"),
        required=False,
        help_text=_(
            "The coordinate list of the survey (.txt, .csv), its CAD drawing (.dxf, one "
            "closed polyline per new parcel) or GeoJSON; at most 5 MB."
        ),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".txt,.csv,.dxf,.geojson,.json,text/plain,application/geo+json"}
        ),
    )
    children_text = forms.CharField(
        label=_("…or paste the coordinate list"),
        required=False,
        help_text=_(
            "Parcel after parcel, one point a line: number, X (northing), Y (easting) in "
            'metres; a blank line or a "Parcel 2" line before the next parcel.'
        ),
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
    )
    crs = forms.TypedChoiceField(
        label=_("Coordinate system of the survey"),
        coerce=int,
        choices=[],
        help_text=_("The grid and zone the surveyor measured in, as the survey file states."),
    )
    dxf_layer = forms.CharField(
        label=_("Layer of the new parcels in the drawing"),
        required=False,
        max_length=255,
        help_text=_("Only for a DXF drawing with closed polylines on several layers."),
    )
    land_uses = forms.CharField(
        label=_("Land uses of the new parcels"),
        required=False,
        max_length=2000,
    )
    tolerance_m2 = forms.DecimalField(
        label=lazy(lambda: gettext("Tolerance (%(unit)s)") % {"unit": area_unit()}, str)(),
        required=False,
        min_value=Decimal(0),
        max_digits=12,
        decimal_places=4,
        help_text=lazy(
            lambda: (
                gettext(
                    "Gap or overlap tolerated along the parent's boundary; %(area)s when empty."
                )
                % {"area": register_area(DEFAULT_SUBDIVISION_TOLERANCE_M2, decimals=1)}
            ),
            str,
        )(),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedChoiceField, self.fields["crs"])
        field.choices = [("", _("Choose the coordinate system")), *survey_crs_choices()]
        codes = [use.code for use in get_profile().land_uses[:2]]
        self.fields["land_uses"].help_text = _(
            "In the order of the file, separated by commas, e.g. %(example)s. Empty: what "
            "the file writes in each parcel, or else the parcel's land use."
        ) % {"example": ", ".join(codes)}

    def clean_land_uses(self) -> list[str]:
        """Return the codes typed, one per new parcel, or [] when none are."""
        text = self.cleaned_data.get("land_uses") or ""
        codes = [part for part in re.split(r"[,;\s]+", text) if part]
        try:
            return [get_profile().parse_land_use(code) for code in codes]
        except UnknownLandUse as unknown:
            raise forms.ValidationError(
                _("%(code)s is not a land-use code of the list.")
                % {"code": quote_input(unknown.text)}
            ) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("children_file")
        text = data.get("children_text") or ""
        content = text.encode()
        if upload:
            if upload.size and upload.size > SURVEY_MAX_BYTES:
                self.add_error("children_file", _("The file is larger than 5 MB."))
                return data
            content = b"".join(upload.chunks())
        if not content.strip():
            raise forms.ValidationError(
                _("Give the new parcels: upload the survey file or paste its coordinate list.")
            )
        file_format = survey.detect_format(content, upload.name if upload else "")
        field = "children_file" if upload else "children_text"
        if file_format == survey.GEOJSON:
            text = self._geojson_text(upload, content)
            if text is not None:
                self._read_geojson(data, text)
            if "children" in data:
                self._set_land_uses(data)
            return data
        if upload and file_format == survey.COORDINATES:
            # Keep what was read, so the re-shown form still has it if the deed is refused.
            self._keep_text(content.decode("utf-8", errors="replace"))
        try:
            parcels = survey.read_survey(
                content,
                format=file_format,
                layer=data.get("dxf_layer") or "",
                max_parcels=MAX_CHILDREN,
                max_vertices=int(settings.LANDINFO["IMPORT_MAX_VERTICES"]),
            )
        except survey.SurveyFileError as error:
            self.add_error(field, error.message)
            return data
        if len(parcels) < 2:
            self.add_error(
                field,
                _(
                    "The file has %(count)s new parcel; a subdivision makes 2 to %(limit)s "
                    "parcels. Separate the parcels by a blank line."
                )
                % {"count": len(parcels), "limit": MAX_CHILDREN},
            )
            return data
        data["children"] = survey_children(parcels)
        self._set_land_uses(data)
        return data

    def _set_land_uses(self, data: dict[str, Any]) -> None:
        """Give the new parcels the land uses typed, one each, in the order of the file."""
        codes = data.get("land_uses") or []
        if not codes:
            return
        if len(codes) != len(data["children"]):
            self.add_error(
                "land_uses",
                _(
                    "%(given)s land uses for %(count)s new parcels: give one for each, in "
                    "the order of the file, or none."
                )
                % {"given": len(codes), "count": len(data["children"])},
            )
            return
        for child, code in zip(data["children"], codes, strict=True):
            child["land_use"] = code

    def _keep_text(self, text: str) -> None:
        self.data = data_copy = cast(QueryDict, self.data).copy()
        data_copy["children_text"] = text

    def _geojson_text(self, upload: UploadedFile | None, content: bytes) -> str | None:
        """Return the GeoJSON's text, or None after saying it is not UTF-8."""
        try:
            # GeoJSON is UTF-8 (RFC 7946); guessing another encoding would put wrong
            # letters into the addresses of the register.
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            self.add_error(
                "children_file" if upload else "children_text",
                _(
                    "The GeoJSON file is not UTF-8 text; save it again as UTF-8 "
                    "(GeoJSON is always UTF-8)."
                ),
            )
            return None
        if upload:
            self._keep_text(text)
        return text

    def _read_geojson(self, data: dict[str, Any], text: str) -> None:
        try:
            data["children"] = _children(json.loads(text, parse_constant=_non_finite))
        except _ChildrenRefused as refused:
            self.add_error("children_text", refused.message)
        except (ValueError, TypeError, KeyError, RecursionError):
            self.add_error(
                "children_text",
                _(
                    "This is not a GeoJSON FeatureCollection of polygons: each feature "
                    "needs a Polygon or MultiPolygon geometry."
                ),
            )

    def deed_terms(self) -> dict[str, Any]:
        data = self.cleaned_data
        terms: dict[str, Any] = {"children": data["children"], "crs": data["crs"]}
        if data.get("tolerance_m2") is not None:
            terms["tolerance_m2"] = f"{data['tolerance_m2']:f}"
        return terms


class _ChildrenRefused(ValueError):
    """Raised with the message for the form when the new parcels' GeoJSON is refused."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _non_finite(constant: str) -> float:
    """Refuse NaN and ±Infinity, which Python's JSON reader takes and JSON does not have."""
    raise _ChildrenRefused(
        _("Coordinates must be numbers; the GeoJSON holds %(constant)s.") % {"constant": constant}
    )


def _vertices(coordinates: Any) -> int:
    """Return how many positions nested GeoJSON coordinates hold (iteratively: no recursion)."""
    count, pending = 0, [coordinates]
    while pending:
        item = pending.pop()
        if isinstance(item, list) and item and not isinstance(item[0], list):
            count += 1
        elif isinstance(item, list):
            pending.extend(item)
    return count


def _children(document: Any) -> list[dict[str, Any]]:
    """Return the new parcels of a FeatureCollection (or a list of features) as the API's."""
    features = document["features"] if isinstance(document, dict) else document
    if not isinstance(features, list) or not features:
        raise ValueError("no features")
    if not 2 <= len(features) <= MAX_CHILDREN:
        raise _ChildrenRefused(
            _("The GeoJSON has %(count)s new parcels; a subdivision makes 2 to %(limit)s parcels.")
            % {"count": len(features), "limit": MAX_CHILDREN}
        )
    limit = int(settings.LANDINFO["IMPORT_MAX_VERTICES"])
    return [_child(number, feature, limit) for number, feature in enumerate(features, 1)]


def _child(number: int, feature: Any, limit: int) -> dict[str, Any]:
    """Return one new parcel of the GeoJSON as the API's, refusing what the deed cannot take."""
    geometry = feature["geometry"] if feature.get("type") == "Feature" else feature
    if not isinstance(geometry, dict) or geometry.get("type") not in {"Polygon", "MultiPolygon"}:
        raise ValueError("not a polygon")
    if "crs" in geometry:
        # GEOS would refuse it (SuspiciousOperation, a bare 400 page that loses the
        # form), and the deed's CRS is the form's: say so while the form is shown.
        raise _ChildrenRefused(
            str(
                _(
                    "A new parcel's geometry names its own CRS (a 'crs' member); remove "
                    "it and choose the CRS in the form."
                )
            )
        )
    # Counted before GEOS sees the boundary: no surveyed parcel comes near the limit.
    vertices = _vertices(geometry.get("coordinates"))
    if vertices > limit:
        raise _ChildrenRefused(
            _(
                "A new parcel has %(count)s vertices; a parcel boundary may have at most "
                "%(limit)s. Simplify the boundary."
            )
            % {"count": vertices, "limit": limit}
        )
    properties = feature.get("properties") or {}
    return {
        "boundary": geometry,
        "land_use": _child_land_use(number, properties),
        "address": _child_address(number, properties),
    }


def _child_land_use(number: int, properties: dict[str, Any]) -> str:
    try:
        return get_profile().parse_land_use(str(properties.get("land_use") or ""), blank=True)
    except UnknownLandUse as unknown:
        raise _ChildrenRefused(
            _(
                "New parcel %(number)s has the land use %(code)s, which is not a code of "
                "the list; leave it out to keep the parent's."
            )
            % {"number": number, "code": quote_input(unknown.text)}
        ) from None


def _child_address(number: int, properties: dict[str, Any]) -> str:
    try:
        return people.person_text(
            str(properties.get("address") or ""), what="The address", required=False
        )
    except people.UnreadableText as error:
        raise _ChildrenRefused(
            _("New parcel %(number)s: %(problem)s") % {"number": number, "problem": error}
        ) from None


class MergeForm(DeedForm):
    """The merge of adjacent parcels with the same holders into one."""

    kind = "merge"

    address = forms.CharField(
        label=_("Address of the merged parcel"),
        max_length=300,
        required=False,
        help_text=_("Empty: the address of the first parcel."),
    )

    def __init__(self, *args: Any, parcel_ids: Sequence[int] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parcel_ids = list(parcel_ids)

    def clean_address(self) -> str:
        return _person_text(self.cleaned_data.get("address") or "", "The address")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if len(self.parcel_ids) < 2:
            raise forms.ValidationError(_("Add the other parcels to merge with this one."))
        return data

    def deed_terms(self) -> dict[str, Any]:
        return {"parcels": self.parcel_ids, "address": self.cleaned_data.get("address") or ""}


class CorrectionForm(DeedForm):
    """A registrar's correction of an entry: reverse it, or amend its holders."""

    kind = "correction"
    document_required = False

    corrects = forms.IntegerField(
        label=_("Entry corrected (#)"),
        min_value=1,
        max_value=MAX_ID,
        error_messages=dict.fromkeys(
            ("min_value", "max_value"),
            _("Give the number of a journal entry, as the parcel's history shows it (#317)."),
        ),
    )
    mode = forms.ChoiceField(
        label=_("Correction"),
        choices=[
            (CorrectionMode.REVERSE, _("Reverse: the deed is undone")),
            (CorrectionMode.AMEND, _("Amend: the deed stands with other holders or shares")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the entry was wrong; it is written in the journal."),
    )

    def clean_reason(self) -> str:
        return _person_text(
            self.cleaned_data.get("reason") or "", "The reason", required=True, max_length=500
        )

    def deed_terms(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"corrects": data["corrects"], "mode": data["mode"], "reason": data["reason"]}


class ParcelSearchForm(forms.Form):
    q = forms.CharField(label=_("Parcel number or address"), max_length=200, required=False)
