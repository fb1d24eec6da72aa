"""Receiving an application: the deed checked, a receipt number given, subscribers alerted.

`file_application(body, user=..., idempotency_key=...)` reads the body of
`POST /api/applications/` (the body of `POST /api/transactions/`, plus the particulars
of the notarised contract and the documents filed with it), checks the deed as a
registration would (its shape, the user's permission for its kind, staleness and every
rule of the register, in a transaction that is rolled back), then, in one transaction
of its own, gives it the next receipt number, chains its receipt event and queues the
alerts of its parcels' subscribers. A request repeated with its Idempotency-Key and body
returns the application it filed (marked `replayed`).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils.translation import gettext

from transactions.alerts import receipts as receipt_alerts
from transactions.applications import log
from transactions.applications.particulars import read_particulars
from transactions.deeds.kinds import DeedKind
from transactions.deeds.services import ChecksPassed, DeedInput
from transactions.deeds.submit import MalformedDeed, parse_deed, record, request_sha256
from transactions.exceptions import DeedRefused, IdempotencyKeyReused
from transactions.journal.hashing import canonical_json
from transactions.models import Application

# The status code printed on the receipt: 10 characters of an alphabet without 0/O, 1/I/L.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_CODE_LENGTH = 10


def file_application(body: Any, *, user: AbstractUser, idempotency_key: str) -> Application:
    """File the deed `body` describes as an application of `user`; return it.

    Raise MalformedDeed when the body is not a deed, PermissionDenied when the user may
    not file its kind, DeedRefused (and its kinds) when the register would refuse it.
    """
    sha256 = request_sha256(body)
    if not isinstance(body, Mapping):
        raise MalformedDeed(gettext("The body is a JSON object describing one deed."))
    earlier = _earlier(idempotency_key, sha256, user)
    if earlier is not None:
        return earlier
    particulars = read_particulars(body)
    kind, data = parse_deed(particulars.deed)
    if not user.has_perm(kind.permission):
        raise PermissionDenied(str(kind.forbidden))
    _check(kind, data, user)
    return _receive(
        kind,
        data,
        user=user,
        body_text=canonical_json(dict(body)),
        sha256=sha256,
        idempotency_key=idempotency_key,
        # Who filed, as the register knows the account (its name is kept by the register's
        # administrators): never text typed with the deed, which alerts and receipts would
        # otherwise carry to owners word for word.
        office=user.get_full_name().strip(),
    )


def deed_parcels(data: Mapping[str, Any]) -> list[int]:
    """Return the ids of the parcels a checked deed acts on, as its act locks them."""
    if "parcels" in data:
        return sorted({int(pk) for pk in data["parcels"]})
    return [int(data["parcel"])]


def _check(kind: DeedKind, data: dict[str, Any], user: AbstractUser) -> None:
    """Refuse the deed as its registration would now, recording nothing."""
    deed = DeedInput(
        effective_date=data["effective_date"],
        recorded_by=user,
        document_sha256=data["document_sha256"].lower(),
        expected_last_entry=data["expected_last_entry"],
        check_only=True,
    )
    try:
        record(kind, data, deed)
    except ChecksPassed:
        return
    raise DeedRefused(  # pragma: no cover - every act raises ChecksPassed when checking
        "The deed could not be checked; nothing was filed."
    )


@transaction.atomic(durable=True)
def _receive(
    kind: DeedKind,
    data: dict[str, Any],
    *,
    user: AbstractUser,
    body_text: str,
    sha256: str,
    idempotency_key: str,
    office: str,
) -> Application:
    log.lock()
    # A request with this key may have been filed while this one was checked.
    earlier = _earlier(idempotency_key, sha256, user)
    if earlier is not None:
        return earlier
    received_at = log.now_after_head()
    application = Application.objects.create(
        receipt_number=log.next_receipt_number(),
        received_at=received_at,
        filed_by_id=user.pk,
        kind=kind.name,
        body=body_text,
        request_sha256=sha256,
        idempotency_key=idempotency_key,
        document_sha256=data["document_sha256"].lower(),
        parcels=deed_parcels(data),
        expected_last_entry=data["expected_last_entry"],
        office=office[:300],
        status_code="".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH)),
    )
    log.append(
        application,
        Application.Status.RECEIVED,
        by=user,
        at=received_at,
        payload=log.receipt_payload(application),
    )
    receipt_alerts.queue(application)
    return application


def _earlier(key: str, sha256: str, user: AbstractUser) -> Application | None:
    """Return the application an earlier request with this Idempotency-Key filed, if any."""
    if connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                [f"idempotency:{key}"],
            )
    earlier = Application.objects.filter(idempotency_key=key).first()
    if earlier is None:
        return None
    if earlier.request_sha256 != sha256 or earlier.filed_by_id != user.pk:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was used for a different request; use a new key for a new "
            "application."
        )
    earlier.replayed = True  # type: ignore[attr-defined]
    return earlier
