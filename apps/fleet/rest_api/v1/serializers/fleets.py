"""How a fleet looks over the API, and the settings an operator gives when applying or changing them."""

from __future__ import annotations

from rest_framework import serializers

from apps.fleet.contracts import FleetStatus
from logitrack.http.serializers import StrictInputSerializer


class FleetOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    legal_name = serializers.CharField()
    status = serializers.ChoiceField(choices=[s.value for s in FleetStatus])
    address_line1 = serializers.CharField()
    address_line2 = serializers.CharField()
    postal_code = serializers.CharField()
    city = serializers.CharField()
    country = serializers.CharField()
    currency = serializers.CharField()
    time_zone = serializers.CharField()
    tax_id = serializers.CharField()
    auto_dispatch = serializers.BooleanField()
    default_service_minutes = serializers.IntegerField()
    commission_bps = serializers.IntegerField()
    service_center_lat = serializers.FloatField(allow_null=True)
    service_center_lng = serializers.FloatField(allow_null=True)
    service_radius_m = serializers.IntegerField(allow_null=True)
    service_polygon = serializers.ListField(child=serializers.ListField(child=serializers.FloatField()))
    proof_of_delivery = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()


class FleetSettingsFields(StrictInputSerializer):
    name = serializers.CharField(max_length=120)
    legal_name = serializers.CharField(max_length=200)
    address_line1 = serializers.CharField(max_length=200)
    address_line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20)
    city = serializers.CharField(max_length=100)
    tax_id = serializers.CharField(max_length=40, required=False, allow_blank=True)
    time_zone = serializers.CharField(max_length=64)
    auto_dispatch = serializers.BooleanField(required=False)
    default_service_minutes = serializers.IntegerField(required=False, min_value=0, max_value=240)
    service_center_lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    service_center_lng = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    service_radius_m = serializers.IntegerField(required=False, allow_null=True, min_value=100, max_value=500_000)
    service_polygon = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2),
        required=False,
        max_length=500,
    )
    proof_of_delivery = serializers.ListField(
        child=serializers.ChoiceField(choices=["recipient", "signature", "photo", "pin"]), required=False, max_length=4
    )
