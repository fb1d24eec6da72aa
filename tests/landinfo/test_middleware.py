"""The project's middleware: absolute redirects for every client."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from parcels.models import ExportJob
from tests.factories import ParcelFactory
from tests.landinfo.test_permission_matrix import MATRIX

pytestmark = pytest.mark.django_db


def _redirects(client: Client, urls: list[str]) -> list[tuple[str, str]]:
    """Return (url, Location) of every redirect among the answers to `urls`."""
    found = []
    for url in urls:
        for method in ("GET", "POST"):
            response = client.generic(method, url)
            if 300 <= response.status_code < 400:
                found.append((f"{method} {url}", response["Location"]))
    return found


@pytest.mark.parametrize("role", ["anonymous", "notary"])
def test_every_redirect_of_every_route_has_an_absolute_location(role: str, settings: Any) -> None:
    # Exports above this many features are sent to the planner's page (a 303).
    settings.LANDINFO = {**settings.LANDINFO, "EXPORT_SYNC_MAX_FEATURES": 0}
    settings.RATELIMIT_ENABLE = False
    parcel = ParcelFactory()
    planner = User.objects.create_user("redirect-planner")
    job = ExportJob.objects.create(requested_by=planner, layer="parcels", format="csv")
    context = {"parcel": parcel.pk, "job": job.pk, "application": 1}
    client = Client()
    if role != "anonymous":
        user = User.objects.create_user(f"redirect-{role}")
        user.groups.add(Group.objects.get(name=role))
        client.force_login(user)
    urls = [build(context) for build, _methods in MATRIX.values()]
    # APPEND_SLASH answers each slash-ended route asked without its slash.
    urls += [url.rstrip("/") for url in urls if url.endswith("/") and url != "/"]
    redirects = _redirects(client, urls)
    assert any("/exports/" in url for url, _ in redirects)  # the 303 to the planner
    assert any(url.endswith("/deeds") or "login" in location for url, location in redirects)
    relative = [(url, location) for url, location in redirects if not urlsplit(location).scheme]
    assert not relative
    assert all(location.startswith("http://testserver/") for _, location in redirects)


def test_the_ogc_landing_page_answers_without_its_slash(client: Any) -> None:
    # QGIS 3.22 could not follow the redirect /ogc -> /ogc/ ("Protocol "" is unknown").
    bare, slashed = client.get("/ogc"), client.get("/ogc/")
    assert bare.status_code == slashed.status_code == 200
    assert bare.json() == slashed.json()
    links = {link["rel"]: link["href"] for link in bare.json()["links"]}
    assert links["data"] == "http://testserver/ogc/collections"
    assert links["service-desc"] == "http://testserver/ogc/api"
