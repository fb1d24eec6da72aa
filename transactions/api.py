"""The public JSON API of rights and the journal: a parcel's sheet and history, the
parcel at a point, and the journal's signed checkpoints.

The sheet and history follow the conventions of the parcels' API (parcels.api: anonymous,
rate-limited, the same query parameters and errors). A copy of the checkpoints held
outside the database (by a notary's office, an auditor, a newspaper) is what makes a
rewrite of the journal provable: see transactions/journal/checkpoints.py for the signed
message and `manage.py verify_ledger`.
"""

from __future__ import annotations

import base64
import datetime as dt

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    renderer_classes,
)
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from landinfo.dates import register_day, register_moment
from landinfo.security import rate_limited
from landinfo.sql import read_cursor
from parcels.api import (
    AS_OF,
    ERRORS,
    KNOWN_AT,
    PARCEL_REF,
    RETRY_AFTER,
    TOO_MANY,
    parcel_pk,
    public_endpoint,
    query_coordinate,
    query_date,
    query_moment,
)
from parcels.selectors import no_parcel_with_id, parcels_at_point
from parcels.serializers import ErrorSerializer
from transactions import selectors
from transactions.journal import checkpoints, hashing
from transactions.journal.head import journal_head
from transactions.models import Checkpoint, JournalEntry
from transactions.serializers import AtPointSheetSerializer, HistorySerializer, SheetSerializer
from transactions.transparency import log

CHECKPOINTS_LIMIT_DEFAULT = 100
CHECKPOINTS_LIMIT_MAX = 1000


@rate_limited("lookup")
@extend_schema(
    summary="The parcel at a point",
    parameters=[
        OpenApiParameter("lon", float, required=True, description="Longitude, WGS84 degrees."),
        OpenApiParameter("lat", float, required=True, description="Latitude, WGS84 degrees."),
        AS_OF,
        RETRY_AFTER,
    ],
    responses={200: AtPointSheetSerializer, **ERRORS, 429: TOO_MANY},
)
@public_endpoint
def at_point(request: Request) -> Response:
    """Return the sheet of the parcel under the point; a point on a shared edge gives one."""
    lon = query_coordinate(request, "lon", limit=180.0)
    lat = query_coordinate(request, "lat", limit=90.0)
    as_of = query_date(request, "as_of")
    ids = parcels_at_point(lon, lat, as_of=as_of)
    sheet = selectors.parcel_sheet(ids[0], as_of=as_of) if ids else None
    if sheet is None:
        raise NotFound(_("No parcel at this point."))
    sheet["also_at_point"] = ids[1:]
    return Response(sheet)


@rate_limited("lookup")
@extend_schema(
    summary="The parcel sheet",
    description="`last_entry` is the sequence of the last deed that touched the parcel "
    "(always the present one): send it back as `expected_last_entry` when recording a "
    "deed, so that a deed made against an older state of the parcel is refused.",
    parameters=[PARCEL_REF, AS_OF, KNOWN_AT, RETRY_AFTER],
    responses={200: SheetSerializer, **ERRORS, 429: TOO_MANY},
)
@public_endpoint
def parcel_detail(request: Request, pk: str) -> Response:
    """Return the parcel's sheet as it stood on `as_of`, or today, as known at `known_at`."""
    as_of = query_date(request, "as_of")
    known_at = query_moment(request, "known_at")
    parcel = parcel_pk(pk)
    sheet = selectors.parcel_sheet(parcel, as_of=as_of, known_at=known_at)
    if sheet is None:
        raise NotFound(_not_found(parcel, as_of, known_at))
    return Response(sheet)


@rate_limited("lookup")
@extend_schema(
    summary="The parcel's deeds through time",
    parameters=[PARCEL_REF, AS_OF, KNOWN_AT, RETRY_AFTER],
    responses={200: HistorySerializer, **ERRORS, 429: TOO_MANY},
)
@public_endpoint
def parcel_history(request: Request, pk: str) -> Response:
    """Return the deeds that touched the parcel up to `as_of`, and its rights on that day.

    With `known_at`, only the deeds the register had recorded by then.
    """
    as_of, known_at = query_date(request, "as_of"), query_moment(request, "known_at")
    parcel = parcel_pk(pk)
    history = selectors.parcel_history(parcel, as_of=as_of, known_at=known_at)
    if history is None:
        raise NotFound(_not_found(parcel, None, None))
    return Response(history)


def _not_found(pk: int, as_of: dt.date | None, known_at: dt.datetime | None) -> str:
    if known_at is not None:
        if as_of is not None:
            return _(
                "The register did not know a parcel with the id %(id)s at %(moment)s as of "
                "%(day)s; try a later moment."
            ) % {"id": pk, "moment": register_moment(known_at), "day": register_day(as_of)}
        return _(
            "The register did not know a parcel with the id %(id)s at %(moment)s; "
            "try a later moment."
        ) % {"id": pk, "moment": register_moment(known_at)}
    if as_of is None:
        return no_parcel_with_id(pk)
    return _("No parcel with the id %(id)s existed on %(day)s; try a later date.") % {
        "id": pk,
        "day": register_day(as_of),
    }


class LedgerPublicKeySerializer(serializers.Serializer):
    key_id = serializers.CharField(help_text="Hex SHA-256 of the raw 32-byte public key.")
    public_key_pem = serializers.CharField(help_text="PEM SubjectPublicKeyInfo.")
    public_key_base64 = serializers.CharField(help_text="The raw 32-byte key, base64.")


class LedgerCheckpointSerializer(serializers.Serializer):
    size = serializers.IntegerField(help_text="Entries covered: #1 to #size.")
    root_hash = serializers.CharField(
        help_text="RFC 9162 Merkle root at `size`, hex (empty before the transparency log)."
    )
    note = serializers.CharField(
        help_text="The C2SP checkpoint: signed note with the witnesses' cosignatures."
    )
    cosignatures = serializers.IntegerField(help_text="Witness cosignatures in `note`.")
    published = serializers.BooleanField(
        help_text="Whether it carries the quorum of cosignatures (only those are served at "
        "/tlog/checkpoint and proved against): one without is its signer's word alone."
    )
    head_hash = serializers.CharField(help_text="entry_hash of entry #size (genesis when 0).")
    signed_at = serializers.CharField(
        help_text="UTC with microseconds, exactly as in the signed message."
    )
    key_id = serializers.CharField()
    signature = serializers.CharField(help_text="Ed25519 signature of the message, hex.")


class LedgerCheckpointsSerializer(serializers.Serializer):
    origin = serializers.CharField(help_text="The transparency log's origin (C2SP checkpoint).")
    vkey = serializers.CharField(help_text="The log's verifier key (C2SP signed-note vkey).")
    witnesses = serializers.ListField(
        child=serializers.CharField(), help_text="The cosigners' vkeys (type 0x04)."
    )
    quorum = serializers.IntegerField(help_text="Cosignatures a checkpoint needs to be published.")
    algorithm = serializers.CharField()
    message_format = serializers.CharField(
        help_text="The signed bytes: ASCII, lines joined by a newline (\\n)."
    )
    public_keys = LedgerPublicKeySerializer(many=True)
    journal_size = serializers.IntegerField(help_text="Entries in the journal now.")
    checkpoints = LedgerCheckpointSerializer(many=True, help_text="Newest first.")


@extend_schema(
    summary="The journal's signed checkpoints",
    description=(
        "Each checkpoint is an Ed25519 signature of the journal's size and head hash at a "
        "moment. Keep copies: with the public key, they prove that the first `size` "
        "entries were not rewritten since `signed_at`."
    ),
    parameters=[
        OpenApiParameter(
            "limit",
            int,
            description=f"At most this many checkpoints, newest first, 1 to "
            f"{CHECKPOINTS_LIMIT_MAX} (default {CHECKPOINTS_LIMIT_DEFAULT}).",
        )
    ],
    responses={
        200: LedgerCheckpointsSerializer,
        400: OpenApiResponse(ErrorSerializer, description="A parameter is wrong."),
    },
)
@api_view(["GET"])
@authentication_classes([])  # public: a stale token must not turn a read into a 401
@permission_classes([AllowAny])
@renderer_classes([JSONRenderer])
def ledger_checkpoints(request: Request) -> Response:
    """Return the public keys and the newest checkpoints of the journal."""
    limit = _limit(request)
    keys = checkpoints.public_keys()
    newest = Checkpoint.objects.order_by("-signed_at", "-size")[:limit]
    with read_cursor(JournalEntry) as cursor:
        size = journal_head(cursor).sequence
    quorum = log.quorum()
    return Response(
        {
            "origin": checkpoints.origin(),
            "vkey": checkpoints.log_vkey(),
            "witnesses": [witness.vkey for witness in log.witnesses()],
            "quorum": quorum,
            "algorithm": checkpoints.ALGORITHM,
            "message_format": checkpoints.MESSAGE_FORMAT,
            "public_keys": [
                {
                    "key_id": key_id,
                    "public_key_pem": checkpoints.public_key_pem(public),
                    "public_key_base64": base64.b64encode(
                        checkpoints.raw_public_key(public)
                    ).decode("ascii"),
                }
                for key_id, public in keys.items()
            ],
            "journal_size": size,
            "checkpoints": [
                {
                    "size": checkpoint.size,
                    "head_hash": checkpoint.head_hash,
                    "signed_at": hashing.hashed_time(checkpoint.signed_at),
                    "key_id": checkpoint.key_id,
                    "signature": checkpoint.signature,
                    "root_hash": checkpoint.root_hash,
                    "note": checkpoint.note,
                    "cosignatures": checkpoint.cosignatures,
                    "published": bool(checkpoint.note) and checkpoint.cosignatures >= quorum,
                }
                for checkpoint in newest
            ],
        }
    )


def _limit(request: Request) -> int:
    text = request.query_params.get("limit", "").strip()
    if not text:
        return CHECKPOINTS_LIMIT_DEFAULT
    try:
        limit = int(text)
    except ValueError:
        limit = 0
    if not 1 <= limit <= CHECKPOINTS_LIMIT_MAX:
        raise ParseError(
            f"'limit' must be a whole number from 1 to {CHECKPOINTS_LIMIT_MAX}; got {text!r}."
        )
    return limit
