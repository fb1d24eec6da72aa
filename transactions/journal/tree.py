"""The journal's Merkle tree (RFC 9162) as tlog-tiles stores it: roots, proofs, tiles.

Leaf N - 1 is entry N, and its leaf data is the entry's 32-byte `entry_hash`: the
entry's canonical bytes as already hashed. Those bytes are not published because they
carry holders' national IDs (never public, DESIGN.md) and can exceed the 64 KiB an
entry bundle's length prefix allows; the hash commits to every one of them, and whoever
holds an entry (its parties, a registrar, an auditor) checks it against the hash.

Storage follows C2SP tlog-tiles with 256-wide tiles. Level 0 is the journal itself
(`entry_hash` column, one SHA-256 away from the leaf hash); the hash of each full tile
below is stored as a `TreeHash` row at the level above when the journal reaches it
(`extend`, called by `append` every 256 entries): one row per 256 entries. Every other
node a root or a proof needs is computed from at most 255 of those hashes, read in one
query per level (`_Reader`). Entries and full tiles never change, so neither do the
answers: tiles and proofs for a size are cacheable forever.
"""

from __future__ import annotations

import struct
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from django.db import connection

from landinfo.sql import table
from transactions.journal import merkle
from transactions.models import JournalEntry, TreeHash

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT  # 256 hashes, 8,192 bytes
_LEAF_DATA_SIZE = 32


def leaf(entry_hash_hex: str) -> bytes:
    """Return the leaf hash of the entry whose `entry_hash` is `entry_hash_hex`."""
    return merkle.leaf_hash(bytes.fromhex(entry_hash_hex))


def _fold(hashes: list[bytes]) -> bytes:
    """Return the Merkle tree hash of a power-of-two run of subtree hashes."""
    while len(hashes) > 1:
        hashes = [merkle.node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
    return hashes[0]


class _Reader:
    """Reads the stored hashes a computation needs, one query per tile level, then serves them.

    `perfect(level, index)` of merkle.py: a tree level that is a multiple of 8 is a stored
    hash (tile level `level // 8`); any other folds the 2**(level % 8) stored hashes under it.
    """

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        self.known: dict[tuple[int, int], bytes] = {}

    @staticmethod
    def _span(level: int, index: int) -> tuple[int, int, int]:
        tile_level, rest = divmod(level, TILE_HEIGHT)
        return tile_level, index << rest, (index + 1) << rest

    def load(self, needed: Iterable[tuple[int, int]]) -> None:
        """Fetch the stored hashes under every (tree level, index) in `needed`."""
        spans: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for level, index in needed:
            tile_level, start, end = self._span(level, index)
            spans[tile_level].append((start, end))
        for tile_level, ranges in spans.items():
            self.known.update(self._read(tile_level, ranges))

    def _read(self, tile_level: int, ranges: list[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        # Bounds on the key columns themselves, so that each range is an index range scan.
        if tile_level == 0:
            where = " OR ".join(["(sequence > %s AND sequence <= %s)"] * len(ranges))
            self.cursor.execute(
                f"SELECT sequence - 1, entry_hash FROM {table(JournalEntry)} "  # noqa: S608
                f"WHERE {where}",
                [bound for span in ranges for bound in span],
            )
            return {(0, x): leaf(value) for x, value in self.cursor.fetchall()}
        where = " OR ".join(["(index >= %s AND index < %s)"] * len(ranges))
        self.cursor.execute(
            f"SELECT index, hash FROM {table(TreeHash)} "  # noqa: S608
            f"WHERE level = %s AND ({where})",
            [tile_level, *(bound for span in ranges for bound in span)],
        )
        return {(tile_level, x): bytes(value) for x, value in self.cursor.fetchall()}

    def perfect(self, level: int, index: int) -> bytes:
        tile_level, start, end = self._span(level, index)
        try:
            return _fold([self.known[tile_level, x] for x in range(start, end)])
        except KeyError:
            raise TreeIncomplete(
                f"The stored tree lacks hashes under level {level} index {index}; "
                "run `manage.py verify_ledger` (the journal or its tree is damaged)."
            ) from None


class TreeIncomplete(LookupError):
    """The stored tiles do not reach a hash asked for: the tree is behind its journal or damaged."""


def _computed(cursor: Any, compute: Callable[[merkle.Perfect], Any]) -> Any:
    """Run `compute` twice: once to learn which hashes it reads, once on them, read in bulk."""
    needed: list[tuple[int, int]] = []

    def record(level: int, index: int) -> bytes:
        needed.append((level, index))
        return bytes(merkle.HASH_SIZE)

    compute(record)
    reader = _Reader(cursor)
    reader.load(needed)
    return compute(reader.perfect)


def root(cursor: Any, size: int) -> bytes:
    """Return the tree's root hash at `size` entries."""
    return _computed(cursor, lambda perfect: merkle.root(size, perfect))  # type: ignore[no-any-return]


class Inclusion(NamedTuple):
    entry: int
    size: int
    leaf: bytes
    proof: list[bytes]
    root: bytes


def inclusion(cursor: Any, entry: int, size: int) -> Inclusion:
    """Return the proof that entry `entry` is in the tree of `size` entries, with its root."""
    index = entry - 1

    def compute(perfect: merkle.Perfect) -> tuple[bytes, list[bytes], bytes]:
        return (
            perfect(0, index),
            merkle.inclusion_proof(index, size, perfect),
            merkle.root(size, perfect),
        )

    leaf_hash, proof, root_hash = _computed(cursor, compute)
    return Inclusion(entry, size, leaf_hash, proof, root_hash)


def entry_hash(cursor: Any, entry: int) -> str:
    """Return the hex `entry_hash` of entry `entry`: leaf `entry - 1`'s data."""
    cursor.execute(
        f"SELECT entry_hash FROM {table(JournalEntry)} WHERE sequence = %s",  # noqa: S608
        [entry],
    )
    return cursor.fetchone()[0]  # type: ignore[no-any-return]


def consistency(cursor: Any, old_size: int, new_size: int) -> tuple[list[bytes], bytes, bytes]:
    """Return the proof that the tree of `old_size` entries is a prefix of `new_size`'s, and both roots."""

    def compute(perfect: merkle.Perfect) -> tuple[list[bytes], bytes, bytes]:
        return (
            merkle.consistency_proof(old_size, new_size, perfect),
            merkle.root(old_size, perfect),
            merkle.root(new_size, perfect),
        )

    return _computed(cursor, compute)  # type: ignore[no-any-return]


def tile(cursor: Any, level: int, index: int, width: int) -> bytes | None:
    """Return the tile's hashes concatenated, or None when the tree does not have them all."""
    start = index * TILE_WIDTH
    reader = _Reader(cursor)
    found = reader._read(level, [(start, start + width)])
    if len(found) != width:
        return None
    return b"".join(found[level, x] for x in range(start, start + width))


def entry_bundle(cursor: Any, index: int, width: int) -> bytes | None:
    """Return the entry bundle (uint16 length ‖ leaf data, per entry), or None if incomplete."""
    first = index * TILE_WIDTH + 1
    cursor.execute(
        f"SELECT entry_hash FROM {table(JournalEntry)} "  # noqa: S608
        "WHERE sequence >= %s AND sequence < %s ORDER BY sequence",
        [first, first + width],
    )
    rows = cursor.fetchall()
    if len(rows) != width:
        return None
    prefix = struct.pack(">H", _LEAF_DATA_SIZE)
    return b"".join(prefix + bytes.fromhex(value) for (value,) in rows)


def extend(cursor: Any | None = None) -> int:
    """Store the hash of every full tile the journal has reached and the tree lacks; return how many.

    Idempotent and safe to repeat; writers call it under the journal's lock (`append` every
    256 entries, the synthetic generator after its COPY, the migration for an older journal).
    """
    if cursor is None:
        with connection.cursor() as own:
            return extend(own)
    cursor.execute(f"SELECT coalesce(max(sequence), 0) FROM {table(JournalEntry)}")  # noqa: S608
    size = cursor.fetchone()[0]
    added, level, span = 0, 1, TILE_WIDTH
    while span <= size:
        cursor.execute(
            f"SELECT coalesce(max(index) + 1, 0) FROM {table(TreeHash)} WHERE level = %s",  # noqa: S608
            [level],
        )
        have, full = cursor.fetchone()[0], size // span
        for first in range(have, full, _EXTEND_BATCH):
            last = min(first + _EXTEND_BATCH, full)
            rows = _tile_hashes(cursor, level - 1, first * TILE_WIDTH, last * TILE_WIDTH)
            cursor.executemany(
                f"INSERT INTO {table(TreeHash)} (level, index, hash) VALUES (%s, %s, %s)",  # noqa: S608
                [(level, x, row) for x, row in rows],
            )
            added += len(rows)
        level, span = level + 1, span * TILE_WIDTH
    return added


_EXTEND_BATCH = 1024  # tiles hashed per round trip when catching up a large journal


def _tile_hashes(cursor: Any, below: int, start: int, end: int) -> list[tuple[int, bytes]]:
    """Return (index, hash) of the full tiles made of hashes [start, end) at tile level `below`."""
    hashes = _Reader(cursor)._read(below, [(start, end)])
    if len(hashes) != end - start:
        raise TreeIncomplete(
            f"Level {below} lacks hashes in [{start}, {end}): the journal has a gap or the "
            "tree is damaged; run `manage.py verify_ledger`."
        )
    return [
        (x // TILE_WIDTH, _fold([hashes[below, y] for y in range(x, x + TILE_WIDTH)]))
        for x in range(start, end, TILE_WIDTH)
    ]
