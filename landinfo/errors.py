"""Error answers outside the views: JSON on the machine paths, a page for people.

A program calling the JSON API, the OGC API, an export or a tile must get the JSON error
its document promises whatever goes wrong, also for a path no route matches
(`/api/parcels/-1`), a request Django refuses before any view (SuspiciousOperation:
too many fields, a GeoJSON geometry naming an external CRS) or a parameter
`PublicParametersMiddleware` refuses: an HTML page there breaks clients that parse the
body. Each machine path has one body shape, registered here by the app that serves it
(`register_machine_path`; parcels registers /ogc/, /exports/ and /tiles/ from its
AppConfig); /api/ is landinfo's own. schemathesis checks the shapes
(tests/landinfo/test_api_fuzz.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    DisallowedHost,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import defaults

from landinfo.formats import register_number

API_PREFIX = "/api/"

# The body of an error answer: (error code, message) -> JSON document.
ErrorBody = Callable[[str, str], dict[str, Any]]


def _api_body(code: str, detail: str) -> dict[str, Any]:
    # "error" too: the deed API's errors carry a code (transactions/deeds/api.py).
    return {"error": code, "detail": detail}


_MACHINE_PATHS: dict[str, ErrorBody] = {API_PREFIX: _api_body}


def register_machine_path(prefix: str, body: ErrorBody) -> None:
    """Answer errors under `prefix` (e.g. "/ogc") with JSON made by `body`."""
    _MACHINE_PATHS[prefix] = body


def machine_body(path: str) -> ErrorBody | None:
    """Return how errors under `path` are written, None for a path people read."""
    for prefix, body in _MACHINE_PATHS.items():
        if path.startswith(prefix):
            return body
    return None


def refusal(request: HttpRequest, status: int, code: str, detail: str) -> HttpResponse:
    """Answer `status` with `detail`: the path's JSON body, or a page for a person."""
    body = machine_body(request.path)
    if body is not None:
        return JsonResponse(body(code, detail), status=status)
    return render(
        request,
        "refused.html",
        {"title": _("This request cannot be answered"), "detail": detail},
        status=status,
    )


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Return a JSON 404 for a machine path, Django's own 404 page for any other."""
    if request.path.startswith(API_PREFIX):
        detail = _("No operation of the API has this path; /api/schema/ lists them.")
        return JsonResponse(_api_body("not_found", detail), status=404)
    body = machine_body(request.path)
    if body is not None:
        return JsonResponse(body("not_found", _("Nothing is served at this path.")), status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Return the 400 of a request Django refused (SuspiciousOperation), with its reason.

    Django's own page says only "Bad Request"; its messages ("GeoJSON input specified
    an external CRS.", "The number of GET/POST parameters exceeded ...") name what to
    change and hold nothing secret.
    """
    if isinstance(exception, DisallowedHost):
        return defaults.bad_request(request, exception)  # a page that needs no host
    if isinstance(exception, RequestDataTooBig):
        # Django's message names its setting, in English; say the limit in the reader's words.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 2**20
        return refusal(
            request,
            413,
            "too_large",
            _("The request's body is over %(size)s MB; send a smaller one.")
            % {"size": register_number(limit, 0)},
        )
    if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
        return refusal(
            request,
            400,
            "bad_request",
            _("The request has more fields or files than the register reads at once."),
        )
    # Django's other refusals are English; the reason is kept in English only.
    english = (translation.get_language() or "en").startswith("en")
    return refusal(
        request,
        400,
        "bad_request",
        (str(exception) if english else "") or _("The request is malformed."),
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """Return a JSON 500 on a machine path (the error is logged), Django's page elsewhere."""
    body = machine_body(request.path)
    if body is not None:
        return JsonResponse(
            body("server_error", _("The register could not answer; the error is logged.")),
            status=500,
        )
    return defaults.server_error(request)
