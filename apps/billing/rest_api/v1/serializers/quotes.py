"""Billing REST serializers — Quotes: the fare breakdown and the request for a quote."""

from __future__ import annotations

from rest_framework import serializers

from apps.billing.contracts import Service
from logitrack.exceptions import ValidationFailed
from logitrack.http.serializers import StrictInputSerializer
from logitrack.types import GeoPoint


class LineOutput(serializers.Serializer):
    code = serializers.CharField()
    description = serializers.CharField()
    net = serializers.IntegerField()
    tax = serializers.IntegerField()
    gross = serializers.IntegerField()
    tax_rate_bps = serializers.IntegerField()


class TaxOutput(serializers.Serializer):
    name = serializers.CharField()
    rate_bps = serializers.IntegerField()
    net = serializers.IntegerField()
    tax = serializers.IntegerField()


class BreakdownOutput(serializers.Serializer):
    currency = serializers.CharField()
    prices_include_tax = serializers.BooleanField()
    lines = LineOutput(many=True)
    taxes = TaxOutput(many=True)
    net = serializers.IntegerField(help_text="minor units")
    tax = serializers.IntegerField()
    total = serializers.IntegerField()


class QuoteOutput(serializers.Serializer):
    id = serializers.UUIDField()
    fleet_id = serializers.UUIDField()
    vehicle_type = serializers.CharField()
    service = serializers.ChoiceField(choices=[s.value for s in Service])
    breakdown = BreakdownOutput()
    currency = serializers.CharField()
    total_minor = serializers.IntegerField()
    expires_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()


class QuoteCreateApiInput(StrictInputSerializer):
    fleet_id = serializers.UUIDField()
    vehicle_type = serializers.ChoiceField(choices=["bike", "car", "van", "truck"])
    service = serializers.ChoiceField(choices=[s.value for s in Service], default=Service.DELIVERY)
    requested_at = serializers.DateTimeField(required=False, help_text="default: now")
    stops = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2),
        min_length=2,
        max_length=25,
        help_text="[[lat, lng], ...] in visiting order",
    )
    distance_m = serializers.IntegerField(required=False, min_value=0, max_value=2_000_000)
    duration_s = serializers.IntegerField(required=False, min_value=0, max_value=86_400)

    def validate(self, attrs):
        if ("distance_m" in attrs) != ("duration_s" in attrs):
            raise serializers.ValidationError({"duration_s": ["Give distance_m and duration_s together, or neither."]})
        try:
            attrs["points"] = [GeoPoint(lat, lng) for lat, lng in attrs["stops"]]
        except ValidationFailed as exc:
            raise serializers.ValidationError({"stops": [exc.message]}) from None
        return attrs
