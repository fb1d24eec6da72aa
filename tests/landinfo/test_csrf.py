"""Every form that a session POSTs to is refused without the CSRF token, and taken with it.

The token-authenticated deed API stays CSRF-exempt (DRF: a token is not sent by the
browser on its own, so it cannot be ridden), but the same API used with a session
cookie needs the token like any form.
"""

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import caches
from django.test import Client

from tests.factories import ParcelFactory, api_token_for
from tests.landinfo.test_permission_matrix import MATRIX

pytestmark = pytest.mark.django_db

# route (as in the permission matrix) -> the path a session POSTs to.
FORMS = {
    "accounts/login/": "/accounts/login/",
    "accounts/logout/": "/accounts/logout/",
    "accounts/otp/": "/accounts/otp/",
    "accounts/token/": "/accounts/token/",
    "accounts/password/": "/accounts/password/",
    "accounts/enrolment-codes/": "/accounts/enrolment-codes/",
    "i18n/setlang/": "/i18n/setlang/",
    "planner/": "/planner/",
    "deeds/transfer/": "/deeds/transfer/?parcel={parcel}",
    "deeds/first-registration/": "/deeds/first-registration/?parcel={parcel}",
    "deeds/mortgage/": "/deeds/mortgage/?parcel={parcel}",
    "deeds/discharge/": "/deeds/discharge/?parcel={parcel}",
    "deeds/subdivision/": "/deeds/subdivision/?parcel={parcel}",
    "deeds/merge/": "/deeds/merge/?parcel={parcel}",
    "deeds/correction/": "/deeds/correction/",
    "api/transactions/": "/api/transactions/",
    "api/applications/": "/api/applications/",
    "api/applications/<int:receipt_number>/decision": "/api/applications/1/decision",
    "api/applications/<int:receipt_number>/withdrawal": "/api/applications/1/withdrawal",
    "applications/<int:receipt>/": "/applications/1/",
    # The alerts' forms are anonymous, and still carry the token (a session may exist).
    "alerts/subscribe": "/alerts/subscribe?parcel={parcel}",
    "alerts/confirm/<str:token>": "/alerts/confirm/not-a-token",
    "alerts/object/<str:token>": "/alerts/object/not-a-token",
    "alerts/unsubscribe/<str:token>": "/alerts/unsubscribe/not-a-token",
}
# POST routes that write nothing and answer 405 whatever the token (csrf_exempt on purpose).
# The anonymous subscriptions API reads no session or token (nothing a browser sends on its
# own): there is nothing to ride, as for any anonymous JSON API.
NO_FORM = {
    "exports/<slug:layer>.<slug:fmt>",
    "api/applications/<int:receipt_number>",
    "api/alerts/subscriptions",
}
CSRF_FAILURE = b"CSRF"


def test_every_post_route_of_the_matrix_is_checked_here():
    posted = {route for route, (_build, methods) in MATRIX.items() if "POST" in methods}
    assert posted - NO_FORM == set(FORMS)


@pytest.fixture
def registrar_client() -> Client:
    """A registrar (every deed form, the planner) whose client enforces CSRF like a browser."""
    caches["ratelimit"].clear()
    user = User.objects.create_user("csrf-registrar")
    user.groups.add(Group.objects.get(name="registrar"))
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def _token(client: Client) -> str:
    client.get("/deeds/")  # renders {% csrf_token %}: sets the cookie
    return client.cookies["csrftoken"].value


@pytest.mark.parametrize("route", sorted(FORMS))
def test_a_post_without_the_token_is_refused_and_with_it_is_not(route, registrar_client):
    path = FORMS[route].format(parcel=ParcelFactory().pk)
    refused = registrar_client.post(path, {})
    assert refused.status_code == 403
    assert CSRF_FAILURE in refused.content
    token = _token(registrar_client)
    if route.startswith("api/"):
        taken = registrar_client.post(
            path, {}, content_type="application/json", HTTP_X_CSRFTOKEN=token
        )
    else:
        taken = registrar_client.post(path, {"csrfmiddlewaretoken": token})
    assert not (taken.status_code == 403 and CSRF_FAILURE in taken.content), taken.content[:300]


def test_the_admin_login_needs_the_token():
    client = Client(enforce_csrf_checks=True)
    refused = client.post("/admin/login/", {"username": "x", "password": "y"})
    assert refused.status_code == 403
    assert CSRF_FAILURE in refused.content
    client.get("/admin/login/")
    token = client.cookies["csrftoken"].value
    taken = client.post(
        "/admin/login/", {"username": "x", "password": "y", "csrfmiddlewaretoken": token}
    )
    assert taken.status_code == 200  # the form again, with its error


def test_the_deed_api_with_a_token_needs_no_csrf_token():
    user = User.objects.create_user("csrf-api-notary")
    user.groups.add(Group.objects.get(name="notary"))
    key = api_token_for(user)
    client = Client(enforce_csrf_checks=True)
    answer = client.post(
        "/api/transactions/", {}, content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}"
    )
    assert answer.status_code == 400  # refused for its missing Idempotency-Key, not for CSRF
    assert answer.json()["error"] == "idempotency_key_missing"


def test_the_deed_api_with_a_session_needs_the_csrf_token(registrar_client):
    refused = registrar_client.post("/api/transactions/", {}, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
