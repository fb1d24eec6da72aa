"""Signed checkpoints of the journal (Ed25519): proof, held outside the database, of its past.

A checkpoint states "the journal had `size` entries and entry `size` hashed to
`head_hash`", signed at `signed_at` with the register's private key. Anyone holding a
copy and the public key can later check that the first `size` entries were not
rewritten: the hash chain makes the head hash depend on every entry before it, so a
rewrite that recomputes the hashes still changes the head.

The signed message is plain ASCII text, versioned so that its layout can change
without making old signatures ambiguous (MESSAGE_FORMAT):

    landinfo-checkpoint-v1\\n<size>\\n<head_hash>\\n<signed_at>

where size is a decimal integer, head_hash the 64 lowercase hex digits of the entry's
hash (hashing.GENESIS_HASH for an empty journal) and signed_at the moment in UTC with
microseconds as `hashing.hashed_time` writes it, e.g. 2026-11-28T01:02:03.000004Z.

Since the transparency log, each checkpoint is also a C2SP checkpoint (`note`): the
signed note `<origin>\n<size>\n<base64 RFC 9162 root>\n` (notes.checkpoint_text), signed
by the same key under the log's origin (key ID per C2SP signed-note), followed by the
cosignatures the witnesses gave before it was stored (`cosign`).

Keys are PEM files: the private key (PKCS8) named by LANDINFO["SIGNING_KEY_FILE"],
made by `manage.py generate_signing_key`; the public keys of earlier (rotated) keys in
LANDINFO["VERIFY_KEY_FILES"], so checkpoints they signed still verify. A key is named
by its key id: the SHA-256 of its raw 32 bytes, in hex.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone

from transactions.journal import hashing, notes, tree
from transactions.journal.append import JOURNAL_LOCK
from transactions.journal.head import journal_head
from transactions.models import Checkpoint

ALGORITHM = "Ed25519"
MESSAGE_VERSION = "landinfo-checkpoint-v1"
MESSAGE_FORMAT = MESSAGE_VERSION + "\\n{size}\\n{head_hash}\\n{signed_at}"
_HOW_TO_MAKE = (
    "make one with `manage.py generate_signing_key` (scripts/setup does it), or point "
    "LANDINFO_SIGNING_KEY_FILE at the register's key"
)


def message(size: int, head_hash: str, signed_at: dt.datetime) -> bytes:
    """Return the bytes a checkpoint signs (see MESSAGE_FORMAT in the module doc)."""
    if size < 0:
        raise ValueError(f"A checkpoint covers 0 or more entries; got {size}.")
    if len(head_hash) != 64 or head_hash.strip("0123456789abcdef"):
        raise ValueError(f"A head hash is 64 lowercase hex digits; got {head_hash!r}.")
    return f"{MESSAGE_VERSION}\n{size}\n{head_hash}\n{hashing.hashed_time(signed_at)}".encode(
        "ascii"
    )


def key_id(public_key: Ed25519PublicKey) -> str:
    """Return the key id of `public_key`: the hex SHA-256 of its raw 32 bytes."""
    return hashlib.sha256(raw_public_key(public_key)).hexdigest()


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_pem(public_key: Ed25519PublicKey) -> str:
    """Return `public_key` as a PEM SubjectPublicKeyInfo block (what `openssl pkey -pubin` reads)."""
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def signing_key_file() -> Path:
    return Path(settings.LANDINFO["SIGNING_KEY_FILE"])


def verify_key_files() -> list[Path]:
    return [Path(path) for path in settings.LANDINFO.get("VERIFY_KEY_FILES", [])]


def private_key_pem(private_key: Ed25519PrivateKey) -> bytes:
    """Return `private_key` as an unencrypted PKCS8 PEM block (the key file's content)."""
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def signing_key() -> Ed25519PrivateKey:
    """Return the register's private key, failing with how to make one when it cannot be read."""
    path = signing_key_file()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImproperlyConfigured(
            f"The ledger's signing key {path} does not exist: {_HOW_TO_MAKE}."
        ) from None
    except OSError as error:
        raise ImproperlyConfigured(
            f"The ledger's signing key {path} cannot be read ({error.strerror}); check its "
            f"owner and mode (0600, readable by the user that runs LandInfo), or {_HOW_TO_MAKE}."
        ) from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(
            f"{path} is not an unencrypted PEM (PKCS8) private key ({error}); {_HOW_TO_MAKE}."
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(
            f"{path} holds a {type(key).__name__}, not an Ed25519 key; {_HOW_TO_MAKE}."
        )
    return key


def _public_key_from(path: Path) -> Ed25519PublicKey:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ImproperlyConfigured(
            f"The verify key {path} in LANDINFO_VERIFY_KEY_FILES cannot be read "
            f"({error.strerror}); give the PEM public keys of earlier signing keys."
        ) from None
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as error:
        raise ImproperlyConfigured(
            f"The verify key {path} is not a PEM public key ({error})."
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise ImproperlyConfigured(f"The verify key {path} is not an Ed25519 public key.")
    return key


def public_keys() -> dict[str, Ed25519PublicKey]:
    """Return the public keys checkpoints may be signed with, by key id.

    The signing key's own (when its file exists: an auditor may hold public keys only)
    and those of LANDINFO["VERIFY_KEY_FILES"], each of which must be readable.
    """
    keys: dict[str, Ed25519PublicKey] = {}
    if signing_key_file().exists():
        public = signing_key().public_key()
        keys[key_id(public)] = public
    for path in verify_key_files():
        public = _public_key_from(path)
        keys.setdefault(key_id(public), public)
    return keys


def origin() -> str:
    """Return the log's origin: LANDINFO["LOG_ORIGIN"], else <host of PUBLIC_URL>/tlog."""
    configured = settings.LANDINFO.get("LOG_ORIGIN", "")
    if not configured:
        public = urlsplit(settings.LANDINFO.get("PUBLIC_URL") or "http://127.0.0.1:8000")
        configured = f"{public.netloc}{public.path.rstrip('/')}/tlog"
    try:
        notes.check_name(configured)
    except ValueError as error:
        raise ImproperlyConfigured(f"LANDINFO_LOG_ORIGIN {configured!r}: {error}") from None
    return configured


def log_signer(private_key: Ed25519PrivateKey | None = None) -> notes.Signer:
    """Return the signer of the log's C2SP checkpoints: the register's key, named by the origin."""
    return notes.Signer(origin(), private_key if private_key is not None else signing_key())


def log_vkey() -> str:
    """Return the log's verifier key (C2SP vkey), or "" where only public keys are held."""
    return log_signer().verifier.vkey if signing_key_file().exists() else ""


# Given the log-signed checkpoint note and its size, return the cosignature lines got for it.
Cosign = Callable[[str, int], list[str]]


def sign_checkpoint(
    *,
    private_key: Ed25519PrivateKey | None = None,
    if_changed: bool = False,
    cosign: Cosign | None = None,
    quorum: int = 0,
) -> Checkpoint | None:
    """Sign the journal's current size, head hash and tree root, store the checkpoint, return it.

    The head is read holding the journal's advisory lock, which every appender holds
    until its entry commits: no entry is half-way in, so `size` and `head_hash` agree.
    The lock is let go before the root is computed and the witnesses are asked (`cosign`,
    which may take seconds): the first `size` entries can no longer change. An empty
    journal gives size 0 and the genesis hash. With `if_changed`, return None without
    signing when the newest checkpoint already covers the same head with `quorum`
    cosignatures.
    """
    key = private_key if private_key is not None else signing_key()
    signer = log_signer(key)
    with transaction.atomic(durable=True), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [JOURNAL_LOCK])
        head = journal_head(cursor)
        # Tiles of entries that came by COPY (the synthetic generator, a restore).
        tree.extend(cursor)
    size, head_hash = head.sequence, head.entry_hash
    if if_changed:
        newest = Checkpoint.objects.order_by("-signed_at", "-size").first()
        if (
            newest is not None
            and (newest.size, newest.head_hash) == (size, head_hash)
            and newest.note
            and newest.cosignatures >= quorum
        ):
            return None
    with connection.cursor() as cursor:
        root = tree.root(cursor, size)
    note = notes.sign_note(notes.checkpoint_text(signer.name, size, root), [signer])
    cosignatures = cosign(note, size) if cosign is not None else []
    # Microseconds as PostgreSQL keeps them: the stored time must re-make the message.
    signed_at = timezone.now()
    signature = key.sign(message(size, head_hash, signed_at))
    return Checkpoint.objects.create(
        size=size,
        head_hash=head_hash,
        signed_at=signed_at,
        key_id=key_id(key.public_key()),
        signature=signature.hex(),
        root_hash=root.hex(),
        note=note + "".join(cosignatures),
        cosignatures=len(cosignatures),
    )


def verify_signature(checkpoint: Checkpoint, keys: Mapping[str, Ed25519PublicKey]) -> bool:
    """Return whether `checkpoint` carries a valid signature by the key it names in `keys`."""
    public = keys.get(checkpoint.key_id)
    if public is None:
        return False
    try:
        public.verify(
            bytes.fromhex(checkpoint.signature),
            message(checkpoint.size, checkpoint.head_hash, checkpoint.signed_at),
        )
    except (InvalidSignature, ValueError):
        return False
    return True
