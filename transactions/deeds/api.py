"""The deed API: `POST /api/transactions/` records a deed; `GET /api/parcels/<id>/holders`.

A deed arrives as JSON and is submitted (transactions.deeds.submit) as the notary forms
submit theirs: its shape is checked by the kind's serializer (400 when it is malformed)
and it is recorded by the kind's act, which refuses what the register cannot accept
(`DeedRefused` and its kinds: 404, 409, 422). This module is the HTTP side: headers,
status codes, error bodies and the OpenAPI document.

Every error answers `{"error": code, "detail": message}`: codes are stable for
programs, messages are for people. A request repeated with its `Idempotency-Key`
returns the entry it recorded (201 again, `Idempotent-Replayed: true`), never a
second entry.
"""

from __future__ import annotations

import json
import re
from typing import Any, cast

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.urls import reverse
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from landinfo.profiles import get_profile
from parcels.models import Parcel
from parcels.selectors import no_parcel_with_id
from transactions import audit
from transactions.applications.serializers import ApplicationSerializer
from transactions.deeds import services
from transactions.deeds.kinds import KINDS
from transactions.deeds.serializers import (
    MAX_ID,
    DeedErrorSerializer,
    DeedResultSerializer,
    HoldersSerializer,
)
from transactions.deeds.services import CORRECT, RECORD
from transactions.deeds.submit import MalformedDeed, first_error, submit
from transactions.exceptions import DeedRefused
from transactions.models import JournalEntry

VIEW_PERSONAL_DATA = "transactions.view_personal_data"

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# RFC 9110 field values are visible ASCII and spaces; 128 fits the journal's column.
_IDEMPOTENCY_KEY = re.compile(r"[\x20-\x7e]{1,128}")
# A deed, boundaries and all, is far below this, and so is one carrying the largest
# surveyor's file in base64 (SURVEY_MAX_BYTES * 4/3): a larger body is not a deed. Django
# reads no larger body (settings.DATA_UPLOAD_MAX_MEMORY_SIZE is the same).
MAX_BODY_BYTES = 8 * 2**20


def deed_result(entry: JournalEntry) -> dict[str, Any]:
    """Return the API's answer for a recorded entry: the same for the request and its replays."""
    payload = json.loads(entry.payload)
    parcel = payload["parcel"]
    return {
        "sequence": entry.sequence,
        "kind": entry.kind,
        "effective_date": entry.effective_date.isoformat(),
        "recorded_at": entry.recorded_at.isoformat(),
        "entry_hash": entry.entry_hash,
        "prev_hash": entry.prev_hash,
        "parcel": {
            "id": parcel["id"],
            "identifier": parcel["identifier"],
            "display": get_profile().display_stored(parcel["identifier"]),
        },
        "parcels_created": [created["id"] for created in payload.get("parcels_created", [])],
        "links": {
            "parcel": reverse("transactions:detail", args=[parcel["id"]]),
            "history": reverse("transactions:history", args=[parcel["id"]]),
            "map": f"{reverse('parcels:home')}?parcel={parcel['id']}",
        },
    }


# --- the views ---------------------------------------------------------------------------


def _error(code: str, detail: str, http_status: int, **extra: Any) -> Response:
    return Response({"error": code, "detail": detail, **extra}, status=http_status)


_DEED_EXAMPLE = {
    "kind": "transfer",
    "parcel": 42,
    "effective_date": "2025-03-01",
    "expected_last_entry": 17,
    "transfer_type": "sale",
    "price": "2500000000",
    "transferors": [{"party": 7, "share": "1/1"}],
    "recipients": [
        {
            "party": {"kind": "person", "name": "Lê Văn Cường", "national_id": "001080000003"},
            "share": "1/1",
        }
    ],
}
_ERROR = OpenApiResponse(DeedErrorSerializer)


class _TooDeep(exceptions.ParseError):
    """A body whose JSON nests deeper than a deed does (its message is the register's own)."""


class _DeedAPIView(APIView):
    """A signed-in user's JSON endpoint, answering every error as {"error", "detail"}."""

    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]

    def handle_exception(self, exc: Exception) -> Response:
        """Answer DRF's own errors (401, 403, 400, 415, ...) in the deed API's shape."""
        if isinstance(exc, DjangoPermissionDenied):
            exc = exceptions.PermissionDenied(str(exc) or None)
        if isinstance(exc, exceptions.ParseError) and not isinstance(exc, _TooDeep):
            # DRF's "JSON parse error - <Python's reason>": the reason is Python's English
            # (where it is, in a byte offset); the reader is told in their language.
            exc = exceptions.ParseError(
                gettext(
                    "The body is not JSON the register can read: check its quotes, commas "
                    "and brackets, that it is UTF-8 text, and that its numbers are finite."
                )
            )
        response = super().handle_exception(exc)
        if isinstance(exc, exceptions.APIException):
            if isinstance(exc.detail, list | dict):
                code, detail = "invalid", first_error(exc.detail)
            else:
                code, detail = str(exc.get_codes()), str(exc.detail)
            response.data = {"error": code, "detail": detail}
        return response


class DeedsView(_DeedAPIView):
    """Record a deed in the register's journal."""

    @extend_schema(
        operation_id="record_deed",
        summary="Record a deed (notary; corrections: registrar)",
        description="Checks the deed and records it as one journal entry, or refuses it "
        "with a reason. The `kind` chooses the terms the body carries. Every deed says "
        "what it acts on: the parcel sheet's `last_entry` as `expected_last_entry` "
        "(required; a deed prepared against another state of the parcel is refused, 409 "
        "`stale`), a transfer its transferors and their shares, a discharge its mortgage, "
        "a correction its entry and parcel. A missing one is a 400 naming it. Names and "
        "addresses are stored normalised (invisible characters are word breaks), national IDs as "
        "the profile's digits, whatever their spelling. Retrying with the same "
        "`Idempotency-Key` and body returns the recorded entry again (201, "
        "`Idempotent-Replayed: true`); the same key with another body is refused (422).",
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                OpenApiTypes.STR,
                location=OpenApiParameter.HEADER,
                required=True,
                description="1 to 128 printable ASCII characters, new for each deed "
                "(a UUID is a good choice).",
            ),
            OpenApiParameter(
                "Location",
                OpenApiTypes.STR,
                location=OpenApiParameter.HEADER,
                response=[201],
                required=True,
                description="The sheet of the deed's parcel in the API.",
            ),
            OpenApiParameter(
                REPLAYED_HEADER,
                OpenApiTypes.STR,
                location=OpenApiParameter.HEADER,
                response=[201],
                enum=["true"],
                description="Present when the request repeated an earlier one's "
                f"{IDEMPOTENCY_HEADER} and body: the entry was recorded then, not now.",
            ),
        ],
        request=PolymorphicProxySerializer(
            component_name="Deed",
            serializers={name: kind.serializer for name, kind in KINDS.items()},
            resource_type_field_name="kind",
        ),
        examples=[OpenApiExample("A sale to a new person", value=_DEED_EXAMPLE, request_only=True)],
        responses={
            201: DeedResultSerializer,
            202: OpenApiResponse(
                ApplicationSerializer,
                description="Reviewed registration (LANDINFO_REGISTRATION_MODE=reviewed): the "
                "deed was filed as an application, not recorded; `detail` says so.",
            ),
            400: OpenApiResponse(DeedErrorSerializer, description="Not a deed: malformed."),
            401: OpenApiResponse(DeedErrorSerializer, description="Not signed in."),
            403: OpenApiResponse(DeedErrorSerializer, description="Not a notary or registrar."),
            404: OpenApiResponse(DeedErrorSerializer, description="It names what is not there."),
            409: OpenApiResponse(
                DeedErrorSerializer, description="It conflicts with the register as it stands."
            ),
            413: OpenApiResponse(
                DeedErrorSerializer, description="The body is too large to be a deed."
            ),
            415: OpenApiResponse(DeedErrorSerializer, description="The body is not JSON."),
            422: OpenApiResponse(DeedErrorSerializer, description="The register refuses it."),
        },
    )
    def post(self, request: Request) -> Response:
        """Record the deed in the body; answer with its journal entry."""
        from transactions.applications import api as applications
        from transactions.applications import office

        if office.reviewed():
            # A register that reviews deeds files this one as an application and says so.
            return applications.file(
                request,
                answer=status.HTTP_202_ACCEPTED,
                detail=gettext(
                    "Filed as application %(receipt)s: a registrar registers it in order of "
                    "receipt. Its status is at links.self."
                ),
            )
        user = cast(AbstractUser, request.user)  # IsAuthenticated: a real user
        if not (user.has_perm(RECORD) or user.has_perm(CORRECT)):
            raise exceptions.PermissionDenied(
                gettext("Recording deeds is for notaries and registrars.")
            )
        read = deed_request(request)
        if isinstance(read, Response):
            return read  # the request cannot be a deed to record once
        key, body = read
        try:
            entry = submit(body, user=user, idempotency_key=key)
        except (MalformedDeed, DeedRefused) as error:
            return refusal(error)
        response = Response(deed_result(entry), status=status.HTTP_201_CREATED)
        response["Location"] = reverse("transactions:detail", args=[response.data["parcel"]["id"]])
        if getattr(entry, "replayed", False):
            response[REPLAYED_HEADER] = "true"
        return response


def deed_request(request: Request) -> tuple[str, Any] | Response:
    """Return the request's Idempotency-Key and JSON body, or the answer refusing it.

    The deed API and the applications' API read a deed alike.
    """
    key = _idempotency_key(request)
    if isinstance(key, Response):
        return key
    try:
        return key, request.data
    except RecursionError:
        raise _TooDeep(gettext("The JSON is nested too deeply to be a deed.")) from None


def refusal(error: MalformedDeed | DeedRefused) -> Response:
    """Return the answer to a deed that is malformed (400) or that the register refuses."""
    if isinstance(error, MalformedDeed):
        extra = {"field_errors": error.fields} if error.fields else {}
        return _error("invalid", error.message, status.HTTP_400_BAD_REQUEST, **extra)
    return _error(error.code, error.message, error.status)


def _idempotency_key(request: Request) -> str | Response:
    """Return the request's Idempotency-Key, or the answer refusing the request.

    Refused: no key, a key that is not one, or a body too large to be a deed.
    """
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return _error(
            "idempotency_key_missing",
            gettext(
                "Send an %(header)s header (e.g. a new UUID) with each deed, and the same one "
                "when you retry it, so it is never recorded twice."
            )
            % {"header": IDEMPOTENCY_HEADER},
            status.HTTP_400_BAD_REQUEST,
        )
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        return _error(
            "idempotency_key_invalid",
            gettext("The %(header)s is 1 to 128 printable ASCII characters.")
            % {"header": IDEMPOTENCY_HEADER},
            status.HTTP_400_BAD_REQUEST,
        )
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES:
        return _error(
            "too_large",
            gettext("A deed is at most %(size)s MB of JSON.") % {"size": MAX_BODY_BYTES // 2**20},
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    return key


class ParcelHoldersView(_DeedAPIView):
    """The holders of a parcel's rights, unmasked, for those who may read personal data."""

    @extend_schema(
        operation_id="parcel_holders",
        summary="The parcel's current holders, unmasked (notaries, registrars)",
        description="Names and national ID numbers of the holders of the rights in force "
        "on the parcel, and the parcel's `last_entry`. Personal data: each call is "
        "recorded (who read which parties, when).",
        responses={200: HoldersSerializer, 401: _ERROR, 403: _ERROR, 404: _ERROR},
    )
    def get(self, request: Request, pk: int) -> Response:
        """Return the holders of the rights in force on the parcel, and record the read."""
        if not request.user.has_perm(VIEW_PERSONAL_DATA):
            raise exceptions.PermissionDenied(
                gettext("Holders' personal data is for notaries and registrars.")
            )
        parcel = (
            Parcel.objects.filter(pk=pk).values("id", "identifier").first()
            if pk <= MAX_ID
            else None
        )
        if parcel is None:
            return _error("not_found", no_parcel_with_id(pk), status.HTTP_404_NOT_FOUND)
        holders = audit.current_holders(
            pk, user=request.user, purpose=f"API: /api/parcels/{pk}/holders"
        )
        return Response(
            {
                "parcel": {**parcel, "display": get_profile().display_stored(parcel["identifier"])},
                "last_entry": services.last_entry([pk]),
                "holders": [
                    {
                        "right": holder.right_id,
                        "kind": holder.kind,
                        "share": holder.share_text,
                        "valid_from": holder.valid_from.isoformat(),
                        "party": {
                            "id": holder.party_id,
                            "kind": holder.party_kind,
                            "name": holder.name,
                            "national_id": holder.national_id,
                        },
                    }
                    for holder in holders
                ],
            }
        )
