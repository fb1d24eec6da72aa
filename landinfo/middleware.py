"""Middleware of the project itself."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import cc_delim_re


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
