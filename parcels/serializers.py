"""The shapes of the public parcel API, for the OpenAPI document at /api/schema/.

The parcel's sheet and history, which add its rights, are described by
transactions.serializers with the pieces defined here.

The selectors build the JSON themselves (plain dicts, typed in `parcels.selectors`);
these serializers describe it for drf-spectacular and are not run on responses, which
keeps serialising off the hot path of lookups. tests/transactions/test_api_sheet.py checks
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
    address = serializers.CharField(
        help_text="The unit and those above it as an address writes them, in the profile's "
        "order: 'Phường X, Tỉnh Y'; '서울특별시 종로구 청운동'."
    )
    parents = AncestorSerializer(many=True, help_text="Province first.")


class ParcelRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    identifier = serializers.CharField(help_text="Canonical, in the profile's format.")
    display = serializers.CharField(help_text="As a certificate prints it.")


class SearchResultSerializer(ParcelRefSerializer):
    address = serializers.CharField(help_text="The address on record (a road address in Korea).")
    lot_address = serializers.CharField(
        help_text="Where the parcel lies by lot number, as the register writes it: "
        "'thửa đất số 108, tờ bản đồ số 4, Phường X, Tỉnh Y'; '서울특별시 종로구 청운동 1-1'."
    )
    land_use = LandUseRefSerializer()
    admin_unit = UnitRefSerializer()
    match = serializers.ChoiceField(
        choices=["identifier", "place", "address"],
        help_text="What of the text matched: the parcel's identifier or lot number, the "
        "places named alone (the parcel lies there), or words of its address.",
    )
    quality = serializers.ChoiceField(
        choices=["exact", "prefix", "fuzzy"],
        help_text="exact: every word as typed; prefix: the last word completed; fuzzy: a "
        "word spelled differently. Results come in this order.",
    )
    place = UnitRefSerializer(
        allow_null=True,
        help_text="The place named in the text that the parcel was found in, if any.",
    )
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
        help_text="The search text read as an identifier or lot with its place (remarks "
        "in parentheses and labels left out) when it named a parcel so; empty otherwise "
        "(a person's name or ID number typed by mistake is not repeated).",
    )
    results = SearchResultSerializer(many=True)
    places = UnitRefSerializer(
        many=True,
        help_text="The administrative units the text was read to name (its commune, "
        "district, province, by current or former names); results lie in all of them.",
    )
    message = serializers.CharField(
        allow_blank=True,
        help_text="Why nothing was found, when the text says it (e.g. it names a unit the "
        "register does not have); empty otherwise.",
    )


class ZoningShareSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    plan = serializers.CharField()
    share = serializers.FloatField(help_text="Share of the parcel's area, 0..1, 3 decimals.")


class PriceSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    price_per_m2 = serializers.IntegerField()
    currency = serializers.CharField(help_text="ISO 4217 code.")


class AreaDiscrepancySerializer(serializers.Serializer):
    drawn_area = serializers.FloatField(help_text="m² of the boundary on the ground, 1 decimal.")
    difference = serializers.FloatField(help_text="drawn − registered, m², 1 decimal.")
    percent = serializers.FloatField(help_text="The difference in % of the registered area.")
    tolerance = serializers.FloatField(help_text="m² the map scale permits, 1 decimal.")
    map_scale = serializers.IntegerField(help_text="M of the cadastral map's scale 1:M.")
    rule = serializers.CharField(help_text="The rule of law the tolerance comes from.")
