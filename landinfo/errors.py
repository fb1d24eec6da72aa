"""The answer to a URL nothing serves: JSON under /api/, Django's page elsewhere.

A program calling the JSON API must get JSON back whatever it asks, also for a path
no route matches (`/api/parcels/-1`, `/api/parcels/abc`): an HTML page there breaks
clients that parse the body, and the OpenAPI document promises `{"detail": "..."}`
(`{"error", "detail"}` in the deed API) for every 404 of the API; schemathesis checks
it (tests/landinfo/test_api_fuzz.py).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

API_PREFIX = "/api/"


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Return a JSON 404 for a path under /api/, Django's own 404 page for any other."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse(
            # "error" too: the deed API's errors carry a code (transactions/deeds_api.py).
            {
                "error": "not_found",
                "detail": "No operation of the API has this path; /api/schema/ lists them.",
            },
            status=404,
        )
    return defaults.page_not_found(request, exception)
