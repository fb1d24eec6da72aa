"""The alerts of a receipt: one message per subscriber of the application's parcels.

Called inside the receipt's transaction (transactions.applications.receipt), so the
application and its alerts commit together or not at all.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from landinfo.dates import register_moment
from landinfo.profiles import get_profile
from parcels.models import Parcel
from transactions.deeds.kinds import KINDS
from transactions.models import AlertSubscription, Application, OutboxMessage, Right

# The rights whose holders are alerted without subscribing: the owners and the lenders.
ALERTED_RIGHTS = (Right.Kind.OWNERSHIP, Right.Kind.MORTGAGE)
ALERT = "receipt_alert"


@dataclass(frozen=True, slots=True)
class Recipient:
    email: str
    language: str
    parcel_id: int  # the parcel they are alerted for (the first of theirs the deed acts on)


def recipients(parcel_ids: Iterable[int]) -> list[Recipient]:
    """Return who is alerted of an application on the parcels: each address once.

    Confirmed subscribers, and holders and lenders with an address on file, less those
    who opted out of the parcel's alerts.
    """
    ids = sorted(set(parcel_ids))
    found: dict[str, Recipient] = {}
    opted_out = set(
        AlertSubscription.objects.filter(
            parcel_id__in=ids, unsubscribed_at__isnull=False
        ).values_list("email", "parcel_id")
    )
    subscribed = AlertSubscription.objects.filter(
        parcel_id__in=ids, confirmed_at__isnull=False, unsubscribed_at__isnull=True
    ).order_by("parcel_id", "email")
    for email, language, parcel_id in subscribed.values_list("email", "language", "parcel_id"):
        found.setdefault(email, Recipient(email, language, parcel_id))
    for email, parcel_id in recipients_on_file(*ids):
        folded = email.strip().lower()
        if (folded, parcel_id) not in opted_out:
            found.setdefault(folded, Recipient(folded, settings.LANGUAGE_CODE, parcel_id))
    return list(found.values())


def recipients_on_file(*parcel_ids: int) -> list[tuple[str, int]]:
    """Return (address, parcel) of the current holders and lenders with an address on file."""
    return list(
        Right.objects.filter(
            Q(parcel_id__in=parcel_ids, kind__in=ALERTED_RIGHTS, voided_by__isnull=True)
            & (Q(valid_to__isnull=True) | Q(valid_to__gt=timezone.localdate()))
        )
        .exclude(holder__email="")
        .order_by("parcel_id", "holder_id")
        .values_list("holder__email", "parcel_id")
    )


def queue(application: Application) -> list[OutboxMessage]:
    """Queue the receipt's alert for every recipient; return the messages (in its transaction)."""
    parcels = {
        parcel.pk: parcel
        for parcel in Parcel.objects.filter(pk__in=application.parcels).only("id", "identifier")
    }
    messages = []
    for recipient in recipients(application.parcels):
        token = secrets.token_urlsafe(24)
        subject, body = render_alert(
            application, parcels[recipient.parcel_id], recipient, token=token
        )
        messages.append(
            OutboxMessage(
                key=f"{ALERT}:{application.receipt_number}:{recipient.email}",
                address=recipient.email,
                purpose=ALERT,
                language=recipient.language,
                subject=subject,
                body=body,
                application=application,
                parcel_id=recipient.parcel_id,
                created_at=application.received_at,
                next_attempt_at=application.received_at,
                token_sha256=token_digest(token),
            )
        )
    created = OutboxMessage.objects.bulk_create(messages, ignore_conflicts=True)
    if created:
        from transactions.alerts import outbox

        outbox.notify()
    return created


def public_url() -> str:
    """Return the register's address, which every link in a message starts with.

    LANDINFO["PUBLIC_URL"], never the host of the request that queued the message: the
    filer's request could name any host the server answers to, and owners would get
    objection links that lead nowhere. Unset (a development machine): where `make serve`
    listens.
    """
    return (settings.LANDINFO["PUBLIC_URL"] or DEVELOPMENT_URL).rstrip("/")


# Where a development server listens when LANDINFO_PUBLIC_URL is not set.
DEVELOPMENT_URL = "http://127.0.0.1:8000"


def office_text(application: Application) -> str:
    """Return who filed the application as alerts and public pages name it.

    The filing account's name, as the register's administrators keep it; an account
    without one is named by its role, never by its username.
    """
    return application.office or gettext("a notary's office known to the register")


def token_digest(token: str) -> str:
    """Return the stored form of a one-time link token."""
    return hashlib.sha256(token.encode()).hexdigest()


def render_alert(
    application: Application, parcel: Parcel, recipient: Recipient, *, token: str
) -> tuple[str, str]:
    """Return the subject and text of the alert, in the recipient's language."""
    profile = get_profile()
    base = public_url()
    with translation.override(recipient.language):
        display = profile.display_stored(parcel.identifier)
        kind = str(KINDS[application.kind].label)
        subject = gettext("Application %(receipt)s filed on parcel %(parcel)s") % {
            "receipt": application.receipt_number,
            "parcel": display,
        }
        body = render_to_string(
            "alerts/receipt_alert.txt",
            {
                "receipt_number": application.receipt_number,
                "received_at": register_moment(application.received_at, recipient.language),
                "kind": kind,
                "parcel": display,
                "parcels_more": len(application.parcels) - 1,
                "office": office_text(application),
                "object_url": base + reverse("alerts:objection", args=[token]),
                "unsubscribe_url": base + reverse("alerts:unsubscribe", args=[token]),
                "parcel_url": f"{base}{reverse('parcels:home')}?parcel={parcel.pk}",
            },
        )
    return subject, body


__all__ = ["ALERT", "Recipient", "queue", "recipients", "render_alert"]
