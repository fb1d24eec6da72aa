"""The notary's pages: a page per kind of deed, named by the table of kinds.

Each deed page shows the parcel and its current holders unmasked (recorded as a read
of personal data, transactions.audit), takes the deed's terms on the kind's form, and
submits the deed as the API does (transactions.deeds.submit: same checks, same act of
the register). A refused deed comes back with the register's reason and everything
typed kept, and its document is not stored; a recorded one goes to the parcel on the
map.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, cast

from django import forms as django_forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from landinfo.dates import register_day
from landinfo.profiles import get_profile
from parcels.models import AdministrativeUnit, Parcel
from parcels.search import engine
from transactions import audit
from transactions.applications import office
from transactions.applications.receipt import file_application
from transactions.deeds import forms, kinds, serializers, services
from transactions.deeds.payloads import MORTGAGE, OWNERSHIP
from transactions.deeds.submit import MalformedDeed, first_error, submit
from transactions.exceptions import DeedRefused, IdempotencyKeyReused, StaleDeed
from transactions.models import Application, JournalEntry, Right
from transactions.selectors import parcel_timeline
from transactions.shares import Share

logger = logging.getLogger(__name__)

_TRANSFEROR_SHARE = re.compile(r"\btransferor_share_([0-9]{1,18})\b")


def _parcel_ids(values: Sequence[str]) -> list[int]:
    """Return the distinct parcel ids among `values`, in order, ignoring what is not one."""
    ids = [int(value) for value in values if value.isascii() and value.isdigit()]
    return [pk for pk in dict.fromkeys(ids) if 0 < pk < 2**63]


def _owners(parcel_id: int) -> list[tuple[int, Share]]:
    """Return the current holders' ids and shares (no personal data: nothing is shown)."""
    rights = Right.objects.filter(
        parcel_id=parcel_id, kind=OWNERSHIP, valid_to__isnull=True, voided_by__isnull=True
    ).order_by("pk")
    return [
        (holder, Share.of(numerator, denominator))
        for holder, numerator, denominator in rights.values_list(
            "holder_id", "share_numerator", "share_denominator"
        )
    ]


def land_use_text(code: str) -> str:
    """Return "code — name"; a code outside the profile's list (an old import) alone."""
    try:
        return f"{code} — {get_profile().land_use(code).name}"
    except KeyError:
        return code


def store_document(sha256: str, content: bytes) -> Path:
    """Write a recorded deed's document to MEDIA_ROOT/deeds/<sha256>, once, atomically.

    Called after the deed committed: a refused deed leaves no file behind. A file of
    that name already holds these very bytes (its name is their hash).
    """
    folder = Path(settings.MEDIA_ROOT) / "deeds"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / sha256
    if path.exists():
        return path
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


class DeedPage:
    """One deed form: the parcel, its holders, the terms, and recording the deed.

    The kind's row (transactions.deeds.kinds) gives the form; a page adds its template,
    its subforms and what it shows.
    """

    template: ClassVar[str] = ""
    title: ClassVar[Any] = ""
    # Which rights' holders the page shows (personal data: no more than the deed needs).
    holder_kinds: ClassVar[tuple[str, ...]] = (OWNERSHIP,)
    many_parcels: ClassVar[bool] = False

    def __init__(self, request: HttpRequest, kind: kinds.DeedKind) -> None:
        self.kind = kind
        self.form_class = kind.form
        self.request = request
        self.user = request.user
        source = request.POST if request.method == "POST" else request.GET
        ids = _parcel_ids(source.getlist("parcel"))
        self.parcels = self.find_parcels(ids if self.many_parcels else ids[:1])

    # --- what each kind of deed adds ------------------------------------------------------

    def find_parcels(self, ids: list[int]) -> list[Parcel]:
        found = {p.pk: p for p in Parcel.objects.filter(pk__in=ids).select_related("admin_unit")}
        return [found[pk] for pk in ids if pk in found]

    def form_kwargs(self) -> dict[str, Any]:
        return {}

    def subforms(self, data: Any) -> dict[str, Any]:
        """Return the formsets and subforms of the page, bound to `data` when given."""
        return {}

    def terms(self, subforms: dict[str, Any]) -> dict[str, Any]:
        """Return the deed's terms the subforms give (holders, lender, ...)."""
        return {}

    def prepare(self, form: forms.DeedForm, holders: dict[int, list[audit.Holder]]) -> None:
        """Adjust the form for display once the holders are read (labels with names)."""

    def context(self) -> dict[str, Any]:
        return {}

    def purpose(self) -> str:
        return f"deed form: {self.kind.name}"

    # --- the common steps -----------------------------------------------------------------

    def respond(self) -> HttpResponse:
        if not self.parcels:
            return self.choose_parcel()
        retired = [parcel for parcel in self.parcels if parcel.valid_to is not None]
        if retired and self.request.method != "POST":
            messages.warning(
                self.request,
                _(
                    "Parcel %(parcel)s was retired on %(date)s: record the deed on the "
                    "parcels that replaced it."
                )
                % {
                    "parcel": get_profile().display_stored(retired[0].identifier),
                    "date": register_day(retired[0].valid_to),
                },
            )
        if self.request.method == "POST":
            form = self.form_class(self.request.POST, self.request.FILES, **self.form_kwargs())
            subforms = self.subforms(self.request.POST)
            if "add_row" in self.request.POST:
                subforms = self.subforms(self._with_row(self.request.POST))
                form = self.form_class(self.request.POST, **self.form_kwargs())
                form.errors.clear()  # only a row was added: do not scold yet
                return self.render(form, subforms)
            if form.is_valid() and all(sub.is_valid() for sub in subforms.values()):
                recorded = self.record(form, subforms)
                if recorded is not None:
                    return recorded
            if self.request.FILES.get("document") and "document" not in form.errors:
                # Nothing of a deed that was not recorded is kept, its document included.
                form.add_error(
                    "document",
                    _("Choose the document again: it is not kept when a deed is not recorded."),
                )
            return self.render(form, subforms)
        form = self.form_class(initial=self.initial(), **self.form_kwargs())
        return self.render(form, self.subforms(None))

    def initial(self) -> dict[str, Any]:
        return {"expected_last_entry": services.last_entry([p.pk for p in self.parcels]) or 0}

    def _with_row(self, data: Any) -> Any:
        """Return `data` with one more row in each formset (the "add a row" button)."""
        data = data.copy()
        for key in list(data):
            if key.endswith("-TOTAL_FORMS"):
                data[key] = str(min(int(data[key] or 0) + 1, forms.MAX_ROWS))
        return data

    def record(self, form: forms.DeedForm, subforms: dict[str, Any]) -> HttpResponse | None:
        """Record the deed; return the redirect, or None after adding the refusal to `form`."""
        body = form.deed_body() | self.terms(subforms)
        if not self.many_parcels:
            body.setdefault("parcel", self.parcels[0].pk)
        reviewed = office.reviewed()
        if reviewed and form.contract():
            body["contract"] = form.contract()
        try:
            if reviewed:
                filed = file_application(
                    body,
                    user=self.user,  # type: ignore[arg-type]
                    idempotency_key=form.cleaned_data["idempotency_key"],
                )
            else:
                entry = submit(
                    body,
                    user=self.user,  # type: ignore[arg-type]
                    idempotency_key=form.cleaned_data["idempotency_key"],
                )
        except MalformedDeed as malformed:
            _show_malformed(form, malformed)
            return None
        except StaleDeed as stale:
            self._show_stale(form, stale)
            return None
        except IdempotencyKeyReused:
            self._show_key_reused(form)
            return None
        except DeedRefused as refused:
            form.add_error(None, refused.message)
            return None
        if reviewed:
            if form.document_bytes:
                self._store_document(form, f"Application {filed.receipt_number}")
            return self._filed(filed)
        if form.document_bytes:
            self._store_document(form, f"Entry #{entry.sequence}")
        return self._recorded(entry)

    def _show_stale(self, form: forms.DeedForm, stale: StaleDeed) -> None:
        form.add_error(None, stale.message)
        form.add_error(
            None,
            _(
                "The holders below are the parcel's holders now. Check the deed against "
                "them and submit it again."
            ),
        )
        # The form now stands on the parcel as it is: a resubmission is a new decision.
        form.data = data = cast(QueryDict, form.data).copy()
        data["expected_last_entry"] = str(services.last_entry([p.pk for p in self.parcels]) or 0)

    def _show_key_reused(self, form: forms.DeedForm) -> None:
        # The page was used before (Back, then changed): a new deed needs a new key, and
        # the notary's word that it is one.
        form.add_error(
            None,
            _(
                "This form already recorded a deed. If this is another deed, check it "
                "and submit it again: it will be recorded as a new one."
            ),
        )
        form.data = data = cast(QueryDict, form.data).copy()
        data["idempotency_key"] = str(uuid.uuid4())

    def _store_document(self, form: forms.DeedForm, what: str) -> None:
        try:
            store_document(form.document_sha256, form.document_bytes)
        except OSError:
            logger.exception("%s: its document could not be stored", what)
            messages.error(
                self.request,
                _(
                    "The deed was recorded, but its document could not be stored; "
                    "send it to the registry office."
                ),
            )

    def _recorded(self, entry: JournalEntry) -> HttpResponse:
        """Say the entry was recorded (or had been, by this very form) and show it on the map."""
        if getattr(entry, "replayed", False):
            text = _(
                "Entry #%(sequence)s was already recorded by this form; it was not recorded twice."
            )
        else:
            text = _("Entry #%(sequence)s recorded.")
        messages.success(self.request, text % {"sequence": entry.sequence})
        parcel_id = json.loads(entry.payload)["parcel"]["id"]
        return HttpResponseRedirect(f"{reverse('parcels:home')}?parcel={parcel_id}")

    def _filed(self, application: Application) -> HttpResponse:
        """Say the deed was filed (or had been, by this very form) and show its receipt."""
        if getattr(application, "replayed", False):
            text = _(
                "Application %(receipt)s was already filed by this form; it was not filed twice."
            )
        else:
            text = _("Application %(receipt)s received: it waits for a registrar's decision.")
        messages.success(self.request, text % {"receipt": application.receipt_number})
        return HttpResponseRedirect(
            reverse("applications:receipt", kwargs={"receipt": application.receipt_number})
        )

    def choose_parcel(self) -> HttpResponse:
        search = forms.ParcelSearchForm(self.request.GET)
        results: list[Any] = []
        problem = ""
        query = self.request.GET.get("q", "").strip()
        if query:
            try:
                answer = engine.search(query, limit=10)
            except engine.InvalidSearch as error:
                problem = str(error)
            else:
                results, problem = answer.results, answer.message
        return render(
            self.request,
            "transactions/choose_parcel.html",
            {
                "page_title": self.title,
                "kind": self.kind.name,
                "search": search,
                "query": query,
                "results": results,
                "problem": problem,
                "chosen": [],
                "search_example": search_example(),
            },
        )

    def render(self, form: forms.DeedForm, subforms: dict[str, Any]) -> HttpResponse:
        holders = {
            parcel.pk: audit.current_holders(
                parcel.pk, user=self.user, purpose=self.purpose(), kinds=self.holder_kinds
            )
            for parcel in self.parcels
        }
        self.prepare(form, holders)
        # 422 for a deed not recorded, so that a script or a test sees it without parsing.
        failed = (
            form.is_bound
            and "add_row" not in self.request.POST
            and (bool(form.errors) or not all(sub.is_valid() for sub in subforms.values()))
        )
        return render(
            self.request,
            self.template,
            {
                "page_title": self.title,
                "kind": self.kind.name,
                "form": form,
                **subforms,
                "parcels": [
                    {
                        "parcel": parcel,
                        "display": get_profile().display_stored(parcel.identifier),
                        "land_use": land_use_text(parcel.land_use),
                        "holders": holders[parcel.pk],
                    }
                    for parcel in self.parcels
                ],
                "parcel": self.parcels[0],
                # Applications already filed on these parcels and undecided: a deed filed
                # now is decided after them, and is stale if one of them is registered.
                "pending": list(
                    Application.objects.filter(
                        parcels__overlap=[parcel.pk for parcel in self.parcels],
                        status__in=[Application.Status.RECEIVED, Application.Status.ON_HOLD],
                    )
                    .order_by("receipt_number")
                    .values_list("receipt_number", flat=True)
                ),
                "deed_pages": kinds.deed_links(self.user, self.parcels[0].pk),
                **self.context(),
            },
            status=422 if failed else 200,
        )


# The deed API's fields a form holds under another name, and what the others are about:
# the API names its fields ("expected_last_entry", "children.0.boundary"), a notary reads
# the form's labels.
_FORM_FIELDS = {"children": "children_text"}
_ABOUT = {
    "parcel": gettext_lazy("The parcel"),
    "parcels": gettext_lazy("The parcels to merge"),
    "transferors": gettext_lazy("The holders who transfer"),
    "recipients": gettext_lazy("The recipients"),
    "holders": gettext_lazy("The holders"),
    "lender": gettext_lazy("The lender"),
    "contract": gettext_lazy("The contract"),
    "documents": gettext_lazy("The documents"),
}
# Fields the form fills in itself: what is wrong with them is not the notary's to fix.
_FILLED_BY_THE_FORM = {
    "expected_last_entry": forms.STATE_LOST,
    "kind": forms.FORM_INCOMPLETE,
    "document_sha256": forms.FORM_INCOMPLETE,
}


def _show_malformed(form: forms.DeedForm, malformed: MalformedDeed) -> None:
    """Show the deed API's refusal of a form's body on the form, in the form's own words.

    The forms check what the API checks, so this is the last line: each error goes on
    the field that holds the value (labelled there), or says what it is about; a hidden
    field's error says to reload the page.
    """
    errors = malformed.fields
    if not isinstance(errors, dict) or not errors:
        form.add_error(None, malformed.message)
        return
    for name, detail in errors.items():
        message = first_error(detail, with_path=False)
        field = _FORM_FIELDS.get(name, name)
        if name in _FILLED_BY_THE_FORM:
            form.add_error(None, _FILLED_BY_THE_FORM[name])
        elif field in form.fields and not form.fields[field].widget.is_hidden:
            form.add_error(field, message)
        else:
            about = _ABOUT.get(name, gettext_lazy("The deed"))
            form.add_error(None, _("%(about)s: %(problem)s") % {"about": about, "problem": message})


class TransferPage(DeedPage):
    template = "transactions/transfer.html"

    title = gettext_lazy("Record a transfer")

    def form_kwargs(self) -> dict[str, Any]:
        if self.request.method == "POST":
            # The holders the form was shown with, not those of now: a second submission
            # of a recorded form must be the same request, to find its entry; and a deed
            # made against other holders is the service's to refuse, with its reason.
            posted = _TRANSFEROR_SHARE.findall(" ".join(self.request.POST))
            return {"owners": [(int(party_id), Share(1)) for party_id in posted]}
        return {"owners": _owners(self.parcels[0].pk)}

    def subforms(self, data: Any) -> dict[str, Any]:
        return {"recipients": forms.RecipientFormSet(data, prefix="recipient")}

    def terms(self, subforms: dict[str, Any]) -> dict[str, Any]:
        return {"recipients": subforms["recipients"].holders()}

    def prepare(self, form: forms.DeedForm, holders: dict[int, list[audit.Holder]]) -> None:
        assert isinstance(form, forms.TransferForm)
        owners = [holder for holder in holders[self.parcels[0].pk] if holder.kind == OWNERSHIP]
        # Holders who were not on the form it was filled in from (the parcel changed
        # since): offered as a new form would offer them, giving all they hold.
        new = [holder for holder in owners if holder.party_id not in dict(form.owners)]
        if new:
            form.add_owners([(holder.party_id, holder.share) for holder in new], offer=True)
        form.transferor_rows = [  # type: ignore[attr-defined]
            (holder, *form.transferor_fields(holder.party_id)) for holder in owners
        ]


class FirstRegistrationPage(DeedPage):
    template = "transactions/first_registration.html"

    title = gettext_lazy("Record a first registration")

    def subforms(self, data: Any) -> dict[str, Any]:
        return {"holders_formset": forms.HolderFormSet(data, prefix="holder")}

    def terms(self, subforms: dict[str, Any]) -> dict[str, Any]:
        return {"holders": subforms["holders_formset"].holders()}


class MortgagePage(DeedPage):
    template = "transactions/mortgage.html"
    holder_kinds = (OWNERSHIP, MORTGAGE)

    title = gettext_lazy("Record a mortgage")

    def subforms(self, data: Any) -> dict[str, Any]:
        return {"lender": forms.LenderForm(data, prefix="lender")}

    def terms(self, subforms: dict[str, Any]) -> dict[str, Any]:
        return {"lender": subforms["lender"].party_ref()}


class DischargePage(DeedPage):
    template = "transactions/discharge.html"
    holder_kinds = (OWNERSHIP, MORTGAGE)

    title = gettext_lazy("Record the discharge of a mortgage")

    def form_kwargs(self) -> dict[str, Any]:
        # Ids only to check the choice; the lenders' names are put in when shown.
        mortgages = Right.objects.filter(
            parcel_id=self.parcels[0].pk,
            kind=MORTGAGE,
            valid_to__isnull=True,
            voided_by__isnull=True,
        ).values_list("pk", flat=True)
        return {"mortgages": [(pk, f"#{pk}") for pk in mortgages]}

    def prepare(self, form: forms.DeedForm, holders: dict[int, list[audit.Holder]]) -> None:
        choices = [
            (
                holder.right_id,
                _("Mortgage #%(right)s to %(lender)s, since %(date)s")
                % {
                    "right": holder.right_id,
                    "lender": holder.name,
                    "date": register_day(holder.valid_from),
                },
            )
            for holder in holders[self.parcels[0].pk]
            if holder.kind == MORTGAGE
        ]
        field = form.fields["mortgage"]
        assert isinstance(field, django_forms.ChoiceField)
        field.choices = choices
        field.widget.choices = choices  # type: ignore[attr-defined]


class SubdivisionPage(DeedPage):
    template = "transactions/subdivision.html"

    title = gettext_lazy("Record a subdivision")

    def survey_crs(self) -> tuple[int, ...]:
        """Return the survey CRSs of the parcel's province (its central meridians in Vietnam)."""
        unit: AdministrativeUnit | None = self.parcels[0].admin_unit
        while unit is not None and unit.level != AdministrativeUnit.Level.PROVINCE:
            unit = unit.parent
        return get_profile().survey_crs_of_province(unit.code) if unit is not None else ()

    def initial(self) -> dict[str, Any]:
        initial = super().initial()
        codes = self.survey_crs()
        if len(codes) == 1:
            initial["crs"] = codes[0]
        return initial

    def context(self) -> dict[str, Any]:
        codes = self.survey_crs()
        if len(codes) < 2:
            return {}
        # A province merged in 2025 keeps each former province's central meridian.
        labels = dict(serializers.survey_crs_choices())
        return {"survey_crs_note": [labels[code] for code in codes if code in labels]}


class MergePage(DeedPage):
    template = "transactions/merge.html"
    many_parcels = True

    title = gettext_lazy("Record a merge")

    def form_kwargs(self) -> dict[str, Any]:
        return {"parcel_ids": [parcel.pk for parcel in self.parcels]}

    def context(self) -> dict[str, Any]:
        query = self.request.GET.get("q", "").strip()
        results: list[Any] = []
        problem = ""
        if query and self.request.method == "GET":
            chosen = {parcel.pk for parcel in self.parcels}
            # Short spellings ("12/345") are read in the commune of the first parcel:
            # only parcels of one unit can be merged.
            unit = self.parcels[0].admin_unit.code
            try:
                answer = engine.search(query, limit=10, unit_code=unit)
            except engine.InvalidSearch as error:
                problem = str(error)
            else:
                results = [r for r in answer.results if r["id"] not in chosen]
                problem = answer.message
        return {
            "search": forms.ParcelSearchForm(self.request.GET),
            "query": query,
            "results": results,
            "problem": problem,
            "chosen": [parcel.pk for parcel in self.parcels],
        }


class CorrectionPage(DeedPage):
    template = "transactions/correction.html"
    holder_kinds = (OWNERSHIP, MORTGAGE)

    def __init__(self, request: HttpRequest, kind: kinds.DeedKind) -> None:
        source = request.POST if request.method == "POST" else request.GET
        number = source.get("corrects") or source.get("entry") or ""
        self.entry = (
            JournalEntry.objects.filter(sequence=int(number)).first()
            if number.isascii() and number.isdigit() and 0 < int(number) < 2**63
            else None
        )
        super().__init__(request, kind)
        # The page opens on the entry's parcel; a submitted correction names the parcel
        # the registrar saw (a hidden field, with its last entry), and the deed API
        # refuses an entry that is not on it.
        if self.entry is not None and request.method != "POST":
            parcel_id = json.loads(self.entry.payload)["parcel"]["id"]
            self.parcels = self.find_parcels([parcel_id])

    title = gettext_lazy("Record a correction")

    def initial(self) -> dict[str, Any]:
        initial = super().initial()
        if self.entry is not None:
            initial["corrects"] = self.entry.sequence
        return initial

    def subforms(self, data: Any) -> dict[str, Any]:
        return {"holders_formset": forms.OptionalHolderFormSet(data, prefix="holder")}

    def terms(self, subforms: dict[str, Any]) -> dict[str, Any]:
        holders = subforms["holders_formset"].holders()
        return {"holders": holders} if holders else {}

    def context(self) -> dict[str, Any]:
        labels = kinds.labels()
        entries = [
            {
                **entry,
                "label": " · ".join(
                    str(text)
                    for text in (
                        labels.get(entry["kind"], entry["kind"]),
                        forms.TRANSFER_TYPES.get(entry["transfer_type"] or ""),
                    )
                    if text
                ),
            }
            for entry in reversed(parcel_timeline(self.parcels[0].pk)["entries"])
        ]
        return {"entry": self.entry, "entries": entries}


def search_example() -> str:
    """Return how a parcel is searched for in this profile, for the search box."""
    return get_profile().search_example
