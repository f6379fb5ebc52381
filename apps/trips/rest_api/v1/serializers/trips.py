"""A trip's body (with its stops and fare) and what booking one takes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.trips import selectors
from apps.trips.contracts import StopKind, StopStatus, TripStatus
from apps.trips.services import booking
from logitrack.http.serializers import StrictInputSerializer


class StopLoadOutput(serializers.Serializer):
    weight_kg = serializers.IntegerField()
    volume_m3 = serializers.FloatField()
    parcels = serializers.IntegerField()
    seats = serializers.IntegerField()


class StopOutput(serializers.Serializer):
    sequence = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=[k.value for k in StopKind])
    address = serializers.CharField()
    lat = serializers.FloatField()
    lng = serializers.FloatField()
    contact_name = serializers.CharField()
    window_start = serializers.DateTimeField(allow_null=True)
    window_end = serializers.DateTimeField(allow_null=True)
    service_minutes = serializers.IntegerField()
    notes = serializers.CharField()
    status = serializers.ChoiceField(choices=[s.value for s in StopStatus])
    unload = StopLoadOutput(
        allow_null=True, help_text="a drop-off's share of the trip's load, as booked (null: not declared)"
    )


class FareOutput(serializers.Serializer):
    currency = serializers.CharField()
    quoted_total_minor = serializers.IntegerField(
        allow_null=True, help_text="minor units, tax included: the quote the trip was booked with (null: none)"
    )
    final_total_minor = serializers.IntegerField(
        allow_null=True,
        help_text="minor units, tax included: what billing settled (the fare of a completed trip, or a cancellation "
        "fee); null until then, or when nothing is charged",
    )
    final_kind = serializers.ChoiceField(choices=["fare", "cancellation"], allow_null=True)


class TripOutput(serializers.Serializer):
    id = serializers.UUIDField()
    fleet_id = serializers.UUIDField()
    customer_id = serializers.UUIDField(allow_null=True)
    status = serializers.ChoiceField(choices=[s.value for s in TripStatus])
    version = serializers.IntegerField()
    service = serializers.CharField()
    vehicle_type = serializers.CharField()
    quote_id = serializers.UUIDField(allow_null=True)
    requested_for = serializers.DateTimeField(allow_null=True)
    weight_kg = serializers.IntegerField()
    seats = serializers.IntegerField()
    parcels = serializers.IntegerField()
    driver_id = serializers.UUIDField(allow_null=True)
    vehicle_id = serializers.UUIDField(allow_null=True)
    stops = StopOutput(many=True)
    created_at = serializers.DateTimeField()
    fare = serializers.SerializerMethodField(help_text="null when the trip has neither a quote nor a settled amount")
    fare_unavailable = serializers.SerializerMethodField(
        help_text="true when billing could not be reached: `fare` is then null because it is unknown, not absent"
    )

    def _fares(self, trip) -> dict:
        fares = self.context.get("fares")
        if fares is None:  # one trip on its own; lists pass every page's fares in one call (page_context)
            asked = getattr(self, "_fares_of", None)  # one call to billing for both fields of this trip
            if asked is None or asked[0] != trip.id:
                asked = self._fares_of = (trip.id, selectors.fares_of(trips=[trip]))
            fares = asked[1]
        return fares

    @extend_schema_field(serializers.BooleanField())
    def get_fare_unavailable(self, trip) -> bool:
        return bool(getattr(self._fares(trip), "unavailable", False))

    @extend_schema_field(FareOutput(allow_null=True))
    def get_fare(self, trip):
        fare = self._fares(trip).get(trip.id)
        if fare is None:
            return None
        return {
            "currency": fare.currency,
            "quoted_total_minor": fare.quoted_total_minor,
            "final_total_minor": fare.final_total_minor,
            "final_kind": fare.final_kind,
        }

    # Written out rather than DRF's walk over the declared fields (a bound field, its attribute look-up and its
    # conversion per value): a page of 50 trips with their stops cost several times the CPU that way. The fields
    # above still make the OpenAPI schema; test_trip_bodies_render_as_drf_would keeps this equal to DRF's output.
    def to_representation(self, trip) -> dict:
        zone = timezone.get_current_timezone()
        stops = self.context.get("stops")  # a list's stops of its whole page (page_context), else the trip's own
        return {
            "id": str(trip.id),
            "fleet_id": str(trip.fleet_id),
            "customer_id": _uuid(trip.customer_id),
            "status": str(trip.status),
            "version": trip.version,
            "service": trip.service,
            "vehicle_type": trip.vehicle_type,
            "quote_id": _uuid(trip.quote_id),
            "requested_for": _when(trip.requested_for, zone),
            "weight_kg": trip.weight_kg,
            "seats": trip.seats,
            "parcels": trip.parcels,
            "driver_id": _uuid(trip.driver_id),
            "vehicle_id": _uuid(trip.vehicle_id),
            "stops": [
                self.stop_body(stop, zone) for stop in (stops[trip.id] if stops is not None else trip.stops.all())
            ],
            "created_at": _when(trip.created_at, zone),
            "fare": self.get_fare(trip),
            "fare_unavailable": self.get_fare_unavailable(trip),
        }

    def stop_body(self, stop, zone: dt.tzinfo) -> dict:
        return {
            "sequence": stop.sequence,
            "kind": str(stop.kind),
            "address": stop.address,
            "lat": stop.lat,
            "lng": stop.lng,
            "contact_name": stop.contact_name,
            "window_start": _when(stop.window_start, zone),
            "window_end": _when(stop.window_end, zone),
            "service_minutes": stop.service_minutes,
            "notes": stop.notes,
            "status": str(stop.status),
            "unload": _unload(stop),
        }


def _unload(stop) -> dict | None:
    if stop.unload_weight_kg is None:  # not declared (Stop.unload)
        return None
    return {
        "weight_kg": stop.unload_weight_kg,
        "volume_m3": float(stop.unload_volume_m3 or 0),
        "parcels": stop.unload_parcels or 0,
        "seats": stop.unload_seats or 0,
    }


def _uuid(value) -> str | None:
    return None if value is None else str(value)


def _when(value: dt.datetime | None, zone: dt.tzinfo) -> str | None:
    """As DRF's DateTimeField renders it: ISO 8601 in the current time zone, UTC as Z."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def page_context(trips: list) -> dict:
    """Serializer context for a page of trips: billing's fares and the stops of all of them, a query each (no
    query per trip on a list)."""
    return {"fares": selectors.fares_of(trips=trips), "stops": selectors.stops_listed(trip_ids=[t.id for t in trips])}


class StopDetailOutput(StopOutput):
    contact_phone = serializers.SerializerMethodField(
        help_text="for the trip's fleet staff (null for anyone else): the number to call at this stop"
    )

    def get_contact_phone(self, stop) -> str | None:
        return stop.contact_phone if self.context.get("staff") else None


class VehicleOutput(serializers.Serializer):
    id = serializers.UUIDField()
    type = serializers.CharField()
    registration = serializers.CharField()
    make = serializers.CharField()
    model = serializers.CharField()


class TripDetailOutput(TripOutput):
    stops = StopDetailOutput(many=True)
    tracking_url = serializers.CharField(
        allow_null=True,
        help_text="for the trip's customer and its fleet's staff (null for anyone else, or once the link expired): "
        "the link to share",
    )
    pins = serializers.DictField(
        child=serializers.CharField(),
        allow_null=True,
        help_text="for the trip's customer only (null for anyone else): drop-off sequence -> PIN, to give the "
        "recipient",
    )
    customer_name = serializers.CharField(
        allow_null=True, help_text="for the trip's fleet staff (null for anyone else, or when it has no customer)"
    )
    driver_name = serializers.CharField(
        allow_null=True, help_text="for the trip's fleet staff (null for anyone else, or while it has no driver)"
    )
    vehicle = VehicleOutput(
        allow_null=True, help_text="for the trip's fleet staff (null for anyone else, or while it has no vehicle)"
    )

    def to_representation(self, trip) -> dict:
        body = super().to_representation(trip)  # stops by stop_body below, with their contact phones
        vehicle = trip.vehicle
        pins = trip.pins
        body.update(
            tracking_url=trip.tracking_url,
            pins=None if pins is None else {str(sequence): str(pin) for sequence, pin in pins.items()},
            customer_name=trip.customer_name,
            driver_name=trip.driver_name,
            vehicle=None
            if vehicle is None
            else {
                "id": str(vehicle["id"]),
                "type": vehicle["type"],
                "registration": vehicle["registration"],
                "make": vehicle["make"],
                "model": vehicle["model"],
            },
        )
        return body

    def stop_body(self, stop, zone: dt.tzinfo) -> dict:
        body = super().stop_body(stop, zone)
        body["contact_phone"] = stop.contact_phone if self.context.get("staff") else None
        return body


class StopLoadInput(StrictInputSerializer):
    weight_kg = serializers.IntegerField(min_value=0, max_value=60_000, required=False, default=0)
    volume_m3 = serializers.DecimalField(
        max_digits=6, decimal_places=2, min_value=0, required=False, default=Decimal(0)
    )
    parcels = serializers.IntegerField(min_value=0, max_value=1000, required=False, default=0)
    seats = serializers.IntegerField(min_value=0, max_value=60, required=False, default=0)

    def to_internal_value(self, data):
        return booking.Load(**super().to_internal_value(data))


class StopInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[k.value for k in StopKind])
    address = serializers.CharField(max_length=300)
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lng = serializers.FloatField(min_value=-180, max_value=180)
    contact_name = serializers.CharField(max_length=150, required=False, default="", allow_blank=True)
    contact_phone = serializers.RegexField(r"^\+[1-9]\d{6,14}$", required=False, default="", allow_blank=True)
    window_start = serializers.DateTimeField(required=False, allow_null=True, default=None)
    window_end = serializers.DateTimeField(required=False, allow_null=True, default=None)
    service_minutes = serializers.IntegerField(min_value=0, max_value=240, required=False, default=0)
    notes = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)
    unload = StopLoadInput(
        required=False,
        allow_null=True,
        default=None,
        help_text="drop-offs only: what comes off the vehicle here (omitted dimensions: 0). Declare it on every "
        "drop-off or on none; together the shares are at most the trip's load in each dimension, and what they "
        "leave comes off at the last drop-off. Route plans then free that room at this stop; undeclared, the "
        "whole load stays on to the last drop-off.",
    )


class BookSerializer(StrictInputSerializer):
    fleet_id = serializers.UUIDField()
    vehicle_type = serializers.ChoiceField(
        choices=["bike", "car", "van", "truck"],
        help_text="the vehicle the trip is quoted for and done with: only a vehicle of exactly this type takes "
        "it (assignment, offers, auto-dispatch, route plans); a larger one is not an upgrade",
    )
    service = serializers.ChoiceField(choices=["delivery", "ride"], default="delivery")
    # many=True hands min_length/max_length to the ListSerializer; DRF's stubs don't list them
    stops = StopInputSerializer(many=True, min_length=2, max_length=booking.MAX_STOPS)  # type: ignore[call-arg]
    quote_id = serializers.UUIDField(required=False, allow_null=True, default=None)
    requested_for = serializers.DateTimeField(required=False, allow_null=True, default=None)
    weight_kg = serializers.IntegerField(min_value=0, max_value=60_000, required=False, default=0)
    volume_m3 = serializers.DecimalField(
        max_digits=6, decimal_places=2, min_value=0, required=False, default=Decimal(0)
    )
    parcels = serializers.IntegerField(min_value=0, max_value=1000, required=False, default=0)
    seats = serializers.IntegerField(min_value=0, max_value=60, required=False, default=0)
    customer_id = serializers.UUIDField(
        required=False, allow_null=True, default=None, help_text="dispatchers booking for a customer"
    )
    require_pin = serializers.BooleanField(
        required=False, default=False, help_text="drop-offs need a PIN the customer gives the recipient"
    )


class BookedOutput(TripOutput):
    tracking_url = serializers.CharField(help_text="share it; works without login until it expires")
    pins = serializers.DictField(child=serializers.CharField(), help_text="drop-off sequence -> PIN")


class CustomerQuery(StrictInputSerializer):
    q = serializers.CharField(
        min_length=selectors.SEARCH_MIN_LENGTH, max_length=100, help_text="part of the name or email (at least 2)"
    )


class CustomerOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(source="display_name")
    email = serializers.CharField()
