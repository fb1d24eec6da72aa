"""The applications' pages: the notary's receipt, the public status, the registrar's queue and file.

Views are thin: what they show comes from `selectors`, what they change from
`decisions`. The receipt and the file are their filer's and the registrars'; anyone
else is answered as if the application did not exist. The status page is public,
opened by the receipt number and the code printed on the receipt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from landinfo.profiles import get_profile
from landinfo.security import rate_limited
from parcels.models import Parcel
from transactions import audit
from transactions.alerts import receipts
from transactions.applications import decisions, office, selectors
from transactions.applications.receipt_pdf import ReceiptSheet, render_receipt
from transactions.certificates.issue import LANGUAGES
from transactions.deeds.forms import DOCUMENT_SIGNATURES
from transactions.deeds.pages import land_use_text
from transactions.exceptions import (
    AlertsPending,
    ApplicationClosed,
    DeedRefused,
    ObjectionWindow,
    OnHold,
    OutOfOrder,
    SameOfficer,
    StaleDeed,
    UnreadableInput,
)
from transactions.models import Application


def _readable(request: HttpRequest, receipt: int) -> Application:
    """Return the application if the user may read it; 404 otherwise, unknown or not."""
    application = selectors.find(receipt)
    if application is None or not selectors.may_read(request.user, application):
        raise Http404("No such application.")
    return application


@login_required
@require_GET
def receipt(request: HttpRequest, receipt: int) -> HttpResponse:
    """Show the receipt of a filed application: its number, time, status and status code."""
    application = _readable(request, receipt)
    return render(
        request,
        "applications/receipt.html",
        {
            "item": selectors.summaries([application])[0],
            "application": application,
            "status_url": selectors.status_url(request, application),
        },
    )


@login_required
@require_GET
def receipt_pdf(request: HttpRequest, receipt: int) -> HttpResponse:
    """Return the receipt as a PDF in the page's language, with the status page's QR code."""
    application = _readable(request, receipt)
    language = (translation.get_language() or "").split("-")[0]
    if language not in LANGUAGES:
        language = settings.LANGUAGE_CODE.split("-")[0]
    item = selectors.summaries([application])[0]
    sheet = ReceiptSheet(
        receipt_number=application.receipt_number,
        received_at=application.received_at,
        kind=item.kind,
        parcels=item.parcels,
        office=receipts.office_text(application),
        status_code=application.status_code,
        status_url=selectors.status_url(request, application),
        profile=get_profile().key,
        language=language,
    )
    response = HttpResponse(render_receipt(sheet), content_type="application/pdf")
    name = f"receipt-{application.receipt_number}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Cache-Control"] = "private, no-cache"
    return response


@rate_limited("verify")
@require_GET
def status(request: HttpRequest, receipt: int | None = None) -> HttpResponse:
    """Show an application's progress to anyone holding its receipt number and status code."""
    if receipt is None:
        number = request.GET.get("receipt", "").strip()
        if number.isascii() and number.isdigit() and 0 < int(number) < 2**63:
            url = reverse("applications:status", kwargs={"receipt": int(number)})
            code = "".join(request.GET.get("code", "").split())
            return redirect(f"{url}?code={code}" if code else url)
        return render(request, "applications/status.html", {"asked": "receipt" in request.GET})
    code = request.GET.get("code", "")
    found = selectors.public_status(receipt, code) if code else None
    if found is None:
        return render(
            request,
            "applications/status.html",
            {"receipt": receipt, "asked": bool(code)},
            status=404 if code else 200,
        )
    item, steps = found
    return render(
        request,
        "applications/status.html",
        {"receipt": receipt, "item": item, "steps": steps, "code": code},
    )


@login_required
@permission_required(decisions.DECIDE, raise_exception=True)
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """Show the open applications in order of receipt, flagged overdue, on hold or waiting."""
    return render(
        request,
        "applications/queue.html",
        {"items": selectors.queue(), "days": office.registration_days()},
    )


# What the file page says when a decision is refused, by the refusal's kind; others say
# the register's own message.
_REFUSALS: dict[type[DeedRefused], Promise] = {
    OutOfOrder: gettext_lazy(
        "Not registered: an application received earlier on the same parcel is still "
        "undecided. Decide that one first: applications are registered in order of receipt."
    ),
    SameOfficer: gettext_lazy(
        "You filed this application: another registrar decides it (four eyes)."
    ),
    StaleDeed: gettext_lazy(
        "Not registered: the parcel changed since the deed was drawn up. Refuse the "
        "application, giving this as the reason; the notary files it again."
    ),
    ApplicationClosed: gettext_lazy("This application is already decided."),
    UnreadableInput: gettext_lazy(
        "Give a reason a person can read: it is recorded with the step and shown to the filer."
    ),
    OnHold: gettext_lazy(
        "Not registered: the application is on hold. Take it off hold, giving the reason "
        "(how the objection was answered), then register it."
    ),
    ObjectionWindow: gettext_lazy(
        "Not registered yet: the holders and followers of the parcel may still object "
        "(see the flag for until when). A refusal may be recorded now."
    ),
    AlertsPending: gettext_lazy(
        "Not registered yet: the alerts of this application have not been sent. The holders "
        "and subscribers of the parcel are told before it is registered; try again shortly."
    ),
}
_DONE: dict[str, Promise] = {
    decisions.REGISTER: gettext_lazy("Application %(receipt)s registered as entry #%(entry)s."),
    decisions.REFUSE: gettext_lazy("Application %(receipt)s refused."),
    "hold": gettext_lazy("Application %(receipt)s put on hold."),
    "release": gettext_lazy("Application %(receipt)s taken off hold."),
}


def _decide(request: HttpRequest, application: Application) -> None:
    """Carry out the step posted on the file; say what happened as a message."""
    action = request.POST.get("decision", "")
    reason = request.POST.get("reason", "")
    user: Any = request.user
    number = application.receipt_number
    if action not in _DONE:
        messages.error(request, _("Choose a decision."))
        return
    if action != decisions.REGISTER and not reason.strip():
        messages.error(request, _("Give the reason: it is recorded with the step."))
        return
    entry: Any = ""
    try:
        if action == "hold":
            decisions.hold(number, reason=reason, by=user)
        elif action == "release":
            decisions.release(number, reason=reason, by=user)
        else:
            done = decisions.decide(number, decision=action, reason=reason, by=user)
            entry = done.entry.sequence if done.entry is not None else ""
    except DeedRefused as refused:
        said = next(
            (str(text) for kind, text in _REFUSALS.items() if isinstance(refused, kind)), ""
        )
        messages.error(request, said or refused.message)
        return
    except PermissionDenied as denied:
        messages.error(request, str(denied))
        return
    messages.success(request, str(_DONE[action]) % {"receipt": number, "entry": entry})


def _withdraw(request: HttpRequest, application: Application) -> None:
    """Withdraw the filer's own undecided application (Korean 취하, Vietnamese rút hồ sơ)."""
    try:
        decisions.withdraw(
            application.receipt_number,
            reason=request.POST.get("reason", ""),
            by=request.user,  # type: ignore[arg-type]
        )
    except DeedRefused as refused:
        messages.error(request, refused.message)
        return
    messages.success(
        request, _("Application %(receipt)s was withdrawn.") % {"receipt": application.pk}
    )


@login_required
@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, receipt: int) -> HttpResponse:
    """Show the application's file; registrars who did not file it decide it here."""
    application = _readable(request, receipt)
    user: Any = request.user
    may_decide = user.has_perm(decisions.DECIDE) and application.filed_by_id != user.pk
    if request.method == "POST":
        if request.POST.get("decision") == "withdraw" and application.filed_by_id == user.pk:
            _withdraw(request, application)
        elif not may_decide:
            raise PermissionDenied(
                _("Applications are decided by a registrar who did not file them.")
            )
        else:
            _decide(request, application)
        return redirect("applications:detail", receipt=receipt)
    purpose = f"application {application.receipt_number}"
    parcels = Parcel.objects.filter(pk__in=application.parcels).select_related("admin_unit")
    side_by_side = selectors.on_parcels(application)
    return render(
        request,
        "applications/detail.html",
        {
            "item": next(i for i in side_by_side if i.receipt_number == application.pk),
            "application": application,
            "file": selectors.read_file(application, user=user),
            "document": _stored(application.document_sha256),
            "steps": selectors.steps(application, full=True),
            "side_by_side": side_by_side,
            "parcels": [
                {
                    "parcel": parcel,
                    "display": get_profile().display_stored(parcel.identifier),
                    "land_use": land_use_text(parcel.land_use),
                    "holders": audit.current_holders(parcel.pk, user=user, purpose=purpose),
                }
                for parcel in parcels
            ],
            "may_decide": may_decide and application.is_open,
            "may_withdraw": application.is_open and application.filed_by_id == user.pk,
        },
    )


def _stored(sha256: str) -> Path | None:
    """Return the stored document of that hash (transactions.deeds.pages.store_document)."""
    if len(sha256) != 64 or not all(ch in "0123456789abcdef" for ch in sha256):
        return None
    path = Path(settings.MEDIA_ROOT) / "deeds" / sha256
    return path if path.is_file() else None


@login_required
@require_GET
def document(request: HttpRequest, receipt: int) -> FileResponse:
    """Return the document filed with the application (its filer and registrars)."""
    application = _readable(request, receipt)
    path = _stored(application.document_sha256)
    if path is None:
        raise Http404("The document was not stored.")
    file = path.open("rb")
    head = file.read(8)
    file.seek(0)
    kind = next(
        (name for start, name in DOCUMENT_SIGNATURES.items() if head.startswith(start)),
        "application/octet-stream",
    )
    response = FileResponse(file, content_type=kind)
    response["Content-Disposition"] = f'inline; filename="application-{receipt}"'
    response["Cache-Control"] = "private, no-store"
    return response
