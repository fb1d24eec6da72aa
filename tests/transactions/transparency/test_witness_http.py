"""The witness over HTTP: the register's client against it, in a thread and as `manage.py witness`."""

from __future__ import annotations

import http.client
import os
import random
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.management import CommandError, call_command

from tests.transactions.transparency.logs import Log
from transactions.journal import notes
from transactions.witness import client
from transactions.witness.protocol import MAX_BODY, Witness
from transactions.witness.server import make_server
from transactions.witness.state import StateFile, read_key

NAME = "witness.example/w1"


@pytest.fixture
def log():
    return Log(random.randint(1, 40))


@pytest.fixture
def served(log, tmp_path):
    """Yield (url, witness) of a witness of `log` served from a thread on a free port."""
    witness = Witness(
        name=NAME,
        key=Ed25519PrivateKey.generate(),
        logs=[log.signer.verifier],
        state=StateFile.create(tmp_path / "state.json"),
    )
    server = make_server(witness, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", witness
    server.shutdown()
    server.server_close()


def cosign(url: str, vkey: str, log: Log, old: int) -> str:
    return client.request_cosignature(url, vkey, log.note(), old, log.proof, timeout=10)


def test_client_gets_a_verified_cosignature(served, log):
    url, witness = served
    line = cosign(url, witness.verifier.vkey, log, 0)
    assert notes.verify_cosignature(log.text(), line, witness.verifier)


def test_client_retries_once_from_the_size_the_witness_gave(served, log):
    url, witness = served
    cosign(url, witness.verifier.vkey, log, 0)
    cosigned = log.size
    log.grow(random.randint(1, 30))
    asked: list[int] = []

    def proof_from(old: int) -> list[bytes]:
        asked.append(old)
        return log.proof(old)

    # The register believes the witness is at 0 (or anywhere): one 409, then the right proof.
    client.request_cosignature(url, witness.verifier.vkey, log.note(), 0, proof_from)
    assert asked == [cosigned]


def test_client_reports_each_refusal_with_its_status(served, log):
    url, witness = served
    vkey = witness.verifier.vkey
    cosign(url, vkey, log, 0)
    with pytest.raises(client.WitnessRefused) as fork:
        cosign(url, vkey, log.fork(keep=0, grow=log.size), log.size)
    assert fork.value.status == 409
    with pytest.raises(client.WitnessRefused) as rewrite:
        cosign(url, vkey, log.fork(keep=log.size - 1, grow=5), log.size)
    assert rewrite.value.status == 422
    with pytest.raises(client.WitnessRefused) as unknown:
        cosign(
            url, vkey, Log(2, notes.Signer("other.example/log", Ed25519PrivateKey.generate())), 0
        )
    assert unknown.value.status == 404
    impostor = Log(signer=notes.Signer(log.signer.name, Ed25519PrivateKey.generate()))
    impostor.leaves = log.leaves
    with pytest.raises(client.WitnessRefused) as forbidden:
        cosign(url, vkey, impostor, log.size)
    assert forbidden.value.status == 403


def test_client_refuses_an_answer_without_the_witness_cosignature(served, log):
    url, _ = served
    stranger = notes.cosigner(NAME, Ed25519PrivateKey.generate()).vkey
    with pytest.raises(client.WitnessError, match="no cosignature"):
        cosign(url, stranger, log, 0)


def test_client_says_when_the_witness_is_unreachable(log):
    with pytest.raises(client.WitnessUnavailable):
        cosign(
            "http://127.0.0.1:9", notes.cosigner(NAME, Ed25519PrivateKey.generate()).vkey, log, 0
        )


def test_request_body_over_the_limit_is_refused_413(served):
    url, _ = served
    connection = http.client.HTTPConnection(url.removeprefix("http://"), timeout=10)
    connection.request("POST", "/add-checkpoint", body=b"x" * (MAX_BODY + 1))
    assert connection.getresponse().status == 413
    connection.close()


def test_other_paths_and_methods_are_not_served(served):
    url, _ = served
    connection = http.client.HTTPConnection(url.removeprefix("http://"), timeout=10)
    connection.request("GET", "/add-checkpoint")
    answer = connection.getresponse()
    answer.read()
    assert answer.status == 405
    connection.request("POST", "/checkpoint", body=b"old 0\n\n")
    assert connection.getresponse().status == 404
    connection.close()


# -- manage.py witness ------------------------------------------------------------------


def test_generate_key_writes_a_private_key_and_prints_its_cosigner_vkey(tmp_path, capsys):
    path = tmp_path / "keys" / "witness.pem"
    call_command("witness", "--generate-key", "--name", NAME, "--key", str(path))
    vkey = capsys.readouterr().out.strip().splitlines()[-1]
    assert notes.parse_vkey(vkey).key_type == notes.COSIGNATURE_V1
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(CommandError, match="exists"):
        call_command("witness", "--generate-key", "--name", NAME, "--key", str(path))
    call_command("witness", "--generate-key", "--if-missing", "--name", NAME, "--key", str(path))
    assert capsys.readouterr().out.strip() == vkey


def test_witness_refuses_to_start_without_its_key_or_state(tmp_path):
    key = tmp_path / "witness.pem"
    state = tmp_path / "state.json"
    log = Log(1).vkey
    serve = ["witness", "--name", NAME, "--key", str(key), "--state", str(state), "--log", log]
    with pytest.raises(CommandError, match=r"does not exist.*--generate-key"):
        call_command(*serve)
    call_command("witness", "--generate-key", "--name", NAME, "--key", str(key))
    with pytest.raises(CommandError, match="--init-state"):
        call_command(*serve)
    state.write_text("{not json")
    with pytest.raises(CommandError, match="not JSON"):
        call_command(*serve)
    key.write_text("not a key")
    with pytest.raises(CommandError, match="not an unencrypted PEM"):
        call_command(*serve)


def start_witness(key: Path, state: Path, log: Log) -> tuple[subprocess.Popen[str], str]:
    """Start `manage.py witness` on a free port, with no reachable database; return its URL."""
    environment = {
        **os.environ,
        # Any attempt at a database would fail: the witness needs none.
        "DATABASE_URL": "postgis://nobody:nothing@127.0.0.1:9/none",
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "manage.py", "witness", "--name", NAME, "--key", str(key)]
    command += ["--state", str(state), "--log", log.vkey, "--listen", "127.0.0.1:0"]
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and manage.py)
        command, cwd=settings.BASE_DIR, env=environment, stdout=subprocess.PIPE, text=True
    )
    line = process.stdout.readline() if process.stdout else ""
    if "listening on " not in line:
        process.kill()
        raise AssertionError(f"The witness did not start: {line!r}")
    return process, line.split("listening on ")[1].split(" ")[0]


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.wait(timeout=10)
    if process.stdout:
        process.stdout.close()


@pytest.mark.slow
def test_manage_py_witness_cosigns_refuses_a_fork_and_remembers_across_restart(tmp_path):
    key, state, log = tmp_path / "witness.pem", tmp_path / "state.json", Log(random.randint(1, 40))
    call_command("witness", "--generate-key", "--name", NAME, "--key", str(key))
    call_command("witness", "--init-state", "--state", str(state))
    vkey = notes.cosigner(NAME, read_key(key)).vkey
    process, url = start_witness(key, state, log)
    try:
        line = cosign(url, vkey, log, 0)
        assert notes.verify_cosignature(log.text(), line, notes.parse_vkey(vkey))
        with pytest.raises(client.WitnessRefused) as fork:
            cosign(url, vkey, log.fork(keep=0, grow=log.size + 3), log.size)
        assert fork.value.status == 422
    finally:
        stop(process)
    cosigned = log.size
    process, url = start_witness(key, state, log.grow(4))
    try:
        asked: list[int] = []

        def proof_from(old: int) -> list[bytes]:
            asked.append(old)
            return log.proof(old)

        client.request_cosignature(url, vkey, log.note(), 0, proof_from)
        assert asked == [cosigned]  # it remembered what it cosigned before the restart
    finally:
        stop(process)


def test_a_witness_that_lost_its_state_answers_500_and_cosigns_nothing(served, log):
    url, witness = served
    witness.state.path.unlink()
    with pytest.raises(client.WitnessRefused) as failed:
        cosign(url, witness.verifier.vkey, log, 0)
    assert failed.value.status == 500
    assert not witness.state.path.exists()
