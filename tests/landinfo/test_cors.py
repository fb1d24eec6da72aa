"""CORS: the public reads answer pages of any site, without credentials; nothing else does.

Every URL of the permission matrix is asked with an Origin, so a new endpoint is on one
side or the other by the settings' CORS_URLS_REGEX, and this table says which it must be.
"""

import pytest
from django.test import Client

from tests.landinfo.test_permission_matrix import MATRIX, context  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

ORIGIN = "https://maps.example.org"
# The routes (as the permission matrix spells them) that pages of other sites may read.
PUBLIC_READS = {
    "api/schema/",
    "api/parcels/search",
    "api/parcels/at",
    "api/parcels/<str:pk>",
    "api/parcels/<str:pk>/history",
    "api/ledger/checkpoints",
    # The transparency log: a monitor or a verifier in a page of another site reads it.
    "api/ledger/proof/inclusion",
    "api/ledger/proof/consistency",
    *(route for route in MATRIX if route.startswith(("tlog/", "^tlog/"))),
    "tiles/parcels/<int:z>/<int:x>/<int:y>.mvt",
    "exports/<slug:layer>.<slug:fmt>",
    *(route for route in MATRIX if route == "ogc" or route.startswith("ogc/")),
}
EXPOSED = {"content-crs", "etag", "link", "retry-after"}


def _cases():
    for route, (_build, methods) in MATRIX.items():
        method = "GET" if "GET" in methods else next(iter(methods))
        yield pytest.param(route, method, id=f"{method} /{route}")


@pytest.mark.parametrize(("route", "method"), list(_cases()))
def test_only_public_reads_answer_another_origin(route, method, context):  # noqa: F811
    path = MATRIX[route][0](context)
    client = Client(HTTP_ORIGIN=ORIGIN)
    response = client.get(path) if method == "GET" else client.post(path, {})
    assert "Access-Control-Allow-Credentials" not in response
    if route in PUBLIC_READS:
        assert response["Access-Control-Allow-Origin"] == "*"
        exposed = {h.strip().lower() for h in response["Access-Control-Expose-Headers"].split(",")}
        assert exposed >= EXPOSED
    else:
        assert "Access-Control-Allow-Origin" not in response


@pytest.mark.parametrize(
    "path",
    [
        "/ogc/collections/parcels/items?limit=5",
        "/ogc",
        "/tiles/parcels/16/0/0.mvt",
        "/ogc/tiles/WebMercatorQuad/16/0/0",
        "/api/parcels/search?q=1",
        "/exports/admin_units.geojson",
    ],
)
def test_preflight_of_a_public_read_allows_get_head_and_options_without_credentials(path):
    response = Client(HTTP_ORIGIN=ORIGIN).options(
        path,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="accept-language, if-none-match",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    # POST for a CQL2 JSON filter to /ogc/.../items (a read); no path listed here writes.
    assert response["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS, POST"
    allowed = {h.strip() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"accept-language", "if-none-match"} <= allowed
    assert not allowed & {"authorization", "x-csrftoken", "cookie"}
    assert "Access-Control-Allow-Credentials" not in response


@pytest.mark.parametrize(
    "path",
    [
        "/api/transactions/",
        "/api/parcels/1/holders",
        "/accounts/login/",
        "/accounts/token/",
        "/admin/",
        "/admin/login/",
        "/deeds/transfer/",
        "/planner/exports/new",
        "/i18n/setlang/",
    ],
)
def test_preflight_of_a_write_sign_in_admin_or_personal_data_is_not_allowed(path):
    for method in ("POST", "GET"):
        response = Client(HTTP_ORIGIN=ORIGIN).options(
            path,
            HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type, authorization",
        )
        assert "Access-Control-Allow-Origin" not in response
        assert "Access-Control-Allow-Methods" not in response


def test_a_request_without_origin_gets_no_cors_headers_but_caches_are_told_to_vary():
    # The register's own map sends no Origin: the same tile without the headers, and
    # Vary: Origin so that a shared cache keeps the two answers apart.
    response = Client().get("/tiles/parcels/16/0/0.mvt")
    assert "Access-Control-Allow-Origin" not in response
    assert "origin" in response["Vary"].lower()
