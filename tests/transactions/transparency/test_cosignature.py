"""Witness cosignatures (c2sp.org/tlog-cosignature, Ed25519 cosignature/v1, type 0x04)."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from transactions.journal import notes

CHECKPOINT = "example.com/log\n5\n" + base64.b64encode(bytes(range(32))).decode() + "\n"
NAME = "witness.example/w1"


def test_a_cosignature_verifies_and_returns_its_timestamp():
    key = Ed25519PrivateKey.generate()
    line = notes.cosign(CHECKPOINT, NAME, key, 1679315147)
    assert line.startswith(f"— {NAME} ") and line.endswith("\n")
    assert notes.verify_cosignature(CHECKPOINT, line, notes.cosigner(NAME, key)) == 1679315147


def test_a_cosignature_signs_the_header_the_time_and_the_checkpoint():
    key = Ed25519PrivateKey.generate()
    line = notes.cosign(CHECKPOINT, NAME, key, 1679315147)
    blob = base64.b64decode(line.split(" ")[2])
    assert blob[:4] == notes.cosigner(NAME, key).key_id.to_bytes(4, "big")
    assert int.from_bytes(blob[4:12], "big") == 1679315147
    message = b"cosignature/v1\ntime 1679315147\n" + CHECKPOINT.encode()
    key.public_key().verify(blob[12:], message)  # raises if it signs anything else


def test_a_cosigned_checkpoint_opens_as_a_note_with_the_witness_vkey():
    log, key = (
        notes.Signer("example.com/log", Ed25519PrivateKey.generate()),
        Ed25519PrivateKey.generate(),
    )
    note = notes.sign_note(CHECKPOINT, [log]) + notes.cosign(CHECKPOINT, NAME, key, 1)
    witness = notes.parse_vkey(notes.cosigner(NAME, key).vkey)
    assert notes.open_note(note, [witness]).verified[0].name == NAME


def test_the_cosigner_key_id_differs_from_the_same_key_signing_notes():
    key = Ed25519PrivateKey.generate()
    assert notes.cosigner(NAME, key).key_id != notes.Signer(NAME, key).verifier.key_id
    # so a plain Ed25519 verifier of the same key and name ignores a cosignature
    note = CHECKPOINT + "\n" + notes.cosign(CHECKPOINT, NAME, key, 1)
    with pytest.raises(notes.UntrustedNote):
        notes.open_note(note, [notes.Signer(NAME, key).verifier])


def test_a_changed_timestamp_is_refused():
    key = Ed25519PrivateKey.generate()
    line = notes.cosign(CHECKPOINT, NAME, key, 1679315147)
    blob = bytearray(base64.b64decode(line.split(" ")[2]))
    blob[11] ^= 1
    changed = f"— {NAME} {base64.b64encode(bytes(blob)).decode()}\n"
    with pytest.raises(notes.BadSignature):
        notes.verify_cosignature(CHECKPOINT, changed, notes.cosigner(NAME, key))


def test_a_changed_checkpoint_is_refused():
    key = Ed25519PrivateKey.generate()
    line = notes.cosign(CHECKPOINT, NAME, key, 1679315147)
    for other in (CHECKPOINT.replace("\n5\n", "\n6\n"), CHECKPOINT + "extension\n"):
        with pytest.raises(notes.BadSignature):
            notes.verify_cosignature(other, line, notes.cosigner(NAME, key))


def test_a_cosignature_by_another_witness_is_not_taken_for_this_one():
    line = notes.cosign(CHECKPOINT, NAME, Ed25519PrivateKey.generate(), 1)
    with pytest.raises(notes.UntrustedNote):
        notes.verify_cosignature(
            CHECKPOINT, line, notes.cosigner(NAME, Ed25519PrivateKey.generate())
        )


def test_published_cosignature_timestamp_vector():
    # transparency-dev/formats note/note_cosigv1_test.go, TestCosignatureTimestamp.
    line = (
        "— w ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gx"
        "EHWWOworDcFiEBYJXORmnFBOBA=="
    )
    assert notes.cosignature_timestamp(notes.parse_signature_line(line)) == 1727964367
    # ... and its "wrong type of signature": a plain Ed25519 note signature (4 + 64 bytes).
    plain = "— w eQjRQm6eSKzFoiYalgwCPXu2y3ijtg68is9M46JKxuZB+dRfTmeQeDBoXnvxZx2ugnkyV+MUMLXpWs1hPb/W/4xkNQY="
    with pytest.raises(notes.MalformedNote):
        notes.cosignature_timestamp(notes.parse_signature_line(plain))


@pytest.mark.parametrize("timestamp", [-1, 2**63])
def test_a_timestamp_outside_the_spec_range_is_refused(timestamp):
    with pytest.raises(ValueError):
        notes.cosign(CHECKPOINT, NAME, Ed25519PrivateKey.generate(), timestamp)


def test_verifying_with_a_log_key_instead_of_a_cosigner_key_is_an_error():
    key = Ed25519PrivateKey.generate()
    line = notes.cosign(CHECKPOINT, NAME, key, 1)
    with pytest.raises(ValueError, match="0x04"):
        notes.verify_cosignature(CHECKPOINT, line, notes.Signer(NAME, key).verifier)


SOFA = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"


def test_signed_message_is_the_spec_example_byte_for_byte():
    # c2sp.org/tlog-cosignature, "Ed25519 signed message".
    expected = b"cosignature/v1\ntime 1679315147\n" + SOFA.encode()
    assert notes.cosigned_message(SOFA.encode(), 1679315147) == expected


def test_spec_example_cosignature_states_the_example_time():
    # c2sp.org/tlog-cosignature's cosigned checkpoint: the witness's line (key unpublished).
    line = (
        "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dl"
        "rDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA=="
    )
    assert notes.cosignature_timestamp(notes.parse_signature_line(line)) == 1679315147
