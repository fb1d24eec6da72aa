"""The Merkle tree of RFC 9162 (§2.1): hashes, proofs and their verification, in memory.

Pure functions, no database: the tree over the journal (`tree`), the witness and the
tests use them alike. A tree is read through `perfect(level, index)`, the hash of the
aligned perfect subtree of 2**level leaves starting at leaf index * 2**level (level 0 is
a leaf hash). RFC 9162 only ever needs such subtrees: every split it makes is at the
largest power of two below a size, so each left part is perfect and aligned.

    leaf hash = SHA-256(0x00 || leaf data)
    node hash = SHA-256(0x01 || left || right)

Sizes are leaf counts; leaf indexes start at 0 (the journal's entry N is leaf N - 1).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()  # MTH({}) of RFC 9162

Perfect = Callable[[int, int], bytes]


class ProofError(ValueError):
    """A proof that does not prove what it is offered for (or is malformed)."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """Return the largest power of two smaller than `size` (> 1): RFC 9162's k."""
    return 1 << ((size - 1).bit_length() - 1)


def subtree_hash(start: int, end: int, perfect: Perfect) -> bytes:
    """Return MTH(D[start:end]) for a range RFC 9162 produces (start aligned to its split)."""
    size = end - start
    if size <= 0:
        raise ValueError(f"An empty range has no subtree hash: [{start}, {end}).")
    if size & (size - 1) == 0:
        level = size.bit_length() - 1
        if start % size:
            raise ValueError(f"[{start}, {end}) is not an aligned perfect subtree.")
        return perfect(level, start >> level)
    k = _split(size)
    return node_hash(subtree_hash(start, start + k, perfect), subtree_hash(start + k, end, perfect))


def root(size: int, perfect: Perfect) -> bytes:
    """Return the root hash of the tree of the first `size` leaves."""
    return EMPTY_ROOT if size == 0 else subtree_hash(0, size, perfect)


def inclusion_proof(index: int, size: int, perfect: Perfect) -> list[bytes]:
    """Return PATH(index, D[0:size]) of RFC 9162 §2.1.3.1: the audit path of leaf `index`."""
    if not 0 <= index < size:
        raise ValueError(f"Leaf {index} is not in a tree of {size} leaves.")
    proof: list[bytes] = []
    start, end = 0, size
    # Walk down from the root, collecting the sibling of each step; RFC order is bottom-up.
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            proof.append(subtree_hash(start + k, end, perfect))
            end = start + k
        else:
            proof.append(subtree_hash(start, start + k, perfect))
            start += k
    proof.reverse()
    return proof


def consistency_proof(old_size: int, new_size: int, perfect: Perfect) -> list[bytes]:
    """Return PROOF(old_size, D[0:new_size]) of RFC 9162 §2.1.4.1 (empty when equal or 0)."""
    if not 0 <= old_size <= new_size:
        raise ValueError(f"No consistency proof from {old_size} to {new_size} leaves.")
    if old_size in (0, new_size):
        return []
    proof: list[bytes] = []
    start, end, whole = 0, new_size, True
    while True:
        size = end - start
        if old_size - start == size:
            if not whole:
                proof.append(subtree_hash(start, end, perfect))
            break
        k = _split(size)
        if old_size - start <= k:
            proof.append(subtree_hash(start + k, end, perfect))
            end = start + k
        else:
            proof.append(subtree_hash(start, start + k, perfect))
            start, whole = start + k, False
    proof.reverse()
    return proof


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """Return the root that `proof` makes of leaf hash `leaf` at `index` (RFC 9162 §2.1.3.2)."""
    if not 0 <= index < size:
        raise ProofError(f"Leaf {index} is not in a tree of {size} leaves.")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        _check_hash(p)
        if sn == 0:
            raise ProofError("The inclusion proof is longer than the tree is deep.")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("The inclusion proof is shorter than the tree is deep.")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], expected_root: bytes
) -> None:
    """Raise ProofError unless `proof` shows leaf hash `leaf` at `index` under `expected_root`."""
    if root_from_inclusion(index, size, leaf, proof) != expected_root:
        raise ProofError(f"Leaf {index} is not in the tree of {size} leaves with this root.")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise ProofError unless `proof` shows the tree of `old_size` is a prefix of `new_size`'s.

    RFC 9162 §2.1.4.2. An old size of 0 is consistent with anything, with an empty proof;
    equal sizes need equal roots and an empty proof.
    """
    if not 0 <= old_size <= new_size:
        raise ProofError(f"A tree of {new_size} leaves cannot extend one of {old_size}.")
    if old_size == 0 or old_size == new_size:
        if proof:
            raise ProofError("The consistency proof must be empty here.")
        if old_size == new_size and old_root != new_root:
            raise ProofError(f"Two different roots for one tree of {new_size} leaves.")
        return
    if not proof:
        raise ProofError("The consistency proof is empty.")
    for p in proof:
        _check_hash(p)
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("The consistency proof is longer than needed.")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or fr != old_root or sr != new_root:
        raise ProofError(
            f"The tree of {new_size} leaves does not extend the tree of {old_size} leaves."
        )


def _check_hash(value: bytes) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"A proof's hashes are {HASH_SIZE} bytes; one has {len(value)}.")


def in_memory(leaves: Sequence[bytes]) -> Perfect:
    """Return `perfect` over a list of leaf hashes held in memory (tests, small trees)."""

    def perfect(level: int, index: int) -> bytes:
        if level == 0:
            return leaves[index]
        return node_hash(perfect(level - 1, 2 * index), perfect(level - 1, 2 * index + 1))

    return perfect
