"""What an application carries besides its deed: the notarised contract and the documents.

The body of `POST /api/applications/` is a deed (transactions.deeds.serializers) with two
optional keys more: `contract`, the particulars of the notarised or certified contract
(Vietnam: số công chứng, quyển số, ngày công chứng, tổ chức hành nghề công chứng;
Korea: 등기원인 and its date), and `documents`, the files filed with it, each named by
its type and SHA-256. The deed's own serializer refuses keys it does not know, so they
are taken off here before it reads the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers

from transactions import people
from transactions.applications import office
from transactions.deeds.serializers import _Strict
from transactions.deeds.submit import MalformedDeed, first_error

MAX_DOCUMENTS = 20


class _Text(serializers.CharField):
    """Text as the register keeps it (normalised; refused when not text)."""

    def to_internal_value(self, data: Any) -> str:
        text = super().to_internal_value(data)
        try:
            return people.person_text(
                text, what="The text", required=False, max_length=self.max_length or 300
            )
        except people.UnreadableText as error:
            raise serializers.ValidationError(str(error)) from None


class ContractSerializer(_Strict):
    """The notarised (certified) contract the deed carries out."""

    office = _Text(
        max_length=300,
        required=False,
        allow_blank=True,
        help_text="Who certified it: the notary office (tổ chức hành nghề công chứng), the "
        "commune that certified it, or the 법무사 office that files it.",
    )
    number = _Text(
        max_length=50, required=False, allow_blank=True, help_text="Its number (số công chứng)."
    )
    book = _Text(max_length=50, required=False, allow_blank=True, help_text="Its book (quyển số).")
    date = serializers.DateField(
        required=False, help_text="The day it was certified (ngày công chứng) or 등기원인일자."
    )
    cause = _Text(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="The cause of the registration as the contract names it (등기원인, e.g. 매매).",
    )

    def validate_date(self, value: Any) -> Any:
        if value > timezone.localdate():
            raise serializers.ValidationError(_("The contract's date is after today."))
        return value


class DocumentSerializer(_Strict):
    """A document filed with the application, named by its type and its SHA-256."""

    type = serializers.RegexField(
        r"^[a-z][a-z0-9_]{0,39}$",
        help_text="The office's name of the document (transactions.applications.office."
        "DOCUMENTS), e.g. contract, certificate, application_form.",
    )
    sha256 = serializers.RegexField(r"^[0-9a-fA-F]{64}$", help_text="Hex SHA-256 of the file.")

    def validate_type(self, value: str) -> str:
        known = office.document_types()
        if value not in known:
            raise serializers.ValidationError(
                f"Not a document this office asks for; one of {', '.join(sorted(known))}."
            )
        return value


class ParticularsSerializer(_Strict):
    contract = ContractSerializer(required=False)
    documents = serializers.ListField(
        child=DocumentSerializer(), required=False, max_length=MAX_DOCUMENTS
    )


@dataclass(frozen=True, slots=True)
class Particulars:
    deed: dict[str, Any]  # the body without the keys below: what the deed's serializer reads
    contract: dict[str, Any] = field(default_factory=dict)
    documents: list[dict[str, str]] = field(default_factory=list)


def read_particulars(body: Mapping[str, Any]) -> Particulars:
    """Return the deed of `body` and its particulars; MalformedDeed when they are not readable."""
    extra = {key: body[key] for key in ("contract", "documents") if key in body}
    serializer = ParticularsSerializer(data=extra)
    if not serializer.is_valid():
        raise MalformedDeed(first_error(serializer.errors), serializer.errors)
    checked = serializer.validated_data
    return Particulars(
        deed={key: value for key, value in body.items() if key not in extra},
        contract=dict(checked.get("contract", {})),
        documents=[
            {"type": doc["type"], "sha256": doc["sha256"].lower()}
            for doc in checked.get("documents", [])
        ],
    )
