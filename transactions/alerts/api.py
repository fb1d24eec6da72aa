"""`POST /api/alerts/subscriptions`: ask for a parcel's alerts by e-mail (anonymous).

The answer is 202 and the same body whatever the address's standing (new, already
following the parcel, at its limit of parcels, or mailed too often today): what
differs is mailed to the address, so the API cannot be asked who follows what. A
malformed address or a parcel that is not current is a 400 / 404, which says
nothing of anyone.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from landinfo.security import rate_limited
from parcels.api import RETRY_AFTER, TOO_MANY
from transactions.alerts import subscriptions
from transactions.deeds.api import _DeedAPIView
from transactions.deeds.serializers import DeedErrorSerializer
from transactions.exceptions import DeedRefused

ACCEPTED = gettext_lazy(
    "If the address may receive alerts for this parcel, a message with a confirmation "
    "link is on its way to it. Alerts start once the link is used."
)


class SubscriptionRequestSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254, help_text="The address to alert.")
    parcel = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, help_text="The id of a current parcel."
    )


class SubscriptionAcceptedSerializer(serializers.Serializer):
    status = serializers.CharField(help_text='Always "accepted".')
    detail = serializers.CharField()


class SubscriptionsView(_DeedAPIView):
    """Anonymous: no session or token is read, and so no CSRF token is needed."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="subscribe_to_alerts",
        summary="Ask for e-mail alerts of applications filed on a parcel",
        description="Anyone may follow up to LANDINFO_ALERT_MAX_PARCELS parcels (10) with an "
        "address. The address gets a confirmation link (double opt-in); alerts start once "
        "it is used. The answer is the same whether or not the address already follows "
        "the parcel or other parcels; an address at its limit is told so by mail. At most "
        "a few messages a day go to one address, and requests are limited per client.",
        request=SubscriptionRequestSerializer,
        examples=[
            OpenApiExample(
                "Follow parcel 42",
                value={"email": "owner@example.org", "parcel": 42},
                request_only=True,
            )
        ],
        responses={
            202: SubscriptionAcceptedSerializer,
            400: OpenApiResponse(DeedErrorSerializer, description="Not an address, or malformed."),
            404: OpenApiResponse(
                DeedErrorSerializer, description="No current parcel with this id."
            ),
            429: TOO_MANY,
        },
        parameters=[RETRY_AFTER],
    )
    def post(self, request: Request) -> Response:
        """Queue the confirmation link (or the word that the address is at its limit)."""
        incoming = SubscriptionRequestSerializer(data=request.data)
        if not incoming.is_valid():
            field, errors = next(iter(incoming.errors.items()))
            return _error("invalid", f"{field}: {errors[0]}", status.HTTP_400_BAD_REQUEST)
        try:
            subscriptions.subscribe(
                email=incoming.validated_data["email"],
                parcel_id=incoming.validated_data["parcel"],
                language=translation.get_language() or "en",
            )
        except DeedRefused as refused:
            return _error(refused.code, refused.message, refused.status)
        return Response(
            {"status": "accepted", "detail": str(ACCEPTED)}, status=status.HTTP_202_ACCEPTED
        )


def _error(code: str, detail: str, http_status: int) -> Response:
    return Response({"error": code, "detail": detail}, status=http_status)


subscriptions_view = rate_limited("alerts")(SubscriptionsView.as_view())
