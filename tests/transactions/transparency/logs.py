"""A transparency log in memory for the witness's tests: random leaves, signed checkpoints."""

from __future__ import annotations

import os

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from transactions.journal import merkle, notes

ORIGIN = "landinfo.example/log"


class Log:
    """A log of random leaves, signing its checkpoints with `signer` (made if not given)."""

    def __init__(self, size: int = 0, signer: notes.Signer | None = None) -> None:
        self.signer = signer or notes.Signer(ORIGIN, Ed25519PrivateKey.generate())
        self.leaves: list[bytes] = []
        self.grow(size)

    @property
    def size(self) -> int:
        return len(self.leaves)

    @property
    def vkey(self) -> str:
        return self.signer.verifier.vkey

    def grow(self, count: int) -> Log:
        self.leaves += [merkle.leaf_hash(os.urandom(32)) for _ in range(count)]
        return self

    def fork(self, keep: int, grow: int) -> Log:
        """Return a log with the same key and origin, the first `keep` leaves, then others."""
        forked = Log(signer=self.signer)
        forked.leaves = self.leaves[:keep]
        return forked.grow(grow)

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else size
        return merkle.root(size, merkle.in_memory(self.leaves))

    def text(self, size: int | None = None) -> str:
        size = self.size if size is None else size
        return notes.checkpoint_text(self.signer.name, size, self.root(size))

    def note(self, size: int | None = None) -> str:
        return notes.sign_note(self.text(size), [self.signer])

    def proof(self, old: int, size: int | None = None) -> list[bytes]:
        size = self.size if size is None else size
        return merkle.consistency_proof(old, size, merkle.in_memory(self.leaves))

    def body(self, old: int, size: int | None = None, proof: list[bytes] | None = None) -> bytes:
        """Return an add-checkpoint request from `old` to `size`, with the true proof by default."""
        proof = self.proof(old, size) if proof is None else proof
        lines = [f"old {old}", *(notes.b64encode(hash_) for hash_ in proof)]
        return ("\n".join(lines) + "\n\n" + self.note(size)).encode()
