"""`add-checkpoint` of c2sp.org/tlog-witness: the witness's one rule, without HTTP.

A request body is an old size line, up to 63 consistency proof lines, a blank line and
the checkpoint (a signed note):

    old 20852014
    PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=
    ...

    example.com/behind-the-sofa
    20852163
    CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=

    — example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1...

The witness answers 200 with its cosignature line, or refuses with the status the spec
gives (`Refusal`), checked in the spec's order: 400 malformed, 404 unknown origin,
403 no trusted signature, 400 old size above the size, 409 (with the witness's size)
when the old size is not the size it last cosigned, 409 when the sizes are equal but the
roots are not (a fork), 422 when the consistency proof does not verify.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from transactions.journal import merkle, notes
from transactions.witness.state import Cosigned, StateFile

MAX_PROOF_LINES = 63
# 63 proof lines, and a checkpoint with the 32 signatures `notes` reads: room for
# post-quantum ones of nearly 5 kB each.
MAX_BODY = 256 * 1024
SIZE_TYPE = "text/x.tlog.size"
TEXT_TYPE = "text/plain; charset=utf-8"
_OLD = re.compile("old (0|[1-9][0-9]*)", re.ASCII)

logger = logging.getLogger("landinfo.witness")


class Refusal(Exception):
    """A request the witness does not cosign, with the HTTP answer the spec gives."""

    def __init__(
        self, status: int, message: str, *, body: str | None = None, content_type: str = TEXT_TYPE
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.body = body if body is not None else message + "\n"
        self.content_type = content_type


@dataclass(frozen=True)
class Request:
    old_size: int
    proof: list[bytes]
    note: str


def parse_request(body: bytes) -> Request:
    """Return the old size, proof and checkpoint note of a request body, or refuse it (400)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refusal(400, "The request body is not UTF-8.") from None
    head, blank, note = text.partition("\n\n")
    if not blank:
        raise Refusal(400, "The request has no blank line before its checkpoint.")
    lines = head.split("\n")
    old = _OLD.fullmatch(lines[0])
    if old is None:
        raise Refusal(400, "The request starts with `old <size>` (a decimal, no leading zeroes).")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise Refusal(400, f"A consistency proof has at most {MAX_PROOF_LINES} lines.")
    try:
        proof = [notes.b64decode(line, "A proof line") for line in lines[1:]]
    except notes.NoteError as error:
        raise Refusal(400, str(error)) from None
    if any(len(hash_) != merkle.HASH_SIZE for hash_ in proof):
        raise Refusal(400, f"A proof line is a {merkle.HASH_SIZE}-byte hash in base64.")
    return Request(int(old.group(1)), proof, note)


class Witness:
    """A witness named `name`, cosigning with `key` the checkpoints of the logs it trusts."""

    def __init__(
        self,
        *,
        name: str,
        key: Ed25519PrivateKey,
        logs: Sequence[notes.Verifier],
        state: StateFile,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name, self.key, self.state, self.clock = name, key, state, clock
        self.verifier = notes.cosigner(name, key)
        # A log is known by its origin, which its key name equals (tlog-checkpoint).
        self.logs: dict[str, list[notes.Verifier]] = {}
        for log in logs:
            self.logs.setdefault(log.name, []).append(log)

    def add_checkpoint(self, body: bytes) -> str:
        """Return the cosignature line(s) for the checkpoint of request `body`, or refuse it."""
        request = parse_request(body)
        try:
            text, _ = notes.split_note(request.note)
            checkpoint = notes.parse_checkpoint(text)
        except notes.NoteError as error:
            raise Refusal(400, f"The checkpoint is malformed: {error}") from None
        verifiers = self.logs.get(checkpoint.origin)
        if verifiers is None:
            raise Refusal(404, f"This witness does not follow the log {checkpoint.origin!r}.")
        try:
            notes.open_note(request.note, verifiers)
        except notes.NoteError as error:
            raise Refusal(403, f"The checkpoint is not signed by the log's key: {error}") from None
        try:
            self._advance(request, checkpoint)
        except Refusal as refusal:
            _record_refusal(refusal, request)
            raise
        # Signed once the new state is on disk: a cosignature is never ahead of the state.
        return notes.cosign(text, self.name, self.key, int(self.clock()))

    def _advance(self, request: Request, checkpoint: notes.Checkpoint) -> None:
        """Move the log's state to `checkpoint` if it extends the one cosigned last."""
        if request.old_size > checkpoint.size:
            raise Refusal(400, f"The old size {request.old_size} is above the checkpoint's.")
        with self.state.update() as logs:
            latest = logs.get(checkpoint.origin, Cosigned(0, merkle.EMPTY_ROOT))
            if request.old_size != latest.size:
                raise Refusal(
                    409,
                    f"This witness last cosigned size {latest.size}, not {request.old_size}.",
                    body=f"{latest.size}\n",
                    content_type=SIZE_TYPE,
                )
            if checkpoint.size == latest.size and checkpoint.root != latest.root:
                raise Refusal(409, f"A different root for size {latest.size}: a fork.")
            try:
                merkle.verify_consistency(
                    latest.size, checkpoint.size, latest.root, checkpoint.root, request.proof
                )
            except merkle.ProofError as error:
                raise Refusal(422, f"The consistency proof does not verify: {error}") from None
            logs[checkpoint.origin] = Cosigned(checkpoint.size, checkpoint.root)


def _record_refusal(refusal: Refusal, request: Request) -> None:
    """Log a validly signed checkpoint the witness refused: it may prove a split view."""
    level = logging.INFO if refusal.content_type == SIZE_TYPE else logging.WARNING
    evidence = {
        "status": refusal.status,
        "reason": refusal.message,
        "old": request.old_size,
        "checkpoint": request.note,  # the log's own signed words: public, and the proof
    }
    logger.log(level, "refused checkpoint %s", json.dumps(evidence, ensure_ascii=False))
