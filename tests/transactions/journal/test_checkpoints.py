"""Signed checkpoints: the message, the keys and their files, signing, verifying, the API."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.factories import ParcelFactory, deed
from tests.transactions.journal.test_ledger import person
from transactions.deeds import services
from transactions.journal import checkpoints, hashing
from transactions.models import Checkpoint, JournalEntry

pytestmark = pytest.mark.django_db

URL = reverse("transactions:ledger-checkpoints")
HEAD = "ab" * 32
MOMENT = dt.datetime(2026, 1, 2, 10, 4, 5, 6, tzinfo=dt.timezone(dt.timedelta(hours=7)))


def register(user, name="Nguyễn Văn An", national_id="001080000201"):
    parcel = ParcelFactory()
    return services.record_first_registration(
        parcel_id=parcel.pk,
        holders=[(person(name, national_id), 1)],
        deed=deed(user, parcel.pk, dt.date(2020, 1, 1)),
    )


@pytest.fixture
def key_file(tmp_path, settings):
    path = tmp_path / "keys" / "ledger-ed25519.pem"
    settings.LANDINFO = {**settings.LANDINFO, "SIGNING_KEY_FILE": path, "VERIFY_KEY_FILES": []}
    return path


@pytest.fixture
def signing_key(key_file):
    generate()
    return checkpoints.signing_key()


def generate(*args: str) -> str:
    out = io.StringIO()
    call_command("generate_signing_key", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


# --- the message and the key id -------------------------------------------------------------


def test_message_is_the_documented_versioned_text_in_utc_microseconds():
    assert checkpoints.message(3, HEAD, MOMENT) == (
        b"landinfo-checkpoint-v1\n3\n" + HEAD.encode() + b"\n2026-01-02T03:04:05.000006Z"
    )
    assert checkpoints.MESSAGE_FORMAT.replace("\\n", "\n").format(
        size=3, head_hash=HEAD, signed_at=hashing.hashed_time(MOMENT)
    ).encode() == checkpoints.message(3, HEAD, MOMENT)


@pytest.mark.parametrize(
    ("size", "head"), [(-1, HEAD), (1, HEAD.upper()), (1, HEAD[:-1]), (1, "g" * 64)]
)
def test_message_refuses_a_negative_size_or_a_head_that_is_not_64_hex_digits(size, head):
    with pytest.raises(ValueError):
        checkpoints.message(size, head, MOMENT)


def test_key_id_is_the_sha256_of_the_raw_public_key(signing_key):
    public = signing_key.public_key()
    raw = checkpoints.raw_public_key(public)
    assert len(raw) == 32
    assert checkpoints.key_id(public) == hashlib.sha256(raw).hexdigest()


# --- the key file ------------------------------------------------------------------------------


def test_generate_signing_key_writes_a_pkcs8_pem_readable_by_its_owner_only(key_file):
    output = generate()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    public = checkpoints.signing_key().public_key()
    assert f"Key id: {checkpoints.key_id(public)}" in output
    assert checkpoints.public_key_pem(public) in output
    assert not list(key_file.parent.glob(".*.tmp"))


def test_generate_signing_key_refuses_to_replace_a_key_without_force(key_file):
    generate()
    before = key_file.read_bytes()
    with pytest.raises(CommandError, match=r"exists.*--force"):
        generate()
    assert generate("--if-missing") == ""
    assert key_file.read_bytes() == before


def test_forced_new_key_keeps_the_old_public_key_so_old_checkpoints_still_verify(
    key_file, settings, notary
):
    generate()
    register(notary)
    old = checkpoints.sign_checkpoint()
    output = generate("--force")
    kept = key_file.with_name(f"ledger-ed25519.{old.key_id[:16]}.pub.pem")
    assert str(kept) in output and "LANDINFO_VERIFY_KEY_FILES" in output
    assert old.key_id not in checkpoints.public_keys()
    with pytest.raises(CommandError, match="not among the known public keys"):
        call_command("verify_ledger", stdout=io.StringIO())
    settings.LANDINFO = {**settings.LANDINFO, "VERIFY_KEY_FILES": [kept]}
    new = checkpoints.sign_checkpoint()
    assert set(checkpoints.public_keys()) == {old.key_id, new.key_id}
    call_command("verify_ledger", stdout=io.StringIO())


def test_an_auditor_with_public_keys_only_verifies(key_file, settings, notary):
    generate()
    register(notary)
    checkpoints.sign_checkpoint()
    public = key_file.with_name("auditor.pub.pem")
    public.write_text(checkpoints.public_key_pem(checkpoints.signing_key().public_key()))
    key_file.unlink()
    settings.LANDINFO = {**settings.LANDINFO, "VERIFY_KEY_FILES": [public]}
    out = io.StringIO()
    call_command("verify_ledger", stdout=out)
    assert "entries up to #1 are anchored" in out.getvalue()


def test_missing_key_file_is_a_clear_error_saying_how_to_make_one(key_file, notary):
    with pytest.raises(ImproperlyConfigured, match=r"does not exist.*generate_signing_key"):
        checkpoints.signing_key()
    with pytest.raises(CommandError, match="generate_signing_key"):
        call_command("checkpoint_ledger", stdout=io.StringIO())
    assert not Checkpoint.objects.exists()


@pytest.mark.parametrize(
    "content",
    [b"not a key", b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"],
)
def test_unreadable_key_file_is_a_clear_error(key_file, content):
    key_file.parent.mkdir(parents=True)
    key_file.write_bytes(content)
    with pytest.raises(ImproperlyConfigured, match="generate_signing_key"):
        checkpoints.signing_key()


def test_key_of_another_algorithm_is_refused(key_file):
    key_file.parent.mkdir(parents=True)
    key_file.write_bytes(checkpoints.private_key_pem(ec.generate_private_key(ec.SECP256R1())))
    with pytest.raises(ImproperlyConfigured, match="not an Ed25519 key"):
        checkpoints.signing_key()


def test_missing_verify_key_file_is_a_clear_error(key_file, settings):
    settings.LANDINFO = {**settings.LANDINFO, "VERIFY_KEY_FILES": [key_file.with_name("x.pem")]}
    with pytest.raises(ImproperlyConfigured, match="LANDINFO_VERIFY_KEY_FILES"):
        checkpoints.public_keys()


# --- signing and verifying ---------------------------------------------------------------------


def test_checkpoint_of_an_empty_journal_is_size_0_with_the_genesis_hash(signing_key):
    checkpoint = checkpoints.sign_checkpoint()
    assert (checkpoint.size, checkpoint.head_hash) == (0, hashing.GENESIS_HASH)
    assert checkpoints.verify_signature(checkpoint, checkpoints.public_keys())
    call_command("verify_ledger", stdout=io.StringIO())


def test_checkpoint_signs_the_head_and_verifies_only_as_signed(signing_key, notary):
    register(notary)
    last = register(notary, "Trần Thị Bình", "001080000202")
    stored = checkpoints.sign_checkpoint()
    checkpoint = Checkpoint.objects.get(pk=stored.pk)  # as read back: microseconds kept
    assert (checkpoint.size, checkpoint.head_hash) == (2, last.entry_hash)
    assert checkpoint.key_id == checkpoints.key_id(signing_key.public_key())
    keys = checkpoints.public_keys()
    assert checkpoints.verify_signature(checkpoint, keys)
    for field, value in (
        ("size", 1),
        ("head_hash", JournalEntry.objects.get(sequence=1).entry_hash),
        ("signed_at", checkpoint.signed_at + dt.timedelta(microseconds=1)),
        ("signature", "00" * 64),
        ("signature", "not hex"),
        ("key_id", "0" * 64),
    ):
        altered = Checkpoint(**{**_fields(checkpoint), field: value})
        assert not checkpoints.verify_signature(altered, keys), field


def _fields(checkpoint: Checkpoint) -> dict:
    return {
        name: getattr(checkpoint, name)
        for name in ("size", "head_hash", "signed_at", "key_id", "signature")
    }


def test_checkpoint_ledger_signs_one_and_if_changed_skips_an_unchanged_head(signing_key, notary):
    register(notary)
    out = io.StringIO()
    call_command("checkpoint_ledger", stdout=out)
    assert "Signed checkpoint: 1 entries" in out.getvalue()
    call_command("checkpoint_ledger", "--if-changed", stdout=io.StringIO())
    assert Checkpoint.objects.count() == 1
    register(notary, "Trần Thị Bình", "001080000202")
    call_command("checkpoint_ledger", "--if-changed", stdout=io.StringIO())
    assert list(Checkpoint.objects.values_list("size", flat=True)) == [1, 2]


# --- the public API ------------------------------------------------------------------------------


def test_api_lists_keys_and_checkpoints_newest_first_that_verify_from_the_json_alone(
    client, signing_key, notary
):
    checkpoints.sign_checkpoint()
    register(notary)
    checkpoints.sign_checkpoint()
    response = client.get(URL)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    body = response.json()
    assert body["algorithm"] == "Ed25519" and body["journal_size"] == 1
    assert body["message_format"] == checkpoints.MESSAGE_FORMAT
    (key,) = body["public_keys"]
    assert key["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key_base64"]))
    assert checkpoints.key_id(public) == key["key_id"]
    assert [c["size"] for c in body["checkpoints"]] == [1, 0]
    for checkpoint in body["checkpoints"]:
        # An auditor rebuilds the signed bytes from the documented format and the JSON.
        signed = (
            body["message_format"]
            .replace("\\n", "\n")
            .format(
                size=checkpoint["size"],
                head_hash=checkpoint["head_hash"],
                signed_at=checkpoint["signed_at"],
            )
        )
        public.verify(bytes.fromhex(checkpoint["signature"]), signed.encode("ascii"))
    assert [c["size"] for c in client.get(URL, {"limit": 1}).json()["checkpoints"]] == [1]


@pytest.mark.parametrize("limit", ["0", "1001", "ten"])
def test_api_refuses_a_limit_out_of_range(client, signing_key, limit):
    response = client.get(URL, {"limit": limit})
    assert response.status_code == 400
    assert "1 to 1000" in response.json()["detail"]


def test_api_is_documented_in_the_schema(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert "/api/ledger/checkpoints" in response.json()["paths"]
