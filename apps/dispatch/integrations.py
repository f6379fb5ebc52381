"""Every call the dispatch context makes into another context (trips, billing, partner, fleet): those that must be
synchronous. What a trip event could say, dispatch takes from the event (trips' V2 events carry the trip)."""

from __future__ import annotations

import datetime as dt
import uuid

import structlog

from apps.billing import contracts as billing_contracts
from apps.billing.contracts import BillingUnavailable
from apps.dispatch.contracts import FleetDriverNotFound, NotADriver, NotOnDuty
from apps.fleet import api as fleet_api
from apps.fleet.contracts import Capacity, DocumentExpiry, FleetNotFound
from apps.identity import api as identity_api
from apps.partner import api as partner_api
from apps.partner.contracts import AmbiguousDriver, DriverNotFound, DriverRef, DutyStatus, KycExpiry
from apps.trips import api as trips_api
from apps.trips.contracts import OfferRef, ShiftRef, TripNotFound, TripRef
from logitrack import remote

log = structlog.get_logger(__name__)


def _billing_inprocess():
    from apps.billing import api

    return api


# billing's api, in this process or over HTTP when billing runs as its own service (BILLING_API_MODE)
billing_api = remote.ContextApi(billing_contracts.REMOTE, inprocess=_billing_inprocess)


def driver_on_duty(*, user_id: uuid.UUID, fleet_id: uuid.UUID | None) -> DriverRef:
    """The caller's own driver profile, which must be active and on duty to report positions."""
    try:
        driver = partner_api.driver_for_user(user_id=user_id, fleet_id=fleet_id)
    except AmbiguousDriver as exc:
        raise NotADriver(exc.message, code=exc.code, extra=exc.extra) from exc
    except DriverNotFound as exc:
        raise FleetDriverNotFound("you are not a driver of this fleet") from exc
    if not driver.active or driver.duty_status != DutyStatus.ON_DUTY:
        raise NotOnDuty("go on duty before sharing your position", extra={"duty_status": driver.duty_status})
    return driver


def driver_ids_of(*, user_id: uuid.UUID) -> set[uuid.UUID]:
    return {d.id for d in partner_api.drivers_of_user(user_id=user_id)}


def drivers_of(*, user_id: uuid.UUID) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(driver id, fleet id) of every driver profile the user has."""
    return [(d.id, d.fleet_id) for d in partner_api.drivers_of_user(user_id=user_id)]


def driver_get(*, driver_id: uuid.UUID) -> DriverRef | None:
    try:
        return partner_api.driver_get(driver_id=driver_id)
    except DriverNotFound:
        return None


def drivers_named(*, driver_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    return {d.id: d.display_name for d in partner_api.drivers_get(driver_ids=driver_ids)}


def people_named(*, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Display names of users (customers), in one query; unknown or erased ones are left out."""
    return {u.id: u.display_name for u in identity_api.users_get(user_ids=user_ids) if u.is_active} if user_ids else {}


def drivers_eligibility(*, driver_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[str, ...]]:
    """Why each driver may not be given work now (partner's reasons; empty: they may), in one query."""
    answers = partner_api.drivers_eligibility(driver_ids=driver_ids, require_on_duty=True)
    return {a.driver_id: () if a.eligible else a.reasons for a in answers}


def driver_papers_expiring(*, driver_ids: list[uuid.UUID], on_or_before: dt.date) -> list[KycExpiry]:
    return partner_api.documents_expiring(driver_ids=driver_ids, on_or_before=on_or_before) if driver_ids else []


def vehicle_papers_expiring(*, vehicle_ids: list[uuid.UUID], on_or_before: dt.date) -> list[DocumentExpiry]:
    if not vehicle_ids:
        return []
    return fleet_api.vehicle_documents_expiring(vehicle_ids=vehicle_ids, on_or_before=on_or_before)


def drivers_on_duty(*, driver_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Those of the drivers who are active and on duty now (one query)."""
    return {
        d.id for d in partner_api.drivers_get(driver_ids=driver_ids) if d.active and d.duty_status == DutyStatus.ON_DUTY
    }


def eligible_driver_ids(*, driver_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Those of the drivers who are compliant, active and on duty now."""
    answers = partner_api.drivers_eligibility(driver_ids=driver_ids, require_on_duty=True)
    return {a.driver_id for a in answers if a.eligible}


def fleet_exists(*, fleet_id: uuid.UUID) -> bool:
    try:
        fleet_api.fleet_get(fleet_id=fleet_id)
    except FleetNotFound:
        return False
    return True


def auto_dispatch_enabled(*, fleet_id: uuid.UUID) -> bool:
    try:
        return fleet_api.fleet_get(fleet_id=fleet_id).auto_dispatch
    except FleetNotFound:
        return False


def vehicles(*, vehicle_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[str, Capacity, str]]:
    """(type, capacity, registration) per vehicle id."""
    return {v.id: (v.type.value, v.capacity, v.registration) for v in fleet_api.vehicles_get(vehicle_ids=vehicle_ids)}


def trip_get(*, trip_id: uuid.UUID) -> TripRef:
    """Only for a V1 trip event delivered after its subscription moved to V2 (see handlers): V2 events carry the
    trip. Goes when trips stops publishing V1."""
    return trips_api.trip_get(trip_id=trip_id)


def trip_find(*, trip_id: uuid.UUID) -> TripRef | None:
    """A trip as it is now (a dispatcher's read of one trip), or None."""
    try:
        return trips_api.trip_get(trip_id=trip_id)
    except TripNotFound:
        return None


def trips_open(*, fleet_id: uuid.UUID, trip_ids: list[uuid.UUID] | None = None) -> list[TripRef]:
    """The fleet's open trips now (all, or those of `trip_ids`), in one call: a screen's snapshot, a plan."""
    return trips_api.trips_open(fleet_id=fleet_id, trip_ids=trip_ids)


def trips_moving(*, driver_ids: list[uuid.UUID]) -> list[TripRef]:
    """The trips the drivers hold now, for their customers' tracking pages (driven by pings, not events)."""
    return trips_api.trips_of_drivers(driver_ids=driver_ids)


def shifts_open(*, fleet_id: uuid.UUID, at: dt.datetime, driver_ids: list[uuid.UUID] | None = None) -> list[ShiftRef]:
    return trips_api.shifts_open(fleet_id=fleet_id, at=at, driver_ids=driver_ids)


def offer_make(*, trip_id: uuid.UUID, shift_id: uuid.UUID) -> OfferRef:
    return trips_api.offer_make(trip_id=trip_id, shift_id=shift_id)


def trip_assign(
    *, trip_id: uuid.UUID, shift_id: uuid.UUID, actor_id: uuid.UUID | None, reason: str = "", sequenced: bool = False
) -> TripRef:
    return trips_api.trip_assign(
        trip_id=trip_id, shift_id=shift_id, actor_id=actor_id, reason=reason, sequenced=sequenced
    )


def tracking_update(
    *, trip_id: uuid.UUID, at: dt.datetime, eta: dt.datetime | None, lat: float | None, lng: float | None
) -> bool:
    return trips_api.tracking_update(trip_id=trip_id, at=at, eta=eta, lat=lat, lng=lng)


def fleet_depot(*, fleet_id: uuid.UUID) -> tuple[float, float] | None:
    """Where vehicles without a live position are assumed to start: the centre of the service area."""
    try:
        area = fleet_api.fleet_get(fleet_id=fleet_id).service_area
    except FleetNotFound:
        return None
    if area.center_lat is None or area.center_lng is None:
        if area.polygon:
            return (
                sum(p[0] for p in area.polygon) / len(area.polygon),
                sum(p[1] for p in area.polygon) / len(area.polygon),
            )
        return None
    return (area.center_lat, area.center_lng)


def fleet_summary(*, fleet_id: uuid.UUID) -> dict | None:
    """Name, time zone and map of a fleet, for the dispatch screen: its centre, its service area as fleet keeps
    it (`radius_m` the circle's, 10 km when it has none; `area_radius_m` None then; `polygon` [[lat, lng], ...],
    empty when none)."""
    try:
        fleet = fleet_api.fleet_get(fleet_id=fleet_id)
    except FleetNotFound:
        return None
    centre = fleet_depot(fleet_id=fleet_id)
    area = fleet.service_area
    return {
        "id": fleet.id,
        "name": fleet.name,
        "time_zone": fleet.time_zone,
        "center": centre,
        "radius_m": area.radius_m or 10_000,
        "area_radius_m": area.radius_m if area.center_lat is not None and area.center_lng is not None else None,
        "polygon": [[lat, lng] for lat, lng in area.polygon],
    }


def surcharge_zones(*, fleet_id: uuid.UUID) -> list[dict]:
    """The circles the fleet's tariffs in force now charge a zone surcharge in (billing), for the dispatch map; none
    while billing runs apart and cannot be reached (the map is still worth having without them)."""
    try:
        zones = billing_api.surcharge_zones(fleet_id=fleet_id, at=dt.datetime.now(dt.UTC))
    except BillingUnavailable as exc:
        log.warning("dispatch.surcharge_zones_unavailable", error=exc.message)
        return []
    return [{"label": z.label, "center": [z.center_lat, z.center_lng], "radius_m": z.radius_m} for z in zones]
