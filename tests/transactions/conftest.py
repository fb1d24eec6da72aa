"""Fixtures shared by the journal's tests."""

import io

import pytest
from django.core.management import call_command

from transactions.journal import checkpoints


@pytest.fixture
def signing_key(tmp_path, settings):
    """Make the ledger's key in a temporary folder and point the settings at it."""
    settings.LANDINFO = {
        **settings.LANDINFO,
        "SIGNING_KEY_FILE": tmp_path / "keys" / "ledger-ed25519.pem",
        "VERIFY_KEY_FILES": [],
    }
    call_command("generate_signing_key", stdout=io.StringIO())
    return checkpoints.signing_key()
