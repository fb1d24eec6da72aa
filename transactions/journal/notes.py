"""C2SP signed notes, checkpoints and cosignatures (Ed25519): c2sp.org/signed-note,
tlog-checkpoint and tlog-cosignature, byte for byte.

Pure functions, no Django, no database: the register signs its checkpoints with them,
the witness (`transactions.witness`) checks and cosigns them, and an auditor can check
both with nothing else. A note is a text, a blank line and signature lines:

    <text ending in a newline>
    <blank line>
    — <key name> base64(4-byte key ID || signature)

A key is named by its `vkey`, `<name>+<key ID in 8 hex digits>+base64(type || public key)`,
with key ID = SHA-256(name || 0x0A || type || public key)[:4]. Two types are spoken here:
0x01, an Ed25519 signature of the text, and 0x04, a witness's timestamped cosignature
(`cosignature/v1`), an Ed25519 signature of "cosignature/v1\\ntime <t>\\n" and the text.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
KEY_TYPES = (ED25519, COSIGNATURE_V1)
# The spec asks verifiers to accept at least 16; a few more leave room for rotations.
MAX_SIGNATURES = 32
HASH_SIZE = 32
MAX_TIMESTAMP = 2**63 - 1  # tlog-cosignature
MAX_SIZE = 2**63 - 1  # a tree size as Go and the witnesses hold it (int64)
SIGNATURE_START = "\N{EM DASH} "
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f]")  # every control character but the newline
_DECIMAL = re.compile("0|[1-9][0-9]*", re.ASCII)
_KEY_ID = re.compile("[0-9a-f]{8}", re.ASCII)


class NoteError(ValueError):
    """A note, key or checkpoint refused; the subclasses say why."""


class MalformedNote(NoteError):
    """Not a signed note (or checkpoint, or signature line) as the spec writes one."""


class UntrustedNote(NoteError):
    """No signature of the note by a key the reader trusts verifies."""


class BadSignature(NoteError):
    """A signature by a trusted key does not verify: the note is refused whole."""


def key_id(name: str, key_type: int, public_key: bytes) -> int:
    """Return SHA-256(name || 0x0A || type || public key)[:4] as a big-endian integer."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def check_name(name: str) -> None:
    """Raise MalformedNote unless `name` may name a key: non-empty, no spaces, no "+"."""
    if not name or "+" in name or any(ch.isspace() for ch in name) or _CONTROL.search(name):
        raise MalformedNote(f"A key name is non-empty, without spaces or '+': {name!r}.")


def raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def b64decode(text: str, what: str) -> bytes:
    """Decode standard base64 (RFC 4648 §4), refusing any other spelling of the same bytes."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedNote(f"{what} is not base64: {text[:80]!r}.") from None
    if base64.b64encode(data).decode() != text:
        raise MalformedNote(f"{what} is not canonical base64: {text[:80]!r}.")
    return data


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True)
class Verifier:
    """A public key a reader trusts, as its vkey names it."""

    name: str
    key_type: int
    public_key: Ed25519PublicKey

    @property
    def key_id(self) -> int:
        return key_id(self.name, self.key_type, raw_public(self.public_key))

    @property
    def vkey(self) -> str:
        material = b64encode(bytes([self.key_type]) + raw_public(self.public_key))
        return f"{self.name}+{self.key_id:08x}+{material}"

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Return whether `signature` (after the key ID) signs `text` with this key."""
        if self.key_type == COSIGNATURE_V1:
            if len(signature) != 8 + 64:
                return False
            timestamp = int.from_bytes(signature[:8], "big")
            if timestamp > MAX_TIMESTAMP:
                return False
            text, signature = cosigned_message(text, timestamp), signature[8:]
        try:
            self.public_key.verify(signature, text)
        except InvalidSignature:
            return False
        return True


def parse_vkey(vkey: str) -> Verifier:
    """Return the verifier a vkey names; ValueError (MalformedNote) when it is not one."""
    parts = vkey.split("+", 2)  # the base64 key may hold "+" too
    if len(parts) != 3:
        raise MalformedNote(f"A vkey is <name>+<key ID>+<key>, three parts: {vkey[:80]!r}.")
    name, hex_id, material = parts
    check_name(name)
    if not _KEY_ID.fullmatch(hex_id):
        raise MalformedNote(f"A vkey's key ID is 8 lowercase hex digits: {hex_id!r}.")
    data = b64decode(material, "A vkey's key")
    if len(data) != 33 or data[0] not in KEY_TYPES:
        raise MalformedNote(
            f"Only Ed25519 keys (types 0x01, 0x04, 32 bytes) are read here: {vkey[:80]!r}."
        )
    verifier = Verifier(name, data[0], Ed25519PublicKey.from_public_bytes(data[1:]))
    if verifier.key_id != int(hex_id, 16):
        raise MalformedNote(f"The vkey's key ID does not match its name and key: {vkey!r}.")
    return verifier


@dataclass(frozen=True)
class Signer:
    """A private key signing notes as `name` (type 0x01; cosignatures are `cosign`'s)."""

    name: str
    private_key: Ed25519PrivateKey

    def __post_init__(self) -> None:
        check_name(self.name)

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, ED25519, self.private_key.public_key())

    def sign(self, text: bytes) -> Signature:
        return Signature(self.name, self.verifier.key_id, self.private_key.sign(text))


def parse_private_key(skey: str) -> Signer:
    """Return the signer of Go's `PRIVATE+KEY+<name>+<key ID>+base64(0x01 || seed)` form."""
    parts = skey.split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise MalformedNote("A private key is PRIVATE+KEY+<name>+<key ID>+<key>.")
    data = b64decode(parts[4], "A private key")
    if len(data) != 33 or data[0] != ED25519:
        raise MalformedNote("Only Ed25519 private keys (type 0x01, a 32-byte seed) are read.")
    signer = Signer(parts[2], Ed25519PrivateKey.from_private_bytes(data[1:]))
    if f"{signer.verifier.key_id:08x}" != parts[3]:
        raise MalformedNote("The private key's key ID does not match its name and key.")
    return signer


@dataclass(frozen=True)
class Signature:
    """One signature line: who (name and key ID) and the signature after the key ID."""

    name: str
    key_id: int
    signature: bytes

    @property
    def line(self) -> str:
        blob = self.key_id.to_bytes(4, "big") + self.signature
        return f"{SIGNATURE_START}{self.name} {b64encode(blob)}\n"

    def made_by(self, verifier: Verifier) -> bool:
        return (self.name, self.key_id) == (verifier.name, verifier.key_id)


def parse_signature_line(line: str) -> Signature:
    """Return the signature of one line `— <name> <base64>` (without its newline)."""
    if not line.startswith(SIGNATURE_START):
        raise MalformedNote(f"A signature line starts with an em dash and a space: {line[:80]!r}.")
    name, space, blob = line[len(SIGNATURE_START) :].partition(" ")
    check_name(name)
    data = b64decode(blob, "A signature") if space else b""
    if len(data) < 5:
        raise MalformedNote(f"A signature is a key ID and a signature: {line[:80]!r}.")
    return Signature(name, int.from_bytes(data[:4], "big"), data[4:])


def check_text(text: str) -> None:
    """Raise MalformedNote unless `text` may be a note's text: ends in a newline, no controls."""
    if not text.endswith("\n"):
        raise MalformedNote("A note's text ends in a newline.")
    if _CONTROL.search(text):
        raise MalformedNote("A note holds no control character but the newline.")


def sign_note(text: str, signers: Iterable[Signer]) -> str:
    """Return the note of `text` signed by each of `signers`, in their order."""
    check_text(text)
    lines = [signer.sign(text.encode()).line for signer in signers]
    if not lines or len(lines) > MAX_SIGNATURES:
        raise ValueError(f"A note has 1 to {MAX_SIGNATURES} signatures; got {len(lines)}.")
    return text + "\n" + "".join(lines)


def split_note(note: str | bytes) -> tuple[str, list[Signature]]:
    """Return a note's text and signatures, checking only its form (nothing is verified)."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedNote("A note is UTF-8.") from None
    check_text(note)
    split = note.rfind("\n\n")
    if split < 0:
        raise MalformedNote("A note's signatures follow a blank line; there is none.")
    text, block = note[: split + 1], note[split + 2 :]
    lines = block.split("\n")[:-1]  # the block ends in a newline: check_text saw to it
    if not lines:
        raise MalformedNote("A note has at least one signature line.")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNote(f"A note has at most {MAX_SIGNATURES} signatures; got {len(lines)}.")
    return text, [parse_signature_line(line) for line in lines]


@dataclass(frozen=True)
class Note:
    text: str
    signatures: tuple[Signature, ...]
    verified: tuple[Signature, ...]  # those by a trusted key, each checked


def open_note(note: str | bytes, verifiers: Sequence[Verifier]) -> Note:
    """Return the note with its text, once a signature by one of `verifiers` verifies.

    Signatures by unknown keys (a name or a key ID that matches none) are ignored; one by
    a known key that fails refuses the whole note (BadSignature), as does a note with no
    signature by a known key (UntrustedNote).
    """
    text, signatures = split_note(note)
    verified = []
    for signature in signatures:
        for verifier in verifiers:
            if signature.made_by(verifier):
                if not verifier.verify(text.encode(), signature.signature):
                    raise BadSignature(f"The signature of {signature.name} does not verify.")
                verified.append(signature)
                break
    if not verified:
        raise UntrustedNote("No signature on the note is by a trusted key.")
    return Note(text, tuple(signatures), tuple(verified))


# -- Checkpoints (c2sp.org/tlog-checkpoint) ---------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return checkpoint_text(self.origin, self.size, self.root, self.extensions)


def checkpoint_text(origin: str, size: int, root: bytes, extensions: Sequence[str] = ()) -> str:
    """Return the note text of a checkpoint: origin, tree size, base64 root, extensions."""
    lines = [origin, str(size), b64encode(root), *extensions]
    if not origin or size < 0 or len(root) != HASH_SIZE or not all(extensions):
        raise ValueError(f"Not a checkpoint: {lines!r}.")
    text = "\n".join(lines) + "\n"
    check_text(text)
    if text.count("\n") != len(lines):
        raise ValueError(f"A checkpoint's lines hold no newline: {lines!r}.")
    return text


def parse_checkpoint(text: str) -> Checkpoint:
    """Return the checkpoint a note's text states, refusing any other spelling of it."""
    check_text(text)
    lines = text[:-1].split("\n")
    if len(lines) < 3 or not all(lines):
        raise MalformedNote("A checkpoint is three or more non-empty lines.")
    origin, size, root = lines[:3]
    if not _DECIMAL.fullmatch(size) or int(size) > MAX_SIZE:
        raise MalformedNote(f"A tree size is a decimal without leading zeroes: {size[:40]!r}.")
    hash_ = b64decode(root, "A root hash")
    if len(hash_) != HASH_SIZE:
        raise MalformedNote(f"A root hash is {HASH_SIZE} bytes; got {len(hash_)}.")
    return Checkpoint(origin, int(size), hash_, tuple(lines[3:]))


# -- Cosignatures (c2sp.org/tlog-cosignature, Ed25519 cosignature/v1) --------------------


def cosigned_message(text: bytes, timestamp: int) -> bytes:
    """Return what a cosignature/v1 signs: a header, the time, then the checkpoint's text."""
    return b"cosignature/v1\ntime %d\n" % timestamp + text


def cosigner(name: str, key: Ed25519PrivateKey) -> Verifier:
    """Return the verifier (type 0x04) of a witness's cosignatures."""
    check_name(name)
    return Verifier(name, COSIGNATURE_V1, key.public_key())


def cosign(checkpoint_text: str, name: str, key: Ed25519PrivateKey, timestamp: int) -> str:
    """Return the cosignature line of witness `name` on a checkpoint's text at `timestamp`."""
    parse_checkpoint(checkpoint_text)
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise ValueError(f"A cosignature's time is 0 to 2**63 - 1; got {timestamp}.")
    message = cosigned_message(checkpoint_text.encode(), timestamp)
    signature = timestamp.to_bytes(8, "big") + key.sign(message)
    return Signature(name, cosigner(name, key).key_id, signature).line


def cosignature_timestamp(signature: Signature) -> int:
    """Return the time a cosignature states (unverified: for display and ordering)."""
    if len(signature.signature) != 8 + 64:
        raise MalformedNote("A cosignature is a time (8 bytes) and a signature (64 bytes).")
    timestamp = int.from_bytes(signature.signature[:8], "big")
    if timestamp > MAX_TIMESTAMP:
        raise MalformedNote(f"A cosignature's time is at most 2**63 - 1; got {timestamp}.")
    return timestamp


def verify_cosignature(checkpoint_text: str, line: str, verifier: Verifier) -> int:
    """Return the time of cosignature `line` on the checkpoint once it verifies with `verifier`."""
    if verifier.key_type != COSIGNATURE_V1:
        raise ValueError(f"{verifier.vkey} is not a cosigner's key (type 0x04).")
    signature = parse_signature_line(line.removesuffix("\n"))
    if not signature.made_by(verifier):
        raise UntrustedNote(f"The cosignature is not by {verifier.name}'s key.")
    timestamp = cosignature_timestamp(signature)
    if not verifier.verify(checkpoint_text.encode(), signature.signature):
        raise BadSignature(f"The cosignature of {verifier.name} does not verify.")
    return timestamp
