"""The transparency log over HTTP: C2SP tlog-tiles resources and RFC 9162 proofs as JSON.

/tlog/checkpoint is the newest published checkpoint (signed by the log and cosigned by
its witnesses); /tlog/tile/<L>/<N>[.p/<W>] and /tlog/tile/entries/<N>[.p/<W>] are the
tiles and entry bundles of C2SP tlog-tiles, immutable and cached for a year. A tile
is served when the journal holds all of it, whatever the checkpoints (its bytes can
never change), unless the journal no longer makes the published root (409). /api/ledger/proof/inclusion and /api/ledger/proof/consistency compute
the proofs on the server for clients that would rather not fetch tiles.
"""

from __future__ import annotations

import re
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import APIException, ParseError
from rest_framework.request import Request
from rest_framework.response import Response

from landinfo.security import rate_limited
from landinfo.sql import read_cursor
from parcels.api import RETRY_AFTER, TOO_MANY, public_endpoint
from parcels.serializers import ErrorSerializer
from transactions.journal import tree
from transactions.journal.head import journal_head
from transactions.journal.notes import b64encode
from transactions.models import Checkpoint, JournalEntry
from transactions.transparency import log

IMMUTABLE = "public, max-age=31536000, immutable"
# The checkpoint changes as the journal grows: caches may keep it a few seconds only.
MUTABLE = "public, max-age=5"
_MAX_TILE_LEVEL = 63
_INDEX = re.compile(r"^(?:x\d{3}/)*\d{3}$")
_DECIMAL = re.compile(r"^(?:0|[1-9]\d*)$")


@rate_limited("lookup")
@require_safe
def checkpoint(request: HttpRequest) -> HttpResponse:
    """Return the newest published checkpoint: the signed note with its cosignatures."""
    published = log.published()
    if published is None:
        raise Http404("The log has published no checkpoint yet (manage.py checkpoint_ledger).")
    response = HttpResponse(published.note, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = MUTABLE
    return response


def tile_path(index: int) -> str:
    """Return a tile index as tlog-tiles writes it: 1234067 is x001/x234/067, 0 is 000."""
    digits = str(index)
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*(f"x{group}" for group in groups[:-1]), groups[-1]])


def tile_index(path: str) -> int:
    """Return the index of a tlog-tiles path; any spelling but the one tile_path writes is refused.

    A tile has one URL, so that caches hold one copy (x000/067 would be 67 too).
    """
    index = int(path.replace("x", "").replace("/", "")) if _INDEX.match(path) else -1
    if index < 0 or tile_path(index) != path:
        raise Http404(
            f"{path!r} is not a tile index as tlog-tiles writes it: groups of 3 digits, "
            "all but the last x-prefixed, no group of leading zeroes (e.g. x001/x234/067)."
        )
    return index


def _width(text: str | None) -> int:
    if text is None:
        return tree.TILE_WIDTH
    if not _DECIMAL.match(text) or not 1 <= int(text) < tree.TILE_WIDTH:
        raise Http404(f"A partial tile's width is 1 to {tree.TILE_WIDTH - 1}; got {text!r}.")
    return int(text)


def _octets(data: bytes | None, what: str) -> HttpResponse:
    if data is None:
        raise Http404(f"The log does not hold all of {what} yet.")
    response = HttpResponse(data, content_type="application/octet-stream")
    response["Cache-Control"] = IMMUTABLE
    return response


@rate_limited("lookup")
@require_safe
def tile(request: HttpRequest, level: str, index: str, width: str | None = None) -> HttpResponse:
    """Return a tile of the Merkle tree: 32-byte hashes at tile level `level`, 256 or `width`."""
    if not _DECIMAL.match(level) or int(level) > _MAX_TILE_LEVEL:
        raise Http404(f"A tile level is 0 to {_MAX_TILE_LEVEL}; got {level!r}.")
    number, count = tile_index(index), _width(width)
    with read_cursor(JournalEntry) as cursor:
        refused = _refused(cursor)
        data = None if refused else tree.tile(cursor, int(level), number, count)
    return refused or _octets(data, f"tile {level}/{index}")


@rate_limited("lookup")
@require_safe
def entries(request: HttpRequest, index: str, width: str | None = None) -> HttpResponse:
    """Return an entry bundle: each entry's leaf data (its 32-byte entry hash), length-prefixed."""
    number, count = tile_index(index), _width(width)
    with read_cursor(JournalEntry) as cursor:
        refused = _refused(cursor)
        data = None if refused else tree.entry_bundle(cursor, number, count)
    return refused or _octets(data, f"entry bundle {index}")


def _refused(cursor: Any) -> HttpResponse | None:
    """Refuse (409, not cached) every tile of a journal that no longer makes the published root.

    A tile is cached for a year: none may be served from a rewritten journal. One root at
    the published size (a few milliseconds at 1M entries) covers every tile inside it, and
    the cache in front answers most requests.
    """
    try:
        log.check_published(cursor)
    except log.LogMismatch as error:
        response = HttpResponse(str(error), status=409, content_type="text/plain; charset=utf-8")
        response["Cache-Control"] = "no-store"
        return response
    return None


class InclusionSerializer(serializers.Serializer):
    entry = serializers.IntegerField(help_text="The journal entry (leaf index + 1).")
    leaf_index = serializers.IntegerField()
    tree_size = serializers.IntegerField()
    entry_hash = serializers.CharField(help_text="The entry's hash, hex: the leaf's data.")
    leaf_hash = serializers.CharField(help_text="SHA-256(0x00 ‖ entry hash bytes), base64.")
    inclusion_proof = serializers.ListField(
        child=serializers.CharField(), help_text="RFC 9162 audit path, base64, leaf to root."
    )
    root_hash = serializers.CharField(help_text="The tree's root at tree_size, base64.")
    checkpoint = serializers.CharField(
        allow_null=True, help_text="The published checkpoint of tree_size, when there is one."
    )


class ConsistencySerializer(serializers.Serializer):
    size_from = serializers.IntegerField(source="from")
    size_to = serializers.IntegerField(source="to")
    consistency_proof = serializers.ListField(child=serializers.CharField())
    root_from = serializers.CharField()
    root_to = serializers.CharField()


_BAD = OpenApiResponse(ErrorSerializer, description="A parameter is wrong.")
_MISMATCH = OpenApiResponse(
    ErrorSerializer,
    description="The journal no longer makes the root a published checkpoint of that size "
    "states (`log_mismatch`): it was rewritten; no proof is offered.",
)


def _size_param(request: Request, name: str, *, journal_size: int, default: int | None) -> int:
    text = request.query_params.get(name, "").strip()
    if not text:
        if default is None:
            raise ParseError(
                _("%(name)s is required: a whole number of entries.") % {"name": repr(name)}
            )
        return default
    if not _DECIMAL.match(text) or len(text) > 19:
        raise ParseError(
            _("%(name)s must be a whole number of entries; got %(text)s.")
            % {"name": repr(name), "text": repr(text)}
        )
    value = int(text)
    if value > journal_size:
        raise ParseError(
            _("%(name)s is %(value)s, but the journal has %(size)s entries.")
            % {"name": repr(name), "value": value, "size": journal_size}
        )
    return value


class LogMismatch(APIException):
    status_code = 409
    default_code = "log_mismatch"


def _check_root(size: int, root: bytes) -> None:
    """Refuse to offer proofs from a journal that no longer makes a root the log published."""
    try:
        log.check_root(size, root)
    except log.LogMismatch as error:
        raise LogMismatch(str(error)) from None


def _tree_size(
    request: Request, name: str, cursor: Any, published: Checkpoint | None
) -> tuple[int, int]:
    """Return the journal's size and the tree size `name` asks for (default: the published one)."""
    journal_size = journal_head(cursor).sequence
    default = published.size if published is not None else None
    return journal_size, _size_param(request, name, journal_size=journal_size, default=default)


@rate_limited("lookup")
@extend_schema(
    summary="Inclusion proof of a journal entry (RFC 9162)",
    description="Proves that entry `entry` is leaf `entry - 1` of the tree of `size` "
    "entries (default: the newest published, witnessed checkpoint, returned with it).",
    parameters=[
        OpenApiParameter("entry", int, required=True, description="The entry, from 1."),
        OpenApiParameter("size", int, description="The tree size, from `entry`."),
        RETRY_AFTER,
    ],
    responses={200: InclusionSerializer, 400: _BAD, 409: _MISMATCH, 429: TOO_MANY},
)
@public_endpoint
def inclusion_proof(request: Request) -> Response:
    published = log.published()
    with read_cursor(JournalEntry) as cursor:
        journal_size, size = _tree_size(request, "size", cursor, published)
        entry = _size_param(request, "entry", journal_size=journal_size, default=None)
        if not 1 <= entry <= size:
            raise ParseError(
                _("%(name)s must be from 1 to the tree size %(size)s; got %(entry)s.")
                % {"name": "'entry'", "size": size, "entry": entry}
            )
        proof = tree.inclusion(cursor, entry, size)
        entry_hash = tree.entry_hash(cursor, entry)
    _check_root(size, proof.root)
    note = (
        published.note
        if published is not None and published.size == size
        else log.published_at(size)
    )
    return Response(
        {
            "entry": entry,
            "leaf_index": entry - 1,
            "tree_size": size,
            "entry_hash": entry_hash,
            "leaf_hash": b64encode(proof.leaf),
            "inclusion_proof": [b64encode(node) for node in proof.proof],
            "root_hash": b64encode(proof.root),
            "checkpoint": note,
        }
    )


@rate_limited("lookup")
@extend_schema(
    summary="Consistency proof between two tree sizes (RFC 9162)",
    description="Proves that the tree of `from` entries is a prefix of the tree of `to` "
    "entries (default: the newest published checkpoint): the journal was only appended to.",
    parameters=[
        OpenApiParameter("from", int, required=True),
        OpenApiParameter("to", int),
        RETRY_AFTER,
    ],
    responses={200: ConsistencySerializer, 400: _BAD, 409: _MISMATCH, 429: TOO_MANY},
)
@public_endpoint
def consistency_proof(request: Request) -> Response:
    with read_cursor(JournalEntry) as cursor:
        journal_size, new = _tree_size(request, "to", cursor, log.published())
        old = _size_param(request, "from", journal_size=journal_size, default=None)
        if old > new:
            raise ParseError(
                _("'from' (%(old)s) must not exceed 'to' (%(new)s).") % {"old": old, "new": new}
            )
        proof, old_root, new_root = tree.consistency(cursor, old, new)
    _check_root(old, old_root)
    _check_root(new, new_root)
    return Response(
        {
            "from": old,
            "to": new,
            "consistency_proof": [b64encode(node) for node in proof],
            "root_from": b64encode(old_root),
            "root_to": b64encode(new_root),
        }
    )
