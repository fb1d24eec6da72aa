"""The journal's stored Merkle tree, its tiles and proofs over HTTP, and what verify_ledger finds.

Entries are appended with `journal.append` (the register's one write path) carrying a bare
payload: the tree reads only their hashes. pymerkle, given the same leaf data (each
entry's 32-byte hash), is the reference for every root.
"""

from __future__ import annotations

import base64
import datetime as dt
import random
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connection, transaction
from django.http import Http404
from django.urls import reverse
from pymerkle import InmemoryTree

from tests.transactions.journal.test_ledger import as_superuser, committed
from transactions.journal import checkpoints, hashing, merkle, notes, tree, verify
from transactions.journal.append import append
from transactions.models import Checkpoint, JournalEntry, TreeHash
from transactions.transparency.views import tile_index, tile_path


@pytest.fixture(autouse=True)
def _english(settings):
    """The proof API's refusals are read in English here (they speak the reader's language)."""
    settings.LANGUAGE_CODE = "en"


def entries(count: int) -> list[str]:
    """Append `count` entries; return every entry hash of the journal, in order."""
    with transaction.atomic():
        for number in range(count):
            payload = {"effective_date": "2026-01-02", "kind": "transfer", "n": number}
            append(payload, recorded_by=None)
    return list(JournalEntry.objects.order_by("sequence").values_list("entry_hash", flat=True))


def reference(hashes: list[str]) -> InmemoryTree:
    tree_ = InmemoryTree(algorithm="sha256")
    for value in hashes:
        tree_.append_entry(bytes.fromhex(value))
    return tree_


def b64(text: str) -> bytes:
    return base64.b64decode(text)


@pytest.mark.django_db
def test_the_stored_tree_is_pymerkles_at_every_size_and_proves_every_entry():
    hashes = entries(600)
    assert list(TreeHash.objects.values_list("level", "index")) == [(1, 0), (1, 1)]
    ours = reference(hashes)
    rng = random.Random(600)
    with connection.cursor() as cursor:
        for size in (1, 2, 255, 256, 257, 511, 512, 513, 599, 600):
            assert tree.root(cursor, size) == ours.get_root(size), size
        for _ in range(40):
            size = rng.randint(1, 600)
            entry = rng.randint(1, size)
            proof = tree.inclusion(cursor, entry, size)
            assert proof.leaf == merkle.leaf_hash(bytes.fromhex(hashes[entry - 1]))
            merkle.verify_inclusion(entry - 1, size, proof.leaf, proof.proof, ours.get_root(size))
            old = rng.randint(0, size)
            steps, old_root, new_root = tree.consistency(cursor, old, size)
            assert new_root == ours.get_root(size)
            merkle.verify_consistency(old, size, old_root, new_root, steps)


@pytest.mark.django_db
def test_extend_catches_up_entries_that_came_without_append_and_is_idempotent():
    """The synthetic generator and a restore write entries by COPY: no tile hash is stored."""
    prev, rows = hashing.GENESIS_HASH, []
    moment = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    for sequence in range(1, 513):
        text = hashing.canonical_json({"effective_date": "2026-01-02", "kind": "transfer"})
        own = hashing.entry_hash(prev, sequence, text, recorded_at=moment)
        rows.append(
            JournalEntry(
                sequence=sequence,
                kind="transfer",
                payload=text,
                effective_date=dt.date(2026, 1, 2),
                recorded_at=moment,
                prev_hash=prev,
                entry_hash=own,
            )
        )
        prev = own
    JournalEntry.objects.bulk_create(rows)
    with connection.cursor() as cursor, pytest.raises(tree.TreeIncomplete):
        tree.root(cursor, 512)
    assert tree.extend() == 2  # the two full tiles of level 0, hashed at level 1
    assert tree.extend() == 0
    with connection.cursor() as cursor:
        assert tree.root(cursor, 512) == reference([row.entry_hash for row in rows]).get_root(512)


@pytest.mark.django_db
def test_a_checkpoint_is_a_c2sp_note_over_the_root_signed_by_the_log(signing_key, settings):
    settings.LANDINFO = {**settings.LANDINFO, "LOG_ORIGIN": "landinfo.example.gov.vn/tlog"}
    hashes = entries(300)
    checkpoint = checkpoints.sign_checkpoint()
    assert checkpoint.root_hash == reference(hashes).get_root(300).hex()
    vkey = checkpoints.log_signer().verifier.vkey
    assert vkey.startswith("landinfo.example.gov.vn/tlog+")
    opened = notes.open_note(checkpoint.note, [notes.parse_vkey(vkey)])
    assert opened.text == (
        "landinfo.example.gov.vn/tlog\n300\n"
        + base64.b64encode(bytes.fromhex(checkpoint.root_hash)).decode()
        + "\n"
    )
    assert checkpoint.cosignatures == 0
    # The legacy signature over the head hash is kept: older readers still verify it.
    assert checkpoints.verify_signature(checkpoint, checkpoints.public_keys())


@pytest.mark.django_db
def test_the_quorum_of_witnesses_decides_what_is_published(signing_key, settings, client):
    witness_key = Ed25519PrivateKey.generate()
    cosigner = notes.cosigner("witness.example/w1", witness_key)
    settings.LANDINFO = {
        **settings.LANDINFO,
        "WITNESSES": [f"http://127.0.0.1:9/ {cosigner.vkey}"],
    }
    entries(10)
    checkpoints.sign_checkpoint(quorum=1)  # the witness was not reached
    assert client.get("/tlog/checkpoint").status_code == 404

    def cosign(note: str, size: int) -> list[str]:
        text = notes.split_note(note)[0]
        return [notes.cosign(text, "witness.example/w1", witness_key, 1_700_000_000)]

    signed = checkpoints.sign_checkpoint(cosign=cosign, quorum=1)
    response = client.get("/tlog/checkpoint")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == signed.note
    assert notes.open_note(signed.note, [cosigner]).verified
    assert verify.verify(replay=False).cosignatures == 1


@pytest.mark.django_db
def test_tiles_and_entry_bundles_are_the_tlog_tiles_bytes(client):
    hashes = entries(300)
    leaves = b"".join(merkle.leaf_hash(bytes.fromhex(value)) for value in hashes)
    full = client.get("/tlog/tile/0/000")
    assert full.status_code == 200 and full["Content-Type"] == "application/octet-stream"
    assert full["Cache-Control"] == "public, max-age=31536000, immutable"
    assert full.content == leaves[: 256 * 32]
    assert client.get("/tlog/tile/0/001.p/44").content == leaves[256 * 32 :]
    with connection.cursor() as cursor:
        level_one = TreeHash.objects.get(level=1, index=0).hash
        assert bytes(level_one) == tree.root(cursor, 256)
    assert client.get("/tlog/tile/1/000.p/1").content == bytes(level_one)
    bundle = client.get("/tlog/tile/entries/001.p/44").content
    assert len(bundle) == 44 * 34
    assert struct.unpack(">H", bundle[:2]) == (32,) and bundle[2:34] == bytes.fromhex(hashes[256])
    for missing in ("/tlog/tile/0/001", "/tlog/tile/0/001.p/45", "/tlog/tile/1/000.p/2"):
        assert client.get(missing).status_code == 404, missing
    for malformed in (
        "/tlog/tile/0/1",
        "/tlog/tile/0/000.p/0",
        "/tlog/tile/0/000.p/256",
        "/tlog/tile/0/000.p/07",
        "/tlog/tile/64/000",
        "/tlog/tile/00/000",
    ):
        assert client.get(malformed).status_code == 404, malformed


@pytest.mark.parametrize(
    ("index", "path"), [(0, "000"), (67, "067"), (1000, "x001/000"), (1234067, "x001/x234/067")]
)
def test_tile_indexes_are_read_and_written_as_tlog_tiles_does(index, path):
    assert tile_path(index) == path and tile_index(path) == index


@pytest.mark.parametrize("path", ["x000/067", "x000/x000/000", "67", "0067", "x1/000", "001/002"])
def test_a_tile_has_one_url_only(path):
    with pytest.raises(Http404):
        tile_index(path)


@pytest.mark.django_db
def test_the_log_answers_head_and_any_origin(client, signing_key):
    entries(3)
    checkpoints.sign_checkpoint()
    for path in ("/tlog/checkpoint", "/tlog/tile/0/000.p/3", "/tlog/tile/entries/000.p/3"):
        assert client.head(path).status_code == 200, path
        response = client.get(path, HTTP_ORIGIN="https://monitor.example")
        assert response["Access-Control-Allow-Origin"] == "*", path
    proof = client.get("/api/ledger/proof/inclusion?entry=1", HTTP_ORIGIN="https://monitor.example")
    assert proof["Access-Control-Allow-Origin"] == "*"


@pytest.mark.django_db
def test_the_proof_api_answers_what_an_auditor_can_check_alone(signing_key, client):
    hashes = entries(40)
    checkpoint = checkpoints.sign_checkpoint()
    body = client.get(reverse("transactions:proof-inclusion"), {"entry": 17}).json()
    assert (body["entry"], body["leaf_index"], body["tree_size"]) == (17, 16, 40)
    assert body["entry_hash"] == hashes[16] and body["checkpoint"] == checkpoint.note
    text = notes.open_note(body["checkpoint"], [checkpoints.log_signer().verifier]).text
    root = notes.parse_checkpoint(text).root
    merkle.verify_inclusion(
        16, 40, b64(body["leaf_hash"]), [b64(p) for p in body["inclusion_proof"]], root
    )
    assert len(body["inclusion_proof"]) == 6
    moved = client.get(reverse("transactions:proof-consistency"), {"from": 9}).json()
    merkle.verify_consistency(
        9, 40, b64(moved["root_from"]), root, [b64(p) for p in moved["consistency_proof"]]
    )
    refused = {
        "entry=41&size=40": "the journal has 40",
        "entry=0": "from 1",
        "entry=5&size=4": "from 1 to the tree size 4",
        "entry=1e3": "whole number",
        "entry=-1": "whole number",
    }
    for query, why in refused.items():
        response = client.get(reverse("transactions:proof-inclusion") + "?" + query)
        assert response.status_code == 400 and why in response.json()["detail"], query
    assert client.get(reverse("transactions:proof-consistency"), {"from": 41}).status_code == 400


@committed
def test_verify_ledger_finds_a_forged_tile_and_a_rewrite_under_a_c2sp_checkpoint(signing_key):
    entries(300)
    checkpoints.sign_checkpoint()
    assert verify.verify(replay=False).ok
    with as_superuser("transactions_treehash") as cursor:
        cursor.execute("UPDATE transactions_treehash SET hash = %s", [bytes(32)])
    report = verify.verify(replay=False)
    assert [str(f) for f in report.failures] == [
        "entry #1: the Merkle tree's stored hash of tile 1/0 (entries #1 on) is not the one "
        "the entries make: the tree or the journal was altered"
    ]


@committed
def test_a_rewrite_that_recomputes_every_hash_breaks_the_signed_root(signing_key):
    from tests.transactions.journal.test_ledger import rewrite_from

    entries(20)
    checkpoints.sign_checkpoint()
    with as_superuser("transactions_journalentry") as cursor:
        rewrite_from(cursor, 20, lambda n, p, at, doc: (p.replace('"n":19', '"n":91'), at, doc))
    report = verify.verify(replay=False)
    messages = [str(f) for f in report.failures]
    assert any(
        "signed a Merkle root the journal's first 20 entries no longer make" in m for m in messages
    )
    assert Checkpoint.objects.count() == 1


@pytest.mark.django_db
def test_checkpoints_of_two_origins_are_named_in_a_note(signing_key, settings):
    entries(2)
    checkpoints.sign_checkpoint()
    settings.LANDINFO = {**settings.LANDINFO, "LOG_ORIGIN": "landinfo.example.gov.vn/tlog"}
    checkpoints.sign_checkpoint()
    report = verify.verify(replay=False)
    assert report.ok and report.checkpoint_notes == 2
    assert any("name 2 origins" in note for note in report.notes)
