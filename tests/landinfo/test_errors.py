"""Errors outside the views are JSON of the documented shape on every machine path."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import ParcelFactory, current_entry, user_with_role
from tests.transactions.deeds.test_deeds_api import (
    DAY,
    _halves,
    as_user,
    person,
    post,
    register,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    """Ask in English unless a test says otherwise: the messages are asserted in English."""
    settings.LANGUAGE_CODE = "en"


def test_a_deed_whose_geometry_names_an_external_crs_is_a_json_400(client: Any):
    notary = user_with_role("notary")
    # Was Django's HTML "Bad Request (400)" page: GEOS raises SuspiciousOperation.
    parcel = ParcelFactory()
    as_user(client, notary)
    register(client, parcel, (person("A B", 1), "1/1"))
    children = _halves(parcel)
    for child in children:
        child["boundary"]["crs"] = {"type": "link", "properties": {"href": "http://x/crs"}}
    body = {
        "kind": "subdivision",
        "parcel": parcel.pk,
        "effective_date": DAY,
        "expected_last_entry": current_entry(parcel.pk),
        "children": children,
    }
    response = post(client, body)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "external CRS" in response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "keys"),
    [
        ("/ogc/collections/parcels/items", {"code", "description"}),
        ("/exports/parcels.csv", {"error", "detail"}),
        ("/tiles/parcels/16/0/0.mvt", {"detail"}),
        ("/api/parcels/search", {"error", "detail"}),
    ],
)
def test_a_request_django_refuses_is_json_on_machine_paths(client: Any, path: str, keys: set):
    # More fields than DATA_UPLOAD_MAX_NUMBER_FIELDS: Django refuses before any view.
    query = "&".join(f"f{n}=1" for n in range(1100))
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400
    assert keys <= response.json().keys()


def test_an_ogc_path_nothing_serves_is_a_json_404(client: Any):
    response = client.get("/ogc/collections/parcels/items/1/more")
    assert response.status_code == 404
    assert response.json()["code"] == "NotFound"
