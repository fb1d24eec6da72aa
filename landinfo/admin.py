"""Admin lists of API tokens and enrolment codes: looked at and revoked, never edited.

A token is made by its owner on /accounts/token/ and an enrolment code by
`manage.py issue_enrolment_code` or a registrar's page, where the secret is shown once;
the admin shows neither secret (only digests are stored) and an administrator who
deletes a token revokes it.
"""

from typing import Any

from django.contrib import admin

from landinfo.models import ApiToken, EnrolmentCode


class _ListOnly(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(_ListOnly):
    list_display = ("prefix", "user", "label", "created", "expires", "last_used", "second_factor")
    list_select_related = ("user",)
    search_fields = ("user__username", "prefix", "label")
    exclude = ("key_digest", "password_stamp", "session_ref", "session_key")


@admin.register(EnrolmentCode)
class EnrolmentCodeAdmin(_ListOnly):
    list_display = ("user", "issued_by", "created", "expires", "used_at")
    list_select_related = ("user", "issued_by")
    search_fields = ("user__username",)
    exclude = ("code_digest",)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # the record of who issued which code, and when it was used
