"""The forms of the account pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import user_has_device

from landinfo.accounts.policy import otp_required_for
from landinfo.accounts.signin import SecondFactor, check_second_factor, count_failure

_CODE_WIDGET = forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false"})


class SignInForm(AuthenticationForm):
    """Username and password, and the authenticator's (or an enrolment) code when needed."""

    otp_token = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        required=False,
        max_length=32,
        widget=_CODE_WIDGET,
    )

    def clean(self) -> dict[str, Any]:
        self.second_factor: SecondFactor | None = None
        self.otp_failed = False
        cleaned = super().clean()  # authenticates: the lock and the delay refuse here
        user = self.get_user()
        if user is None or not otp_required_for(user):
            return cleaned
        typed = self.cleaned_data.get("otp_token", "").strip()
        if not typed and not user_has_device(user):
            return cleaned  # sent on to enrol with an enrolment code (views.otp_view)
        self.second_factor = check_second_factor(user, typed)
        if self.second_factor is None:
            if self.request is not None:
                count_failure(self.request, user.get_username())
            self.otp_failed = True
            raise forms.ValidationError(
                _(
                    "The code from your authenticator app is missing or wrong. Type the "
                    "six digits it shows now."
                ),
                code="invalid_otp",
            )
        return cleaned


class CodeForm(forms.Form):
    """One code: from the authenticator app, or an enrolment code from a registrar."""

    otp_token = forms.CharField(max_length=32, widget=_CODE_WIDGET)


class CountedPasswordChangeForm(PasswordChangeForm):
    """Django's password change, whose wrong old passwords are failed sign-ins."""

    def __init__(self, *args: Any, request: Any = None, **kwargs: Any) -> None:
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_old_password(self) -> str:
        try:
            return str(super().clean_old_password())
        except forms.ValidationError:
            if self.request is not None:
                count_failure(self.request, self.user.get_username())
            raise


class TokenForm(forms.Form):
    label = forms.CharField(
        label=gettext_lazy("What it is for (optional)"),
        required=False,
        max_length=100,
    )


class EnrolmentCodeForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("Username"), max_length=150)

    def clean_username(self) -> Any:
        users = get_user_model()
        name = self.cleaned_data["username"].strip()
        user = users._default_manager.filter(**{users.USERNAME_FIELD: name}, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("No active account has that username."))
        return user
