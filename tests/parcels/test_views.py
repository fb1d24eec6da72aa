"""The home page and the admin serve the register."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import reverse

from tests.factories import ParcelFactory

pytestmark = [pytest.mark.django_db, pytest.mark.every_profile]

LOCALE = Path(settings.BASE_DIR) / "locale"


@pytest.fixture(scope="module")
def compiled_messages():
    """Compile the message catalogues when a .po is newer than its .mo (`make test` does too)."""
    stale = [
        po
        for po in LOCALE.glob("*/LC_MESSAGES/*.po")
        if not po.with_suffix(".mo").exists()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if stale:
        call_command("compilemessages", ignore_patterns=[".venv", "var"], verbosity=0)


def _config(response) -> dict[str, object]:
    match = re.search(
        r'<script id="landinfo-config" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.DOTALL,
    )
    assert match, "the page hands its configuration to map.js"
    return json.loads(match.group(1))


def test_home_page_is_the_map_with_search_date_and_language_controls(client, profile):
    response = client.get(reverse("parcels:home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="map"' in body
    assert 'id="search-input"' in body and 'role="combobox"' in body
    assert 'id="as-of-input"' in body and 'type="date"' in body
    assert f'action="{reverse("set_language")}"' in body
    assert 'name="csrfmiddlewaretoken"' in body
    for code, _name in settings.LANGUAGES:
        assert f'<option value="{code}"' in body
    config = _config(response)
    assert config["profile"]["key"] == profile.key
    assert config["view"]["center"] == list(profile.map_center)
    assert config["urls"]["tiles"] == "/tiles/parcels/{z}/{x}/{y}.mvt"
    assert config["urls"]["detail"] == "/api/parcels/{pk}"
    assert config["urls"]["history"] == "/api/parcels/{pk}/history"
    assert config["urls"]["certificate"] == "/parcels/{pk}/certificate.pdf"
    assert set(config["landUses"]) == profile.land_use_codes
    assert config["tiles"]["parcelsMinZoom"] >= 14


def test_home_page_makes_no_query_whatever_the_register_holds(
    client, django_assert_max_num_queries
):
    ParcelFactory.create_batch(3)
    # Parcels come to the map as tiles and sheets from the API; the page itself is static
    # but for the session and CSRF machinery.
    with django_assert_max_num_queries(0):
        assert client.get(reverse("parcels:home")).status_code == 200


def test_every_script_and_stylesheet_is_served_by_the_site(client):
    body = client.get(reverse("parcels:home")).content.decode()
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', body)
    assert any("leaflet/leaflet.js" in s for s in sources)
    assert any("Leaflet.VectorGrid.bundled.min.js" in s for s in sources)
    assert any("parcels/map.js" in s for s in sources)
    assert any(s == reverse("javascript-catalog") for s in sources)
    outside = [s for s in sources if re.match(r"^(https?:)?//", s)]
    assert outside == [], "no CDN: the map must work without the internet"
    assert "fonts.googleapis" not in body


def test_vendored_scripts_ship_with_their_licences():
    for path in (
        "vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js",
        "vendor/leaflet.vectorgrid/LICENSE",
        "vendor/leaflet.vectorgrid/README.md",
        "vendor/leaflet/LICENSE",
        "leaflet/leaflet.js",
    ):
        assert finders.find(path), path
    licence = Path(finders.find("vendor/leaflet.vectorgrid/LICENSE")).read_text()
    assert "BEER-WARE" in licence and "Mapbox" in licence
    assert "Vladimir Agafonkin" in Path(finders.find("vendor/leaflet/LICENSE")).read_text()


def test_base_map_is_offered_only_when_configured(client, settings):
    assert _config(client.get(reverse("parcels:home")))["basemap"] is False
    settings.LEAFLET_CONFIG = {
        **settings.LEAFLET_CONFIG,
        "TILES": [("Base map", "http://127.0.0.1:8080/{z}/{x}/{y}.png", "© test")],
    }
    assert _config(client.get(reverse("parcels:home")))["basemap"] is True


@pytest.mark.parametrize(
    ("language", "label", "search_label"),
    [("vi", "Thửa đất", "Tìm kiếm"), ("ko", "필지", "검색"), ("en", "Parcel", "Search")],
)
def test_home_page_speaks_the_language_the_browser_asks_for(
    client, compiled_messages, language, label, search_label
):
    response = client.get(reverse("parcels:home"), headers={"accept-language": language})
    body = response.content.decode()
    assert f'<html lang="{language}">' in body
    assert f">{label}</p>" in body
    assert f'aria-label="{search_label}"' in body


def test_language_switch_returns_to_the_same_view(client, compiled_messages):
    next_url = "/?parcel=12&as_of=2019-01-01#17/21.02/105.83"
    response = client.post(reverse("set_language"), {"language": "ko", "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == "http://testserver" + next_url
    body = client.get(reverse("parcels:home")).content.decode()
    assert '<html lang="ko">' in body


def test_javascript_catalogue_translates_the_map_strings(client, compiled_messages):
    response = client.get(reverse("javascript-catalog"), headers={"accept-language": "ko"})
    body = response.content.decode()
    assert response.status_code == 200
    assert '"Registered area"' in body
    assert json.dumps("공부상 면적") in body or "공부상 면적" in body


def test_admin_lists_parcels_and_journal_is_read_only(admin_client):
    parcel = ParcelFactory()
    response = admin_client.get(reverse("admin:parcels_parcel_changelist"))
    assert response.status_code == 200
    assert parcel.identifier in response.content.decode()
    assert (
        admin_client.get(reverse("admin:parcels_parcel_change", args=[parcel.pk])).status_code
        == 200
    )
    assert admin_client.get(reverse("admin:transactions_journalentry_add")).status_code == 403


def test_schema_endpoint_serves_openapi(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"openapi" in response.content
