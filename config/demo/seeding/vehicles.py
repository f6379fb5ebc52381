"""Each demo fleet's vehicles: every type (then the plan's mix), each with its registration and insurance papers
(a few expiring soon), one in maintenance and one retired."""

from __future__ import annotations

import collections
import datetime as dt
import uuid

from django.utils import timezone

from apps.fleet.contracts import VehicleDocumentKind, VehicleStatus, VehicleType
from apps.fleet.services import vehicle_documents as fleet_vehicle_documents
from apps.fleet.services import vehicles as fleet_vehicles
from config.demo.plans import VEHICLE_DATA, VEHICLE_MIX, FleetPlan
from config.demo.seeding.context import Seeding


def vehicle_count(drivers: int) -> int:
    """Vehicles for a fleet of this many drivers (a few more than four in five of them drive at once)."""
    return round(drivers * 0.8) + 4


def vehicles(
    seeding: Seeding, plan: FleetPlan, fleet_id: uuid.UUID, drivers: int
) -> dict[VehicleType, list[uuid.UUID]]:
    """Add the fleet's vehicles; returns the usable ones (neither in maintenance nor retired) by type."""
    rng = seeding.rng
    count = vehicle_count(drivers)
    kinds = [t for t, _ in VEHICLE_MIX] + [seeding.pick(VEHICLE_MIX) for _ in range(count - len(VEHICLE_MIX))]
    usable: dict[VehicleType, list[uuid.UUID]] = collections.defaultdict(list)
    today = timezone.localdate()
    for n, kind in enumerate(kinds):
        data = {**VEHICLE_DATA[kind], "registration": plan.plate(rng, n), "year": rng.randint(2018, 2025)}
        if kind == VehicleType.TRUCK:
            data["licence_class"] = "C"
        vehicle = fleet_vehicles.vehicle_add(fleet_id=fleet_id, vehicle_type=kind, data=data)
        insurance_days = 20 if n % 9 == 4 else rng.randint(120, 360)  # a few papers to renew soon
        fleet_vehicle_documents.vehicle_document_add(
            vehicle_id=vehicle.id,
            kind=VehicleDocumentKind.REGISTRATION,
            expires_on=today + dt.timedelta(days=rng.randint(200, 700)),
            number=f"ZB1-{rng.randint(100000, 999999)}",
        )
        fleet_vehicle_documents.vehicle_document_add(
            vehicle_id=vehicle.id,
            kind=VehicleDocumentKind.INSURANCE,
            expires_on=today + dt.timedelta(days=insurance_days),
            number=f"POL-{rng.randint(1000000, 9999999)}",
        )
        if n == len(kinds) - 1:
            fleet_vehicles.vehicle_status_change(vehicle_id=vehicle.id, status=VehicleStatus.RETIRED)
        elif n == len(kinds) - 2:
            fleet_vehicles.vehicle_status_change(vehicle_id=vehicle.id, status=VehicleStatus.IN_MAINTENANCE)
        else:
            usable[kind].append(vehicle.id)
        seeding.report.counts["vehicles"] += 1
        seeding.tick()
    return usable
