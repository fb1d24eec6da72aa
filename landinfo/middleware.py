"""Middleware of the project itself."""

import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import cc_delim_re
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from landinfo.errors import machine_body, refusal
from landinfo.params import refusal_of_text

logger = logging.getLogger(__name__)

# Seconds a client is asked to wait when the database refused or dropped its connection.
DATABASE_RETRY_AFTER = 5


class LanguageNeutralMiddleware:
    """Drop `Vary: Accept-Language` from responses a view marked `language_neutral`.

    LocaleMiddleware adds the header to every response; on tiles it would split every
    cache (nginx, a CDN, the browser) by language for bytes that never change with it.
    Listed before LocaleMiddleware, so it sees the response after it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(response, "language_neutral", False) and response.has_header("Vary"):
            kept = [
                field
                for field in cc_delim_re.split(response["Vary"])
                if field and field.lower() != "accept-language"
            ]
            if kept:
                response["Vary"] = ", ".join(kept)
            else:
                del response["Vary"]
        return response


class PublicParametersMiddleware:
    """Refuse, with a 400, a path or query parameter holding what PostgreSQL text cannot.

    One guard for every endpoint, before any view: a NUL character in a filter, a
    feature id or a search reached psycopg2, which raises ValueError (a 500), and a
    new parameter of a new view would again. The answer is the path's JSON error
    (landinfo.errors), or a page for a person.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        reason = refusal_of_text(_("The address"), request.path)
        for name, values in request.GET.lists():
            for text in (name, *values):
                reason = reason or refusal_of_text(_("Parameter %(name)r") % {"name": name}, text)
        if reason is not None:
            return refusal(request, 400, "invalid_parameter", reason)
        return self.get_response(request)


class AbsoluteLocationMiddleware:
    """Make the Location of every redirect an absolute URL.

    Django writes relative ones (`/ogc/` for APPEND_SLASH, the export's 303, sign-in
    redirects); RFC 9110 allows them, but QGIS 3.22 does not resolve them ("Protocol
    "" is unknown") and other GIS clients follow them no better. Listed first, so it
    sees every response last.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        location = response.get("Location")
        if location and not urlsplit(location).scheme:
            response["Location"] = request.build_absolute_uri(location)
        return response


class DatabaseUnavailableMiddleware:
    """Answer 503 with Retry-After when the database refuses, drops or cancels a request.

    Out of connections, restarting, failing over, or cancelling a statement: the
    request did nothing (a deed's durable transaction rolled back) and may be sent
    again, with the same Idempotency-Key for a deed. A 500 said the server was broken
    and to stop trying; this says when to come back.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError):
            return None
        logger.error("Database unavailable for %s: %s", request.path, exception)
        detail = _(
            "The register's database is busy or unavailable; nothing was changed. Try again in a few seconds."
        )
        response: HttpResponse
        body = machine_body(request.path)
        if body is not None:
            response = JsonResponse(body("unavailable", detail), status=503)
        else:
            # No template: the site's pages read the session (the database) to draw
            # their header, and would fail again.
            response = HttpResponse(
                format_html(
                    '<!doctype html><html lang="{}"><meta charset="utf-8"><title>{}</title>'
                    "<h1>{}</h1><p>{}</p></html>",
                    get_language(),
                    _("Try again shortly"),
                    _("Try again shortly"),
                    detail,
                ),
                status=503,
            )
        response["Retry-After"] = str(DATABASE_RETRY_AFTER)
        response["Cache-Control"] = "no-store"
        return response
