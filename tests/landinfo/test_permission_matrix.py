"""Who may use which endpoint: every URL of the project × every role, as one table.

The table is checked against the URL resolver: a new URL without a row fails
`test_every_url_has_a_row_in_the_matrix`, so nobody adds an endpoint without saying
who may use it. The rules are DESIGN.md's "who uses it": the public reads public data;
notaries record deeds and read holders; registrars also correct, verify and export;
planners export; auditors verify. Admin URLs are covered as one row (the admin site
lets in staff only, and no role is staff).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import caches
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from parcels.models import ExportJob
from tests.factories import ParcelFactory, user_with_role
from tests.transactions.applications.test_pages import _parcel as held_parcel
from tests.transactions.applications.test_pages import file_mortgage

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "notary", "registrar", "planner", "auditor")

# Statuses, in the order of ROLES. 302 for a page is "sign in first"; 401 for the API.
ALL_200 = (200, 200, 200, 200, 200)
SIGNED_IN = (302, 200, 200, 200, 200)
NOTARIES = (302, 200, 200, 403, 403)  # record_deed
REGISTRARS = (302, 403, 200, 403, 403)  # correct_deed
PLANNERS = (302, 403, 200, 200, 403)  # export_layers
PLANNERS_400 = (302, 403, 400, 400, 403)
# An application another notary filed: only registrars read it.
APPLICATION_READERS = (302, 404, 200, 404, 404)
# The job belongs to another planner: only its owner (elsewhere) and registrars see it.
OTHERS_JOB = (302, 403, 200, 403, 403)

Ctx = dict[str, Any]
Row = tuple[Callable[[Ctx], str], dict[str, tuple[int, ...]]]


def _fixed(path: str) -> Callable[[Ctx], str]:
    """Return the builder of a path that needs nothing from the context."""
    return lambda c: path


# route (as the resolver spells it) -> (how to build a path, {method: statuses})
MATRIX: dict[str, Row] = {
    "": (lambda c: "/", {"GET": ALL_200}),
    "api/schema/": (lambda c: "/api/schema/", {"GET": ALL_200}),
    "i18n/setlang/": (lambda c: "/i18n/setlang/", {"POST": (302,) * 5}),
    "jsi18n/": (lambda c: "/jsi18n/", {"GET": ALL_200}),
    "accounts/login/": (
        lambda c: "/accounts/login/",
        # Signed in already: sent on. A POST with wrong credentials: the form again.
        {"GET": (200, 302, 302, 302, 302), "POST": (200, 302, 302, 302, 302)},
    ),
    "accounts/otp/": (lambda c: "/accounts/otp/", {"GET": (302,) * 5, "POST": (302,) * 5}),
    "accounts/logout/": (lambda c: "/accounts/logout/", {"GET": (405,) * 5, "POST": (302,) * 5}),
    "accounts/token/": (
        lambda c: "/accounts/token/",
        # A POST without an action (make, revoke) is refused.
        {"GET": SIGNED_IN, "POST": (302, 400, 400, 400, 400)},
    ),
    # An empty password form comes back with its errors.
    "accounts/password/": (lambda c: "/accounts/password/", {"GET": SIGNED_IN, "POST": SIGNED_IN}),
    # Registrars issue enrolment codes of authenticators; an empty form is refused.
    "accounts/enrolment-codes/": (
        lambda c: "/accounts/enrolment-codes/",
        {"GET": REGISTRARS, "POST": (302, 403, 400, 403, 403)},
    ),
    # Alerts (issue 18): anyone; an empty request is refused, an unknown link is a 404.
    "api/alerts/subscriptions": (
        _fixed("/api/alerts/subscriptions"),
        {"GET": (405,) * 5, "POST": (400,) * 5},
    ),
    "alerts/subscribe": (
        lambda c: f"/alerts/subscribe?parcel={c['parcel']}",
        {"GET": ALL_200, "POST": (404,) * 5},  # a POST naming no parcel
    ),
    "alerts/confirm/<str:token>": (
        _fixed("/alerts/confirm/not-a-token"),
        {"GET": (404,) * 5, "POST": (404,) * 5},
    ),
    "alerts/object/<str:token>": (
        _fixed("/alerts/object/not-a-token"),
        {"GET": (404,) * 5, "POST": (404,) * 5},
    ),
    "alerts/unsubscribe/<str:token>": (
        _fixed("/alerts/unsubscribe/not-a-token"),
        {"GET": (404,) * 5, "POST": (404,) * 5},
    ),
    "verify/": (lambda c: "/verify/", {"GET": ALL_200}),
    "verify/<str:code>": (lambda c: "/verify/NOT-A-CODE", {"GET": (400,) * 5}),  # malformed
    "verify/<anytext:code>": (lambda c: "/verify/NOT-A-CODE/", {"GET": (400,) * 5}),  # the same
    # An empty form, or a new job with no parameters, is refused 400 to those who may plan.
    "planner/": (lambda c: "/planner/", {"GET": PLANNERS, "POST": PLANNERS_400}),
    "planner/exports/": (lambda c: "/planner/exports/", {"GET": PLANNERS}),
    "planner/exports/new": (lambda c: "/planner/exports/new", {"GET": PLANNERS_400}),
    "planner/exports/<int:pk>/": (lambda c: f"/planner/exports/{c['job']}/", {"GET": OTHERS_JOB}),
    "planner/exports/<int:pk>.json": (
        lambda c: f"/planner/exports/{c['job']}.json",
        {"GET": OTHERS_JOB},
    ),
    "planner/exports/<int:pk>/download": (
        lambda c: f"/planner/exports/{c['job']}/download",
        {"GET": (302, 403, 404, 403, 403)},  # a registrar may; this job has no file yet
    ),
    "ogc": (lambda c: "/ogc", {"GET": ALL_200}),
    "ogc/": (lambda c: "/ogc/", {"GET": ALL_200}),
    "ogc/api": (lambda c: "/ogc/api", {"GET": ALL_200}),
    "ogc/conformance": (lambda c: "/ogc/conformance", {"GET": ALL_200}),
    "ogc/collections": (lambda c: "/ogc/collections", {"GET": ALL_200}),
    "ogc/collections/<str:name>": (lambda c: "/ogc/collections/parcels", {"GET": ALL_200}),
    "ogc/collections/<str:name>/queryables": (
        lambda c: "/ogc/collections/parcels/queryables",
        {"GET": ALL_200},
    ),
    "ogc/collections/<str:name>/schema": (
        lambda c: "/ogc/collections/parcels/schema",
        {"GET": ALL_200},
    ),
    "ogc/collections/<str:name>/items": (
        lambda c: "/ogc/collections/parcels/items",
        {"GET": ALL_200},
    ),
    "ogc/collections/<str:name>/items/<str:feature_id>": (
        lambda c: f"/ogc/collections/parcels/items/{c['parcel']}",
        {"GET": ALL_200},
    ),
    # OGC API – Tiles: public, as the map's tiles; the tile below is empty (204).
    "ogc/tileMatrixSets": (lambda c: "/ogc/tileMatrixSets", {"GET": ALL_200}),
    "ogc/tileMatrixSets/<str:tms>": (
        lambda c: "/ogc/tileMatrixSets/WebMercatorQuad",
        {"GET": ALL_200},
    ),
    "ogc/tiles/<str:tms>/style.json": (
        lambda c: "/ogc/tiles/WebMercatorQuad/style.json",
        {"GET": ALL_200},
    ),
    **{
        f"ogc/{prefix}tiles{suffix}": (
            _fixed(f"/ogc/{path}"),
            {"GET": statuses},
        )
        for prefix, base in (("", ""), ("collections/<str:name>/", "collections/parcels/"))
        for suffix, path, statuses in (
            ("", f"{base}tiles", ALL_200),
            ("/<str:tms>", f"{base}tiles/WebMercatorQuad", ALL_200),
            ("/<str:tms>/tilejson.json", f"{base}tiles/WebMercatorQuad/tilejson.json", ALL_200),
            (
                "/<str:tms>/<int:z>/<int:y>/<int:x>",
                f"{base}tiles/WebMercatorQuad/16/0/0",
                (204,) * 5,
            ),
        )
    },
    "api/ledger/checkpoints": (lambda c: "/api/ledger/checkpoints", {"GET": ALL_200}),
    # The transparency log is public; nothing is published in a fresh test database.
    "api/ledger/proof/inclusion": (
        lambda c: "/api/ledger/proof/inclusion?entry=1&size=1",
        {"GET": ALL_200},
    ),
    "api/ledger/proof/consistency": (
        lambda c: "/api/ledger/proof/consistency?from=0&to=1",
        {"GET": ALL_200},
    ),
    "tlog/checkpoint": (lambda c: "/tlog/checkpoint", {"GET": (404,) * 5}),
    r"^tlog/tile/entries/(?P<index>(?:x\d{3}/)*\d{3})(?:\.p/(?P<width>\d+))?$": (
        lambda c: "/tlog/tile/entries/000.p/1",
        {"GET": ALL_200},
    ),
    r"^tlog/tile/(?P<level>\d+)/(?P<index>(?:x\d{3}/)*\d{3})(?:\.p/(?P<width>\d+))?$": (
        lambda c: "/tlog/tile/0/000.p/1",
        {"GET": ALL_200},
    ),
    "api/transactions/": (
        lambda c: "/api/transactions/",
        # Not signed in: 401. Not a notary: 403. A notary's empty deed: 400 (no key).
        {"GET": (401, 405, 405, 405, 405), "POST": (401, 400, 400, 403, 403)},
    ),
    "api/parcels/<int:pk>/holders": (
        lambda c: f"/api/parcels/{c['parcel']}/holders",
        {"GET": (401, 200, 200, 403, 403)},
    ),
    "deeds/": (lambda c: "/deeds/", {"GET": NOTARIES}),
    **{
        f"deeds/{kind}/": (
            lambda c, kind=kind: f"/deeds/{kind}/?parcel={c['parcel']}",
            {"GET": NOTARIES, "POST": NOTARIES},
        )
        for kind in (
            "transfer",
            "first-registration",
            "mortgage",
            "discharge",
            "subdivision",
            "merge",
        )
    },
    "deeds/correction/": (
        lambda c: "/deeds/correction/",
        {"GET": REGISTRARS, "POST": REGISTRARS},
    ),
    "api/parcels/search": (lambda c: "/api/parcels/search?q=thua", {"GET": ALL_200}),
    "api/parcels/at": (lambda c: "/api/parcels/at?lon=0&lat=0", {"GET": (404,) * 5}),
    "api/parcels/<str:pk>": (lambda c: f"/api/parcels/{c['parcel']}", {"GET": ALL_200}),
    "api/parcels/<str:pk>/history": (
        lambda c: f"/api/parcels/{c['parcel']}/history",
        {"GET": ALL_200},
    ),
    "parcels/<int:pk>/certificate.pdf": (
        lambda c: f"/parcels/{c['parcel']}/certificate.pdf",
        {"GET": ALL_200},
    ),
    "tiles/parcels/<int:z>/<int:x>/<int:y>.mvt": (
        lambda c: "/tiles/parcels/16/0/0.mvt",
        {"GET": (204,) * 5},  # an empty tile
    ),
    "exports/<slug:layer>.<slug:fmt>": (
        lambda c: "/exports/admin_units.geojson",
        {"GET": ALL_200, "POST": (405,) * 5},
    ),
    # --- the applications' pages: the queue is the registrars'; an application's receipt
    # and file are its filer's (another notary here: 404, as if it did not exist) and the
    # registrars'; its status page is anyone's (without the code: the form).
    # The applications' API: notaries and registrars file (an empty body: 400, no key);
    # an application is read whole by its filer and registrars, by anyone with its code,
    # and is not found for everyone else; registrars decide (an empty decision: 400).
    "api/applications/": (
        lambda c: "/api/applications/",
        {"GET": (401, 405, 405, 405, 405), "POST": (401, 400, 400, 403, 403)},
    ),
    "api/applications/<int:receipt_number>": (
        lambda c: f"/api/applications/{c['application']}",
        {"GET": (404, 404, 200, 404, 404), "POST": (405,) * 5},
    ),
    "api/applications/<int:receipt_number>/decision": (
        lambda c: f"/api/applications/{c['application']}/decision",
        {"GET": (401, 405, 405, 405, 405), "POST": (401, 403, 400, 403, 403)},
    ),
    # Only the filer withdraws (elsewhere); others are told it is not theirs.
    "api/applications/<int:receipt_number>/withdrawal": (
        lambda c: f"/api/applications/{c['application']}/withdrawal",
        {"GET": (401, 405, 405, 405, 405), "POST": (401, 404, 403, 404, 404)},
    ),
    "applications/": (lambda c: "/applications/", {"GET": REGISTRARS}),
    "applications/status": (lambda c: "/applications/status", {"GET": ALL_200}),
    "applications/<int:receipt>/": (
        lambda c: f"/applications/{c['application']}/",
        # A registrar's empty POST: "choose a decision", back to the file.
        {"GET": APPLICATION_READERS, "POST": (302, 404, 302, 404, 404)},
    ),
    "applications/<int:receipt>/receipt": (
        lambda c: f"/applications/{c['application']}/receipt",
        {"GET": APPLICATION_READERS},
    ),
    "applications/<int:receipt>/receipt.pdf": (
        lambda c: f"/applications/{c['application']}/receipt.pdf",
        {"GET": APPLICATION_READERS},
    ),
    "applications/<int:receipt>/status": (
        lambda c: f"/applications/{c['application']}/status",
        {"GET": ALL_200},
    ),
    "applications/<int:receipt>/document": (
        lambda c: f"/applications/{c['application']}/document",
        {"GET": (302, 404, 404, 404, 404)},  # none was stored
    ),
}

# The admin site, as one row of representative pages: staff only, and no role is staff.
ADMIN_PAGES = {
    "/admin/": (302,) * 5,
    "/admin/login/": ALL_200,  # signed in but not staff: the page says so
    "/admin/auth/user/": (302,) * 5,
    "/admin/transactions/journalentry/": (302,) * 5,
}


def _routes(
    patterns: list[Any], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str]]:
    """Yield (route, namespace) of every URL pattern, walking included resolvers."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or namespace
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), namespace


def test_every_url_has_a_row_in_the_matrix():
    routes = list(_routes(get_resolver().url_patterns))
    admin = {route for route, namespace in routes if namespace == "admin"}
    others = {route for route, namespace in routes if namespace != "admin"}
    assert admin and all(route.startswith("admin/") for route in admin)
    assert others - MATRIX.keys() == set(), "new URLs: add them to MATRIX with who may use them"
    assert MATRIX.keys() - others == set(), "rows for URLs that no longer exist"


@pytest.fixture
def context() -> Ctx:
    caches["ratelimit"].clear()  # the matrix is about roles, not about request counts
    parcel = ParcelFactory(valid_from=dt.date(2000, 1, 1))
    owner = User.objects.create_user("planner-who-asked")
    owner.groups.add(Group.objects.get(name="planner"))
    job = ExportJob.objects.create(requested_by=owner, layer="parcels", format="geojson")
    filer = user_with_role("notary", "matrix-filer")
    application = file_mortgage(held_parcel(filer), filer)
    return {
        "parcel": parcel.pk,
        "job": job.pk,
        "owner": owner,
        "application": application.receipt_number,
    }


def _client(role: str) -> Client:
    client = Client()
    if role != "anonymous":
        user = User.objects.create_user(f"matrix-{role}")  # no password: no slow hashing
        user.groups.add(Group.objects.get(name=role))
        client.force_login(user)
    return client


def _cases() -> Iterator[Any]:
    for route, (_path, methods) in MATRIX.items():
        for method in methods:
            yield pytest.param(route, method, id=f"{method} /{route}")


@pytest.mark.parametrize(("route", "method"), list(_cases()))
def test_each_role_gets_what_the_matrix_says(route, method, context):
    build, methods = MATRIX[route]
    path = build(context)
    got = []
    for role in ROLES:
        client = _client(role)
        if method == "GET":
            response = client.get(path)
        else:
            response = (
                client.post(path, {}, content_type="application/json")
                if path.startswith("/api/")
                else client.post(path, {})
            )
        got.append(response.status_code)
        # Set aside, not deleted: a page that showed personal data recorded the read,
        # and the record keeps its reader.
        User.objects.filter(username=f"matrix-{role}").update(username=f"matrix-{role}-{method}")
    assert dict(zip(ROLES, got, strict=True)) == dict(zip(ROLES, methods[method], strict=True))


@pytest.mark.parametrize(("path", "expected"), list(ADMIN_PAGES.items()))
def test_the_admin_lets_in_no_role(path, expected):
    got = []
    for role in ROLES:
        got.append(_client(role).get(path).status_code)
        User.objects.filter(username=f"matrix-{role}").delete()
    assert dict(zip(ROLES, got, strict=True)) == dict(zip(ROLES, expected, strict=True))


def test_the_planner_who_asked_for_an_export_sees_it(context):
    client = Client()
    client.force_login(context["owner"])
    assert client.get(f"/planner/exports/{context['job']}/").status_code == 200
    assert client.get(f"/planner/exports/{context['job']}.json").status_code == 200
