"""The public tracking page: progress, the driver's first name, the vehicle, an ETA and a rough position."""

from __future__ import annotations

from rest_framework import serializers

from apps.trips.contracts import StopKind, StopStatus, TripStatus


class TrackingStop(serializers.Serializer):
    sequence = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=[k.value for k in StopKind])
    status = serializers.ChoiceField(choices=[s.value for s in StopStatus])


class TrackingVehicle(serializers.Serializer):
    type = serializers.CharField()
    make = serializers.CharField()
    model = serializers.CharField()
    registration = serializers.CharField()


class TrackingPosition(serializers.Serializer):
    lat = serializers.FloatField(help_text="rounded to 3 decimals (about 100 m)")
    lng = serializers.FloatField()


class TrackingOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=[s.value for s in TripStatus])
    stops = TrackingStop(many=True)
    driver_first_name = serializers.CharField(allow_null=True)
    vehicle = TrackingVehicle(allow_null=True)
    eta = serializers.DateTimeField(
        allow_null=True, help_text="estimated arrival at the next open stop, while the trip is assigned or moving"
    )
    driver_position = TrackingPosition(allow_null=True, help_text="approximate, while the trip moves")
