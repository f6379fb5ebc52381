"""How vehicles, their documents and maintenance look over the API, and the fields a vehicle is given."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.fleet.contracts import VehicleDocumentKind, VehicleStatus, VehicleType
from apps.fleet.services.vehicles import TYPE_FIELDS
from logitrack.http.serializers import StrictInputSerializer


class VehicleDetailsOutput(serializers.Serializer):
    """The fields of the vehicle's own type: a bike's, a car's, a van's or a truck's."""

    electric = serializers.BooleanField(required=False, help_text="bike")
    cargo_box = serializers.BooleanField(required=False, help_text="bike")
    body = serializers.ChoiceField(choices=["sedan", "estate", "suv", "mpv"], required=False, help_text="car")
    wheelchair_accessible = serializers.BooleanField(required=False, help_text="car")
    tail_lift = serializers.BooleanField(required=False, help_text="van")
    refrigerated = serializers.BooleanField(required=False, help_text="van")
    axles = serializers.IntegerField(required=False, help_text="truck")
    gross_weight_kg = serializers.IntegerField(required=False, help_text="truck")
    licence_class = serializers.CharField(required=False, help_text="truck: the driving licence class it needs")


class VehicleOutput(serializers.Serializer):
    id = serializers.UUIDField()
    fleet_id = serializers.UUIDField()
    type = serializers.SerializerMethodField()
    registration = serializers.CharField()
    registration_country = serializers.CharField()
    make = serializers.CharField()
    model = serializers.CharField()
    year = serializers.IntegerField()
    status = serializers.ChoiceField(choices=[s.value for s in VehicleStatus])
    capacity_kg = serializers.IntegerField()
    capacity_volume_m3 = serializers.DecimalField(max_digits=6, decimal_places=2)
    seats = serializers.IntegerField()
    parcels = serializers.IntegerField()
    details = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_type(self, vehicle) -> str:
        return vehicle.TYPE.value

    @extend_schema_field(VehicleDetailsOutput)
    def get_details(self, vehicle) -> dict:
        return {f: getattr(vehicle, f) for f in TYPE_FIELDS[vehicle.TYPE]}


class VehicleFields(StrictInputSerializer):
    make = serializers.CharField(max_length=60)
    model = serializers.CharField(max_length=60)
    year = serializers.IntegerField(min_value=1950, max_value=2100)
    capacity_kg = serializers.IntegerField(min_value=0, required=False)
    capacity_volume_m3 = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=0, required=False)
    seats = serializers.IntegerField(min_value=0, max_value=60, required=False)
    parcels = serializers.IntegerField(min_value=0, required=False)
    electric = serializers.BooleanField(required=False)
    cargo_box = serializers.BooleanField(required=False)
    body = serializers.ChoiceField(choices=["sedan", "estate", "suv", "mpv"], required=False)
    wheelchair_accessible = serializers.BooleanField(required=False)
    tail_lift = serializers.BooleanField(required=False)
    refrigerated = serializers.BooleanField(required=False)
    axles = serializers.IntegerField(min_value=2, max_value=9, required=False)
    gross_weight_kg = serializers.IntegerField(min_value=1, required=False)
    licence_class = serializers.CharField(max_length=5, required=False)


def check_type_fields(vehicle_type: VehicleType, data: dict) -> None:
    """A field of another vehicle type is a 400 naming it; a truck needs its gross weight."""
    foreign = {f for t, fields in TYPE_FIELDS.items() if t != vehicle_type for f in fields}
    own = set(TYPE_FIELDS[vehicle_type])
    wrong = sorted((set(data) & foreign) - own)
    if wrong:
        raise serializers.ValidationError({f: [f"Does not apply to a {vehicle_type}."] for f in wrong})
    if vehicle_type == VehicleType.TRUCK and "gross_weight_kg" not in data:
        raise serializers.ValidationError({"gross_weight_kg": ["Required for a truck."]})


class DocumentOutput(serializers.Serializer):
    id = serializers.UUIDField()
    vehicle_id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=[k.value for k in VehicleDocumentKind])
    number = serializers.CharField()
    issued_on = serializers.DateField(allow_null=True)
    expires_on = serializers.DateField()
    has_file = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_has_file(self, doc) -> bool:
        return bool(doc.file_path)


class MaintenanceOutput(serializers.Serializer):
    id = serializers.UUIDField()
    vehicle_id = serializers.UUIDField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    reason = serializers.CharField()
