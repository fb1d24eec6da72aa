"""The public JSON API of the parcel register: search; and what every public endpoint shares.

Thin views: read and check the query parameters, call one selector, map "nothing
there" to 404. Every error is `{"detail": "..."}` with a message a person can act on
(DRF renders its APIException that way). The parcel's sheet, history and the parcel at
a point combine the parcel with its rights: they are served by transactions.api, with
the conventions defined here (`public_endpoint`, the query readers, the documented
parameters and errors).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    renderer_classes,
)
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from landinfo import params as public
from landinfo.profiles.text import quote_input
from landinfo.security import rate_limited
from parcels import selectors, serializers
from parcels.search import engine

AS_OF = OpenApiParameter(
    "as_of",
    OpenApiTypes.DATE,
    description="The register as it stood on this day (YYYY-MM-DD); today when absent.",
)
KNOWN_AT = OpenApiParameter(
    "known_at",
    OpenApiTypes.DATETIME,
    description="The register as it knew things at this moment (ISO 8601, e.g. "
    "2024-03-02T09:00:00+07:00; without an offset, in the register's time zone): deeds "
    "recorded later, and corrections recorded later, are left out. With `as_of`, who "
    "held the parcel on that day as the register knew it then. Now when absent.",
)
ERRORS = {
    400: OpenApiResponse(serializers.ErrorSerializer, description="A parameter is wrong."),
    404: OpenApiResponse(serializers.ErrorSerializer, description="Nothing there."),
}
# The lookups are rate-limited per client address (landinfo.security.rate_limited).
TOO_MANY = OpenApiResponse(
    serializers.ErrorSerializer,
    description="Too many requests from this address; wait `Retry-After` seconds.",
)
RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    int,
    location=OpenApiParameter.HEADER,
    response=[429],
    required=True,
    description="Seconds to wait before asking again.",
)


def public_endpoint(view: Callable[..., Response]) -> Callable[..., Response]:
    """Return `view` as an anonymous, read-only JSON endpoint.

    No authentication at all, not merely none required: a signed-in notary's session
    would cost two queries a lookup, and a stale token would turn public data into a 401.
    """
    view = renderer_classes([JSONRenderer])(view)
    view = permission_classes([AllowAny])(view)
    view = authentication_classes([])(view)
    return api_view(["GET"])(view)


@rate_limited("lookup")
@extend_schema(
    summary="Find parcels by identifier or address",
    parameters=[
        OpenApiParameter(
            "q",
            str,
            required=True,
            description="A parcel identifier in any accepted spelling, or an address; "
            "accents and small typos do not matter. 1 to 200 characters.",
        ),
        OpenApiParameter(
            "limit", int, description="At most this many results, 1 to 50 (default 10)."
        ),
        OpenApiParameter(
            "unit",
            str,
            description="Code of the commune (Korea: legal dong) that short spellings such "
            "as '12/345' or '12-3' are read in; without it they match in every unit.",
        ),
        AS_OF,
        RETRY_AFTER,
    ],
    responses={200: serializers.SearchResponseSerializer, 400: ERRORS[400], 429: TOO_MANY},
)
@public_endpoint
def search(request: Request) -> Response:
    """Return the parcels the text names, best first, and the places it was read to name."""
    query = request.query_params.get("q", "")
    limit = query_integer(request, "limit", default=engine.SEARCH_LIMIT_DEFAULT)
    try:
        answer = engine.search(
            query,
            limit=limit,
            unit_code=request.query_params.get("unit") or None,
            as_of=query_date(request, "as_of"),
        )
    except engine.InvalidSearch as error:
        raise ParseError(str(error)) from error
    # The text is echoed only when it named a parcel, and only what was read as its
    # identifier or lot and place (a remark in parentheses is not): anything else may
    # be a person's name or ID number typed into the public search, and the answer is
    # not to repeat it (to caches, proxies, screenshots); tests/test_personal_data.py.
    named_parcel = any(result["match"] == "identifier" for result in answer.results)
    return Response(
        {
            "query": answer.text if named_parcel else "",
            "results": answer.results,
            "places": answer.places,
            "message": answer.message,
        }
    )


# The parcel a path names: its id or its identifier (selectors.parcel_reference).
PARCEL_REF = OpenApiParameter(
    "id",
    str,
    location=OpenApiParameter.PATH,
    description="The parcel's id, or its identifier in any spelling the profile accepts "
    "(e.g. 00004-10-215 in Vietnam, a 19-digit PNU in Korea): the same parcel is "
    "answered, not a redirect. A text the profile reads as an identifier is one (a "
    "PNU, though all digits, is a PNU); any other number is an id.",
)


def parcel_pk(ref: str) -> int:
    found = selectors.parcel_reference(ref)
    if found.pk is None:
        raise NotFound(found.reason)
    return found.pk


def query_integer(request: Request, name: str, *, default: int) -> int:
    text = request.query_params.get(name, "").strip()
    if not text:
        return default
    try:
        return public.parse_integer(name, text, minimum=-public.BIGINT_MAX)
    except public.InvalidParameter as refusal:
        raise ParseError(str(refusal)) from None


def query_coordinate(request: Request, name: str, *, limit: float) -> float:
    text = request.query_params.get(name, "").strip()
    if not text:
        raise ParseError(
            _("Give %(name)s in WGS84 degrees, e.g. ?lon=105.85&lat=21.02.") % {"name": name}
        )
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not -limit <= value <= limit:  # also refuses NaN
        raise ParseError(
            _("%(name)s must be a number from %(minimum)s to %(maximum)s; got %(text)s.")
            % {
                "name": name,
                "minimum": f"{-limit:g}",
                "maximum": f"{limit:g}",
                "text": quote_input(text),
            }
        )
    return value


def query_date(request: Request, name: str) -> dt.date | None:
    text = request.query_params.get(name, "").strip()
    if not text:
        return None
    try:
        return public.parse_date(name, text)
    except public.InvalidParameter as refusal:
        raise ParseError(str(refusal)) from None


def query_moment(request: Request, name: str) -> dt.datetime | None:
    """Return the ISO 8601 moment in parameter `name`; naive means the register's time zone."""
    text = request.query_params.get(name, "").strip()
    if not text:
        return None
    try:
        return public.parse_moment(name, text)
    except public.InvalidParameter as refusal:
        raise ParseError(str(refusal)) from None
