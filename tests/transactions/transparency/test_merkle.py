"""The Merkle tree of RFC 9162 (transactions/journal/merkle.py) against others' answers.

Two independent references: the RFC 6962 test vectors published by transparency-dev/merkle
(testonly/constants.go, the leaves and roots Certificate Transparency logs are checked
with), and pymerkle, a maintained implementation from PyPI, over random trees.
"""

from __future__ import annotations

import random

import pytest
from pymerkle import InmemoryTree

from transactions.journal import merkle

# transparency-dev/merkle testonly: the leaves, the root at each size 0..8, and proofs.
LEAVES = [
    bytes.fromhex(text)
    for text in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION = {  # (leaf index, tree size): audit path
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
}
CONSISTENCY = {  # (old size, new size): proof
    (2, 8): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (6, 8): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 5): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
}
HASHES = [merkle.leaf_hash(leaf) for leaf in LEAVES]
PERFECT = merkle.in_memory(HASHES)


def hexes(values: list[bytes]) -> list[str]:
    return [value.hex() for value in values]


@pytest.mark.parametrize("size", range(9))
def test_roots_are_the_published_ones(size):
    assert merkle.root(size, PERFECT).hex() == ROOTS[size]


@pytest.mark.parametrize(("index", "size"), INCLUSION)
def test_inclusion_proofs_are_the_published_ones_and_verify(index, size):
    proof = merkle.inclusion_proof(index, size, PERFECT)
    assert hexes(proof) == INCLUSION[index, size]
    merkle.verify_inclusion(index, size, HASHES[index], proof, bytes.fromhex(ROOTS[size]))


@pytest.mark.parametrize(("old", "new"), CONSISTENCY)
def test_consistency_proofs_are_the_published_ones_and_verify(old, new):
    proof = merkle.consistency_proof(old, new, PERFECT)
    assert hexes(proof) == CONSISTENCY[old, new]
    merkle.verify_consistency(old, new, bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new]), proof)


def random_tree(seed: int, size: int) -> tuple[list[bytes], InmemoryTree]:
    rng = random.Random(seed)
    data = [rng.randbytes(rng.randint(0, 48)) for _ in range(size)]
    reference = InmemoryTree(algorithm="sha256")
    for item in data:
        reference.append_entry(item)
    return [merkle.leaf_hash(item) for item in data], reference


@pytest.mark.parametrize("seed", range(4))
def test_every_root_agrees_with_pymerkle(seed):
    size = 1 + seed * 97
    leaves, reference = random_tree(seed, size)
    perfect = merkle.in_memory(leaves)
    for n in range(1, size + 1):
        assert merkle.root(n, perfect) == reference.get_root(n), n


@pytest.mark.parametrize("seed", range(4))
def test_pymerkles_proofs_hold_the_same_hashes_as_ours(seed):
    """pymerkle writes a proof as the leaf then every node bottom-up; RFC 9162 only the nodes."""
    rng = random.Random(seed)
    leaves, reference = random_tree(seed, 300)
    perfect = merkle.in_memory(leaves)
    for _ in range(60):
        size = rng.randint(1, 300)
        index = rng.randrange(size)
        ours = merkle.inclusion_proof(index, size, perfect)
        theirs = [
            bytes.fromhex(node)
            for node in reference.prove_inclusion(index + 1, size).serialize()["path"]
        ]
        assert theirs[0] == leaves[index] and theirs[1:] == ours
        old = rng.randint(1, size)
        proof = merkle.consistency_proof(old, size, perfect)
        merkle.verify_consistency(
            old, size, reference.get_root(old), reference.get_root(size), proof
        )


def test_every_proof_of_small_trees_verifies_and_a_wrong_one_does_not():
    leaves, _ = random_tree(7, 70)
    perfect = merkle.in_memory(leaves)
    for size in range(1, 71):
        root = merkle.root(size, perfect)
        for index in range(size):
            proof = merkle.inclusion_proof(index, size, perfect)
            merkle.verify_inclusion(index, size, leaves[index], proof, root)
            with pytest.raises(merkle.ProofError):
                merkle.verify_inclusion(
                    index, size, leaves[index - 1] if size > 1 else b"x" * 32, proof, root
                )
            if proof:
                bad = [*proof[:-1], bytes(32)]
                with pytest.raises(merkle.ProofError):
                    merkle.verify_inclusion(index, size, leaves[index], bad, root)
        for old in range(size + 1):
            proof = merkle.consistency_proof(old, size, perfect)
            merkle.verify_consistency(old, size, merkle.root(old, perfect), root, proof)


def test_a_forked_tree_has_no_consistency_proof():
    leaves, _ = random_tree(3, 40)
    forked = [*leaves[:17], merkle.leaf_hash(b"rewritten"), *leaves[18:]]
    honest, fork = merkle.in_memory(leaves), merkle.in_memory(forked)
    for old in range(18, 41):
        proof = merkle.consistency_proof(old, 40, fork)
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(
                old, 40, merkle.root(old, honest), merkle.root(40, fork), proof
            )


@pytest.mark.parametrize(
    ("old", "new", "proof", "why"),
    [
        (3, 2, [], "cannot extend"),
        (2, 8, [], "empty"),
        (8, 8, [bytes(32)], "must be empty"),
        (2, 8, [b"short"], "32 bytes"),
    ],
)
def test_malformed_consistency_proofs_are_refused_by_name(old, new, proof, why):
    with pytest.raises(merkle.ProofError, match=why):
        merkle.verify_consistency(old, new, bytes(32), bytes(32), proof)
