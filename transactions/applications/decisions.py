"""Deciding applications: in order of receipt, by a registrar who did not file them.

`decide(receipt_number, decision="register" | "refuse", reason=..., by=registrar)`:

- registering replays the application's deed through its kind's act (the same checks
  as a deed recorded directly: idempotency, staleness against `expected_last_entry`,
  every rule of the register), with the application taking its turn under the
  parcels' row locks: it must still be open, and no application received before it on
  one of its parcels may be undecided (`OutOfOrder`, 409). The journal entry names the
  application; its `registered` event names the entry; both commit together.
- refusing needs a reason, and may come in any order (an office may refuse a later
  application while an earlier one waits).

`hold` puts an application on hold (a subscriber said "I did not agree", or a
registrar wants to look again), `release` takes it off hold, `withdraw` is the filer's.
Each step is one event of the applications' chain (transactions.applications.log).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import transaction
from django.utils.translation import gettext, gettext_lazy

from landinfo.dates import register_moment
from parcels.models import Parcel
from transactions import people
from transactions.alerts.receipts import ALERT
from transactions.applications import log, office
from transactions.applications.particulars import read_particulars
from transactions.deeds.kinds import KINDS
from transactions.deeds.serializers import MAX_ID
from transactions.deeds.services import DeedInput
from transactions.deeds.submit import parse_deed, record
from transactions.exceptions import (
    AlertsPending,
    ApplicationClosed,
    DeedRefused,
    NotFound,
    ObjectionWindow,
    OnHold,
    OutOfOrder,
    SameOfficer,
    UnreadableInput,
)
from transactions.models import Application, ApplicationEvent, JournalEntry, OutboxMessage

DECIDE = "transactions.decide_application"
REGISTER, REFUSE = "register", "refuse"
MAX_REASON = 2000
_OPEN = (Application.Status.RECEIVED, Application.Status.ON_HOLD)


@dataclass(frozen=True, slots=True)
class Decision:
    application: Application
    event: ApplicationEvent
    entry: JournalEntry | None = None
    replayed: bool = False


# An application that is no longer open, as the office tells it (one sentence per status).
_CLOSED = {
    Application.Status.REGISTERED.value: gettext_lazy("Application %(receipt)s was registered."),
    Application.Status.REFUSED.value: gettext_lazy("Application %(receipt)s was refused."),
    Application.Status.WITHDRAWN.value: gettext_lazy("Application %(receipt)s was withdrawn."),
}


def decide(receipt_number: int, *, decision: str, reason: str = "", by: AbstractUser) -> Decision:
    """Register or refuse the application; raise DeedRefused (and its kinds) when it cannot be."""
    reason = _reason(reason, required=decision == REFUSE)
    application = _get(receipt_number)
    if not by.has_perm(DECIDE):
        raise SameOfficer(gettext("Applications are decided by registrars."))
    if application.filed_by_id == by.pk:
        raise SameOfficer(
            gettext("You filed application %(receipt)s: another registrar decides it (four eyes).")
            % {"receipt": receipt_number}
        )
    if decision == REGISTER:
        return _register(application, reason=reason, by=by)
    if decision == REFUSE:
        return _close(receipt_number, Application.Status.REFUSED, reason=reason, by=by)
    raise DeedRefused(
        gettext("The decision is %(register)s or %(refuse)s.")
        % {"register": repr(REGISTER), "refuse": repr(REFUSE)}
    )


def hold(receipt_number: int, *, reason: str, by: AbstractUser | None) -> ApplicationEvent:
    """Put an open application on hold for a registrar to look at (`by` None: an objection)."""
    reason = _reason(reason, required=True)
    with transaction.atomic(durable=True):
        application = _locked(receipt_number)
        if application.status == Application.Status.ON_HOLD:
            return application.events.order_by("-sequence").first()  # type: ignore[return-value]
        return _step(application, Application.Status.ON_HOLD, reason=reason, by=by)


def release(receipt_number: int, *, reason: str, by: AbstractUser) -> ApplicationEvent:
    """Take an application off hold: it waits for its decision again."""
    reason = _reason(reason, required=True)
    if not by.has_perm(DECIDE):
        raise SameOfficer(gettext("Applications are taken off hold by registrars."))
    with transaction.atomic(durable=True):
        application = _locked(receipt_number)
        if application.status != Application.Status.ON_HOLD:
            raise ApplicationClosed(
                gettext("Application %(receipt)s is not on hold.") % {"receipt": receipt_number}
            )
        return _step(application, Application.Status.RECEIVED, reason=reason, by=by)


def withdraw(receipt_number: int, *, reason: str = "", by: AbstractUser) -> ApplicationEvent:
    """Withdraw an undecided application (its filer only)."""
    application = _get(receipt_number)
    if application.filed_by_id != by.pk:
        raise SameOfficer(gettext("Only the account that filed an application withdraws it."))
    return _close(receipt_number, Application.Status.WITHDRAWN, reason=_reason(reason), by=by).event


def earlier_open(application: Application) -> list[int]:
    """Return the receipt numbers of the undecided applications before it on its parcels."""
    return list(
        Application.objects.filter(
            parcels__overlap=application.parcels,
            status__in=_OPEN,
            receipt_number__lt=application.receipt_number,
        )
        .order_by("receipt_number")
        .values_list("receipt_number", flat=True)
    )


def alerts_pending(application: Application) -> bool:
    """Return whether an alert of the application's receipt still waits to be handed over.

    A message given up after days of failures (`failed`) does not hold the register back.
    """
    return OutboxMessage.objects.filter(
        application=application,
        purpose=ALERT,
        status__in=[OutboxMessage.Status.PENDING, OutboxMessage.Status.SENDING],
    ).exists()


class Registration:
    """The application a deed registers: its turn under the parcels' locks, then its event."""

    def __init__(self, application: Application, *, reason: str, by: AbstractUser) -> None:
        self.receipt_number = application.receipt_number
        self.reason = reason
        self.by = by
        self.application = application

    def take_turn(self, parcels: Sequence[Parcel]) -> None:
        # After the parcels' row locks: the receipt and decisions of applications on them
        # wait here, so "earlier and undecided" cannot change until this one commits.
        self.application = _locked(self.receipt_number)
        if self.application.status == Application.Status.ON_HOLD:
            raise OnHold(
                gettext(
                    "Application %(receipt)s is on hold: take it off hold, giving the reason, "
                    "before registering it (an objection is answered first)."
                )
                % {"receipt": self.receipt_number}
            )
        if office.in_objection_window(self.application):
            until = register_moment(office.objections_until(self.application))
            raise ObjectionWindow(
                gettext(
                    "Application %(receipt)s may be registered from %(until)s: its alerts give "
                    "the parcel's holders and followers until then to object."
                )
                % {"receipt": self.receipt_number, "until": until}
            )
        if alerts_pending(self.application):
            raise AlertsPending(
                gettext(
                    "The alerts of application %(receipt)s have not reached the mail server "
                    "yet: the holders and subscribers of its parcels are told before it is "
                    "registered. Decide it once they are sent (manage.py send_alerts)."
                )
                % {"receipt": self.receipt_number}
            )
        earlier = earlier_open(self.application)
        if earlier:
            numbers = ", ".join(map(str, earlier))
            raise OutOfOrder(
                gettext(
                    "Application %(receipt)s waits for application %(earlier)s, received "
                    "before it on the same parcel: decide that first (applications on a "
                    "parcel are registered in order of receipt)."
                )
                % {"receipt": self.receipt_number, "earlier": numbers}
            )

    def registered(self, entry: JournalEntry) -> None:
        payload = {
            "event": Application.Status.REGISTERED,
            "receipt_number": self.receipt_number,
            "reason": self.reason,
            "entry": entry.sequence,
            "entry_hash": entry.entry_hash,
        }
        log.lock()
        self.event = _step(
            self.application,
            Application.Status.REGISTERED,
            reason=self.reason,
            by=self.by,
            payload=payload,
            entry=entry,
        )


def _register(application: Application, *, reason: str, by: AbstractUser) -> Decision:
    if application.status == Application.Status.REGISTERED and application.entry_id:
        # A retried decision: answer with what it did.
        event = application.events.order_by("-sequence").first()
        return Decision(application, event, application.entry, replayed=True)  # type: ignore[arg-type]
    if application.status not in _OPEN:
        raise ApplicationClosed(
            str(_CLOSED[application.status]) % {"receipt": application.receipt_number}
        )
    deed_body = read_particulars(json.loads(application.body)).deed
    kind, data = parse_deed(deed_body)
    step = Registration(application, reason=reason, by=by)
    deed = DeedInput(
        effective_date=data["effective_date"],
        recorded_by=by,
        document_sha256=data["document_sha256"].lower(),
        expected_last_entry=data["expected_last_entry"],
        idempotency_key=f"application:{application.receipt_number}",
        request_sha256=application.request_sha256,
        application=step,
    )
    entry = record(KINDS[kind.name], data, deed)
    application.refresh_from_db()
    return Decision(application, step.event, entry)


def _close(receipt_number: int, status: str, *, reason: str, by: AbstractUser) -> Decision:
    with transaction.atomic(durable=True):
        application = _locked(receipt_number)
        return Decision(application, _step(application, status, reason=reason, by=by))


def _step(
    application: Application,
    status: str,
    *,
    reason: str,
    by: AbstractUser | None,
    payload: dict[str, Any] | None = None,
    entry: JournalEntry | None = None,
) -> ApplicationEvent:
    """Append the event and move the application's projection to `status` (row locked)."""
    if application.status not in _OPEN:
        raise ApplicationClosed(
            gettext("%(closed)s Nothing more can happen to it.")
            % {"closed": str(_CLOSED[application.status]) % {"receipt": application.receipt_number}}
        )
    log.lock()
    event = log.append(application, status, by=by, reason=reason, payload=payload)
    application.status = status
    update = ["status"]
    if status not in _OPEN:
        application.decided_at = event.at
        application.entry = entry
        update += ["decided_at", "entry"]
    application.save(update_fields=update)
    return event


def _get(receipt_number: int) -> Application:
    application = (
        Application.objects.filter(receipt_number=receipt_number).first()
        if 0 < receipt_number <= MAX_ID
        else None
    )
    if application is None:
        raise NotFound(
            gettext("There is no application with receipt number %(receipt)s.")
            % {"receipt": receipt_number}
        )
    return application


def _locked(receipt_number: int) -> Application:
    application = (
        Application.objects.select_for_update().filter(receipt_number=receipt_number).first()
        if 0 < receipt_number <= MAX_ID
        else None
    )
    if application is None:
        raise NotFound(
            gettext("There is no application with receipt number %(receipt)s.")
            % {"receipt": receipt_number}
        )
    return application


def _reason(text: str, *, required: bool = False) -> str:
    """Return the reason as the register keeps text (transactions.people); 400 if unreadable.

    A reason of blank-looking characters (zero-width spaces, Hangul fillers, the braille
    blank) is no reason: refused as an empty one is.
    """
    try:
        return people.person_text(
            str(text or ""), what="The reason", required=required, max_length=MAX_REASON
        )
    except people.UnreadableText as error:
        raise UnreadableInput(
            gettext("%(error)s It is recorded with the decision and shown to the filer.")
            % {"error": error}
        ) from None
