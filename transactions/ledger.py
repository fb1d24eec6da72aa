"""The journal's hash chain: canonical payloads and the hash that links each entry.

Every writer of journal entries (the services, the synthetic generator, a replay)
goes through these two functions, so the bytes hashed are the same everywhere.
"""

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


def entry_hash(prev_hash: str, sequence: int, payload_text: str) -> str:
    """Return the hex SHA-256 that chains entry `sequence` to the entry before it."""
    digest = hashlib.sha256()
    digest.update(prev_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(str(sequence).encode("ascii"))
    digest.update(b"\n")
    digest.update(payload_text.encode("utf-8"))
    return digest.hexdigest()
