"""The vehicle inventory: vehicles join a fleet (one model per type), change their details, and move between
`active ⇄ in_maintenance → retired`."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError

from apps.fleet import domain
from apps.fleet.contracts import (
    FleetNotActive,
    FleetNotFound,
    FleetStatus,
    IllegalVehicleTransition,
    InvalidFleetData,
    RegistrationTaken,
    VehicleStatus,
    VehicleType,
)
from apps.fleet.events import VehicleAddedV1, VehicleStatusChangedV1
from apps.fleet.models import VEHICLE_MODELS, Fleet, Vehicle
from apps.fleet.services._shared import invalid, validate
from logitrack.db import contexts
from logitrack.db.services import model_update
from logitrack.outbox.api import publish

VEHICLE_FIELDS = ("make", "model", "year", "capacity_kg", "capacity_volume_m3", "seats", "parcels")
TYPE_FIELDS = {
    VehicleType.BIKE: ("electric", "cargo_box"),
    VehicleType.CAR: ("body", "wheelchair_accessible"),
    VehicleType.VAN: ("tail_lift", "refrigerated"),
    VehicleType.TRUCK: ("axles", "gross_weight_kg", "licence_class"),
}


def normalise_registration(raw: str) -> str:
    return re.sub(r"[\s-]+", "", raw or "").upper()


def _require_active_fleet(fleet: Fleet) -> None:
    if fleet.status not in (FleetStatus.ACTIVE, FleetStatus.UNDER_REVIEW, FleetStatus.APPLIED):
        raise FleetNotActive(f"fleet {fleet.name} is {fleet.status}: its inventory is frozen")


@contexts.atomic("fleet")
def vehicle_add(*, fleet_id: uuid.UUID, vehicle_type: VehicleType, data: dict[str, Any]) -> Vehicle:
    fleet = Fleet.objects.select_for_update().filter(id=fleet_id).first()
    if fleet is None:  # a platform admin may name any fleet, including one that does not exist
        raise FleetNotFound(f"fleet {fleet_id} does not exist")
    _require_active_fleet(fleet)
    model = VEHICLE_MODELS[VehicleType(vehicle_type)]
    vehicle = model(
        fleet=fleet,
        registration=normalise_registration(data.get("registration", "")),
        registration_country=data.get("registration_country") or fleet.country,
    )
    for field in (*VEHICLE_FIELDS, *TYPE_FIELDS[VehicleType(vehicle_type)]):
        if field in data:
            setattr(vehicle, field, data[field])
    validate(vehicle, exclude=["fleet"])
    try:
        with contexts.atomic("fleet"):
            vehicle.save()
    except IntegrityError:
        raise RegistrationTaken(
            f"{vehicle.registration} is already registered in {vehicle.registration_country}"
        ) from None
    publish(
        VehicleAddedV1(
            vehicle_id=vehicle.id,
            fleet_id=fleet.id,
            vehicle_type=VehicleType(vehicle_type),
            capacity_kg=vehicle.capacity_kg,
            seats=vehicle.seats,
        )
    )
    return vehicle


@contexts.atomic("fleet")
def vehicle_update(*, vehicle_id: uuid.UUID, data: dict[str, Any]) -> Vehicle:
    vehicle = Vehicle.objects.select_for_update().get(id=vehicle_id).get_real_instance()
    if vehicle.status == VehicleStatus.RETIRED:
        raise IllegalVehicleTransition("a retired vehicle cannot be changed")
    fields = (*VEHICLE_FIELDS, *TYPE_FIELDS[vehicle.TYPE])
    refused = sorted(set(data) - set(fields))
    if refused:
        raise InvalidFleetData(
            "these fields cannot be changed", extra={"errors": {f: ["Not editable."] for f in refused}}
        )
    try:  # uniqueness is left to the database
        model_update(
            instance=vehicle,
            fields=fields,
            data=data,
            exclude=["fleet"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        raise invalid(exc) from None
    return vehicle


@contexts.atomic("fleet")
def vehicle_status_change(*, vehicle_id: uuid.UUID, status: VehicleStatus) -> Vehicle:
    vehicle = Vehicle.objects.select_for_update().get(id=vehicle_id)
    current = VehicleStatus(vehicle.status)
    if current == status:
        return vehicle
    if not domain.vehicle_may_become(current, status):
        raise IllegalVehicleTransition(
            f"a vehicle that is {current.replace('_', ' ')} cannot become {status.replace('_', ' ')}",
            extra={"current_status": current.value},
        )
    vehicle.status = status
    vehicle.save(update_fields=["status", "updated_at"])
    publish(
        VehicleStatusChangedV1(vehicle_id=vehicle.id, fleet_id=vehicle.fleet_id, old_status=current, new_status=status)
    )
    return vehicle
