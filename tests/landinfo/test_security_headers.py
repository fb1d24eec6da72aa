"""Every answer carries a strict Content-Security-Policy and the browser security headers."""

import re

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    """Ask in English unless a test says otherwise: the messages are asserted in English."""
    settings.LANGUAGE_CODE = "en"


def directives(response) -> dict[str, list[str]]:
    """Return the response's CSP as {directive: sources}."""
    policy = response["Content-Security-Policy"]
    parsed = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


@pytest.mark.parametrize("path", ["/", "/verify/", "/accounts/login/", "/api/schema/", "/jsi18n/"])
def test_pages_and_apis_send_the_security_headers(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in policy
    csp = directives(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-eval'" not in csp["script-src"]
    assert all(s == "'self'" or s.startswith("'nonce-") for s in csp["script-src"])


def test_the_map_s_inline_script_carries_this_request_s_nonce(client):
    first, second = client.get("/"), client.get("/")
    nonces = []
    for response in (first, second):
        nonce = next(s for s in directives(response)["script-src"] if s.startswith("'nonce-"))
        nonce = nonce.removeprefix("'nonce-").removesuffix("'")
        html = response.content.decode()
        inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)([^>]*)>", html)
        assert inline, "the Leaflet map is started by an inline script"
        assert all(f'nonce="{nonce}"' in attributes for attributes in inline)
        nonces.append(nonce)
    assert nonces[0] != nonces[1]  # a nonce is never reused


def test_no_template_has_an_inline_event_handler_or_script_without_nonce():
    """Inline handlers (onclick=...) cannot carry a nonce: the policy would block them."""
    from pathlib import Path

    from django.conf import settings

    for template in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"\son[a-z]+=", text), template
        for attributes in re.findall(r"<script([^>]*)>", text):
            assert "src=" in attributes or "nonce=" in attributes, (template, attributes)


def test_the_admin_and_the_session_api_still_work():
    user = User.objects.create_superuser("headers-admin", password=None)
    user.groups.add(Group.objects.get(name="notary"))
    client = Client()
    client.force_login(user)
    assert client.get("/admin/").status_code == 200
    assert "Content-Security-Policy" in client.get("/admin/").headers
    # The deed APIs render JSON only (no browsable HTML to police): a session still reads them.
    answer = client.get("/api/parcels/999999/holders")
    assert answer.status_code == 404
    assert answer.json()["detail"] == "No parcel has the id 999999."
