"""The shapes of the applications' API, as its OpenAPI document states them."""

from __future__ import annotations

from rest_framework import serializers

from transactions.deeds.serializers import DeedResultSerializer
from transactions.models import Application


class ApplicationEventSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Application.Status.values)
    at = serializers.DateTimeField()
    reason = serializers.CharField(
        required=False, help_text="Shown to the filer and registrars only (it may name people)."
    )


class ApplicationParcelSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    identifier = serializers.CharField()
    display = serializers.CharField(help_text="The identifier as people write it.")


class ApplicationLinksSerializer(serializers.Serializer):
    self = serializers.CharField(help_text="This application in the API.")
    status_page = serializers.CharField(
        help_text="The public status page (with the code printed on the receipt)."
    )


class ApplicationSerializer(serializers.Serializer):
    """An application for registration: its receipt, where it stands, its history."""

    receipt_number = serializers.IntegerField(
        help_text="Its place in the order of receipt: 1, 2, 3, ... with no gaps."
    )
    received_at = serializers.DateTimeField()
    kind = serializers.CharField(help_text="The kind of deed.")
    status = serializers.ChoiceField(choices=Application.Status.values)
    parcels = ApplicationParcelSerializer(many=True)
    overdue = serializers.BooleanField(
        help_text="Undecided past the office's processing time (LANDINFO_REGISTRATION_DAYS)."
    )
    history = ApplicationEventSerializer(many=True)
    status_code = serializers.CharField(
        required=False,
        help_text="The code printed on the receipt (to the filer only): with the receipt "
        "number it opens the public status page.",
    )
    office = serializers.CharField(required=False, help_text="Who certified the contract.")
    entry = DeedResultSerializer(
        required=False, help_text="The journal entry it was registered as (when registered)."
    )
    links = ApplicationLinksSerializer()


class DecisionSerializer(serializers.Serializer):
    """A registrar's decision on an application."""

    decision = serializers.ChoiceField(choices=["register", "refuse"])
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Required to refuse; recorded with the decision.",
    )


class WithdrawalSerializer(serializers.Serializer):
    """The filer's withdrawal of an undecided application."""

    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text="Recorded with the step."
    )
