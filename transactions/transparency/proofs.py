"""The proof a certificate's verification carries: its entry in the witnessed log.

Everything a browser needs to check, without trusting this server, that the entry a
certificate was issued at is leaf `entry - 1` of a tree that the log signed and its
witnesses cosigned: the checkpoint note, the keys, the entry's hash and the inclusion
proof. The verify page's script (transactions/static/transactions/tlog-verify.js) does that check.
"""

from __future__ import annotations

from typing import Any

from landinfo.sql import read_cursor
from transactions.journal import checkpoints, tree
from transactions.journal.notes import b64encode
from transactions.models import JournalEntry
from transactions.transparency import log


def entry_proof(entry: int) -> dict[str, Any]:
    """Return the inclusion proof of `entry` against the newest published checkpoint.

    `status` is "proved" with the proof (which the server checked against the checkpoint's
    root first), "mismatch" when the journal no longer makes that root (it was rewritten
    after the witnesses cosigned: no proof is offered), "pending" when no published
    checkpoint covers the entry yet (the next one, signed by `checkpoint_ledger`, will), or
    "unavailable" when the log has no key to name (an auditor's copy without the signing key).
    """
    keys = {
        "log_vkey": checkpoints.log_vkey(),
        "witness_vkeys": [witness.vkey for witness in log.witnesses()],
        "quorum": log.quorum(),
    }
    published = log.published()
    if not keys["log_vkey"]:
        return {"status": "unavailable", "entry": entry, **keys}
    if entry < 1 or published is None or published.size < entry:
        return {"status": "pending", "entry": entry, **keys}
    with read_cursor(JournalEntry) as cursor:
        proof = tree.inclusion(cursor, entry, published.size)
        entry_hash = tree.entry_hash(cursor, entry)
    try:
        log.check_root(published.size, proof.root)
    except log.LogMismatch as error:
        return {"status": "mismatch", "entry": entry, "reason": str(error), **keys}
    return {
        "status": "proved",
        "entry": entry,
        "entry_hash": entry_hash,
        "tree_size": published.size,
        "inclusion_proof": [b64encode(node) for node in proof.proof],
        "checkpoint": published.note,
        **keys,
    }
