"""The register and its witness: checkpoints published once cosigned; a rewritten past is not.

The witness is the real one (transactions.witness) served from a thread, with its own
key and state file; the register reaches it over HTTP as LANDINFO_WITNESSES says.
"""

from __future__ import annotations

import io
import os
import signal
import threading

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command
from django.utils import translation

from tests.transactions.journal.test_ledger import as_superuser, committed, rewrite_from
from tests.transactions.transparency.test_tree import entries
from transactions.journal import checkpoints, notes, tree, verify
from transactions.models import Checkpoint
from transactions.transparency import log, publish
from transactions.witness.protocol import Witness
from transactions.witness.server import make_server
from transactions.witness.state import StateFile


@pytest.fixture
def witness(signing_key, settings, tmp_path):
    """Serve a witness of this register's log; configure the register to ask it."""
    served = Witness(
        name="witness.example/w1",
        key=Ed25519PrivateKey.generate(),
        logs=[checkpoints.log_signer().verifier],
        state=StateFile.create(tmp_path / "witness-state.json"),
    )
    server = make_server(served, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    settings.LANDINFO = {**settings.LANDINFO, "WITNESSES": [f"{url} {served.verifier.vkey}"]}
    yield served
    server.shutdown()
    server.server_close()


@pytest.mark.django_db
def test_each_checkpoint_is_cosigned_then_published(witness, client):
    entries(30)
    first = publish.publish().checkpoint
    assert first.cosignatures == 1 and log.published() == first
    entries(300)
    second = publish.publish().checkpoint  # the witness checks the consistency proof from 30 to 330
    assert second.cosignatures == 1 and log.published() == second
    text = notes.split_note(second.note)[0]
    assert notes.open_note(second.note, [witness.verifier]).verified
    assert notes.parse_checkpoint(text).size == 330
    assert client.get("/tlog/checkpoint").content.decode() == second.note
    assert publish.publish(if_changed=True).checkpoint is None  # nothing new: nothing signed
    report = verify.verify(replay=False)
    assert report.ok and report.cosignatures == 2


@pytest.mark.django_db
def test_a_witness_out_of_reach_leaves_the_checkpoint_unpublished(witness, settings, caplog):
    entries(5)
    published = publish.publish().checkpoint
    reachable = settings.LANDINFO["WITNESSES"]
    settings.LANDINFO = {
        **settings.LANDINFO,
        "WITNESSES": [f"http://127.0.0.1:9 {witness.verifier.vkey}"],
        "WITNESS_TIMEOUT": 2.0,
    }
    entries(5)
    unwitnessed = publish.publish().checkpoint
    assert unwitnessed.cosignatures == 0
    assert log.published() == published  # the older, witnessed one stays the published one
    assert "was not reached" in caplog.text
    # The register's word alone anchors nothing for an auditor who counts on witnesses.
    report = verify.verify(replay=False, quorum=1)
    assert report.ok and (report.anchored, report.unanchored) == (5, 5)
    assert verify.verify(replay=False).anchored == 10
    settings.LANDINFO = {**settings.LANDINFO, "WITNESSES": reachable}
    again = publish.publish(if_changed=True).checkpoint
    assert again is not None and again.size == 10 and log.published() == again


@committed
def test_a_register_that_rewrites_its_past_and_re_signs_is_refused_by_its_witness(
    witness, caplog, client
):
    entries(300)
    honest = publish.publish().checkpoint
    assert honest.cosignatures == 1
    # The forger, as the database's superuser: entry 100 says something else, every later
    # hash is recomputed, and the tree's stored hashes are made again to match.
    with as_superuser("transactions_journalentry", "transactions_treehash") as cursor:
        rewrite_from(cursor, 100, lambda n, p, at, doc: (p.replace('"n":99', '"n":7'), at, doc))
        cursor.execute("DELETE FROM transactions_treehash")
        tree.extend(cursor)
    entries(10)
    # The register's own tools refuse to sign over a journal that no longer makes the root
    # it published (exit status 1 from cron), and store nothing.
    with pytest.raises(log.LogMismatch):
        publish.publish()
    with (
        translation.override("en"),
        pytest.raises(CommandError, match="no longer makes the Merkle root it published"),
    ):
        call_command("checkpoint_ledger", stdout=io.StringIO())
    assert Checkpoint.objects.count() == 1
    # A forger who signs anyway (the key is on the server) is refused by the witness.
    refusals: list[str] = []
    forged = checkpoints.sign_checkpoint(
        cosign=lambda note, size: publish._cosign(note, size, refusals, []), quorum=1
    )
    assert len(refusals) == 1 and "HTTP 422" in refusals[0]
    assert forged.cosignatures == 0, "the witness cosigned a rewritten history"
    assert "refused the checkpoint of 310 entries (HTTP 422)" in caplog.text
    assert log.published() == honest
    # No proof is offered against the witnessed root from a journal that no longer makes it.
    for path in (
        "/api/ledger/proof/inclusion?entry=5",
        "/api/ledger/proof/consistency?from=300&to=310",
    ):
        refused = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
        assert refused.status_code == 409, path
        assert "no longer makes the Merkle root it published" in refused.json()["detail"]
    tile = client.get("/tlog/tile/0/000")  # cached for a year: never from a rewritten journal
    assert tile.status_code == 409 and tile["Cache-Control"] == "no-store"
    assert "published checkpoint of that size states" in caplog.text
    report = verify.verify(replay=False)
    assert not report.ok
    assert any("no longer make" in str(failure) for failure in report.failures)


@committed
def test_checkpoint_ledger_every_publishes_until_stopped(witness):
    entries(3)
    stopper = threading.Timer(1.5, os.kill, [os.getpid(), signal.SIGTERM])
    stopper.start()
    call_command("checkpoint_ledger", "--every", "1", stdout=io.StringIO())
    published = log.published()
    assert published is not None and published.size == 3
