"""Every call the trips context makes into another context (billing, partner, fleet, identity)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

import structlog

from apps.billing import contracts as billing_contracts
from apps.billing.contracts import BillingUnavailable, QuoteExpired, QuoteNotFound
from apps.fleet import api as fleet_api
from apps.fleet.contracts import FleetNotFound, FleetStatus, VehicleNotFound
from apps.identity import api as identity_api
from apps.identity.contracts import CustomerRef
from apps.partner import api as partner_api
from apps.partner.contracts import DriverNotFound
from apps.trips.contracts import InvalidTrip
from logitrack import remote
from logitrack.formatting import Locality

log = structlog.get_logger(__name__)


def _billing_inprocess():
    from apps.billing import api

    return api


# billing's api, in this process or over HTTP when billing runs as its own service (BILLING_API_MODE)
billing_api = remote.ContextApi(billing_contracts.REMOTE, inprocess=_billing_inprocess)


@dataclasses.dataclass(frozen=True)
class FleetRules:
    active: bool
    center: tuple[float, float] | None
    radius_m: int | None
    polygon: tuple[tuple[float, float], ...]
    max_weight_kg: int
    max_seats: int
    max_volume_m3: float
    proof_of_delivery: tuple[str, ...] = ()


def fleet_rules(*, fleet_id: uuid.UUID, vehicle_type: str) -> FleetRules:
    try:
        fleet = fleet_api.fleet_get(fleet_id=fleet_id)
    except FleetNotFound as exc:
        raise InvalidTrip("no such fleet", code="trips.fleet_not_found") from exc
    capacity = fleet_api.vehicle_capacity_max(fleet_id=fleet_id, vehicle_type=vehicle_type)
    area = fleet.service_area
    center = (area.center_lat, area.center_lng) if area.center_lat is not None and area.center_lng is not None else None
    return FleetRules(
        fleet.status is FleetStatus.ACTIVE,
        center,
        area.radius_m,
        area.polygon,
        capacity.weight_kg,
        capacity.seats,
        capacity.volume_m3,
        fleet.proof_of_delivery,
    )


class Fares(dict):
    """Trip id -> billing's TripFare. `unavailable`: billing could not be reached, so every fare is unknown (not
    absent): a trip list still answers, its fares null and flagged, rather than fail with billing."""

    unavailable = False


def trip_fares(*, trips) -> Fares:
    """Billing's quoted and settled totals of many trips, in one call (trip id -> billing's TripFare)."""
    found = Fares()
    try:
        fares = billing_api.trip_fares(trips=[(t.id, t.quote_id) for t in trips])
    except BillingUnavailable as exc:
        log.warning("trips.fares_unavailable", error=exc.message)
        found.unavailable = True
        return found
    found.update((f.trip_id, f) for f in fares)
    return found


def quote_usable(*, quote_id: uuid.UUID, fleet_id: uuid.UUID) -> None:
    """Billing's word that the quote may be booked; BillingUnavailable (503 `billing.unavailable`) propagates: a
    booking that names a quote is never accepted unchecked."""
    try:
        billing_api.quote_check(quote_id=quote_id, fleet_id=fleet_id)
    except (QuoteNotFound, QuoteExpired) as exc:
        raise InvalidTrip(exc.message, code=exc.code) from exc


def driver_problems(*, driver_id: uuid.UUID, licence_class: str) -> tuple[str, ...]:
    """Why a driver may not take the trip (empty when they may)."""
    answer = partner_api.driver_eligibility(driver_id=driver_id, licence_class=licence_class)
    return answer.reasons


def shift_problems(
    *, fleet_id: uuid.UUID, driver_id: uuid.UUID, vehicle_id: uuid.UUID, starts_at: dt.datetime, ends_at: dt.datetime
) -> list[str]:
    """Why this driver and vehicle cannot work together in this window (empty when they can)."""
    try:
        vehicle = fleet_api.vehicle_get(vehicle_id=vehicle_id)
    except VehicleNotFound:
        return ["vehicle_unknown"]
    if vehicle.fleet_id != fleet_id:
        return ["vehicle_unknown"]
    problems = []
    if vehicle.id not in {
        v.id for v in fleet_api.vehicles_assignable(fleet_id=fleet_id, starts_at=starts_at, ends_at=ends_at)
    }:
        problems.append("vehicle_not_assignable")
    try:
        driver = partner_api.driver_get(driver_id=driver_id)
    except DriverNotFound:
        return [*problems, "driver_unknown"]
    if driver.fleet_id != fleet_id:
        return [*problems, "driver_unknown"]
    problems += partner_api.driver_eligibility(
        driver_id=driver_id, licence_class=vehicle.required_licence_class
    ).reasons
    return problems


def vehicle_capacity(*, vehicle_id: uuid.UUID):
    """(type, capacity, licence class needed) of a shift's vehicle."""
    vehicle = fleet_api.vehicle_get(vehicle_id=vehicle_id)
    return vehicle.type.value, vehicle.capacity, vehicle.required_licence_class


def driver_ids_of(*, user_id: uuid.UUID) -> set[uuid.UUID]:
    return {d.id for d in partner_api.drivers_of_user(user_id=user_id)}


def tracking_details(*, driver_id: uuid.UUID | None, vehicle_id: uuid.UUID | None) -> tuple[str | None, dict | None]:
    """(driver's first name, vehicle make/model/colourless plate) for a public tracking page."""
    first_name = None
    if driver_id is not None:
        try:
            name = partner_api.driver_get(driver_id=driver_id).display_name.strip()
            first_name = name.split()[0] if name else None
        except DriverNotFound:
            first_name = None
    vehicle = None
    if vehicle_id is not None:
        try:
            ref = fleet_api.vehicle_get(vehicle_id=vehicle_id)
            vehicle = {"type": ref.type.value, "make": ref.make, "model": ref.model, "registration": ref.registration}
        except VehicleNotFound:
            vehicle = None
    return first_name, vehicle


def proof_required(*, fleet_id: uuid.UUID) -> tuple[str, ...]:
    return fleet_api.fleet_get(fleet_id=fleet_id).proof_of_delivery


@dataclasses.dataclass(frozen=True)
class TripPeople:
    """Who is on a trip, as its fleet's staff see them: names, not ids (None when unknown or unset)."""

    customer_name: str | None
    driver_name: str | None
    vehicle: dict | None  # id, type, registration, make, model


def trip_people(
    *, customer_id: uuid.UUID | None, driver_id: uuid.UUID | None, vehicle_id: uuid.UUID | None
) -> TripPeople:
    """The customer's and driver's display names and the vehicle of one trip (identity, partner, fleet)."""
    customer = identity_api.users_get(user_ids=[customer_id]) if customer_id is not None else []
    driver = partner_api.drivers_get(driver_ids=[driver_id]) if driver_id is not None else []
    vehicle = fleet_api.vehicles_get(vehicle_ids=[vehicle_id]) if vehicle_id is not None else []
    return TripPeople(
        customer_name=customer[0].display_name if customer else None,
        driver_name=driver[0].display_name if driver else None,
        vehicle=(
            {
                "id": vehicle[0].id,
                "type": vehicle[0].type.value,
                "registration": vehicle[0].registration,
                "make": vehicle[0].make,
                "model": vehicle[0].model,
            }
            if vehicle
            else None
        ),
    )


def customer_ids_matching(*, text: str, limit: int) -> list[uuid.UUID]:
    """Ids of up to `limit` customer accounts with `text` in their name or email."""
    return identity_api.customer_ids_matching(text=text, limit=limit)


def driver_ids_named(*, text: str, fleet_ids: list[uuid.UUID] | None, limit: int) -> list[uuid.UUID]:
    """Ids of up to `limit` drivers of these fleets (None: any) with `text` in their name."""
    return partner_api.driver_ids_named(text=text, fleet_ids=fleet_ids, limit=limit)


def customers_get(*, user_ids: list[uuid.UUID]) -> list[CustomerRef]:
    """The active customer accounts among these ids."""
    return identity_api.customers_get(user_ids=user_ids)


def customers_find(*, text: str, known_ids: list[uuid.UUID], limit: int) -> list[CustomerRef]:
    """Active customer accounts matching `text` among `known_ids`, or whose email is exactly `text`."""
    return identity_api.customers_find(text=text, known_ids=known_ids, limit=limit)


def fleet_time_zones(*, fleet_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Each fleet's IANA time zone, whose local days the overview's figures are counted in; UTC for an id fleet
    does not know (as logitrack.formatting reads an unknown zone)."""
    found = fleet_api.fleet_localities(fleet_ids=list(fleet_ids))
    return {fleet_id: (found[fleet_id].time_zone if fleet_id in found else "UTC") or "UTC" for fleet_id in fleet_ids}


# ---- names and localities for the admin (one call per page or export chunk; see logitrack/admin/readable.py) ----


def user_names(*, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Display names of these users (customers, bookers, actors on a timeline); unknown ids are left out."""
    return {u.id: u.display_name for u in identity_api.users_get(user_ids=list(ids)) if u.display_name}


def driver_names(*, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    return {d.id: d.display_name for d in partner_api.drivers_get(driver_ids=list(ids))}


def vehicle_names(*, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """A vehicle as a manager names it: registration, make and model."""
    return {
        v.id: " ".join(p for p in (v.registration, "·", v.make, v.model) if p).strip(" ·")
        for v in fleet_api.vehicles_get(vehicle_ids=list(ids))
    }


def fleet_names(*, ids: list[uuid.UUID] | None) -> dict[uuid.UUID, str]:
    """Names of these fleets (every fleet when None)."""
    return fleet_api.fleet_names(fleet_ids=None if ids is None else list(ids))


def fleet_localities(*, fleet_ids: list[uuid.UUID]) -> dict[uuid.UUID, Locality]:
    """How each fleet's people read figures (locale from its country, its time zone and currency), in one call."""
    return {
        fleet_id: Locality(locale=found.locale, time_zone=found.time_zone, currency=found.currency)
        for fleet_id, found in fleet_api.fleet_localities(fleet_ids=fleet_ids).items()
    }


def fare_detail(*, trip_id: uuid.UUID, quote_id: uuid.UUID | None):
    """Billing's fare of one trip with its lines (the settled one, else the quote), or None; BillingUnavailable
    when billing cannot be reached (the admin's trip page says so instead of showing no fare)."""
    return billing_api.trip_fare_detail(trip_id=trip_id, quote_id=quote_id)


def fleet_branding(*, fleet_id: uuid.UUID):
    """How the fleet presents itself to its customers (fleet's FleetBranding), or None for a fleet that is gone."""
    return fleet_api.fleet_branding(fleet_ids=[fleet_id]).get(fleet_id)


def fleet_logo(*, fleet_id: uuid.UUID):
    """The fleet's logo (fleet's FleetLogo: PNG bytes and version), or None without one."""
    return fleet_api.fleet_logo(fleet_id=fleet_id)
