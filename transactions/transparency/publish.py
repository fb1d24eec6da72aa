"""Publish a checkpoint: signed by the log, cosigned by its witnesses, then stored.

The witnesses are asked one after another (`tlog-witness` add-checkpoint) with a
consistency proof from the size each last cosigned; a witness that refuses is logged as
an error (a 409 fork or a 422 is a witness saying the register showed it another
history), one that cannot be reached as a warning. The checkpoint is stored with the
cosignatures it got, and is published once they reach the quorum (`log.published`).
"""

from __future__ import annotations

import logging
from typing import NamedTuple

from django.conf import settings
from django.db import connection

from transactions.journal import checkpoints, tree
from transactions.models import Checkpoint
from transactions.transparency import log
from transactions.witness import client

logger = logging.getLogger(__name__)


class Publication(NamedTuple):
    checkpoint: Checkpoint | None  # None: the newest checkpoint already covered the head
    refusals: list[str]  # witnesses that answered and refused: each one an alarm
    unreached: list[str]  # witnesses that did not answer


def publish(*, if_changed: bool = False) -> Publication:
    """Sign, cosign and store a checkpoint of the journal's head; say which witnesses refused."""
    witnesses = log.witnesses()
    refusals: list[str] = []
    unreached: list[str] = []

    def cosign(note: str, size: int) -> list[str]:
        return _cosign(note, size, refusals, unreached)

    # A checkpoint over a rewritten journal, signed with the register's key, would be a
    # fork the register itself vouched for: nothing is signed then.
    with connection.cursor() as cursor:
        log.check_published(cursor)
    checkpoint = checkpoints.sign_checkpoint(
        if_changed=if_changed, cosign=cosign if witnesses else None, quorum=log.quorum()
    )
    return Publication(checkpoint, refusals, unreached)


def _cosign(note: str, size: int, refusals: list[str], unreached: list[str]) -> list[str]:
    """Return the cosignature lines the configured witnesses give `note`, in their order."""
    # The size each witness last cosigned is its own to say (a 409 tells it): start from
    # the newest checkpoint any witness cosigned, which is right while witnesses keep up.
    last = (
        Checkpoint.objects.filter(cosignatures__gt=0, size__lte=size)
        .order_by("-size")
        .values_list("size", flat=True)
        .first()
    ) or 0
    lines = []
    for witness in log.witnesses():
        try:
            lines.append(
                client.request_cosignature(
                    witness.url,
                    witness.vkey,
                    note,
                    last,
                    lambda old: _proof(old, size),
                    timeout=float(settings.LANDINFO.get("WITNESS_TIMEOUT", 5.0)),
                )
            )
        except client.WitnessRefused as error:
            logger.error(
                "Witness %s refused the checkpoint of %d entries (HTTP %s): %s",
                witness.url,
                size,
                error.status,
                error,
            )
            refusals.append(f"{witness.url} (HTTP {error.status}): {error}")
        except client.WitnessUnavailable as error:
            logger.warning(
                "Witness %s was not reached for checkpoint %d: %s", witness.url, size, error
            )
            unreached.append(f"{witness.url}: {error}")
    return lines


def _proof(old_size: int, size: int) -> list[bytes]:
    with connection.cursor() as cursor:
        return tree.consistency(cursor, old_size, size)[0]
