"""Read use cases of the dispatch context: the screen snapshot, trails, the driver behind a connection."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import QuerySet
from django.utils import timezone

from apps.dispatch import domain, feed, integrations, live
from apps.dispatch.contracts import NotADriver, PlanStatus
from apps.dispatch.models import DispatchAttempt, PositionPing, RoutePlan, RoutingJob
from apps.partner.contracts import DriverRef
from logitrack.principal import Principal, Role


def driver_for_connection(*, user_id: uuid.UUID, fleet_id: uuid.UUID | None) -> DriverRef:
    """The driver profile a driver-app connection speaks for (on duty or not: offers still reach it)."""
    ids = integrations.driver_ids_of(user_id=user_id)
    drivers = [integrations.driver_get(driver_id=i) for i in ids]
    drivers = [d for d in drivers if d is not None and d.active and (fleet_id is None or d.fleet_id == fleet_id)]
    if len(drivers) != 1:
        raise NotADriver(
            "you are not a driver of this fleet" if not drivers else "you drive for several fleets: say which"
        )
    return drivers[0]


def drivers_on_duty(*, driver_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    return integrations.drivers_on_duty(driver_ids=driver_ids)


def trail_visible_to(*, principal: Principal, driver_id: uuid.UUID) -> bool:
    """The driver themselves, or staff of the driver's fleet (anyone else gets a 404: no existence leak)."""
    driver = integrations.driver_get(driver_id=driver_id)
    if driver is None:
        return False
    if driver.user_id == principal.user_id:
        return True
    return principal.may_act_on_fleet(driver.fleet_id, Role.DISPATCHER, Role.FLEET_MANAGER)


def trail(*, driver_id: uuid.UUID, start: dt.datetime, end: dt.datetime) -> QuerySet:
    return PositionPing.objects.filter(driver_id=driver_id, recorded_at__gte=start, recorded_at__lt=end).order_by(
        "recorded_at"
    )


def fleet_snapshot(*, fleet_id: uuid.UUID) -> dict:
    """Everything a dispatch screen draws, and the feed sequence it reflects. The sequence is read first:
    messages numbered above it may repeat changes already in here, which is harmless (they carry state)."""
    seq = live.store().sequence(fleet_id)
    now = timezone.now()
    positions = live.store().fleet(fleet_id)
    trips = integrations.trips_open(fleet_id=fleet_id)
    shifts = integrations.shifts_open(fleet_id=fleet_id, at=now)
    attempts = {a.trip_id: a for a in DispatchAttempt.objects.filter(trip_id__in=[t.id for t in trips])}
    vehicles = integrations.vehicles(vehicle_ids=[s.vehicle_id for s in shifts])
    names = integrations.drivers_named(
        driver_ids=list({*(s.driver_id for s in shifts), *(p.driver_id for p in positions)})
    )
    shift_of = {s.driver_id: s for s in shifts}
    return {
        "fleet_id": fleet_id,
        "seq": seq,
        "generated_at": now,
        "drivers": [
            {
                **feed.position_json(p),
                "name": names.get(p.driver_id, ""),
                "shift_id": shift_of[p.driver_id].id if p.driver_id in shift_of else None,
            }
            for p in positions
        ],
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
            for s in shifts
        ],
        "trips": [domain.trip_json(t, attempts.get(t.id)) for t in trips],
        "plan": plan_current(fleet_id=fleet_id),
        "jobs": list(jobs_of(fleet_id=fleet_id)[:5]),
    }


def jobs_of(*, fleet_id: uuid.UUID) -> QuerySet:
    return RoutingJob.objects.filter(fleet_id=fleet_id).order_by("-created_at")


def job_for(*, principal: Principal, job_id: uuid.UUID) -> RoutingJob | None:
    return _staff_only(RoutingJob.objects.filter(id=job_id), principal).first()


def plans_of(*, fleet_id: uuid.UUID) -> QuerySet:
    return RoutePlan.objects.filter(fleet_id=fleet_id).order_by("-created_at")


def plan_for(*, principal: Principal, plan_id: uuid.UUID) -> RoutePlan | None:
    return _staff_only(RoutePlan.objects.filter(id=plan_id), principal).first()


def plan_current(*, fleet_id: uuid.UUID) -> RoutePlan | None:
    """What the screen shows: the newest plan still in play (proposed or accepted)."""
    return plans_of(fleet_id=fleet_id).filter(status__in=[PlanStatus.PROPOSED, PlanStatus.ACCEPTED]).first()


def _staff_only(rows: QuerySet, principal: Principal) -> QuerySet:
    if principal.is_platform_admin:
        return rows
    return rows.filter(fleet_id__in=principal.fleets(Role.DISPATCHER, Role.FLEET_MANAGER))


def screen_fleets(*, principal: Principal | None, wanted: str) -> tuple[list[dict], dict | None]:
    """The fleets whose dispatch screen the caller may open, by name, and the one to show: the `wanted` id if
    theirs (any fleet for a platform admin), else their first. No fleet: (`[]`, None)."""
    if principal is None:
        return [], None
    fleets = screen_fleets_named(fleet_ids=sorted(principal.fleets(Role.DISPATCHER, Role.FLEET_MANAGER), key=str))
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
