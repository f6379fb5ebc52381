"""The public tracking page's JSON: what the page shows, for apps (and the page's own live updates)."""

from __future__ import annotations

from rest_framework import serializers

from apps.trips.contracts import StopKind, StopStatus, TripStatus


class TrackingStop(serializers.Serializer):
    sequence = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=[k.value for k in StopKind])
    status = serializers.ChoiceField(choices=[s.value for s in StopStatus])
    label = serializers.CharField(  # type: ignore[assignment]  # a field named like Field.label
        help_text="the kind in the fleet's language (Pickup, Drop-off, Abholung…)"
    )
    address = serializers.CharField(help_text="as the customer booked it")
    lat = serializers.FloatField(help_text="rounded to 3 decimals (about 100 m)")
    lng = serializers.FloatField(help_text="rounded to 3 decimals (about 100 m)")
    finished_at = serializers.DateTimeField(allow_null=True)
    finished_local = serializers.CharField(allow_null=True, help_text="on the fleet's clock")


class TrackingVehicle(serializers.Serializer):
    type = serializers.CharField()
    type_text = serializers.CharField(help_text="the type in the fleet's language")
    make = serializers.CharField()
    model = serializers.CharField()
    registration = serializers.CharField()


class TrackingPosition(serializers.Serializer):
    lat = serializers.FloatField(help_text="snapped to a grid of 0.0025° (a few hundred metres)")
    lng = serializers.FloatField()


class TrackingStep(serializers.Serializer):
    step = serializers.ChoiceField(
        choices=["booked", "assigned", "picked_up", "on_the_way", "delivered", "failed", "cancelled"]
    )
    state = serializers.ChoiceField(choices=["done", "current", "upcoming", "ended"])
    label = serializers.CharField(help_text="in the fleet's language")  # type: ignore[assignment]  # like Field.label
    at = serializers.DateTimeField(allow_null=True)
    at_local = serializers.CharField(allow_null=True, help_text='on the fleet\'s clock: "14:35", or with the date')


class TrackingFleet(serializers.Serializer):
    name = serializers.CharField()
    colour = serializers.CharField(help_text="#rrggbb, the fleet's accent colour")
    logo_url = serializers.CharField(allow_null=True, help_text="path of the fleet's logo (PNG), null without one")
    language = serializers.CharField(help_text="en or de: the language of the texts")
    time_zone = serializers.CharField()


class TrackingOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=[s.value for s in TripStatus])
    status_text = serializers.CharField(help_text="the status in words, in the fleet's language")
    service = serializers.CharField()
    version = serializers.IntegerField(help_text="the trip's version: grows with every change")
    stops = TrackingStop(many=True)
    next_stop = serializers.IntegerField(allow_null=True, help_text="sequence of the next open stop")
    timeline = TrackingStep(many=True, help_text="booked → driver assigned → picked up → on the way → delivered")
    driver_first_name = serializers.CharField(allow_null=True)
    vehicle = TrackingVehicle(allow_null=True)
    eta = serializers.DateTimeField(
        allow_null=True, help_text="estimated arrival at the next open stop, while the trip is assigned or moving"
    )
    driver_position = TrackingPosition(allow_null=True, help_text="rough, while the trip moves")
    eta_local = serializers.CharField(allow_null=True, help_text="the ETA on the fleet's clock")
    eta_text = serializers.CharField(allow_null=True, help_text='"Arriving around 14:35", in the fleet\'s language')
    fleet = TrackingFleet()
    expires_at = serializers.DateTimeField(help_text="the link works until then")
