"""The log's identity and what it has published: origin, witnesses, the published checkpoint.

A checkpoint is stored with the cosignatures its witnesses gave; it is *published*
(served at /tlog/checkpoint, used for certificates' proofs) once it carries the quorum:
LANDINFO["WITNESS_QUORUM"], by default every configured witness. A register with no
witness publishes every checkpoint it signs (quorum 0), which a deployment should not
rely on: a lone log can show two histories.
"""

from __future__ import annotations

from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet

from transactions.models import Checkpoint


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
