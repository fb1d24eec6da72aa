"""The home page and the admin serve the register."""

import pytest
from django.urls import reverse

from tests.factories import AdministrativeUnitFactory, ParcelFactory, square

pytestmark = [pytest.mark.django_db, pytest.mark.every_profile]


def test_home_page_shows_the_map_and_counts_current_parcels(client):
    unit = AdministrativeUnitFactory(boundary=square(0, 0, size=500.0))
    ParcelFactory.create_batch(3, admin_unit=unit)
    response = client.get(reverse("parcels:home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="map"' in body
    assert "leaflet" in body.lower()
    assert unit.code in body  # the commune outline is on the map
    assert response.context["summary"]["current"] == 3


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
