"""The parcel certificate (a PDF) and the page that checks one: `/verify/<code>`."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from landinfo.security import rate_limited
from transactions.certificates.issue import (
    HOLDER_KINDS,
    LANGUAGES,
    RIGHT_KINDS,
    Verification,
    issue_certificate,
    pasted_code,
    verify_certificate,
)
from transactions.certificates.pdf import render_pdf
from transactions.transparency.proofs import entry_proof
from transactions.words import co_owned, deed_label, word

# What a verification answers with: the certificate holds (200), the journal disagrees
# with a code the register signed (409: an integrity alarm), or it is no code of ours (400).
_STATUS = {"current": 200, "superseded": 200, "mismatch": 409, "invalid": 400}


def _language(request: HttpRequest) -> str:
    """Return the certificate's language: `?lang=`, else the page's, else the profile's."""
    asked = request.GET.get("lang") or translation.get_language() or ""
    asked = asked.split("-")[0].lower()
    return asked if asked in LANGUAGES else settings.LANGUAGE_CODE.split("-")[0]


def verify_url(request: HttpRequest, code: str) -> str:
    """Return the absolute link a certificate's QR code carries for `code`.

    LANDINFO["PUBLIC_URL"] when set (a certificate outlives the host name it was
    printed from); else the host of the request, which ALLOWED_HOSTS has vetted.
    """
    path = reverse("verify", kwargs={"code": code})
    base = settings.LANDINFO["PUBLIC_URL"]
    return base.rstrip("/") + path if base else request.build_absolute_uri(path)


@rate_limited("certificate")
@require_GET
def certificate_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """Return the parcel's certificate at the journal's head, as a PDF in the asked language."""
    language = _language(request)
    certificate = issue_certificate(
        pk,
        user=request.user,  # type: ignore[arg-type]  # AuthenticationMiddleware sets it
        language=language,
        verify_url=lambda code: verify_url(request, code),
    )
    if certificate is None:
        raise Http404(f"No parcel has the id {pk}.")
    response = HttpResponse(render_pdf(certificate), content_type="application/pdf")
    name = f"certificate-{certificate.identifier}-{certificate.sequence}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    # Each issue is signed anew; one with names in full must not stay in any cache.
    response["Cache-Control"] = "no-store" if certificate.full else "private, no-cache"
    return response


@rate_limited("verify")
@require_GET
def verify(request: HttpRequest, code: str = "") -> HttpResponse:
    """Say whether a certificate code is genuine, still current, or superseded by later deeds.

    Without a code, a form to paste one. JSON for `Accept: application/json` or
    `?format=json`.
    """
    if not code:
        pasted = pasted_code(request.GET.get("code", ""))
        if pasted:
            return redirect("verify", code=pasted)
        return render(
            request,
            "parcels/verify.html",
            {"verification": None, "pasted_nothing": "code" in request.GET},
            status=400 if "code" in request.GET else 200,
        )
    verification = verify_certificate(code)
    transparency = entry_proof(verification.fields.sequence) if verification.fields else None
    if transparency is not None and transparency["status"] == "mismatch":
        # The journal the verdict was read from is not the one the witnesses cosigned.
        verification = dataclasses.replace(
            verification,
            status="mismatch",
            reason=gettext(
                "The register's journal no longer matches the checkpoint it published and its "
                "witnesses cosigned: it was changed afterwards, so nothing it says about this "
                "certificate can be trusted. Report this certificate to the registrar."
            ),
        )
    status = _STATUS[verification.status]
    shared = co_owned(right.share for right in verification.rights if right.kind == "ownership")
    if request.GET.get("format") == "json" or "application/json" in request.headers.get(
        "Accept", ""
    ):
        return JsonResponse(_as_json(verification, transparency), status=status)
    return render(
        request,
        "parcels/verify.html",
        {
            "verification": verification,
            "code": code,
            "rights": [
                {
                    "kind": word(RIGHT_KINDS, right.kind),
                    "share": right.share if shared and right.kind == "ownership" else "—",
                    "holder": right.holder.name,
                    "holder_kind": word(HOLDER_KINDS, right.holder.kind),
                    "valid_from": right.valid_from,
                    "entry": right.begun_by,
                }
                for right in verification.rights
            ],
            "history": [
                {
                    "sequence": entry.sequence,
                    "kind": deed_label(entry.kind, entry.transfer_type),
                    "effective_date": entry.effective_date,
                }
                for entry in verification.history
            ],
            "later": [entry | {"label": deed_label(entry["kind"])} for entry in verification.later],
            # For the page's script (tlog-verify.js), which checks the proof itself.
            "transparency": transparency,
        },
        status=status,
    )


def _as_json(verification: Verification, transparency: dict[str, Any] | None) -> dict[str, Any]:
    fields = verification.fields
    return {
        "status": verification.status,
        "genuine": verification.genuine,
        "reason": verification.reason,
        "parcel": {
            "id": fields.parcel_id,
            "identifier": verification.identifier,
            "display": verification.display,
        }
        if fields and verification.identifier
        else None,
        "sequence": fields.sequence if fields else None,
        "head_hash": verification.head_hash or None,
        "issued_at": fields.issued_at.isoformat() if fields else None,
        "language": fields.language if fields else None,
        "holders_in_full": fields.full if fields else None,
        "rights": [
            {
                "kind": right.kind,
                "share": right.share,
                "holder": {"name": right.holder.name, "kind": right.holder.kind},
                "valid_from": right.valid_from.isoformat(),
                "entry": right.begun_by,
            }
            for right in verification.rights
        ],
        "history": [entry.sequence for entry in verification.history],
        "superseded_by": [
            {
                "sequence": entry["sequence"],
                "kind": entry["kind"],
                "effective_date": entry["effective_date"].isoformat(),
                "recorded_at": entry["recorded_at"].isoformat(),
            }
            for entry in verification.later
        ],
        "data_changed": verification.data_changed,
        # The entry in the witnessed transparency log, for a client that checks it itself.
        "transparency": transparency,
    }
