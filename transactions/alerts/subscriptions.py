"""Subscriptions to a parcel's alerts: ask, confirm (double opt-in), opt out.

Anyone may ask for a parcel's alerts with an e-mail address; nothing is sent to it but
a confirmation link until the address's owner confirms. Nothing a caller sees depends
on the address: the answer is the same whether it already follows the parcel, follows
ten parcels already, or was never seen, so the register cannot be asked who follows
what. What differs goes by mail, to the address itself: the confirmation link, or word
that it follows the most parcels it may. Mail to one address is capped per day, so the
form cannot be used to flood a mailbox.
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets

from django.conf import settings
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from landinfo.profiles import get_profile
from parcels.models import Parcel
from transactions import people
from transactions.alerts import outbox
from transactions.alerts.receipts import ALERT, public_url, token_digest
from transactions.exceptions import DeedRefused, NotFound
from transactions.models import AlertSubscription, OutboxMessage

CONFIRM = "confirm_subscription"
LIMIT_REACHED = "subscription_limit"
# The messages whose link stops a parcel's alerts: the alerts themselves.
UNSUBSCRIBABLE = (ALERT,)
# A confirmation link older than this is refused; asking again sends a new one.
CONFIRM_WITHIN = dt.timedelta(days=7)
# The transaction-level advisory lock's first key ("ALRT"); the second is the address's hash.
_ADDRESS_LOCK = 0x414C5254


class InvalidAddress(DeedRefused):
    """The text given is not an e-mail address the register can write to."""

    status = 400
    code = "invalid"


class Outcome(enum.Enum):
    """What became of a request (for tests and logs; never shown to the caller)."""

    CONFIRMATION_SENT = "confirmation_sent"
    ALREADY_CONFIRMED = "already_confirmed"
    LIMIT_REACHED = "limit_reached"
    MAIL_CAPPED = "mail_capped"


def email_address(text: str) -> str:
    """Return `text` as the register stores an address (people.email_address); 400 if not one."""
    try:
        return people.email_address(text)
    except people.InvalidEmail:
        raise InvalidAddress(gettext("Enter a valid e-mail address.")) from None


def current_parcel(parcel_id: object) -> Parcel:
    """Return the current parcel `parcel_id` names; raise NotFound (retired ones too)."""
    try:
        pk = int(str(parcel_id))
    except ValueError:
        raise NotFound(gettext("Choose a parcel by its number on the map.")) from None
    parcel = Parcel.objects.filter(pk=pk, valid_to__isnull=True).only("id", "identifier").first()
    if parcel is None or not 0 < pk < 2**31:
        raise NotFound(gettext("There is no current parcel with this number."))
    return parcel


@transaction.atomic(durable=True)
def subscribe(*, email: str, parcel_id: object, language: str) -> Outcome:
    """Ask for the parcel's alerts for `email`: mail a confirmation link, or say why not."""
    email = email_address(email)
    parcel = current_parcel(parcel_id)
    with connection.cursor() as cursor:
        # One request per address at a time: the counts below stay true until commit.
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_ADDRESS_LOCK, email])
    now = timezone.now()
    row = AlertSubscription.objects.filter(email=email, parcel=parcel).first()
    if row is not None and row.confirmed_at and not row.unsubscribed_at:
        return Outcome.ALREADY_CONFIRMED
    if _mails_today(email, now=now) >= settings.LANDINFO["ALERT_MAILS_PER_DAY"]:
        return Outcome.MAIL_CAPPED
    # A row opted out does not count, so asking again for its parcel counts anew.
    counted = row is not None and row.unsubscribed_at is None
    if not counted and followed(email) >= settings.LANDINFO["ALERT_MAX_PARCELS"]:
        told = OutboxMessage.objects.filter(key__startswith=f"{LIMIT_REACHED}:{email}:").count()
        _queue(
            email,
            parcel,
            LIMIT_REACHED,
            language,
            key=f"{LIMIT_REACHED}:{email}:{told + 1}",
            now=now,
        )
        return Outcome.LIMIT_REACHED
    if row is None:
        row = AlertSubscription.objects.create(
            email=email, parcel=parcel, language=language, created_at=now
        )
    attempt = OutboxMessage.objects.filter(key__startswith=f"{CONFIRM}:{row.pk}:").count() + 1
    _queue(
        email,
        parcel,
        CONFIRM,
        language,
        key=f"{CONFIRM}:{row.pk}:{attempt}",
        now=now,
    )
    return Outcome.CONFIRMATION_SENT


def followed(email: str) -> int:
    """Return how many parcels `email` follows or asked to follow (not opted out)."""
    return AlertSubscription.objects.filter(email=email, unsubscribed_at__isnull=True).count()


def _mails_today(email: str, *, now: dt.datetime) -> int:
    return OutboxMessage.objects.filter(
        address=email, purpose__in=[CONFIRM, LIMIT_REACHED], created_at__gt=now - dt.timedelta(1)
    ).count()


def _queue(
    email: str,
    parcel: Parcel,
    purpose: str,
    language: str,
    *,
    key: str,
    now: dt.datetime,
) -> OutboxMessage:
    token = secrets.token_urlsafe(24)
    base = public_url()
    with translation.override(language):
        display = get_profile().display_stored(parcel.identifier)
        if purpose == CONFIRM:
            subject = gettext("Confirm alerts for parcel %(parcel)s") % {"parcel": display}
        else:
            subject = gettext("Alerts for parcel %(parcel)s not added") % {"parcel": display}
        body = render_to_string(
            f"alerts/{purpose}.txt",
            {
                "parcel": display,
                "limit": settings.LANDINFO["ALERT_MAX_PARCELS"],
                "days": CONFIRM_WITHIN.days,
                "confirm_url": base + reverse("alerts:confirm", args=[token]),
            },
        )
    message = OutboxMessage.objects.create(
        key=key,
        address=email,
        purpose=purpose,
        language=language,
        subject=subject,
        body=body,
        parcel=parcel,
        created_at=now,
        next_attempt_at=now,
        token_sha256=token_digest(token) if purpose == CONFIRM else "",
    )
    outbox.notify()
    return message


def link_message(token: str, purposes: tuple[str, ...]) -> OutboxMessage | None:
    """Return the message whose one-time link carries `token` (of one of `purposes`)."""
    if not token or len(token) > 100:
        return None
    return (
        OutboxMessage.objects.filter(token_sha256=token_digest(token), purpose__in=purposes)
        .select_related("parcel", "application")
        .first()
    )


def confirmable(message: OutboxMessage, *, now: dt.datetime | None = None) -> bool:
    """Return whether a confirmation message's link is still good."""
    return (now or timezone.now()) - message.created_at <= CONFIRM_WITHIN


def _parcel_of(message: OutboxMessage) -> int:
    """Return the parcel a link's message is about (every link's message names one)."""
    if message.parcel_id is None:
        raise NotFound(gettext("There is no current parcel with this number."))
    return message.parcel_id


@transaction.atomic(durable=True)
def confirm(message: OutboxMessage) -> bool:
    """Confirm the subscription a confirmation link was sent for; False if it was already."""
    row = (
        AlertSubscription.objects.select_for_update()
        .filter(email=message.address, parcel_id=_parcel_of(message))
        .first()
    )
    if row is None:
        row = AlertSubscription(
            email=message.address,
            parcel_id=_parcel_of(message),
            language=message.language,
            created_at=message.created_at,
        )
    elif row.confirmed_at and not row.unsubscribed_at:
        return False
    row.confirmed_at = timezone.now()
    row.unsubscribed_at = None
    row.save()
    return True


@transaction.atomic(durable=True)
def unsubscribe(message: OutboxMessage) -> bool:
    """Stop the alerts of the message's parcel to its address; False if they were stopped.

    Works for subscribers and for holders alerted without subscribing: either way the
    row (address, parcel) records the opt-out, which `receipts.recipients` honours.
    """
    now = timezone.now()
    row, made = AlertSubscription.objects.select_for_update().get_or_create(
        email=message.address,
        parcel_id=_parcel_of(message),
        defaults={"language": message.language, "created_at": now, "unsubscribed_at": now},
    )
    if made:
        return True
    if row.unsubscribed_at:
        return False
    row.unsubscribed_at = now
    row.save(update_fields=["unsubscribed_at"])
    return True


__all__ = [
    "CONFIRM",
    "LIMIT_REACHED",
    "InvalidAddress",
    "Outcome",
    "confirm",
    "email_address",
    "link_message",
    "subscribe",
    "unsubscribe",
]
