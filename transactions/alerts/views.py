"""The alerts' pages: subscribe from a parcel, and the links that alerts carry.

Every link in a mail opens a page with a button: GET shows, only POST acts. Mail
scanners and link previews open every GET link, and must not confirm a subscription,
stop alerts or put an application on hold on the recipient's behalf.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from landinfo.dates import register_moment
from landinfo.profiles import get_profile
from landinfo.security import rate_limited
from parcels.models import Parcel
from transactions.alerts import objections, receipts, subscriptions
from transactions.alerts.receipts import ALERT
from transactions.deeds.kinds import KINDS
from transactions.exceptions import DeedRefused
from transactions.models import OutboxMessage


def _parcel_display(parcel: Parcel | None) -> str:
    return get_profile().display_stored(parcel.identifier) if parcel else ""


@require_http_methods(["GET", "POST"])
@never_cache
def subscribe(request: HttpRequest) -> HttpResponse:
    """Show the form for a parcel's alerts; on POST, mail the confirmation link."""
    if request.method == "POST":
        return _subscribe_post(request)
    context: dict[str, Any] = {"email": "", "parcel_id": request.GET.get("parcel", "")[:20]}
    try:
        context["parcel"] = _parcel_display(subscriptions.current_parcel(context["parcel_id"]))
    except DeedRefused as refused:
        context["error"] = refused.message
    return render(request, "alerts/subscribe.html", {**context, "limit": _limit()})


@rate_limited("alerts")
def _subscribe_post(request: HttpRequest) -> HttpResponse:
    email = request.POST.get("email", "")
    parcel_id = request.POST.get("parcel", "")
    context: dict[str, Any] = {"email": email[:254], "parcel_id": parcel_id[:20]}
    try:
        context["parcel"] = _parcel_display(subscriptions.current_parcel(parcel_id))
        subscriptions.subscribe(
            email=email,
            parcel_id=parcel_id,
            language=translation.get_language() or "en",
        )
    except DeedRefused as refused:
        context["error"] = refused.message
        context["limit"] = _limit()
        return render(request, "alerts/subscribe.html", context, status=refused.status)
    return render(request, "alerts/subscribe.html", {**context, "accepted": True}, status=202)


def _limit() -> int:
    return int(settings.LANDINFO["ALERT_MAX_PARCELS"])


def _link_page(
    request: HttpRequest, template: str, message: OutboxMessage | None, **context: Any
) -> HttpResponse:
    context.setdefault("state", "ask" if message else "unknown")
    if message is not None:
        context["parcel"] = _parcel_display(message.parcel)
        context["message_parcel"] = message.parcel_id
    response = render(request, template, context, status=200 if message else 404)
    # The token is in the path: no other site gets it in a Referer. Not "no-referrer":
    # a browser then sends "Origin: null" with the button's POST, which CSRF refuses.
    response["Referrer-Policy"] = "same-origin"
    return response


@require_http_methods(["GET", "POST"])
@never_cache
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Confirm a subscription (POST) from the link of its confirmation message."""
    message = subscriptions.link_message(token, (subscriptions.CONFIRM,))
    if message is not None and not subscriptions.confirmable(message):
        return _link_page(request, "alerts/confirm.html", message, state="expired")
    if message is None or request.method == "GET":
        return _link_page(request, "alerts/confirm.html", message)
    done = subscriptions.confirm(message)
    return _link_page(request, "alerts/confirm.html", message, state="done" if done else "before")


@require_http_methods(["GET", "POST"])
@never_cache
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Stop a parcel's alerts to the address an alert went to (POST)."""
    message = subscriptions.link_message(token, subscriptions.UNSUBSCRIBABLE)
    if message is None or request.method == "GET":
        return _link_page(request, "alerts/unsubscribe.html", message)
    done = subscriptions.unsubscribe(message)
    return _link_page(
        request, "alerts/unsubscribe.html", message, state="done" if done else "before"
    )


@require_http_methods(["GET", "POST"])
@never_cache
def objection(request: HttpRequest, token: str) -> HttpResponse:
    """Show an alert's application; on POST, put it on hold ("I did not agree to this")."""
    message = subscriptions.link_message(token, (ALERT,))
    facts = _facts(message)
    if message is None:  # a link that is no alert's (mistyped, cut short, tampered)
        return _link_page(request, "alerts/objection.html", None, facts=None)
    if request.method == "GET":
        state = "ask"
        if message.objected_at is not None:
            state = objections.Objection.USED.value
        elif not message.application.is_open:  # type: ignore[union-attr]
            state = objections.Objection.DECIDED.value
        return _link_page(request, "alerts/objection.html", message, state=state, facts=facts)
    result = objections.object_to(message)
    return _link_page(
        request, "alerts/objection.html", message, state=result.value, facts=_facts(message)
    )


def _facts(message: OutboxMessage | None) -> dict[str, Any] | None:
    """Return the application's public facts: no party, no name, no number of a person."""
    if message is None or message.application is None:
        return None
    application = message.application
    application.refresh_from_db(fields=["status"])
    kind = KINDS.get(application.kind)
    return {
        "receipt_number": application.receipt_number,
        "received_at": register_moment(application.received_at, translation.get_language()),
        "kind": kind.label if kind else application.kind,
        "office": receipts.office_text(application),
        "parcels_more": len(application.parcels) - 1,
        "status": application.status,
        "is_open": application.is_open,
    }


__all__ = ["confirm", "objection", "subscribe", "unsubscribe"]
