"""C2SP signed notes and checkpoints, against Go's published vectors and the spec's examples."""

from __future__ import annotations

import base64
import os

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from transactions.journal import notes

# golang.org/x/mod/sumdb/note, its package documentation and tests.
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
# c2sp.org/tlog-checkpoint's example (its key is not published: it parses, it cannot verify).
SOFA = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SOFA_NOTE = (
    SOFA + "\n— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOo"
    "RDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)


def signer(name: str = "example.com/log") -> notes.Signer:
    return notes.Signer(name, Ed25519PrivateKey.generate())


def test_go_private_key_gives_go_verifier_key():
    assert notes.parse_private_key(GO_SKEY).verifier.vkey == GO_VKEY


def test_signing_reproduces_go_published_note_byte_for_byte():
    assert notes.sign_note(GO_TEXT, [notes.parse_private_key(GO_SKEY)]) == GO_NOTE


def test_go_published_note_opens_with_its_verifier_key():
    opened = notes.open_note(GO_NOTE.encode(), [notes.parse_vkey(GO_VKEY)])
    assert opened.text == GO_TEXT
    assert [s.name for s in opened.verified] == ["PeterNeumann"]
    assert opened.verified[0].key_id == 0xC74F20A3


def test_any_changed_byte_of_go_note_is_refused():
    verifier = notes.parse_vkey(GO_VKEY)
    data = GO_NOTE.encode()
    for index in range(len(data)):
        changed = bytearray(data)
        changed[index] ^= 0x01
        with pytest.raises(notes.NoteError):
            notes.open_note(bytes(changed), [verifier])


def test_key_id_is_the_first_four_bytes_of_sha256_of_name_type_and_key():
    verifier = notes.parse_vkey(GO_VKEY)
    raw = base64.b64decode(GO_VKEY.split("+", 2)[2])[1:]
    assert notes.key_id("PeterNeumann", notes.ED25519, raw) == 0xC74F20A3 == verifier.key_id


def test_verifier_keys_round_trip_for_both_types():
    key = Ed25519PrivateKey.generate()
    for key_type in (notes.ED25519, notes.COSIGNATURE_V1):
        vkey = notes.Verifier("witness.example/w1", key_type, key.public_key()).vkey
        parsed = notes.parse_vkey(vkey)
        assert parsed.vkey == vkey and parsed.key_type == key_type
    # transparency-dev/formats note_cosigv1_test.go: a native type-0x04 verifier key.
    native = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
    assert notes.parse_vkey(native).key_type == notes.COSIGNATURE_V1


@pytest.mark.parametrize(
    "vkey",
    [
        "PeterNeumann+c74f20a3",  # two parts
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong key ID
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # upper-case hex
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",  # bad base64
        "PeterNeumann+c74f20a3+Apc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # 32 bytes
        "PeterNeumann+c74f20a3+AxpcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWAA=",  # type 0x03
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # a space
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # no name
        "rekor.sigstore.dev+12345678+THIS_IS_NOT_BASE64!",
    ],
)
def test_malformed_verifier_keys_are_refused_with_value_error(vkey):
    with pytest.raises(ValueError):
        notes.parse_vkey(vkey)


def test_a_note_signed_by_several_keys_opens_with_any_one_of_them():
    a, b = signer("a.example/log"), signer("b.example/log")
    note = notes.sign_note("hello\n", [a, b])
    assert notes.open_note(note, [b.verifier]).verified[0].name == "b.example/log"
    assert len(notes.open_note(note, [a.verifier, b.verifier]).verified) == 2


def test_signatures_by_unknown_keys_are_ignored_even_with_a_known_name():
    known, stranger = signer("example.com/log"), signer("example.com/log")  # same name
    note = notes.sign_note("hello\n", [stranger, known])
    assert notes.open_note(note, [known.verifier]).verified[0].key_id == known.verifier.key_id


def test_a_note_with_no_signature_by_a_known_key_is_refused():
    note = notes.sign_note("hello\n", [signer()])
    with pytest.raises(notes.UntrustedNote):
        notes.open_note(note, [signer().verifier])


def test_a_known_key_whose_signature_fails_refuses_the_whole_note():
    good, other = signer("a.example/log"), signer("b.example/log")
    note = notes.sign_note("hello\n", [good])
    forged = notes.Signature(other.name, other.verifier.key_id, os.urandom(64)).line
    with pytest.raises(notes.BadSignature):
        notes.open_note(note + forged, [good.verifier, other.verifier])


def test_the_last_blank_line_separates_the_signatures():
    one = signer()
    text = "first paragraph\n\nsecond paragraph\n"
    assert notes.open_note(notes.sign_note(text, [one]), [one.verifier]).text == text


@pytest.mark.parametrize(
    "note",
    [
        GO_TEXT + "— PeterNeumann x08go/ZJ=\n",  # no blank line
        GO_NOTE.removesuffix("\n"),  # no final newline
        GO_NOTE.replace("problem,", "problem,\t"),  # a control character
        GO_NOTE.replace("problem,", "problem,\r"),
        GO_TEXT + "\n",  # no signature line
        GO_NOTE + "\n",  # a blank line after the signatures
        GO_NOTE.replace("x08go/", "x08go!"),  # not base64
        GO_NOTE.replace("AM=", "AM"),  # base64 without its padding
        GO_NOTE.replace("— ", "- "),  # a hyphen, not an em dash
        GO_TEXT + "\n— PeterNeumann AAAA\n",  # shorter than a key ID and a signature
    ],
)
def test_malformed_notes_are_refused(note):
    with pytest.raises(notes.MalformedNote):
        notes.open_note(note, [notes.parse_vkey(GO_VKEY)])


def test_a_note_that_is_not_utf8_is_refused():
    with pytest.raises(notes.MalformedNote):
        notes.open_note(GO_NOTE.encode().replace(b"If", b"\xffIf"), [notes.parse_vkey(GO_VKEY)])


def test_sixteen_signatures_are_accepted_and_too_many_refused():
    signers = [signer(f"k{n}.example/log") for n in range(notes.MAX_SIGNATURES)]
    note = notes.sign_note("hello\n", signers[:16])
    assert len(notes.open_note(note, [signers[0].verifier]).signatures) == 16
    full = notes.sign_note("hello\n", signers)
    assert len(notes.open_note(full, [signers[-1].verifier]).signatures) == notes.MAX_SIGNATURES
    one_more = full + notes.sign_note("hello\n", [signer()]).split("\n\n")[-1]
    with pytest.raises(notes.MalformedNote, match="at most"):
        notes.open_note(one_more, [signers[0].verifier])


@pytest.mark.parametrize("text", ["no newline", "tab\there\n", ""])
def test_sign_note_refuses_a_text_that_no_note_may_hold(text):
    with pytest.raises(notes.MalformedNote):
        notes.sign_note(text, [signer()])


def test_spec_example_checkpoint_parses():
    checkpoint = notes.parse_checkpoint(notes.split_note(SOFA_NOTE)[0])
    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert checkpoint.root == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert checkpoint.extensions == ()
    assert checkpoint.text == SOFA


def test_checkpoint_text_is_origin_size_and_base64_root_with_extensions():
    root = bytes(range(32))
    text = notes.checkpoint_text("example.com/log", 7, root, ["ext one"])
    assert text == f"example.com/log\n7\n{base64.b64encode(root).decode()}\next one\n"
    assert notes.parse_checkpoint(text) == notes.Checkpoint(
        "example.com/log", 7, root, ("ext one",)
    )


@pytest.mark.parametrize(
    "text",
    [
        SOFA.replace("20852163", "020852163"),  # a leading zero
        SOFA.replace("20852163", "-1"),
        SOFA.replace("20852163", "２０"),  # digits, but not ASCII
        SOFA.replace("20852163", " 20852163"),
        SOFA.replace("=\n", "\n"),  # base64 without its padding
        SOFA.replace("CsUYapGG", "CsUYapG"),  # 31 bytes
        SOFA + "\n",  # an empty extension line
        "example.com/log\n0\n",  # two lines
        "\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",  # no origin
        SOFA.removesuffix("\n"),
    ],
)
def test_malformed_checkpoints_are_refused(text):
    with pytest.raises(notes.MalformedNote):
        notes.parse_checkpoint(text)


def test_size_zero_checkpoint_of_the_empty_tree_parses():
    text = "example.com/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
    assert notes.parse_checkpoint(text).size == 0


def test_spec_example_note_splits_at_its_last_blank_line():
    # c2sp.org/signed-note's example (its key is not published).
    note = (
        "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n"
        "\n— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKON"
        "rMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
    )
    text, signatures = notes.split_note(note)
    assert text.endswith(":\n\ned è subito sera.\n")
    assert [s.name for s in signatures] == ["quasimodo.example/salvatore"]
    with pytest.raises(notes.UntrustedNote):
        notes.open_note(note, [notes.parse_vkey(GO_VKEY)])
