"""The accounts' records: API tokens, enrolment codes, sign-in delays and notices.

Secrets (a token's key, an enrolment code) are kept only as SHA-256 digests
(landinfo.accounts.policy.digest): each is random enough that a fast digest cannot be
reversed, and a digest is looked up by its index in one query.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy


class ApiToken(models.Model):
    """A key a user's software signs its API calls with, as `Authorization: Token <key>`."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    key_digest = models.CharField(max_length=64, unique=True)
    # The key's first characters, so that its owner can tell which one a program uses.
    prefix = models.CharField(max_length=12)
    label = models.CharField(max_length=100, blank=True)
    created = models.DateTimeField()
    expires = models.DateTimeField()
    last_used = models.DateTimeField(null=True, blank=True)
    # The owner's password stamp when it was made (policy.password_stamp): a password
    # changed by any path moves the stamp, and the token stops working.
    password_stamp = models.CharField(max_length=64)
    # Made from a session verified with the second factor.
    second_factor = models.BooleanField(default=False)
    # The sign-in (a random id kept in the session) that made it: it dies at its logout.
    session_ref = models.CharField(max_length=32, blank=True, db_index=True)
    # That session's key now (followed when it is rotated), to check at each use that the
    # session still exists (tokens.session_lives). A credential like the cookie it names:
    # never shown, in the admin or elsewhere.
    session_key = models.CharField(max_length=40, blank=True, db_index=True)

    class Meta:
        verbose_name = "API token"
        indexes = [models.Index(fields=["user", "expires"])]

    def __str__(self) -> str:
        return f"{self.prefix}… of user {self.user_id}"


class EnrolmentCode(models.Model):
    """A single-use code that lets one account enrol (or replace) its authenticator."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    code_digest = models.CharField(max_length=64, unique=True)
    # Null when an administrator issued it with `manage.py issue_enrolment_code`.
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created = models.DateTimeField()
    expires = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        permissions = [
            ("issue_enrolment_code", "Can issue an authenticator enrolment code (registrar)")
        ]

    def __str__(self) -> str:
        return f"enrolment code for user {self.user_id}, expires {self.expires:%Y-%m-%d %H:%M}"


class SignInDelay(models.Model):
    """The failed sign-ins of one username, from every address, and until when it waits.

    Kept for a username whether or not it names an account, so that guessing one tells
    nothing (landinfo/accounts/delays.py); under a keyed digest of it, so that a password
    typed into the username field is not kept.
    """

    key = models.CharField(max_length=64, primary_key=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure = models.DateTimeField(db_index=True)  # the oldest are dropped first
    retry_at = models.DateTimeField(null=True, blank=True)
    # The addresses the failures came from (the first few), for the alert.
    addresses = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"{self.failures} failed sign-ins of username {self.key[:8]}…"


class AccountNotice(models.Model):
    """Something the owner of an account is told at their next sign-in."""

    class Kind(models.TextChoices):
        DEVICE_ENROLLED = "device_enrolled", gettext_lazy("Authenticator enrolled")
        SIGN_IN_DELAYED = "sign_in_delayed", gettext_lazy("Sign-ins delayed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_notices"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    at = models.DateTimeField()
    detail = models.JSONField(default=dict)
    shown_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} for user {self.user_id} at {self.at:%Y-%m-%d %H:%M}"
