"""Reading applications for the pages: the receipt, the public status, the queue, the file.

What the public sees (`public_status`) holds no personal data and no registrar's reason
(a reason may name people): each step is its status, its day and one generic line.
Registrars read the deed's parties by name (`deed_terms`); that read is recorded
(transactions.audit), as on the deed pages.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from landinfo.dates import register_day
from landinfo.formats import register_amount
from landinfo.profiles import get_profile
from landinfo.sql import table
from parcels.models import Parcel
from transactions import audit
from transactions.applications import office
from transactions.applications.decisions import DECIDE
from transactions.applications.particulars import read_particulars
from transactions.deeds.forms import TRANSFER_TYPES, CorrectionForm
from transactions.deeds.kinds import labels
from transactions.journal.head import LAST_ENTRY_SQL
from transactions.models import Application, ApplicationEvent, Party

Status = Application.Status

# The statuses as the pages name them.
STATUS_LABELS: dict[str, Promise] = {
    Status.RECEIVED: _("Received"),
    Status.ON_HOLD: _("On hold"),
    Status.REGISTERED: _("Registered"),
    Status.REFUSED: _("Refused"),
    Status.WITHDRAWN: _("Withdrawn"),
}
# What the public status page says of each step, in place of the registrar's reason.
STATUS_LINES: dict[str, Promise] = {
    Status.RECEIVED: _("The application was received and waits for a registrar's decision."),
    Status.ON_HOLD: _("The application is on hold: the office is looking into it before deciding."),
    Status.REGISTERED: _("The application was registered: the register now shows the change."),
    Status.REFUSED: _("The application was refused; the office has told the filer why."),
    Status.WITHDRAWN: _("The application was withdrawn by its filer."),
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def parcel_names(ids: Iterable[int]) -> dict[int, str]:
    """Return the parcels' identifiers as people read them, by id."""
    profile = get_profile()
    return {
        pk: profile.display_stored(identifier)
        for pk, identifier in Parcel.objects.filter(pk__in=set(ids)).values_list("pk", "identifier")
    }


def find(receipt: int) -> Application | None:
    if not 0 < receipt < 2**63:
        return None
    return Application.objects.filter(receipt_number=receipt).first()


def may_read(user: Any, application: Application) -> bool:
    """Return whether `user` may open the application's receipt and file: its filer, registrars."""
    return bool(
        user.is_authenticated and (application.filed_by_id == user.pk or user.has_perm(DECIDE))
    )


@dataclass(frozen=True, slots=True)
class Summary:
    """An application as every page lists it: no personal data."""

    application: Application
    kind: str
    parcels: list[str]
    status: str
    overdue: bool
    due_at: dt.datetime
    waits_for: list[int] = field(default_factory=list)  # earlier open ones on its parcels
    # Its parcels changed since the deed was drawn up (a deed registered since): it can
    # only be refused, and the notary files it again.
    stale: bool = False
    # Holders may still object until then: it cannot be registered before (None: past).
    objections_until: dt.datetime | None = None

    @property
    def receipt_number(self) -> int:
        return self.application.receipt_number

    @property
    def on_hold(self) -> bool:
        return self.application.status == Status.ON_HOLD


def summaries(
    applications: Sequence[Application], waits: dict[int, list[int]] | None = None
) -> list[Summary]:
    names = parcel_names(pk for application in applications for pk in application.parcels)
    now = last_entries(pk for application in applications for pk in application.parcels)
    kinds = labels()
    return [
        Summary(
            application=application,
            kind=kinds.get(application.kind, application.kind),
            parcels=[names.get(pk, str(pk)) for pk in application.parcels],
            status=status_label(application.status),
            overdue=office.overdue(application),
            due_at=office.due_at(application),
            waits_for=(waits or {}).get(application.receipt_number, []),
            objections_until=office.objections_until(application)
            if office.in_objection_window(application)
            else None,
            stale=application.is_open
            and max((now.get(pk, 0) for pk in application.parcels), default=0)
            != application.expected_last_entry,
        )
        for application in applications
    ]


_LAST_ENTRIES = (
    "SELECT p.id, "  # noqa: S608 - Django's table name and the journal's own fragment
    + LAST_ENTRY_SQL.format(parcel="p.id", made="p.created_by_id", retired="p.retired_by_id")
    + f" FROM {table(Parcel)} p WHERE p.id = ANY(%s)"
)


def last_entries(parcel_ids: Iterable[int]) -> dict[int, int]:
    """Return each parcel's last journal entry (0 when none), in one query."""
    with connection.cursor() as cursor:
        cursor.execute(_LAST_ENTRIES, [sorted(set(parcel_ids))])
        return {pk: last or 0 for pk, last in cursor.fetchall()}


def queue(limit: int = 500) -> list[Summary]:
    """Return the open applications in order of receipt, each with those it waits for.

    An application waits for every earlier open one on one of its parcels: it cannot be
    registered before they are decided (transactions.applications.decisions).
    """
    applications = list(
        Application.objects.filter(status__in=[Status.RECEIVED, Status.ON_HOLD]).order_by(
            "receipt_number"
        )[:limit]
    )
    return summaries(applications, _waits(applications))


def _waits(applications: Sequence[Application]) -> dict[int, list[int]]:
    """Return, by receipt, the open ones among `applications` (by receipt) before it on a parcel."""
    seen: dict[int, list[int]] = {}
    waits: dict[int, list[int]] = {}
    for application in applications:
        earlier = {number for pk in application.parcels for number in seen.get(pk, [])}
        waits[application.receipt_number] = sorted(earlier)
        if application.is_open:
            for pk in application.parcels:
                seen.setdefault(pk, []).append(application.receipt_number)
    return waits


def on_parcels(application: Application) -> list[Summary]:
    """Return the open applications on the application's parcels, itself included, by receipt."""
    others = Application.objects.filter(
        parcels__overlap=application.parcels, status__in=[Status.RECEIVED, Status.ON_HOLD]
    ) | Application.objects.filter(pk=application.pk)
    found = list(others.distinct().order_by("receipt_number"))
    return summaries(found, _waits(found))


@dataclass(frozen=True, slots=True)
class Step:
    status: str
    label: str
    at: dt.datetime
    line: str  # the public's generic line
    reason: str = ""  # registrars and the filer only
    by: str = ""  # registrars and the filer only: the staff account


def steps(application: Application, *, full: bool) -> list[Step]:
    """Return the application's events, oldest first; with `full`, their reasons and authors."""
    events = ApplicationEvent.objects.filter(application=application).order_by("sequence")
    if full:
        events = events.select_related("by")
    return [
        Step(
            status=event.status,
            label=status_label(event.status),
            at=event.at,
            line=str(STATUS_LINES.get(event.status, "")),
            reason=event.reason if full else "",
            by=(event.by.get_username() if event.by else "") if full else "",
        )
        for event in events
    ]


def read_code(text: object) -> str:
    """Return a status code as typed (in groups, with a hyphen, in lower case) as stored."""
    return "".join(str(text or "").split()).replace("-", "").upper()


def public_status(receipt: int, code: str) -> tuple[Summary, list[Step]] | None:
    """Return the application and its steps when `code` is its status code; else None.

    An unknown receipt and a wrong code both answer None, after the same comparison, so
    the page cannot be used to learn which receipt numbers exist.
    """
    application = find(receipt)
    expected = application.status_code if application is not None else "-" * 10
    given = read_code(code)
    if not hmac.compare_digest(expected.encode(), given.encode()) or application is None:
        return None
    return summaries([application])[0], steps(application, full=False)


# --- the deed as a person reads it (registrars, the filer) ----------------------------------

# The deed's keys as the file names them; keys not listed are the register's bookkeeping.
TERM_LABELS: dict[str, Promise] = {
    "effective_date": _("Effective date"),
    "transfer_type": _("Kind of transfer"),
    "price": _("Price"),
    "amount": _("Amount secured"),  # in its currency: no row of its own
    "transferors": _("Transferors"),
    "recipients": _("Recipients"),
    "holders": _("Holders"),
    "lender": _("Lender"),
    "mortgage": _("Mortgage discharged"),
    "children": _("New parcels"),
    "address": _("Address"),
    "corrects": _("Corrects entry"),
    "mode": _("Correction"),
    "reason": _("Reason"),
}


@dataclass(frozen=True, slots=True)
class FileView:
    terms: list[tuple[str, str]]
    contract: list[tuple[str, Any]]
    documents: list[dict[str, str]]
    # The documents the office asks for this kind, each with its SHA-256 ("" when missing).
    checklist: list[tuple[str, str]]


def read_file(application: Application, *, user: AbstractBaseUser) -> FileView:
    """Return the deed's terms with its parties by name, its contract and documents.

    Parties are personal data: their reading by `user` is recorded.
    """
    particulars = read_particulars(json.loads(application.body))
    deed = particulars.deed
    ids = sorted(_party_ids(deed))
    parties = {party.pk: party for party in Party.objects.filter(pk__in=ids)}
    audit.record_personal_data_access(
        user, list(parties), audit.HOLDER_FIELDS, f"application {application.receipt_number}"
    )
    terms = [
        (str(label), _term_text(key, deed[key], parties, deed.get("currency")))
        for key, label in TERM_LABELS.items()
        if deed.get(key) not in (None, "", [])
    ]
    return FileView(
        terms=terms,
        contract=office.contract_rows(particulars.contract),
        documents=particulars.documents,
        checklist=office.checklist(
            application.kind, particulars.documents, application.document_sha256
        ),
    )


def _party_ids(value: Any, key: str = "") -> set[int]:
    if key in ("party", "lender") and isinstance(value, int) and not isinstance(value, bool):
        return {value}
    if isinstance(value, dict):
        return {pk for inner, item in value.items() for pk in _party_ids(item, inner)}
    if isinstance(value, list):
        return {pk for item in value for pk in _party_ids(item, key)}
    return set()


def _party_text(ref: Any, parties: dict[int, Party]) -> str:
    if isinstance(ref, dict):  # a party the deed registers
        name = str(ref.get("name") or "")
        number = str(ref.get("national_id") or "")
        return f"{name} ({number})" if number else name
    party = parties.get(ref) if isinstance(ref, int) else None
    if party is None:
        return f"#{ref}"
    return f"{party.name} ({party.national_id})" if party.national_id else party.name


def _term_text(key: str, value: Any, parties: dict[int, Party], currency: str | None) -> str:
    if key in ("price", "amount"):
        try:
            return register_amount(Decimal(str(value)), currency)
        except InvalidOperation:
            return str(value)
    if key == "lender":
        return _party_text(value, parties)
    if key == "transfer_type":
        return str(TRANSFER_TYPES.get(value, value))
    if key == "mode":  # a correction's: reverse or amend, as the correction form says them
        return str(dict(CorrectionForm.base_fields["mode"].choices).get(value, value))  # type: ignore[attr-defined]
    if key in ("transferors", "recipients", "holders") and isinstance(value, list):
        return "; ".join(
            f"{_party_text(item.get('party'), parties)} — {item.get('share', '')}"
            for item in value
            if isinstance(item, dict)
        )
    if key == "children" and isinstance(value, list):
        return str(len(value))
    if key == "mortgage":
        return f"#{value}"
    if key == "effective_date":
        try:
            return register_day(dt.date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    return str(value)


def status_url(request: HttpRequest, application: Application) -> str:
    """Return the absolute link of the application's public status page, code included.

    LANDINFO["PUBLIC_URL"] when set (a receipt outlives the host it was printed from),
    as `certificates.views.verify_url` does; else the request's host.
    """
    path = reverse("applications:status", kwargs={"receipt": application.receipt_number})
    path += f"?code={application.status_code}"
    base = settings.LANDINFO["PUBLIC_URL"]
    return base.rstrip("/") + path if base else request.build_absolute_uri(path)
