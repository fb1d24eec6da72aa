"""The shapes of the public parcel API, for the OpenAPI document at /api/schema/.

The selectors build the JSON themselves (plain dicts, typed in `parcels.selectors`);
these serializers describe it for drf-spectacular and are not run on responses, which
keeps serialising off the hot path of lookups. tests/parcels/test_api_sheet.py checks
that responses and these fields agree.
"""

from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong and what to change.")


class LandUseRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(help_text="In the profile's language.")


class LandUseSerializer(LandUseRefSerializer):
    name_en = serializers.CharField()
    group = serializers.CharField(help_text="Coarse group the map colours by.")


class UnitRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class AncestorSerializer(UnitRefSerializer):
    level = serializers.IntegerField(help_text="1 province, 2 district, 3 commune, 4 village.")


class AdminUnitSerializer(UnitRefSerializer):
    parents = AncestorSerializer(many=True, help_text="Province first.")


class ParcelRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    identifier = serializers.CharField(help_text="Canonical, in the profile's format.")
    display = serializers.CharField(help_text="As a certificate prints it.")


class SearchResultSerializer(ParcelRefSerializer):
    address = serializers.CharField()
    land_use = LandUseRefSerializer()
    admin_unit = UnitRefSerializer()
    match = serializers.ChoiceField(choices=["identifier", "address"])
    score = serializers.FloatField(min_value=0, max_value=1)
    retired = serializers.BooleanField(
        help_text="True only when the identifier names no current parcel, only a retired one."
    )
    bbox = serializers.ListField(
        child=serializers.FloatField(), min_length=4, max_length=4, help_text="[w, s, e, n] WGS84"
    )
    point = serializers.ListField(
        child=serializers.FloatField(),
        min_length=2,
        max_length=2,
        help_text="[lon, lat] of a point inside the parcel (on its surface; a concave "
        "parcel's centroid may lie outside it): /api/parcels/at answers this parcel there.",
    )
    centroid = serializers.ListField(
        child=serializers.FloatField(),
        min_length=2,
        max_length=2,
        help_text="Deprecated: the same point as `point`, kept for older clients.",
    )


class SearchResponseSerializer(serializers.Serializer):
    query = serializers.CharField(
        allow_blank=True,
        help_text="The search text when it named a parcel by its identifier; empty "
        "otherwise (a person's name or ID number typed by mistake is not repeated).",
    )
    results = SearchResultSerializer(many=True)


class ZoningShareSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    plan = serializers.CharField()
    share = serializers.FloatField(help_text="Share of the parcel's area, 0..1, 3 decimals.")


class PriceSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    price_per_m2 = serializers.IntegerField()
    currency = serializers.CharField(help_text="ISO 4217 code.")


class HolderSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Masked for a person; in full otherwise.")
    kind = serializers.ChoiceField(choices=["person", "organisation", "state"])


class RightSerializer(serializers.Serializer):
    kind = serializers.CharField()
    share = serializers.CharField(help_text='"n/d", e.g. "1/2".')
    holder = HolderSerializer()
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(allow_null=True)


class AreaDiscrepancySerializer(serializers.Serializer):
    drawn_area = serializers.FloatField(help_text="m² of the boundary on the ground, 1 decimal.")
    difference = serializers.FloatField(help_text="drawn − registered, m², 1 decimal.")
    percent = serializers.FloatField(help_text="The difference in % of the registered area.")
    tolerance = serializers.FloatField(help_text="m² the map scale permits, 1 decimal.")
    map_scale = serializers.IntegerField(help_text="M of the cadastral map's scale 1:M.")
    rule = serializers.CharField(help_text="The rule of law the tolerance comes from.")


class SheetSerializer(ParcelRefSerializer):
    address = serializers.CharField()
    land_use = LandUseSerializer()
    registered_area = serializers.FloatField(help_text="m², as on the certificate.")
    computed_area = serializers.FloatField(
        help_text="m² of the boundary in the storage CRS, 1 decimal."
    )
    map_scale = serializers.IntegerField(
        help_text="M of the scale 1:M of the parcel's cadastral map; the profile's usual "
        "one when the register was not given it."
    )
    area_discrepancy = AreaDiscrepancySerializer(
        allow_null=True,
        help_text="How the registered area differs from the boundary's, when by more than "
        "the map scale permits; null within it. A note: the registered area stands.",
    )
    admin_unit = AdminUnitSerializer()
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(
        choices=["current", "retired"], help_text="On `as_of`, or today."
    )
    zoning = ZoningShareSerializer(many=True, help_text="Largest share first.")
    prices = PriceSerializer(many=True, help_text="Latest year first.")
    rights = RightSerializer(many=True, help_text="In force on `as_of`, or today.")
    parents = ParcelRefSerializer(many=True)
    children = ParcelRefSerializer(many=True)
    as_of = serializers.DateField(allow_null=True)
    known_at = serializers.DateTimeField(
        allow_null=True, help_text="The moment the sheet shows the register's knowledge at."
    )
    last_entry = serializers.IntegerField(
        allow_null=True,
        help_text="Sequence of the last deed that touched the parcel, now (not as of "
        "`as_of` or `known_at`); null when none did. A deed sends it back as "
        "`expected_last_entry`.",
    )
    bbox = serializers.ListField(child=serializers.FloatField(), min_length=4, max_length=4)
    point = serializers.ListField(
        child=serializers.FloatField(),
        min_length=2,
        max_length=2,
        help_text="[lon, lat] of a point inside the parcel (on its surface).",
    )
    geometry = serializers.JSONField(help_text="GeoJSON MultiPolygon, WGS84, 6 decimals.")


class AtPointSheetSerializer(SheetSerializer):
    also_at_point = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Other parcels touching the point (shared edge or vertex); usually empty.",
    )


class HistoryEntrySerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    kind = serializers.CharField()
    effective_date = serializers.DateField()
    recorded_at = serializers.DateTimeField()
    summary = serializers.CharField()
    transfer_type = serializers.CharField(
        allow_null=True, help_text="sale, gift or inheritance for a transfer; null otherwise."
    )
    holders_before = serializers.ListField(
        child=serializers.CharField(),
        help_text="The holders the deed ended, masked, one per party: two persons who "
        "mask alike are listed twice.",
    )
    holders_after = serializers.ListField(
        child=serializers.CharField(),
        help_text="The holders the deed began, masked, one per party.",
    )
    made_from = serializers.ListField(
        child=serializers.CharField(),
        help_text="Identifiers of the parcels a subdivision or merge made this one from.",
    )
    made_into = serializers.ListField(
        child=serializers.CharField(),
        help_text="Identifiers of the parcels a subdivision or merge made from this one.",
    )


class HistorySerializer(serializers.Serializer):
    parcel = ParcelRefSerializer()
    as_of = serializers.DateField(allow_null=True)
    known_at = serializers.DateTimeField(allow_null=True)
    entries = HistoryEntrySerializer(many=True, help_text="Oldest first.")
    rights = RightSerializer(many=True)
