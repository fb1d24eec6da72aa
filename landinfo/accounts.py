"""Signing in: password, lockout (django-axes) and, when required, a TOTP second factor.

With LANDINFO["NOTARY_OTP_REQUIRED"] on, whoever can record deeds or read holders'
personal data (notaries and registrars: the registrar's rights are a notary's and
more, so a stolen registrar password is worth more, not less) signs in with a code
from an authenticator app as well. Until the session is verified, the deed pages, the
deed API, the holders API, the API token page and the admin refuse it; a user with no
authenticator yet is sent to enrol one. An API token is only shown to a verified
session, so a token is a credential issued after both factors (tokens made before the
setting was turned on keep working until remade: turn it on, then have tokens remade).

Every wrong password and every wrong code is a failed sign-in for django-axes, so a
guessed code locks the username+IP out exactly as a guessed password does.
"""

from __future__ import annotations

import base64
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from landinfo.security import lockout_response, wants_json

# The permissions that make an account worth a second factor (transactions/roles.py).
_SENSITIVE_PERMISSIONS = ("transactions.record_deed", "transactions.view_personal_data")
# Pages and APIs an unverified session may not use, as (namespace, url_name or "*").
_NEEDS_VERIFIED = {
    ("transactions", "*"),
    ("", "api-token"),
    ("admin", "*"),
}
_PUBLIC_IN_PROTECTED = {("transactions", "ledger-checkpoints")}


def otp_required_for(user: Any) -> bool:
    """Tell whether `user` must sign in with a TOTP code (setting on, notary or registrar)."""
    if not settings.LANDINFO["NOTARY_OTP_REQUIRED"] or not user.is_authenticated:
        return False
    return any(user.has_perm(permission) for permission in _SENSITIVE_PERMISSIONS)


def _count_failure(request: HttpRequest | None, username: str) -> None:
    """Record a failed sign-in (a wrong code) where django-axes counts them."""
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)


class SignInForm(AuthenticationForm):
    """Username and password, and the authenticator's code when the account needs one."""

    otp_token = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean(self) -> dict[str, Any]:
        self.otp_device = None
        self.otp_failed = False
        cleaned = super().clean()  # authenticates: axes refuses a locked username+IP here
        user = self.get_user()
        if user is not None and otp_required_for(user) and user_has_device(user):
            device = match_token(user, self.cleaned_data.get("otp_token", "").strip())
            if device is None:
                _count_failure(self.request, self.cleaned_data.get("username", ""))
                self.otp_failed = True
                raise forms.ValidationError(
                    _(
                        "The code from your authenticator app is missing or wrong. Type the "
                        "six digits it shows now."
                    ),
                    code="invalid_otp",
                )
            self.otp_device = device
        return cleaned


class SignInView(LoginView):
    """Sign in; verify the session with the code, or send an account to enrol one."""

    form_class = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["otp_required"] = settings.LANDINFO["NOTARY_OTP_REQUIRED"]
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        if form.otp_device is not None:
            otp_login(self.request, form.otp_device)
        elif otp_required_for(self.request.user):
            return HttpResponseRedirect(_with_next("otp", self.get_success_url()))
        return response


class CodeForm(forms.Form):
    otp_token = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


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


def _with_next(name: str, target: str) -> str:
    """Return the URL named `name` with `target` as its (encoded) ?next= parameter."""
    return f"{reverse(name)}?{urlencode({'next': target})}"


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("parcels:home")


@require_http_methods(["GET", "POST"])
def otp_view(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator (show its otpauth URI and secret), or check a code from it."""
    user = request.user
    if not user.is_authenticated:
        return HttpResponseRedirect(_with_next("login", request.get_full_path()))
    if not otp_required_for(user):
        return HttpResponseRedirect(_next_url(request))
    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_locked(request, credentials):
        logout(request)
        return lockout_response(request, None, credentials)
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    device = confirmed or TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["otp_token"].strip()):
            if not device.confirmed:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            return HttpResponseRedirect(_next_url(request))
        _count_failure(request, user.get_username())
        form.add_error("otp_token", _("That code is wrong or too old. Type the code shown now."))
    return render(
        request,
        "registration/otp.html",
        {
            "form": form,
            "enrolling": not device.confirmed,
            "config_url": device.config_url,
            "qr_code": qr_code(device.config_url) if not device.confirmed else "",
            "secret": base64.b32encode(device.bin_key).decode().rstrip("="),
            "next": _next_url(request),
        },
    )


class OTPRequiredMiddleware:
    """Refuse deed pages and APIs to a notary's or registrar's session until verified."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and settings.LANDINFO["NOTARY_OTP_REQUIRED"]
            and user.is_authenticated
            and not user.is_verified()
            and self._protected(request)
            and otp_required_for(user)
        ):
            detail = _("Sign in with the code from your authenticator app first.")
            if wants_json(request):
                return JsonResponse({"detail": detail}, status=403)
            return HttpResponseRedirect(_with_next("otp", request.get_full_path()))
        return self.get_response(request)

    @staticmethod
    def _protected(request: HttpRequest) -> bool:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        namespace = match.namespaces[0] if match.namespaces else ""
        key = (namespace, match.url_name or "")
        if key in _PUBLIC_IN_PROTECTED:
            return False
        return key in _NEEDS_VERIFIED or (namespace, "*") in _NEEDS_VERIFIED
