"""Middleware of the project itself."""

import logging
from collections.abc import Callable

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import cc_delim_re
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from landinfo.security import wants_json

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
        if wants_json(request):
            response = JsonResponse({"error": "unavailable", "detail": detail}, status=503)
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
