"""The journal's hash chain: canonical payloads and the hash that links each entry.

Every writer of journal entries (the services, the synthetic generator) and the verifier
go through these two functions, so the bytes hashed are the same everywhere.
"""

import datetime as dt
import hashlib
import json
from typing import Any

# The hash the first entry chains to.
GENESIS_HASH = "0" * 64


def canonical_json(payload: dict[str, Any]) -> str:
    """Return the canonical JSON text of a deed: sorted keys, no spaces, UTF-8 kept.

    Numbers must already be ints or strings (decimals and fractions are written as
    strings by the caller) so that no float formatting can change the bytes.
    """
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def hashed_time(moment: dt.datetime) -> str:
    """Return `moment` as the hash reads it: UTC, microseconds, e.g. 2026-11-28T01:02:03.000004Z.

    PostgreSQL keeps microseconds, so the value read back from the database hashes the same.
    """
    if moment.tzinfo is None:
        raise ValueError("A journal time must be timezone-aware.")
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(
    prev_hash: str,
    sequence: int,
    payload_text: str,
    *,
    recorded_at: dt.datetime,
    recorded_by: int | None = None,
    document_sha256: str = "",
) -> str:
    """Return the hex SHA-256 that chains entry `sequence` to the entry before it.

    It covers every column of the entry that says something: the previous hash, the
    position, when and by whom the deed was registered, the deed document's hash and
    the payload. Only the idempotency columns are left out (they are transport, not law).
    """
    header = "\n".join(
        (
            prev_hash,
            str(sequence),
            hashed_time(recorded_at),
            "" if recorded_by is None else str(recorded_by),
            document_sha256,
        )
    )
    digest = hashlib.sha256()
    digest.update(header.encode("ascii"))
    digest.update(b"\n")
    digest.update(payload_text.encode("utf-8"))
    return digest.hexdigest()
