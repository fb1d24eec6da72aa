"""The applications' API: file one, read where it stands, decide it.

- `POST /api/applications/` files a deed (the body of `POST /api/transactions/`, with the
  contract's particulars and documents) as an application: 201 with its receipt
  number, time and status, the same `Idempotency-Key` rules as deeds.
- `GET /api/applications/<receipt_number>`: the filer and registrars read it whole;
  anyone with the code printed on the receipt (`?code=`) reads its public facts (no
  reasons, no office's code); anyone else is answered 404, as for an unknown number.
- `POST /api/applications/<receipt_number>/decision` (a registrar who did not file it):
  `{"decision": "register" | "refuse", "reason": ...}`.
- In reviewed mode `POST /api/transactions/` files an application too and says so (202).
"""

from __future__ import annotations

import hmac
from typing import Any, cast

from django.contrib.auth.models import AbstractUser
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from landinfo.profiles import get_profile
from landinfo.security import rate_limited
from parcels.models import Parcel
from transactions.applications import decisions, office, selectors
from transactions.applications.receipt import file_application
from transactions.applications.serializers import (
    ApplicationSerializer,
    DecisionSerializer,
    WithdrawalSerializer,
)
from transactions.deeds.api import (
    REPLAYED_HEADER,
    _DeedAPIView,
    _error,
    deed_request,
    deed_result,
    refusal,
)
from transactions.deeds.serializers import DeedErrorSerializer
from transactions.deeds.services import CORRECT, RECORD
from transactions.deeds.submit import MalformedDeed, first_error
from transactions.exceptions import DeedRefused
from transactions.models import Application

_ERROR = OpenApiResponse(DeedErrorSerializer)
_CODE = OpenApiParameter(
    "code",
    OpenApiTypes.STR,
    description="The code printed on the receipt: without it, only the filer and registrars "
    "read the application.",
)


def describe(request: HttpRequest, application: Application, *, full: bool) -> dict[str, Any]:
    """Return the API's view of `application`; `full` for its filer and registrars."""
    profile = get_profile()
    parcels = Parcel.objects.filter(pk__in=application.parcels).order_by("pk")
    events = application.events.order_by("sequence")
    answer: dict[str, Any] = {
        "receipt_number": application.receipt_number,
        "received_at": application.received_at.isoformat(),
        "kind": application.kind,
        "status": application.status,
        "parcels": [
            {
                "id": parcel.pk,
                "identifier": parcel.identifier,
                "display": profile.display_stored(parcel.identifier),
            }
            for parcel in parcels
        ],
        "overdue": office.overdue(application),
        "history": [
            {"status": event.status, "at": event.at.isoformat()}
            | ({"reason": event.reason} if full else {})
            for event in events
        ],
        "links": {
            "self": reverse("applications:api-detail", args=[application.receipt_number]),
            "status_page": selectors.status_url(request, application) if full else "",
        },
    }
    if full:
        answer["status_code"] = application.status_code
        answer["office"] = application.office
    if application.entry is not None:
        answer["entry"] = deed_result(application.entry)
    return answer


# What a step on an application (a decision, a withdrawal) may answer.
_A_STEP = {
    200: ApplicationSerializer,
    400: _ERROR,
    401: _ERROR,
    403: _ERROR,
    404: _ERROR,
    409: _ERROR,
    422: _ERROR,
}


def file(request: Request, *, answer: int, detail: str = "") -> Response:
    """File the request's deed as an application; answer `answer` (201, or 202 for a deed)."""
    user = cast(AbstractUser, request.user)
    if not (user.has_perm(RECORD) or user.has_perm(CORRECT)):
        raise exceptions.PermissionDenied(_("Filing deeds is for notaries and registrars."))
    read = deed_request(request)
    if isinstance(read, Response):
        return read
    key, body = read
    try:
        application = file_application(body, user=user, idempotency_key=key)
    except (MalformedDeed, DeedRefused) as error:
        return refusal(error)
    data = describe(request, application, full=True)
    if detail:
        data["detail"] = detail % {"receipt": application.receipt_number}
    response = Response(data, status=answer)
    response["Location"] = data["links"]["self"]
    if getattr(application, "replayed", False):
        response[REPLAYED_HEADER] = "true"
    return response


class ApplicationsView(_DeedAPIView):
    """File a deed as an application for registration."""

    @extend_schema(
        operation_id="file_application",
        summary="File a deed for registration (notary; corrections: registrar)",
        description="The body of `POST /api/transactions/` (a deed: `kind` chooses its "
        "terms), with two optional keys: `contract`, the particulars of the notarised "
        "contract (`office`, `number`, `book`, `date`, `cause`), and `documents`, the files "
        'filed with it (`[{"type": ..., "sha256": ...}]`). The deed is checked as its '
        "registration would check it (404, 409, 422 as for a deed) and, if it passes, given "
        "the next receipt number: applications on a parcel are decided in that order. "
        "The subscribers of its parcels are alerted at once. Retrying with the same "
        "`Idempotency-Key` and body returns the same application (201, "
        "`Idempotent-Replayed: true`).",
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                location=OpenApiParameter.HEADER,
                required=True,
                description="1 to 128 printable ASCII characters, new for each application.",
            )
        ],
        request=OpenApiTypes.OBJECT,
        responses={
            201: ApplicationSerializer,
            400: _ERROR,
            401: _ERROR,
            403: _ERROR,
            404: _ERROR,
            409: _ERROR,
            413: _ERROR,
            415: _ERROR,
            422: _ERROR,
        },
    )
    def post(self, request: Request) -> Response:
        """File the deed in the body; answer with the application's receipt."""
        return file(request, answer=status.HTTP_201_CREATED)


class ApplicationView(_DeedAPIView):
    """One application: where it stands and its history."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="application",
        summary="An application's status and history",
        description="Its filer and registrars read it whole (reasons, the receipt's code). "
        "Anyone with the code printed on the receipt reads its public facts: kind, "
        "parcels, received time, status and the dates of its steps. Without either, it "
        "is not found (404), as an unknown receipt number is.",
        parameters=[_CODE],
        responses={200: ApplicationSerializer, 400: _ERROR, 404: _ERROR},
    )
    def get(self, request: Request, receipt_number: int) -> Response:
        """Return the application as the caller may read it."""
        application = selectors.find(receipt_number)
        full = application is not None and selectors.may_read(request.user, application)
        code = selectors.read_code(request.query_params.get("code", ""))
        public = (
            application is not None
            and bool(code)
            and hmac.compare_digest(code.encode(), application.status_code.encode())
        )
        if application is None or not (full or public):
            return _error(
                "not_found",
                _(
                    "No application %(receipt)s with that code. The receipt number and the "
                    "code are printed on the notary's receipt."
                )
                % {"receipt": receipt_number},
                status.HTTP_404_NOT_FOUND,
            )
        return Response(describe(request, application, full=full))


class DecisionView(_DeedAPIView):
    """A registrar's decision: register the application's deed, or refuse it."""

    @extend_schema(
        operation_id="decide_application",
        summary="Decide an application (registrar, not its filer)",
        description="`register` records its deed in the journal, naming the application, "
        "after the same checks as at receipt (staleness, the register's rules); it is "
        "refused (409 `out_of_order`) while an application received earlier on one of its "
        "parcels is undecided, while it is on hold (409 `on_hold`), before its alerts "
        "reached the mail server (409 `alerts_pending`) and within LANDINFO_OBJECTION_MINUTES "
        "of its receipt (409 `objection_window`). `refuse` needs a `reason`. A registrar never decides an "
        "application they filed (403 `four_eyes`). A registration repeated answers with "
        "the entry it made.",
        request=DecisionSerializer,
        responses=_A_STEP,
    )
    def post(self, request: Request, receipt_number: int) -> Response:
        """Decide the application; answer with where it now stands."""
        user = cast(AbstractUser, request.user)
        if not user.has_perm(decisions.DECIDE):
            raise exceptions.PermissionDenied(_("Applications are decided by registrars."))
        serializer = DecisionSerializer(data=request.data)
        if not serializer.is_valid():
            return _error("invalid", first_error(serializer.errors), status.HTTP_400_BAD_REQUEST)
        try:
            decision = decisions.decide(
                receipt_number,
                decision=serializer.validated_data["decision"],
                reason=serializer.validated_data.get("reason", ""),
                by=user,
            )
        except DeedRefused as refused:
            return _error(refused.code, refused.message, refused.status)
        return Response(describe(request, decision.application, full=True))


class WithdrawalView(_DeedAPIView):
    """The filer withdraws an undecided application."""

    @extend_schema(
        operation_id="withdraw_application",
        summary="Withdraw an application (its filer, while undecided)",
        description="Only the account that filed it withdraws it (403 `four_eyes` for anyone "
        "else); a decided application cannot be (409 `application_closed`). The reason is "
        "optional and recorded with the step.",
        request=WithdrawalSerializer,
        responses=_A_STEP,
    )
    def post(self, request: Request, receipt_number: int) -> Response:
        """Withdraw the application; answer with where it now stands."""
        user = cast(AbstractUser, request.user)
        serializer = WithdrawalSerializer(data=request.data)
        if not serializer.is_valid():
            return _error("invalid", first_error(serializer.errors), status.HTTP_400_BAD_REQUEST)
        application = selectors.find(receipt_number)
        if application is None or not selectors.may_read(user, application):
            return _error(
                "not_found",
                _("No application %(receipt)s of yours.") % {"receipt": receipt_number},
                status.HTTP_404_NOT_FOUND,
            )
        try:
            decisions.withdraw(
                receipt_number, reason=serializer.validated_data.get("reason", ""), by=user
            )
        except DeedRefused as refused:
            return _error(refused.code, refused.message, refused.status)
        application.refresh_from_db()
        return Response(describe(request, application, full=True))


# The public status reads are limited as certificate checks are.
application_view = rate_limited("verify")(ApplicationView.as_view())
