"""Admin for parties, rights and the journal. The journal and rights are read-only here:
they change only through the register's services."""

from django import forms
from django.contrib import admin

from transactions import people
from transactions.audit import record_personal_data_access
from transactions.models import Checkpoint, JournalEntry, Party, PersonalDataAccess, Right


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "sequence",
        "kind",
        "effective_date",
        "recorded_at",
        "recorded_by",
        "entry_hash",
    )
    list_filter = ("kind",)
    search_fields = ("=sequence", "=entry_hash", "=idempotency_key")
    date_hierarchy = "effective_date"
    show_full_result_count = False


@admin.register(Right)
class RightAdmin(ReadOnlyAdmin):
    list_display = (
        "parcel",
        "kind",
        "holder_id",  # the party's page shows the name, and records that it did
        "share_numerator",
        "share_denominator",
        "valid_from",
        "valid_to",
    )
    list_filter = ("kind",)
    search_fields = ("parcel__identifier", "certificate_number")
    list_select_related = ("parcel",)
    show_full_result_count = False
    fields = (
        "parcel",
        "kind",
        "holder_id",
        "share_numerator",
        "share_denominator",
        "certificate_number",
        "valid_from",
        "valid_to",
        "begun_by",
        "ended_by",
        "voided_by",
    )
    readonly_fields = fields


class PartyForm(forms.ModelForm):
    """The fields of a party an administrator may change, kept as the deeds keep them."""

    class Meta:
        model = Party
        # The e-mail is contact, not law: alerts of applications go there (not the journal).
        fields = ("birth_year", "address", "email")

    def clean_email(self) -> str:
        return (self.cleaned_data.get("email") or "").strip().lower()

    def clean_address(self) -> str:
        try:
            return people.person_text(
                self.cleaned_data.get("address") or "", what="The address", required=False
            )
        except people.UnreadableText as error:
            raise forms.ValidationError(str(error)) from None


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    """Parties, unmasked: every list and every form shown leaves an audit row per party."""

    form = PartyForm
    list_display = ("name", "kind")
    list_filter = ("kind",)
    search_fields = ("name",)
    show_full_result_count = False
    # Who a party is, deeds state (their "parties"); verify_ledger holds the row to the
    # last statement. A new name or number comes with a deed, not an edit here.
    readonly_fields = ("kind", "name", "national_id")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # parties come with the deeds that name them

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def changelist_view(self, request, extra_context=None):  # type: ignore[no-untyped-def]
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            record_personal_data_access(
                request.user, changelist.result_list, ("name",), "admin: party list"
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):  # type: ignore[no-untyped-def]
        response = super().change_view(request, object_id, form_url, extra_context)
        party = getattr(response, "context_data", {}).get("original")
        if party is not None:
            record_personal_data_access(
                request.user,
                [party],
                ("name", "national_id", "birth_year", "address", "email"),
                "admin: party",
            )
        return response


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyAdmin):
    list_display = ("size", "head_hash", "signed_at", "key_id")
    date_hierarchy = "signed_at"


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ReadOnlyAdmin):
    # The party by id: a name here would be one more unrecorded read.
    list_display = ("at", "user", "party_id", "fields", "purpose")
    list_filter = ("purpose",)
    list_select_related = ("user",)
    date_hierarchy = "at"
    show_full_result_count = False
