"""The journal's public JSON API: its signed checkpoints, for anyone to copy and check.

A copy of the checkpoints held outside the database (by a notary's office, an auditor,
a newspaper) is what makes a rewrite of the journal provable: see
transactions/journal/checkpoints.py for the signed message and `manage.py verify_ledger`.
"""

from __future__ import annotations

import base64

from django.db.models import Max
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    renderer_classes,
)
from rest_framework.exceptions import ParseError
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from parcels.serializers import ErrorSerializer
from transactions.journal import checkpoints, hashing
from transactions.models import Checkpoint, JournalEntry

CHECKPOINTS_LIMIT_DEFAULT = 100
CHECKPOINTS_LIMIT_MAX = 1000


class LedgerPublicKeySerializer(serializers.Serializer):
    key_id = serializers.CharField(help_text="Hex SHA-256 of the raw 32-byte public key.")
    public_key_pem = serializers.CharField(help_text="PEM SubjectPublicKeyInfo.")
    public_key_base64 = serializers.CharField(help_text="The raw 32-byte key, base64.")


class LedgerCheckpointSerializer(serializers.Serializer):
    size = serializers.IntegerField(help_text="Entries covered: #1 to #size.")
    head_hash = serializers.CharField(help_text="entry_hash of entry #size (genesis when 0).")
    signed_at = serializers.CharField(
        help_text="UTC with microseconds, exactly as in the signed message."
    )
    key_id = serializers.CharField()
    signature = serializers.CharField(help_text="Ed25519 signature of the message, hex.")


class LedgerCheckpointsSerializer(serializers.Serializer):
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
    size = JournalEntry.objects.aggregate(size=Max("sequence"))["size"] or 0
    return Response(
        {
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
