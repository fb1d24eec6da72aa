"""Settings fail fast with a message that says what to change."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _load_settings(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "landinfo.settings", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_unknown_profile_is_refused_with_the_known_ones():
    result = _load_settings(LANDINFO_PROFILE="fr")
    assert result.returncode != 0
    assert "LANDINFO_PROFILE='fr' is not a known profile" in result.stderr
    assert "['kr', 'vn']" in result.stderr


def test_missing_secret_key_is_refused_outside_debug():
    result = _load_settings(DJANGO_SECRET_KEY="", DJANGO_DEBUG="false")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is empty" in result.stderr


def test_profile_sets_language_and_storage_srid():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "from landinfo.srid import STORAGE_SRID; print(settings.LANGUAGE_CODE, STORAGE_SRID)",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "landinfo.settings", "LANDINFO_PROFILE": "kr"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["ko", "5186"]
