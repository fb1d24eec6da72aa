"""The witness's rule (c2sp.org/tlog-witness add-checkpoint), called in process, and its state."""

from __future__ import annotations

import json
import logging
import random
import threading
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.transactions.transparency.logs import ORIGIN, Log
from transactions.journal import merkle, notes
from transactions.witness.protocol import SIZE_TYPE, Refusal, Witness, parse_request
from transactions.witness.state import Cosigned, StateFile, WitnessFileError

NAME = "witness.example/w1"


@pytest.fixture
def log():
    return Log(random.randint(1, 40))


@pytest.fixture
def state(tmp_path):
    return StateFile.create(tmp_path / "state.json")


@pytest.fixture
def witness(log, state):
    return Witness(
        name=NAME, key=Ed25519PrivateKey.generate(), logs=[log.signer.verifier], state=state
    )


def refused(witness: Witness, body: bytes) -> Refusal:
    with pytest.raises(Refusal) as caught:
        witness.add_checkpoint(body)
    return caught.value


def test_first_checkpoint_is_cosigned_from_old_size_zero(witness, log, state):
    line = witness.add_checkpoint(log.body(0))
    assert notes.verify_cosignature(log.text(), line, witness.verifier) > 0
    assert state.read() == {ORIGIN: Cosigned(log.size, log.root())}


def test_growth_with_a_valid_consistency_proof_is_cosigned(witness, log, state):
    witness.add_checkpoint(log.body(0))
    for _ in range(5):
        old = log.size
        log.grow(random.randint(0, 30))  # 0: the same checkpoint again is cosigned again
        line = witness.add_checkpoint(log.body(old))
        assert notes.verify_cosignature(log.text(), line, witness.verifier)
        assert state.read()[ORIGIN] == Cosigned(log.size, log.root())


def test_the_cosignature_opens_with_the_checkpoint_as_a_note(witness, log):
    line = witness.add_checkpoint(log.body(0))
    note = log.note() + line
    assert notes.open_note(note, [notes.parse_vkey(witness.verifier.vkey)]).text == log.text()


def test_forked_checkpoint_of_the_same_size_is_refused_409_and_state_kept(witness, log, state):
    witness.add_checkpoint(log.body(0))
    before = state.path.read_bytes()
    forked = log.fork(keep=random.randrange(log.size), grow=0)
    forked.grow(log.size - forked.size)
    assert forked.root() != log.root()
    refusal = refused(witness, forked.body(log.size, proof=[]))
    assert refusal.status == 409 and refusal.content_type != SIZE_TYPE
    assert state.path.read_bytes() == before


def test_forked_checkpoint_of_a_bigger_size_is_refused_422_and_state_kept(witness, log, state):
    witness.add_checkpoint(log.body(0))
    before = state.path.read_bytes()
    forked = log.fork(keep=random.randrange(log.size), grow=log.size + random.randint(1, 20))
    # The fork's best proof: from the witness's size, in the fork's own tree.
    refusal = refused(witness, forked.body(log.size, proof=forked.proof(log.size)))
    assert refusal.status == 422
    assert state.path.read_bytes() == before


def test_rewritten_old_entry_resigned_is_refused(witness, log, state):
    """A register that rewrites one old entry and re-signs gets no cosignature."""
    witness.add_checkpoint(log.body(0))
    rewritten = Log(signer=log.signer)
    rewritten.leaves = list(log.leaves)
    rewritten.leaves[random.randrange(log.size)] = merkle.leaf_hash(b"rewritten")
    rewritten.grow(3)
    assert refused(witness, rewritten.body(log.size)).status == 422
    assert state.read()[ORIGIN] == Cosigned(log.size, log.root())


def test_stale_old_size_is_refused_409_with_the_witness_size(witness, log):
    witness.add_checkpoint(log.body(0))
    cosigned = log.size
    log.grow(5)
    for old in (0, cosigned + 2):  # behind the witness, and ahead of it
        refusal = refused(witness, log.body(old))
        assert (refusal.status, refusal.content_type, refusal.body) == (
            409,
            SIZE_TYPE,
            f"{cosigned}\n",
        )


def test_unknown_origin_is_refused_404(witness):
    stranger = Log(3, notes.Signer("other.example/log", Ed25519PrivateKey.generate()))
    assert refused(witness, stranger.body(0)).status == 404


def test_checkpoint_not_signed_by_the_trusted_key_is_refused_403(witness, log, state):
    impostor = Log(signer=notes.Signer(ORIGIN, Ed25519PrivateKey.generate()))
    impostor.leaves = log.leaves
    assert refused(witness, impostor.body(0)).status == 403
    # a known key whose signature fails: the body changed after signing
    tampered = log.body(0).replace(
        b"\n\n" + log.text().encode(), b"\n\n" + log.text(log.size - 1).encode()
    )
    assert refused(witness, tampered).status == 403
    assert state.read() == {}


def test_signature_by_the_trusted_key_that_fails_is_refused_403(witness, log):
    body = log.body(0)
    signature_line = body.rsplit(b" ", 1)
    forged = (
        signature_line[0]
        + b" "
        + notes.b64encode(log.signer.verifier.key_id.to_bytes(4, "big") + bytes(64)).encode()
        + b"\n"
    )
    assert refused(witness, forged).status == 403


def test_old_size_above_the_checkpoint_size_is_refused_400(witness, log):
    assert (
        refused(
            witness, log.body(0, proof=[]).replace(b"old 0\n", f"old {log.size + 1}\n".encode(), 1)
        ).status
        == 400
    )


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"old\n",
        b"old 01\n",
        b"old -1\n",
        b"new 0\n",
        b"old 0 \n",
        b"old 0\nnot base64!\n",
        b"old 0\nAAAA\n",
        b"old 0\n" + b"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n" * 64,
    ],
)
def test_malformed_requests_are_refused_400(witness, log, head):
    assert refused(witness, head + b"\n" + log.note().encode()).status == 400


def test_malformed_checkpoint_or_body_is_refused_400(witness, log):
    assert refused(witness, b"old 0\n\n" + log.text().encode()).status == 400  # unsigned
    assert refused(witness, b"old 0\n" + log.note().encode()).status == 400  # no blank line
    assert refused(witness, b"old 0\n\n\xff" + log.note().encode()).status == 400


def test_sixty_three_proof_lines_are_read(witness, log):
    # Not a true proof, so 422 from the proof check, not 400 from the parser.
    proof = [bytes(32)] * 63
    assert refused(witness, log.body(0, proof=proof)).status == 422


def test_a_proof_from_old_size_zero_must_be_empty(witness, log):
    assert refused(witness, log.body(0, proof=[bytes(32)])).status == 422


def test_state_persists_across_restart(log, state):
    key = Ed25519PrivateKey.generate()
    first = Witness(name=NAME, key=key, logs=[log.signer.verifier], state=state)
    first.add_checkpoint(log.body(0))
    again = Witness(name=NAME, key=key, logs=[log.signer.verifier], state=StateFile(state.path))
    refusal = refused(again, log.grow(2).body(0))
    assert refusal.body == f"{log.size - 2}\n"
    again.add_checkpoint(log.body(log.size - 2))


def test_refused_checkpoints_with_a_valid_signature_are_logged_as_evidence(witness, log, caplog):
    witness.add_checkpoint(log.body(0))
    forked = log.fork(keep=0, grow=log.size)
    with caplog.at_level(logging.INFO, logger="landinfo.witness"):
        refused(witness, forked.body(log.size, proof=[]))
        refused(witness, Log(2).body(0))  # not signed by the log's key: not evidence
    assert len(caplog.records) == 1
    evidence = json.loads(caplog.records[0].getMessage().removeprefix("refused checkpoint "))
    assert evidence["status"] == 409 and evidence["checkpoint"] == forked.note()


def race(witness: Witness, bodies: list[bytes]) -> list[int | None]:
    """Submit `bodies` at once, from as many threads; return each one's refusal status or None."""
    statuses: list[int | None] = [0] * len(bodies)
    start = threading.Barrier(len(bodies))

    def submit(index: int) -> None:
        start.wait()
        try:
            witness.add_checkpoint(bodies[index])
        except Refusal as refusal:
            statuses[index] = refusal.status
        else:
            statuses[index] = None

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_two_concurrent_requests_never_roll_the_state_back(log, state, monkeypatch):
    """The spec's race: A (to N+1) and B (to N+K) both checked against N; A written last."""
    witness = Witness(
        name=NAME, key=Ed25519PrivateKey.generate(), logs=[log.signer.verifier], state=state
    )
    witness.add_checkpoint(log.body(0))
    check = merkle.verify_consistency

    def slow_check(*args):  # widens the window between the check and the write
        time.sleep(random.random() / 100)
        return check(*args)

    monkeypatch.setattr(merkle, "verify_consistency", slow_check)
    for _ in range(5):
        old = log.size
        log.grow(8)
        statuses = race(witness, [log.body(old, old + k) for k in range(1, 9)])
        accepted = [old + k for k, status in enumerate(statuses, 1) if status is None]
        assert len(accepted) == 1, statuses
        assert all(status in (None, 409) for status in statuses)
        assert state.read()[ORIGIN].size == accepted[0]
        log.leaves = log.leaves[: accepted[0]]


def test_a_state_file_is_never_replaced_by_an_empty_one(state):
    with pytest.raises(WitnessFileError, match="exists"):
        StateFile.create(state.path)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{}",
        b"[]",
        b'{"format": "landinfo-witness-state-v1", "logs": {"a": {"size": 1, "root": "AA=="}}}',
    ],
)
def test_a_broken_state_file_is_refused(tmp_path, content):
    path = tmp_path / "state.json"
    path.write_bytes(content)
    with pytest.raises(WitnessFileError):
        StateFile(path).read()


def test_a_missing_state_file_says_how_to_make_one(tmp_path):
    with pytest.raises(WitnessFileError, match="--init-state"):
        StateFile(tmp_path / "nowhere.json").read()


# c2sp.org/tlog-witness's example request and response (its keys are not published).
SPEC_REQUEST = """old 20852014
PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=
jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=
5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=
/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=

example.com/behind-the-sofa
20852163
CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=

— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=
— example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=
""".encode()
SPEC_RESPONSE = """— witness.example/w1 CMp+6LWBU0anHGH5aNDTJkH/gj79sG+T6+iP2ThYN5krrDJbR1HDnucjL39QsZTSvVjyQLrdk3DXDqI5G2HgLatVs0pWh6Up69HVOw==
— witness.example/w1 I7rEps0pvK2UqkS2gSpVUDhrhVtQV9lgF6pRrWAvjJHjyWpW7VcE3SiOlVlbQNt64vWhO+DlkL0+UfzuOBMh9ChdMkP1vi/lCAsmlw==
— witness.example/w2 AWui8Sk55XjYLOijihBjhqEH6nS1ndDymE0a+6idX7pLcnoB+dhnz0854aLZgrrKbYKA7nC3HNJhm/kWl7oJlqU3rXXvpysAdyP3wQ==
"""


def test_spec_example_request_parses():
    request = parse_request(SPEC_REQUEST)
    assert request.old_size == 20852014 and len(request.proof) == 4
    text, signatures = notes.split_note(request.note)
    assert notes.parse_checkpoint(text).size == 20852163 and len(signatures) == 2


def test_spec_example_request_is_refused_404_by_a_witness_not_following_that_log(witness):
    assert refused(witness, SPEC_REQUEST).status == 404


def test_spec_example_request_is_refused_403_without_the_log_key(state):
    stranger = notes.Signer("example.com/behind-the-sofa", Ed25519PrivateKey.generate())
    witness = Witness(
        name=NAME, key=Ed25519PrivateKey.generate(), logs=[stranger.verifier], state=state
    )
    assert refused(witness, SPEC_REQUEST).status == 403


def test_spec_example_response_lines_are_signature_lines():
    # Illustrative bytes (their "timestamps" pass 2**63): only their form is checked here.
    names = [notes.parse_signature_line(line).name for line in SPEC_RESPONSE.splitlines()]
    assert names == ["witness.example/w1", "witness.example/w1", "witness.example/w2"]
