"""The "I did not agree to this" link of an alert: it puts the application on hold, once.

The link's token is known only to the alert's recipient (its SHA-256 is stored, the
token itself only in the mail), so whoever opens it is the one the alert was for. It
holds the application for a registrar and says nothing of who objected: the reason
recorded names the alert message, not the person.
"""

from __future__ import annotations

import enum

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from transactions.alerts.receipts import recipients_on_file
from transactions.applications import decisions
from transactions.exceptions import ApplicationClosed
from transactions.models import OutboxMessage

# The reason recorded on the application's hold event, in the register's language (the
# registrar reads it; the record does not change with the reader's).
REASON = gettext_noop(
    "Objection through the link of receipt alert message #%(message)s: its recipient says "
    "they did not agree to this application."
)
# ... and who the recipient is to the parcel (never their name): the registrar weighs a
# holder's objection otherwise than a follower's.
BY_HOLDER = gettext_noop("The address is on file for a holder or lender of the parcel.")
BY_FOLLOWER = gettext_noop(
    "The address follows the parcel; it is not on file for any holder or lender."
)


class Objection(enum.Enum):
    """What became of an objection."""

    HELD = "held"  # the application is on hold for a registrar
    USED = "used"  # the link was used before
    DECIDED = "decided"  # the application was decided already: only the office can help


def object_to(message: OutboxMessage) -> Objection:
    """Put the alert's application on hold and spend the link; say what happened."""
    if message.objected_at is not None:
        return Objection.USED
    application = message.application
    if application is None or not application.is_open:
        return Objection.DECIDED
    try:
        who = BY_HOLDER if _a_holder(message) else BY_FOLLOWER
        with translation.override(settings.LANGUAGE_CODE):
            reason = f"{gettext(REASON) % {'message': message.pk}} {gettext(who)}"
        decisions.hold(application.receipt_number, reason=reason, by=None)
    except ApplicationClosed:
        return Objection.DECIDED
    # hold() commits on its own (durable); a second use racing this one also finds the
    # application on hold, and only one of them spends the link.
    spent = OutboxMessage.objects.filter(pk=message.pk, objected_at__isnull=True).update(
        objected_at=timezone.now()
    )
    return Objection.HELD if spent else Objection.USED


def _a_holder(message: OutboxMessage) -> bool:
    """Return whether the alert's address is on file for a current holder or lender."""
    return bool(
        message.parcel_id is not None
        and message.address.lower()
        in {address.lower() for address, _parcel in recipients_on_file(message.parcel_id)}
    )
