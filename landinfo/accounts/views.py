"""The account pages: sign in, the code (and enrolment) page, API tokens, password, codes."""

from __future__ import annotations

import base64
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from landinfo.accounts import enrolment, tokens
from landinfo.accounts.forms import (
    CodeForm,
    CountedPasswordChangeForm,
    EnrolmentCodeForm,
    SignInForm,
    TokenForm,
)
from landinfo.accounts.policy import otp_required_for, token_lifetime
from landinfo.accounts.signin import (
    SecondFactor,
    check_second_factor,
    count_failure,
    is_verified,
    refusal_before_checking,
    sign_in_completed,
    with_next,
)
from landinfo.models import EnrolmentCode

ISSUE_ENROLMENT_CODE = "landinfo.issue_enrolment_code"
# The new authenticator an enrolment code opened in this session, until confirmed.
_ENROLLING = "landinfo_enrolling_device"


def _no_store(response: HttpResponse) -> HttpResponse:
    """Keep a page that shows a secret (a key, a code) out of every cache."""
    response["Cache-Control"] = "no-store"
    return response


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("parcels:home")


def _completed(request: HttpRequest, user: Any, device: TOTPDevice) -> None:
    otp_login(request, device)
    sign_in_completed(request, user)


class SignInView(auth_views.LoginView):
    """Sign in; verify the session with the code, or send the account on to enrol one."""

    form_class = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["otp_required"] = settings.LANDINFO["NOTARY_OTP_REQUIRED"]
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        factor: SecondFactor | None = form.second_factor
        user = self.request.user
        if factor is not None and factor.enrolling:
            self.request.session[_ENROLLING] = factor.device.pk
        elif factor is not None:
            _completed(self.request, user, cast(TOTPDevice, factor.device))
            return response
        if otp_required_for(user):
            return HttpResponseRedirect(with_next("otp", self.get_success_url()))
        return response


def qr_code(text: str, size: int = 200) -> str:
    """Return `text` as a QR code: an SVG data URI for an <img> (reportlab draws it).

    An image rather than inline SVG: the drawing's style attributes would need
    style-src 'unsafe-inline' in the page, and img-src allows data: already.
    """
    from reportlab.graphics import renderSVG
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing

    widget = QrCodeWidget(text)
    x1, y1, x2, y2 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x2 - x1), 0, 0, size / (y2 - y1), 0, 0])
    drawing.add(widget)
    svg = renderSVG.drawToString(drawing).encode()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


def _enrolling_device(request: HttpRequest, user: Any) -> TOTPDevice | None:
    pk = request.session.get(_ENROLLING)
    if pk is None:
        return None
    return TOTPDevice.objects.filter(pk=pk, user=user, confirmed=False).first()


@require_http_methods(["GET", "POST"])
def otp_view(request: HttpRequest) -> HttpResponse:
    """Finish signing in: the authenticator's code, or enrol one with an enrolment code.

    Three stages: an account without an authenticator types its enrolment code; the
    code opens a new authenticator, shown as a QR code and a secret, which a code from
    the app confirms; an account with one types its code (or, phone lost, an enrolment
    code). Only a session that owes its second factor sees this page as itself
    (signin.COMPLETES_SIGN_IN).
    """
    user = request.user
    if not user.is_authenticated:
        return HttpResponseRedirect(with_next("login", request.get_full_path()))
    if not otp_required_for(user) or is_verified(user):
        return HttpResponseRedirect(_next_url(request))
    username = user.get_username()
    refused = refusal_before_checking(request, username)
    if refused is not None:
        return refused
    new_device = _enrolling_device(request, user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        typed = form.cleaned_data["otp_token"].strip()
        if new_device is not None:
            if new_device.verify_token(typed):
                del request.session[_ENROLLING]
                # Completed first: the notice of this enrolment is for the next sign-in.
                _completed(request, user, new_device)
                enrolment.confirm_device(request, user, new_device)
                messages.success(request, _("Your authenticator app is set up."))
                return HttpResponseRedirect(_next_url(request))
        else:
            factor = check_second_factor(user, typed)
            if factor is not None and factor.enrolling:
                request.session[_ENROLLING] = factor.device.pk
                return HttpResponseRedirect(with_next("otp", _next_url(request)))
            if factor is not None:
                _completed(request, user, cast(TOTPDevice, factor.device))
                return HttpResponseRedirect(_next_url(request))
        count_failure(request, username)
        form.add_error("otp_token", _("That code is wrong or too old. Type the code shown now."))
    stage = "scan" if new_device else ("code" if user_has_device(user) else "enrolment_code")
    context: dict[str, Any] = {"form": form, "stage": stage, "next": _next_url(request)}
    if new_device is not None:
        secret = base64.b32encode(new_device.bin_key).decode().rstrip("=")
        context |= {
            "config_url": new_device.config_url,
            "qr_code": qr_code(new_device.config_url),
            "secret": secret,
            # As authenticator apps print a key, and as people read one out: four at a time.
            "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        }
    return _no_store(render(request, "registration/otp.html", context))


@login_required
@require_http_methods(["GET", "POST"])
def api_token(request: HttpRequest) -> HttpResponse:
    """List the user's API tokens; POST makes one (its key shown once) or revokes some."""
    user = request.user
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "create":
            form = TokenForm(request.POST)
            if form.is_valid():
                try:
                    _token, key = tokens.issue_token(
                        user=user,
                        second_factor=is_verified(user),
                        session=request.session,
                        label=form.cleaned_data["label"],
                    )
                except tokens.TokenRefused as refused:
                    return _token_page(request, form, problem=str(refused), status=refused.status)
                return _no_store(_token_page(request, TokenForm(), new_key=key))
            return _token_page(request, form, status=400)
        if action in ("revoke", "revoke_all"):
            ids = None
            if action == "revoke":
                ids = [int(v) for v in request.POST.getlist("token") if v.isascii() and v.isdigit()]
            count = tokens.revoke_tokens(user, ids)
            messages.success(
                request,
                _("%(count)d API token(s) revoked; they no longer work.") % {"count": count},
            )
            return HttpResponseRedirect(reverse("api-token"))
        return _token_page(request, TokenForm(), problem=_("Choose what to do."), status=400)
    return _token_page(request, TokenForm())


def _token_page(
    request: HttpRequest,
    form: TokenForm,
    *,
    new_key: str = "",
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    ref = request.session.get(tokens.SESSION_REF)
    live = tokens.live_tokens(user)
    return render(
        request,
        "registration/token.html",
        {
            "form": form,
            "tokens": [
                {"token": token, "this_session": bool(ref) and token.session_ref == ref}
                for token in live
            ],
            "new_key": new_key,
            "problem": problem,
            "lifetime_hours": round(token_lifetime(user).total_seconds() / 3600),
            "deeds_url": reverse("transactions:deeds"),
        },
        status=status,
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's password; the lock and delay of sign-ins guard the old one too.

    The API tokens made before stop working (tokens.alive), the session goes on.
    """

    form_class = CountedPasswordChangeForm
    template_name = "registration/password_change.html"
    success_url = reverse_lazy("api-token")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refused = refusal_before_checking(request, request.user.get_username())
        if refused is not None:
            return refused
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        return super().get_form_kwargs() | {"request": self.request}

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(
            self.request,
            _("Your password is changed. Your API tokens stopped working: make new ones."),
        )
        return response


@login_required
@permission_required(ISSUE_ENROLMENT_CODE, raise_exception=True)
@require_http_methods(["GET", "POST"])
def enrolment_codes(request: HttpRequest) -> HttpResponse:
    """Issue an enrolment code to an account (registrars), shown once; list unused ones."""
    form = EnrolmentCodeForm(request.POST or None)
    issued: dict[str, Any] | None = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            account = form.cleaned_data["username"]
            try:
                row, code = enrolment.issue_enrolment_code(user=account, issued_by=request.user)
            except enrolment.EnrolmentRefused as refused:
                form.add_error("username", str(refused))
                status = refused.status
            else:
                issued = {"code": code, "account": account, "expires": row.expires}
                form = EnrolmentCodeForm()
        else:
            status = 400
    unused = (
        EnrolmentCode.objects.filter(used_at__isnull=True, expires__gt=timezone.now())
        .select_related("user", "issued_by")
        .order_by("-created")[:50]
    )
    response = render(
        request,
        "registration/enrolment_codes.html",
        {"form": form, "issued": issued, "unused": unused},
        status=status,
    )
    return _no_store(response) if issued else response
