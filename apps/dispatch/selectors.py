"""Read use cases of the dispatch context: the screen snapshot, trails, jobs and plans, the driver behind a
connection, and who may see which of them (the visibility functions below take the caller's Principal)."""

from __future__ import annotations

import dataclasses
import uuid

from django.conf import settings
from django.db.models import QuerySet

from apps.dispatch import integrations, live, matching, workspace
from apps.dispatch.contracts import (
    FleetDriverNotFound,
    JobNotFound,
    NotADriver,
    PlanNotFound,
    PlanStatus,
    TripEnded,
    TripNotFound,
    UnknownFleet,
)
from apps.dispatch.models import DispatchAttempt, PositionPing, RoutePlan, RoutingJob
from apps.fleet.contracts import VehicleType
from apps.partner.contracts import DriverRef
from apps.trips.contracts import TERMINAL_STATUSES
from logitrack.principal import Principal, Role

STAFF = (Role.DISPATCHER, Role.FLEET_MANAGER)  # who watches a fleet's dispatch (with platform admins)


def driver_for_connection(*, user_id: uuid.UUID, fleet_id: uuid.UUID | None) -> DriverRef:
    """The driver profile a driver-app connection speaks for (on duty or not: offers still reach it)."""
    ids = integrations.driver_ids_of(user_id=user_id)
    found = [integrations.driver_get(driver_id=i) for i in ids]
    drivers = [d for d in found if d is not None and d.active and (fleet_id is None or d.fleet_id == fleet_id)]
    if len(drivers) != 1:
        raise NotADriver(
            "you are not a driver of this fleet" if not drivers else "you drive for several fleets: say which"
        )
    return drivers[0]


def drivers_on_duty(*, driver_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    return integrations.drivers_on_duty(driver_ids=driver_ids)


def drivers_connected(*, driver_ids: list[uuid.UUID]) -> frozenset[uuid.UUID]:
    """Those drivers with a driver-app socket open now (its lease renewed within DISPATCH_PRESENCE_TTL_SECONDS)."""
    return frozenset(live.store().presence_of(driver_ids))


def trail_visible(*, principal: Principal, driver_id: uuid.UUID) -> QuerySet:
    """A driver's position history, oldest first: for the driver themselves and the staff of the driver's fleet.
    Anyone else is told there is no such driver (404: no existence leak)."""
    driver = integrations.driver_get(driver_id=driver_id)
    if driver is None or not (
        driver.user_id == principal.user_id or principal.may_act_on_fleet(driver.fleet_id, *STAFF)
    ):
        raise FleetDriverNotFound("no such driver")
    return PositionPing.objects.filter(driver_id=driver_id).order_by("recorded_at", "id")


def fleet_snapshot(*, fleet_id: uuid.UUID) -> dict:
    """Everything a dispatch screen draws, and the feed sequence it reflects. The sequence is read first:
    messages numbered above it may repeat changes already in here, which is harmless (they carry state).
    Trips carry their timing and names, drivers their state, and the alerts are computed here (workspace)."""
    seq = live.store().sequence(fleet_id)
    board = workspace.board_gather(fleet_id=fleet_id)
    names, vehicles = board.driver_names, board.vehicles
    return {
        "fleet_id": fleet_id,
        "seq": seq,
        "generated_at": board.now,
        "drivers": board.drivers,
        "shifts": [
            {
                "id": s.id,
                "driver_id": s.driver_id,
                "driver_name": names.get(s.driver_id, ""),
                "vehicle_id": s.vehicle_id,
                "vehicle_type": vehicles[s.vehicle_id][0] if s.vehicle_id in vehicles else "",
                "registration": vehicles[s.vehicle_id][2] if s.vehicle_id in vehicles else "",
                "starts_at": s.starts_at,
                "ends_at": s.ends_at,
                "status": s.status,
                "load_weight_kg": s.load_weight_kg,
            }
            for s in board.shifts
        ],
        "trips": [board.card(t) for t in board.trips],
        "alerts": board.alerts,
        "plan": plan_current(fleet_id=fleet_id),
        "jobs": list(jobs_of(fleet_id=fleet_id)[:5]),
    }


def trip_candidates_for(*, principal: Principal, trip_id: uuid.UUID) -> dict:
    """Suggested drivers for a trip, for the staff of its fleet (404 for anyone else, as for a trip that does not
    exist): the matcher's own assessment (auto-dispatch's order, leaving out, as it does, the drivers it already
    offered the trip to: they are listed as "already offered it"), then every other open shift with why not."""
    trip = integrations.trip_find(trip_id=trip_id)
    if trip is None or not fleet_visible(principal=principal, fleet_id=trip.fleet_id):
        raise TripNotFound("no such trip")
    if trip.status in TERMINAL_STATUSES:
        raise TripEnded("the trip has ended: nobody can take it", extra={"status": str(trip.status)})
    judged = matching.strategy().assess(
        trip, exclude=drivers_offered(trip_id=trip.id, keep=trip.driver_id), every_shift=True
    )
    names = integrations.drivers_named(driver_ids=list({a.driver_id for a in judged}))
    return {
        "trip_id": trip.id,
        "candidates": [{**dataclasses.asdict(a), "driver_name": names.get(a.driver_id, "")} for a in judged],
    }


def drivers_offered(*, trip_id: uuid.UUID, keep: uuid.UUID | None = None) -> set[uuid.UUID]:
    """The drivers auto-dispatch already offered the trip to (declined, let lapse, or the open offer): its own
    `exclude`. `keep`: the trip's driver, who has it and is its current shift rather than a refusal."""
    tried = DispatchAttempt.objects.filter(trip_id=trip_id).values_list("tried_driver_ids", flat=True).first() or []
    return {uuid.UUID(d) for d in tried} - {keep}


def jobs_of(*, fleet_id: uuid.UUID) -> QuerySet:
    return RoutingJob.objects.filter(fleet_id=fleet_id).order_by("-created_at", "-id")


def plans_of(*, fleet_id: uuid.UUID) -> QuerySet:
    return RoutePlan.objects.filter(fleet_id=fleet_id).order_by("-created_at", "-id")


def plan_current(*, fleet_id: uuid.UUID) -> RoutePlan | None:
    """What the screen shows: the newest plan still in play (proposed or accepted)."""
    return plans_of(fleet_id=fleet_id).filter(status__in=[PlanStatus.PROPOSED, PlanStatus.ACCEPTED]).first()


# ---- who may see what: decided here once, asked by every view and consumer of dispatch ---------------------


def fleet_visible(*, principal: Principal | None, fleet_id: uuid.UUID) -> bool:
    """Whether the caller may watch the fleet's dispatch — its live feed and snapshot, its routing jobs and plans:
    its dispatchers and fleet managers, and platform admins."""
    return principal is not None and principal.may_act_on_fleet(fleet_id, *STAFF)


def fleet_for(*, principal: Principal, fleet_id: uuid.UUID) -> uuid.UUID:
    """The fleet, if the caller may watch it; else the answer for a fleet that does not exist (404)."""
    if not fleet_visible(principal=principal, fleet_id=fleet_id):
        raise UnknownFleet("no such fleet")
    return fleet_id


def _fleets_watched(rows: QuerySet, principal: Principal) -> QuerySet:
    if principal.is_platform_admin:
        return rows
    return rows.filter(fleet_id__in=principal.fleets(*STAFF))


def jobs_visible(*, principal: Principal, fleet_id: uuid.UUID) -> QuerySet:
    """The fleet's routing jobs, newest first (404 for a fleet the caller may not watch)."""
    return jobs_of(fleet_id=fleet_for(principal=principal, fleet_id=fleet_id))


def job_for(*, principal: Principal, job_id: uuid.UUID) -> RoutingJob:
    job = _fleets_watched(RoutingJob.objects.filter(id=job_id), principal).first()
    if job is None:
        raise JobNotFound("no such routing job")
    return job


def plans_visible(*, principal: Principal, fleet_id: uuid.UUID) -> QuerySet:
    """The fleet's route plans, newest first (404 for a fleet the caller may not watch)."""
    return plans_of(fleet_id=fleet_for(principal=principal, fleet_id=fleet_id))


def plan_for(*, principal: Principal, plan_id: uuid.UUID) -> RoutePlan:
    plan = _fleets_watched(RoutePlan.objects.filter(id=plan_id), principal).first()
    if plan is None:
        raise PlanNotFound("no such plan")
    return plan


def snapshot_for(*, principal: Principal, fleet_id: uuid.UUID) -> dict:
    """The screen's snapshot of a fleet the caller may watch (404 otherwise)."""
    return fleet_snapshot(fleet_id=fleet_for(principal=principal, fleet_id=fleet_id))


def screen_page(*, principal: Principal | None, wanted: str) -> dict | None:
    """What the dispatch screen's page needs: the fleets the caller may watch, the one to show, and the trip
    statuses that end a trip (trips' TERMINAL_STATUSES: their cards leave the board). None: no fleet to show."""
    fleets, current = screen_fleets(principal=principal, wanted=wanted)
    if current is None:
        return None
    # the zones only for the fleet shown (a billing query), not for every fleet in the picker
    return {
        "fleets": fleets,
        "fleet": {**current, "zones": integrations.surcharge_zones(fleet_id=current["id"])},
        "trip_statuses": {"ended": sorted(TERMINAL_STATUSES)},
        "map_config": map_config(),
        "vehicle_types": [t.value for t in VehicleType],  # the board's vehicle filter offers fleet's own list
    }


def map_config() -> dict:
    """The map's base layer (settings MAP_TILES_*): a raster XYZ URL template, or None for no tiles; and after how
    long without a ping a driver shows as stale: 2 minutes, or half the time the live map keeps a silent driver
    (DISPATCH_LIVE_TTL_SECONDS) if that is shorter, so that a driver shows stale before leaving the map."""
    return {
        "tiles_url": settings.MAP_TILES_URL or None,
        "attribution": settings.MAP_TILES_ATTRIBUTION,
        "max_zoom": settings.MAP_TILES_MAX_ZOOM,
        "stale_after_s": min(120, settings.DISPATCH_LIVE_TTL_SECONDS // 2),
    }


def screen_fleets(*, principal: Principal | None, wanted: str) -> tuple[list[dict], dict | None]:
    """The fleets whose dispatch screen the caller may open, by name, and the one to show: the `wanted` id if
    theirs (any fleet for a platform admin), else their first. No fleet: (`[]`, None)."""
    if principal is None:
        return [], None
    fleets = screen_fleets_named(fleet_ids=sorted(principal.fleets(*STAFF), key=str))
    try:
        wanted_id = uuid.UUID(wanted) if wanted else None
    except ValueError:
        wanted_id = None
    if wanted_id and principal.is_platform_admin and wanted_id not in {f["id"] for f in fleets}:
        fleets += screen_fleets_named(fleet_ids=[wanted_id])
    current = next((f for f in fleets if f["id"] == wanted_id), fleets[0] if fleets else None)
    return fleets, current


def screen_fleets_named(*, fleet_ids: list[uuid.UUID]) -> list[dict]:
    out = []
    for fleet_id in fleet_ids:
        fleet = integrations.fleet_summary(fleet_id=fleet_id)
        if fleet is not None:
            out.append(fleet)
    return out
