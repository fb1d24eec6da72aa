"""Submitting a deed: the one path by which the API and the notary forms record one.

`submit(body, user=..., idempotency_key=...)` reads the body (the JSON of `POST
/api/transactions/`, which the forms build too), checks its shape with the kind's
serializer (MalformedDeed: 400) and the user's permission for the kind
(PermissionDenied: 403), builds the `DeedInput` every deed carries, and records it by
the kind's act (transactions.deeds.kinds), which refuses what the register cannot
accept (`DeedRefused` and its kinds: 404, 409, 422). A request repeated with its
Idempotency-Key and body returns the entry it recorded (marked `replayed`), never a
second entry: the act finds it by the key and the SHA-256 of the canonical body.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import PermissionDenied
from django.db import DataError
from django.utils.translation import gettext as _

from transactions.deeds.kinds import KINDS, DeedKind
from transactions.deeds.services import DeedInput
from transactions.exceptions import DeedRefused
from transactions.journal.hashing import canonical_json
from transactions.models import JournalEntry

logger = logging.getLogger(__name__)


def submit(body: Any, *, user: AbstractUser, idempotency_key: str) -> JournalEntry:
    """Record the deed `body` describes for `user`; return its journal entry.

    Raise MalformedDeed when the body is not a deed, PermissionDenied when the user may
    not record its kind, DeedRefused (and its kinds) when the register refuses it.
    """
    sha256 = request_sha256(body)
    kind, data = parse_deed(body)
    if not user.has_perm(kind.permission):
        raise PermissionDenied(str(kind.forbidden))
    deed = DeedInput(
        effective_date=data["effective_date"],
        recorded_by=user,
        document_sha256=data["document_sha256"].lower(),
        expected_last_entry=data["expected_last_entry"],
        idempotency_key=idempotency_key,
        request_sha256=sha256,
    )
    return record(kind, data, deed)


class MalformedDeed(Exception):
    """The body is not a deed: 400, with the field errors when there are some."""

    def __init__(self, message: str, fields: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields


def request_sha256(body: Any) -> str:
    """Return the SHA-256 of the canonical JSON of a deed's body (what a replay must repeat)."""
    try:
        text = canonical_json(body)
        return hashlib.sha256(text.encode()).hexdigest()
    except (ValueError, TypeError, UnicodeEncodeError, RecursionError):
        raise MalformedDeed(
            _(
                "The body holds a number JSON cannot write exactly (e.g. 1e400) or text that "
                "is not Unicode; send finite numbers and UTF-8 text."
            )
        ) from None


def parse_deed(body: Any) -> tuple[DeedKind, dict[str, Any]]:
    """Return the kind of the deed in `body` and its checked terms; MalformedDeed if not one."""
    if not isinstance(body, Mapping):
        raise MalformedDeed(_("The body is a JSON object describing one deed."))
    kind = body.get("kind")
    deed_kind = KINDS.get(kind) if isinstance(kind, str) else None
    if deed_kind is None:
        raise MalformedDeed(
            _("%(field)s must be one of %(kinds)s.")
            % {"field": "'kind'", "kinds": ", ".join(KINDS)},
            {"kind": [_("Unknown kind of deed.")]},
        )
    serializer = deed_kind.serializer(data=body)
    if not serializer.is_valid():
        raise MalformedDeed(first_error(serializer.errors), serializer.errors)
    return deed_kind, dict(serializer.validated_data)


def first_error(errors: Any, path: str = "", *, with_path: bool = True) -> str:
    """Return the first error of DRF's nested errors as "field.sub[0].name: message".

    Without `with_path`, the message alone (the notary forms name the field themselves).
    """
    if isinstance(errors, Mapping):
        for key, value in errors.items():
            name = key if key != "non_field_errors" else ""
            inner = f"{path}.{name}".strip(".") if name else path
            return first_error(value, inner, with_path=with_path)
    if isinstance(errors, list):
        for index, value in enumerate(errors):
            if value:
                inner = path if isinstance(value, str) else f"{path}[{index}]"
                return first_error(value, inner, with_path=with_path)
    message = str(errors)
    return f"{path}: {message}" if path and with_path else message


def record(kind: DeedKind, data: dict[str, Any], deed: DeedInput) -> JournalEntry:
    """Record the checked deed; raise DeedRefused (or PermissionDenied) when refused.

    A database error that a check should have caught becomes a refusal here, logged
    with its trace: the deed was not recorded, and the caller learns so without a 500.
    """
    try:
        return kind.act(data, deed)
    except DataError as error:
        logger.exception("A %s deed passed its checks but the database refused it", kind.name)
        raise DeedRefused(
            "The register cannot store this deed as written (a number in it is out of "
            "range); nothing was recorded."
        ) from error
