"""GeoDjango admin with the Leaflet widget for parcels, units and zoning."""

from django.contrib import admin
from leaflet.admin import LeafletGeoAdmin

from parcels.models import (
    AdministrativeUnit,
    AdministrativeUnitName,
    LandPrice,
    Parcel,
    ParcelLineage,
    ZoningZone,
)


class LandPriceInline(admin.TabularInline):
    model = LandPrice
    extra = 0


class ParentsInline(admin.TabularInline):
    model = ParcelLineage
    fk_name = "child"
    extra = 0
    verbose_name = "parent parcel"
    verbose_name_plural = "parent parcels (lineage)"
    raw_id_fields = ("parent", "entry")

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Lineage is written by the subdivision and merge deeds, not by hand.
        return False

    has_add_permission = has_delete_permission = has_change_permission


class FormerNamesInline(admin.TabularInline):
    # The names a unit had before a merger or renaming: search finds it by them.
    model = AdministrativeUnitName
    extra = 0


@admin.register(AdministrativeUnit)
class AdministrativeUnitAdmin(LeafletGeoAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name", "former_names__name")
    raw_id_fields = ("parent",)
    inlines = (FormerNamesInline,)


@admin.register(Parcel)
class ParcelAdmin(LeafletGeoAdmin):
    list_display = (
        "identifier",
        "land_use",
        "registered_area",
        "admin_unit",
        "valid_from",
        "valid_to",
    )
    list_filter = ("land_use", ("valid_to", admin.EmptyFieldListFilter))
    search_fields = ("identifier", "address")
    raw_id_fields = ("admin_unit",)
    list_select_related = ("admin_unit",)
    show_full_result_count = False  # COUNT(*) over millions of parcels on every page is waste
    inlines = (LandPriceInline, ParentsInline)

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        # A parcel is retired by a deed, never deleted: its row is part of history.
        return False

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        # A parcel's identity and lifespan change by deeds (a subdivision or merge retires
        # it): an edit here would retire it with no entry in the journal. A new parcel
        # (a survey added by hand) is given them once.
        # A parcel added here is current and made by no deed: only its identifier and first
        # day are given (a deed's lineage or retirement written here would be one the
        # journal does not account for).
        fixed = DEED_FIELDS if obj is None else (*IDENTITY_FIELDS, *DEED_FIELDS)
        return (*super().get_readonly_fields(request, obj), *fixed)


# The columns of a parcel that only deeds write, and those an added parcel is given once.
DEED_FIELDS = ("valid_to", "created_by", "retired_by")
IDENTITY_FIELDS = ("identifier", "valid_from")


@admin.register(ZoningZone)
class ZoningZoneAdmin(LeafletGeoAdmin):
    list_display = ("code", "name", "plan", "valid_from", "valid_to")
    list_filter = ("code",)
    search_fields = ("code", "name", "plan")
