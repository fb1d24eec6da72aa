"""The register's side of `add-checkpoint`: ask a witness to cosign a checkpoint.

Pure (urllib, no Django, no database): the caller gives the consistency proof as a
function of the old size, since only the witness knows which size it last cosigned; on a
409 that states it (`text/x.tlog.size`), the request is made once more from that size.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Callable

from transactions.journal import notes
from transactions.witness.protocol import SIZE_TYPE

MAX_ANSWER = 64 * 1024
_DECIMAL = re.compile("0|[1-9][0-9]*", re.ASCII)


class WitnessError(Exception):
    """No cosignature from the witness; `status` is its HTTP answer, if it gave one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class WitnessRefused(WitnessError):
    """The witness answered and refused (403, 404, 409 fork or stale size, 422, ...)."""


class WitnessUnavailable(WitnessError):
    """The witness could not be reached, or did not answer in time."""


def request_cosignature(
    witness_url: str,
    witness_vkey: str,
    checkpoint_note: str,
    old_size: int,
    proof_from: Callable[[int], list[bytes]],
    *,
    timeout: float = 10.0,
) -> str:
    """Return the witness's verified cosignature line on `checkpoint_note`.

    `old_size` is the size the witness is believed to have cosigned last (0 when not
    known), `proof_from(size)` the consistency proof from that size to the checkpoint's.
    """
    verifier = notes.parse_vkey(witness_vkey)
    if verifier.key_type != notes.COSIGNATURE_V1:
        raise ValueError(f"{witness_vkey} is not a witness's key (type 0x04).")
    text, _ = notes.split_note(checkpoint_note)
    size = notes.parse_checkpoint(text).size
    url = witness_url.rstrip("/") + "/add-checkpoint"
    for retry in (False, True):
        proof = proof_from(old_size) if old_size else []
        status, content_type, answer = _post(url, _body(old_size, proof, checkpoint_note), timeout)
        if status == 200:
            return _cosignature(text, answer, verifier)
        if status == 409 and content_type == SIZE_TYPE and not retry:
            witnessed = answer.removesuffix("\n")
            if not _DECIMAL.fullmatch(witnessed):
                raise WitnessRefused(f"The witness gave a malformed size: {answer[:40]!r}.", 409)
            if int(witnessed) > size:
                raise WitnessRefused(
                    f"The witness has cosigned size {witnessed}, beyond this checkpoint's {size}.",
                    409,
                )
            old_size = int(witnessed)
            continue
        raise WitnessRefused(
            f"The witness refused the checkpoint ({status}): {answer[:500]}", status
        )
    raise AssertionError("unreachable: the second answer returns or raises")


def _body(old_size: int, proof: list[bytes], note: str) -> bytes:
    lines = [f"old {old_size}", *(notes.b64encode(hash_) for hash_ in proof)]
    return ("\n".join(lines) + "\n\n" + note).encode()


def _post(url: str, body: bytes, timeout: float) -> tuple[int, str, str]:
    """Return the status, media type and text of the answer to POSTing `body` to `url`."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"A witness is reached over http(s): {url!r}.")
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        url, data=body, method="POST", headers={"Content-Type": "text/plain; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            return answer.status, answer.headers.get_content_type(), _text(answer.read(MAX_ANSWER))
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers.get_content_type(), _text(error.read(MAX_ANSWER))
    except (urllib.error.URLError, OSError) as error:
        raise WitnessUnavailable(f"The witness at {url} did not answer: {error}") from error


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _cosignature(text: str, answer: str, verifier: notes.Verifier) -> str:
    """Return the line of `answer` that is the witness's valid cosignature; ignore the others."""
    for line in answer.splitlines():
        if not line.startswith(notes.SIGNATURE_START):
            continue
        try:
            signature = notes.parse_signature_line(line)
        except notes.NoteError:
            continue
        if signature.made_by(verifier):
            try:
                notes.verify_cosignature(text, line, verifier)
            except notes.NoteError as error:
                raise WitnessError(f"The witness's cosignature does not verify: {error}") from None
            return line + "\n"
    raise WitnessError(f"The witness's answer holds no cosignature by {verifier.name}.")
