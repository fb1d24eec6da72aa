"""The log's identity and what it has published: origin, witnesses, the published checkpoint.

A checkpoint is stored with the cosignatures its witnesses gave; it is *published*
(served at /tlog/checkpoint, used for certificates' proofs) once it carries the quorum:
LANDINFO["WITNESS_QUORUM"], by default every configured witness. A register with no
witness publishes every checkpoint it signs (quorum 0), which a deployment should not
rely on: a lone log can show two histories.
"""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.utils.translation import gettext

from transactions.journal import tree
from transactions.models import Checkpoint

logger = logging.getLogger(__name__)


class Witness(NamedTuple):
    url: str  # the submission prefix: <url>/add-checkpoint
    vkey: str  # its cosigner key (type 0x04), as `manage.py witness --generate-key` prints


def witnesses() -> list[Witness]:
    """Return the witnesses LANDINFO["WITNESSES"] names ("<url> <vkey>" each)."""
    found = []
    for item in settings.LANDINFO.get("WITNESSES", []):
        parts = item.split()
        if len(parts) != 2 or not parts[0].startswith(("http://", "https://")):
            raise ImproperlyConfigured(
                f"LANDINFO_WITNESSES: {item!r} is not '<http(s) URL> <vkey>'; the vkey is "
                "what `manage.py witness --generate-key` prints."
            )
        found.append(Witness(parts[0].rstrip("/"), parts[1]))
    return found


def quorum() -> int:
    """Return how many cosignatures a checkpoint needs to be published."""
    wanted = int(settings.LANDINFO.get("WITNESS_QUORUM", -1))
    count = len(witnesses())
    if wanted < 0:
        return count
    if wanted > count:
        raise ImproperlyConfigured(
            f"LANDINFO_WITNESS_QUORUM is {wanted}, but only {count} witnesses are configured."
        )
    return wanted


def _published() -> QuerySet[Checkpoint]:
    return Checkpoint.objects.exclude(note="").filter(cosignatures__gte=quorum())


def published() -> Checkpoint | None:
    """Return the newest published checkpoint, or None."""
    return _published().order_by("-size", "-signed_at").first()


def published_at(size: int) -> str | None:
    """Return the note of a published checkpoint of `size` entries, or None."""
    found = _published().filter(size=size).order_by("-cosignatures", "-signed_at").first()
    return found.note if found is not None else None


class LogMismatch(Exception):
    """The journal no longer makes the root a published checkpoint states: it was rewritten.

    Nothing computed from the journal may then be offered as proof against that checkpoint.
    """


def check_root(size: int, root: bytes) -> None:
    """Raise LogMismatch (and log an error) when a published checkpoint of `size` states another root."""
    stated = set(_published().filter(size=size).values_list("root_hash", flat=True))
    if stated - {root.hex()}:
        logger.error(
            "The journal's Merkle root at %d entries is %s, but a published checkpoint of that "
            "size states %s: the journal was rewritten since (run verify_ledger).",
            size,
            root.hex(),
            ", ".join(sorted(stated - {root.hex()})),
        )
        raise LogMismatch(
            gettext(
                "The register's journal no longer makes the Merkle root it published for its "
                "first %(size)s entries: it was changed after its witnesses cosigned it. Report "
                "this to the registrar."
            )
            % {"size": size}
        )


def check_published(cursor: Any) -> None:
    """Raise LogMismatch when the journal no longer makes the newest published checkpoint's root.

    One root at the published size covers every entry inside it: what is computed from
    the journal (a tile, a new checkpoint) may be offered only while it holds.
    """
    newest = published()
    if newest is not None:
        check_root(newest.size, tree.root(cursor, newest.size))
