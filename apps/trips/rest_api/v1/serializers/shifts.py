"""Shifts: planning one, starting and ending it with odometer readings, and its body."""

from __future__ import annotations

from rest_framework import serializers

from apps.trips.models import Shift
from logitrack.http.serializers import StrictInputSerializer


class ShiftOutput(serializers.Serializer):
    id = serializers.UUIDField()
    fleet_id = serializers.UUIDField()
    driver_id = serializers.UUIDField()
    vehicle_id = serializers.UUIDField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=Shift.Status.values)
    pooling = serializers.BooleanField()
    started_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    odometer_start_km = serializers.DecimalField(max_digits=9, decimal_places=1, allow_null=True)
    odometer_end_km = serializers.DecimalField(max_digits=9, decimal_places=1, allow_null=True)


class PlanSerializer(StrictInputSerializer):
    fleet_id = serializers.UUIDField()
    driver_id = serializers.UUIDField()
    vehicle_id = serializers.UUIDField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    pooling = serializers.BooleanField(required=False, default=False)


class OdometerInput(StrictInputSerializer):
    odometer_km = serializers.DecimalField(max_digits=9, decimal_places=1, min_value=0)
