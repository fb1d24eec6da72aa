"""Admin for parties, rights and the journal. The journal and rights are read-only here:
they change only through the register's services."""

from django.contrib import admin

from transactions.models import JournalEntry, Party, Right


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
        "holder",
        "share_numerator",
        "share_denominator",
        "valid_from",
        "valid_to",
    )
    list_filter = ("kind",)
    search_fields = ("parcel__identifier", "certificate_number")
    list_select_related = ("parcel", "holder")
    show_full_result_count = False


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    list_display = ("name", "kind")
    list_filter = ("kind",)
    search_fields = ("name",)
    show_full_result_count = False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
