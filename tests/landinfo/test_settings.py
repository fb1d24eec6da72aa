"""Settings fail fast with a message that says what to change."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_profile_sets_the_register_time_zone():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.TIME_ZONE)",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "landinfo.settings", "LANDINFO_PROFILE": "kr"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["Asia/Seoul"]


def test_a_time_zone_other_than_the_profile_s_is_refused():
    result = _load_settings(LANDINFO_PROFILE="kr", DJANGO_TIME_ZONE="Asia/Ho_Chi_Minh")
    assert result.returncode != 0
    assert "differs from the time zone of the 'kr' profile (Asia/Seoul)" in result.stderr


def _check_deploy(**env: str) -> subprocess.CompletedProcess[str]:
    """Run `manage.py check --deploy` failing on warnings, as a deployer would."""
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "landinfo.settings",
            "DJANGO_DEBUG": "false",
            # 64 characters of varied text, like the one scripts/setup writes.
            "DJANGO_SECRET_KEY": "q8Xv2LmZ7pRt4NwY9sKc3HbJ6dFg1AeU5iOo0yTr8MnBxCzVlQkWjPhGfDsa2Ee7",
            "DJANGO_ALLOWED_HOSTS": "landinfo.example.gov.vn",
            # Debian 12's GDAL 3.6 (expected here; the docker image has a newer one).
            "DJANGO_SILENCED_SYSTEM_CHECKS": "gis.W001",
            **env,
        },
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_settings_pass_check_deploy():
    result = _check_deploy(DJANGO_HTTPS="true", DJANGO_BEHIND_TLS_PROXY="true")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


def test_check_deploy_names_what_is_missing_without_https():
    result = _check_deploy(DJANGO_HTTPS="false")
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


def test_https_setting_redirects_plain_http_and_trusts_the_proxy_only_when_told(settings):
    from django.test import Client

    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.ALLOWED_HOSTS = ["landinfo.example.gov.vn"]
    plain = Client(HTTP_HOST="landinfo.example.gov.vn").get("/api/schema/")
    assert plain.status_code == 301
    assert plain["Location"] == "https://landinfo.example.gov.vn/api/schema/"

    # Without SECURE_PROXY_SSL_HEADER a forged X-Forwarded-Proto is not believed.
    forged = Client(HTTP_HOST="landinfo.example.gov.vn").get(
        "/api/schema/", HTTP_X_FORWARDED_PROTO="https"
    )
    assert forged.status_code == 301

    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    proxied = Client(HTTP_HOST="landinfo.example.gov.vn").get(
        "/api/schema/", HTTP_X_FORWARDED_PROTO="https"
    )
    assert proxied.status_code == 200
    assert proxied["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.django_db
def test_a_database_made_under_another_profile_is_refused_with_a_message():
    from django.conf import settings

    db = settings.DATABASES["default"]
    other = "kr" if settings.LANDINFO["PROFILE"] == "vn" else "vn"
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from parcels.models import Parcel; print(Parcel.objects.count())",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "landinfo.settings",
            "LANDINFO_PROFILE": other,
            "DATABASE_URL": (
                f"postgis://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
            ),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert f"LANDINFO_PROFILE={other!r}" in result.stderr
    assert "made under another profile" in result.stderr
