"""Drivers on the road: a shift on a free vehicle the driver may drive (most started an hour or more ago and the
driver on duty, some planned for later), and the last ten minutes of positions of every driver on duty."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from decimal import Decimal

from apps.dispatch.contracts import Ping
from apps.dispatch.services import positions as dispatch_positions
from apps.fleet.contracts import VehicleType
from apps.partner.services import duty as partner_duty
from apps.trips.services import shifts as trips_shifts
from config.demo.cities import along
from config.demo.plans import FleetPlan
from config.demo.seeding.context import Seeding


@dataclasses.dataclass
class Crew:
    """A driver on a started shift, on duty: who trips are assigned to."""

    user_id: uuid.UUID
    driver_id: uuid.UUID
    vehicle_type: VehicleType
    shift_id: uuid.UUID
    position: tuple[float, float]
    busy: bool = False


def shift(
    seeding: Seeding, plan: FleetPlan, fleet_id, user_id, driver_id, free, *, heavy: bool, manager_id
) -> Crew | None:
    """Plan a shift on one of the `free` vehicles (taken from it); the crew if the shift started, else None."""
    rng = seeding.rng
    kinds = [k for k in (VehicleType.TRUCK,) if heavy and free.get(k)] or [
        k for k in (VehicleType.VAN, VehicleType.CAR, VehicleType.BIKE) if free.get(k)
    ]
    if not kinds:
        return None  # more drivers than vehicles: this one has the day off
    kind = rng.choice(kinds)
    vehicle_id = free[kind].pop()
    later = rng.random() < 0.15  # a late shift, planned but not started yet
    starts = (
        seeding.now + dt.timedelta(hours=rng.uniform(2, 4))
        if later
        else seeding.now - dt.timedelta(hours=rng.uniform(1, 4))
    )
    planned = trips_shifts.shift_plan(
        fleet_id=fleet_id,
        driver_id=driver_id,
        vehicle_id=vehicle_id,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=8),
        planned_by_id=manager_id,
    )
    seeding.report.counts["shifts"] += 1
    if later:
        return None
    trips_shifts.shift_start(shift_id=planned.id, odometer_km=Decimal(rng.randint(12_000, 140_000)))
    partner_duty.duty_set(driver_id=driver_id, on_duty=True)
    return Crew(user_id, driver_id, kind, planned.id, plan.city.address(rng).point)


def positions(seeding: Seeding, plan: FleetPlan, fleet_id: uuid.UUID, crews: list[Crew]) -> None:
    """The last ten minutes of every driver on duty: a fix every 20 s along the streets to where they are."""
    fixes = []
    for crew in crews:
        path = plan.city.route(plan.city.address(seeding.rng).point, crew.position)
        for k in range(30):
            at = seeding.now - dt.timedelta(seconds=20 * (30 - k))
            (lat, lng), heading, _ = along(path, k * 20 * 8.0)  # about 30 km/h
            ping = Ping(
                ping_id=seeding.uuid(),
                lat=lat,
                lng=lng,
                recorded_at=at,
                accuracy_m=8.0,
                heading=round(heading),
                speed_mps=8.0,
            )
            fixes.append((crew.driver_id, fleet_id, ping))
        crew.position = (lat, lng)
    if fixes:
        dispatch_positions.positions_record(fixes=fixes)
    seeding.report.counts["position pings"] += len(fixes)
