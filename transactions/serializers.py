"""The shapes of a parcel's sheet and history, for the OpenAPI document at /api/schema/.

Like parcels.serializers (whose pieces they use), these describe JSON that the selectors
build themselves (`transactions.selectors`) and are not run on responses.
tests/transactions/test_api_sheet.py checks that responses and these fields agree.
"""

from rest_framework import serializers

from parcels.serializers import (
    AdminUnitSerializer,
    AreaDiscrepancySerializer,
    LandUseSerializer,
    ParcelRefSerializer,
    PriceSerializer,
    ZoningShareSerializer,
)


class HolderSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Masked for a person; in full otherwise.")
    kind = serializers.ChoiceField(choices=["person", "organisation", "state"])
    holder_kind = serializers.CharField(
        help_text="The profile's kind of holder (VN: individual, household, community, "
        'domestic_organisation, ...; KR: individual, corporation, state, ...); "" when '
        "the deeds did not state it."
    )
    holder_kind_label = serializers.CharField(help_text="Its name in the request's language.")


class RightSerializer(serializers.Serializer):
    kind = serializers.CharField()
    share = serializers.CharField(help_text='"n/d", e.g. "1/2".')
    holder = HolderSerializer()
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(allow_null=True)
    origin = serializers.CharField(
        help_text="The profile's code of where the right comes from (VN: nguồn gốc sử dụng; "
        'KR: 등기원인); "" when not stated.'
    )
    origin_label = serializers.CharField(help_text="Its name in the request's language.")
    use_form = serializers.CharField(
        help_text='VN: "private" (sử dụng riêng) or "common" (sử dụng chung); "" otherwise.'
    )
    use_form_label = serializers.CharField(help_text="Its name in the request's language.")
    term = serializers.CharField(
        allow_null=True,
        help_text='"long_term", or the last day of use (YYYY-MM-DD); null when not stated.',
    )
    attached_assets = serializers.CharField(
        help_text='The assets attached to the land the certificate states; "" when none.'
    )


class PendingApplicationSerializer(serializers.Serializer):
    receipt_number = serializers.IntegerField()
    kind = serializers.CharField(help_text="The kind of deed.")
    received_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=["received", "on_hold"])


class SheetSerializer(ParcelRefSerializer):
    address = serializers.CharField(help_text="The address on record (a road address in Korea).")
    lot_address = serializers.CharField(
        help_text="Where the parcel lies by lot number, as the register writes it: "
        "'thửa đất số 108, tờ bản đồ số 4, Phường X, Tỉnh Y'; '서울특별시 종로구 청운동 1-1'."
    )
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
    pending_applications = PendingApplicationSerializer(
        many=True,
        help_text="Applications filed on the parcel and not decided yet, in order of receipt "
        "(now, not as of `as_of`): a deed on it may change what this sheet says.",
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
    summary = serializers.CharField(
        help_text="What the deed did to the parcel, in one line in the request's language "
        '(Accept-Language): "Sale: 2 holders → 1 holder", "Chuyển nhượng: 2 người → 1 người".'
    )
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
