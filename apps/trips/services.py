"""Write use cases of the trips context: booking, assignment and the lifecycle. One transaction each."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import secrets
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils import timezone

from apps.trips import domain, integrations
from apps.trips.contracts import (
    CancelledBy,
    IllegalTransition,
    InvalidTrip,
    LoadTooLarge,
    OutsideServiceArea,
    ProofMissing,
    ShiftOverlap,
    StaleVersion,
    StopKind,
    StopStatus,
    TripNotFound,
    TripStatus,
    VehicleTypeMismatch,
    vehicle_serves_booking,
)
from apps.trips.events import (
    StopSnapshot,
    TripAssignedV1,
    TripAssignedV2,
    TripCancelledV1,
    TripCancelledV2,
    TripCompletedV1,
    TripCompletedV2,
    TripFailedV1,
    TripFailedV2,
    TripOfferDeclinedV1,
    TripOfferDeclinedV2,
    TripOfferedV1,
    TripOfferedV2,
    TripRequestedV1,
    TripRequestedV2,
    TripSnapshot,
    TripStatusChangedV1,
    TripStatusChangedV2,
)
from apps.trips.models import Offer, ProofOfDelivery, Shift, Stop, TrackingLink, Trip, TripEvent
from logitrack import files, images
from logitrack.exceptions import ValidationFailed
from logitrack.outbox.api import publish
from logitrack.types import GeoPoint

MAX_STOPS = 25
POD_MAX_BYTES = 5 * 1024 * 1024


@dataclasses.dataclass(frozen=True)
class StopInput:
    kind: StopKind
    address: str
    lat: float
    lng: float
    contact_name: str = ""
    contact_phone: str = ""
    window_start: dt.datetime | None = None
    window_end: dt.datetime | None = None
    service_minutes: int = 0
    notes: str = ""


@dataclasses.dataclass(frozen=True)
class Load:
    weight_kg: int = 0
    volume_m3: Decimal = Decimal(0)
    parcels: int = 0
    seats: int = 0


def _check_stops(stops: list[StopInput], requested_for: dt.datetime | None) -> None:
    errors: dict[str, list[str]] = {}
    if not 2 <= len(stops) <= MAX_STOPS:
        errors["stops"] = [f"a trip has 2 to {MAX_STOPS} stops"]
    elif stops[0].kind != StopKind.PICKUP or stops[-1].kind != StopKind.DROPOFF:
        errors["stops"] = ["a trip starts with a pickup and ends with a drop-off"]
    previous_start = None
    for i, stop in enumerate(stops):
        try:
            GeoPoint(stop.lat, stop.lng)
        except Exception as exc:  # ValidationFailed from the primitive
            errors[f"stops[{i}]"] = [str(exc)]
        if stop.window_start and stop.window_end and stop.window_end <= stop.window_start:
            errors[f"stops[{i}].window_end"] = ["must be after window_start"]
        if stop.window_end and stop.window_end <= (requested_for or timezone.now()):
            errors[f"stops[{i}].window_end"] = ["is already over"]
        if stop.window_start and previous_start and stop.window_start < previous_start:
            errors[f"stops[{i}].window_start"] = ["windows must follow the order of the stops"]
        previous_start = stop.window_start or previous_start
    if errors:
        raise InvalidTrip("the trip's stops are not consistent", extra={"errors": errors})


def _check_area(rules: integrations.FleetRules, stops: list[StopInput]) -> None:
    outside = []
    for i, stop in enumerate(stops):
        inside_circle = (
            rules.center is None
            or rules.radius_m is None
            or GeoPoint(*rules.center).distance_m(GeoPoint(stop.lat, stop.lng)) <= rules.radius_m
        )
        inside_polygon = not rules.polygon or domain.point_in_polygon(stop.lat, stop.lng, rules.polygon)
        if not (inside_circle and inside_polygon):
            outside.append(f"stops[{i}]")
    if outside:
        raise OutsideServiceArea(
            "some stops are outside the fleet's service area", extra={"errors": {s: ["Outside."] for s in outside}}
        )


def _timeline(trip: Trip, *, action: str, old: str, actor_id, role: str, reason: str = "", at_point=None) -> None:
    TripEvent.objects.create(
        trip=trip,
        action=action,
        from_status=old,
        to_status=trip.status,
        actor_id=actor_id,
        actor_role=role,
        reason=reason,
        lat=at_point.lat if at_point else None,
        lng=at_point.lng if at_point else None,
    )


@dataclasses.dataclass(frozen=True)
class Booking:
    trip: Trip
    tracking_token: str  # to whoever booked; the customer can read it again on the trip
    pins: dict[int, str]  # drop-off sequence -> PIN, when PINs were asked for


def _hash(secret: str) -> str:
    return domain.secret_hash(secret)


@transaction.atomic
def trip_book(
    *,
    fleet_id: uuid.UUID,
    booked_by_id: uuid.UUID,
    customer_id: uuid.UUID | None,
    vehicle_type: str,
    service: str,
    stops: list[StopInput],
    load: Load,
    quote_id: uuid.UUID | None,
    requested_for: dt.datetime | None,
    role: str,
    require_pin: bool = False,
) -> Booking:
    _check_stops(stops, requested_for)
    rules = integrations.fleet_rules(fleet_id=fleet_id, vehicle_type=vehicle_type)
    if not rules.active:
        raise InvalidTrip("the fleet is not taking bookings", code="trips.fleet_inactive")
    _check_area(rules, stops)
    too_big = {
        name: [f"at most {limit}"]
        for name, value, limit in (
            ("weight_kg", load.weight_kg, rules.max_weight_kg),
            ("seats", load.seats, rules.max_seats),
            ("volume_m3", float(load.volume_m3), rules.max_volume_m3),
        )
        if value > limit
    }
    if too_big:
        raise LoadTooLarge("no vehicle of this fleet can carry that load", extra={"errors": too_big})
    if quote_id is not None:
        integrations.quote_usable(quote_id=quote_id, fleet_id=fleet_id)
    require_pin = require_pin or "pin" in rules.proof_of_delivery
    trip = Trip.objects.create(
        fleet_id=fleet_id,
        customer_id=customer_id,
        booked_by_id=booked_by_id,
        service=service,
        vehicle_type=vehicle_type,
        quote_id=quote_id,
        requested_for=requested_for,
        weight_kg=load.weight_kg,
        volume_m3=load.volume_m3,
        parcels=load.parcels,
        seats=load.seats,
    )
    pins = {  # derived, not stored: the customer can read them again on their trip (selectors.owner_secrets)
        i + 1: domain.drop_off_pin(secret=settings.SECRET_KEY, trip_id=trip.id, sequence=i + 1)
        for i, s in enumerate(stops)
        if require_pin and s.kind == StopKind.DROPOFF
    }
    Stop.objects.bulk_create(
        [
            Stop(
                trip=trip, sequence=i + 1, pin_hash=_hash(pins[i + 1]) if i + 1 in pins else "", **dataclasses.asdict(s)
            )
            for i, s in enumerate(stops)
        ]
    )
    token = domain.tracking_token(secret=settings.SECRET_KEY, trip_id=trip.id)
    TrackingLink.objects.create(
        trip=trip,
        token_hash=_hash(token),
        expires_at=(requested_for or timezone.now()) + dt.timedelta(hours=settings.TRACKING_LINK_HOURS),
    )
    _timeline(trip, action="book", old="", actor_id=booked_by_id, role=role)
    publish(
        TripRequestedV1(
            trip_id=trip.id,
            fleet_id=fleet_id,
            vehicle_type=vehicle_type,
            service=service,
            weight_kg=load.weight_kg,
            seats=load.seats,
            pickup=GeoPoint(stops[0].lat, stops[0].lng),
            requested_for=requested_for,
        )
    )
    publish(TripRequestedV2(trip=snapshot(trip)))
    return Booking(trip=trip, tracking_token=token, pins=pins)


def _locked(trip_id: uuid.UUID, expected_version: int | None) -> Trip:
    trip = Trip.objects.select_for_update().filter(id=trip_id).first()
    if trip is None:
        raise TripNotFound("no such trip")
    if expected_version is not None and trip.version != expected_version:
        raise StaleVersion(
            f"the trip is at version {trip.version}, not {expected_version}; read it again",
            extra={"current_version": trip.version},
        )
    return trip


def _save(trip: Trip, *fields: str) -> None:
    trip.version += 1
    trip.save(update_fields=[*fields, "version", "updated_at"])


def snapshot(trip: Trip) -> TripSnapshot:
    """The trip as its V2 events carry it, read after the change (its stops fresh from the database)."""
    return TripSnapshot(
        id=trip.id,
        fleet_id=trip.fleet_id,
        status=TripStatus(trip.status),
        version=trip.version,
        vehicle_type=trip.vehicle_type,
        service=trip.service,
        requested_for=trip.requested_for,
        created_at=trip.created_at,
        weight_kg=trip.weight_kg,
        volume_m3=float(trip.volume_m3),
        parcels=trip.parcels,
        seats=trip.seats,
        customer_id=trip.customer_id,
        quote_id=trip.quote_id,
        shift_id=trip.shift_id,
        driver_id=trip.driver_id,
        vehicle_id=trip.vehicle_id,
        eta_at=trip.eta_at,
        started_at=trip.started_at,
        ended_at=trip.ended_at,
        stops=tuple(
            StopSnapshot(
                sequence=s.sequence,
                kind=StopKind(s.kind),
                status=StopStatus(s.status),
                address=s.address,
                lat=s.lat,
                lng=s.lng,
                window_start=s.window_start,
                window_end=s.window_end,
                service_minutes=s.service_minutes,
                arrived_at=s.arrived_at,
                finished_at=s.finished_at,
            )
            for s in Stop.objects.filter(trip_id=trip.id).order_by("sequence")
        ),
    )


@transaction.atomic
def shift_plan(
    *,
    fleet_id: uuid.UUID,
    driver_id: uuid.UUID,
    vehicle_id: uuid.UUID,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    planned_by_id: uuid.UUID | None,
    pooling: bool = False,
) -> Shift:
    """A driver with a vehicle for a window: the driver eligible for it, the vehicle assignable for all of it,
    neither already on a shift then (the database refuses overlaps even if this check is raced)."""
    if ends_at <= starts_at:
        raise InvalidTrip("a shift ends after it starts", extra={"errors": {"ends_at": ["Not after starts_at."]}})
    if ends_at - starts_at > dt.timedelta(hours=16):
        raise InvalidTrip("a shift lasts at most 16 hours", extra={"errors": {"ends_at": ["Too long."]}})
    problems = integrations.shift_problems(
        fleet_id=fleet_id, driver_id=driver_id, vehicle_id=vehicle_id, starts_at=starts_at, ends_at=ends_at
    )
    if problems:
        raise IllegalTransition(
            "the driver or vehicle cannot work this shift", code="trips.shift_not_possible", extra={"reasons": problems}
        )
    overlapping = Shift.objects.exclude(status=Shift.Status.CANCELLED).filter(
        starts_at__lt=ends_at, ends_at__gt=starts_at
    )
    if overlapping.filter(Q(driver_id=driver_id) | Q(vehicle_id=vehicle_id)).exists():
        raise ShiftOverlap("the driver or the vehicle already has a shift in that window")
    try:
        with transaction.atomic():
            return Shift.objects.create(
                fleet_id=fleet_id,
                driver_id=driver_id,
                vehicle_id=vehicle_id,
                starts_at=starts_at,
                ends_at=ends_at,
                pooling=pooling,
                planned_by_id=planned_by_id,
            )
    except IntegrityError:  # a concurrent plan won the race; the exclusion constraint said no
        raise ShiftOverlap("the driver or the vehicle already has a shift in that window") from None


@transaction.atomic
def shift_start(*, shift_id: uuid.UUID, odometer_km: Decimal) -> Shift:
    shift = Shift.objects.select_for_update().get(id=shift_id)
    if shift.status != Shift.Status.PLANNED:
        raise IllegalTransition(f"a shift that is {shift.status} cannot start", code="trips.shift_illegal_transition")
    if timezone.now() < shift.starts_at - dt.timedelta(minutes=30):
        raise IllegalTransition("the shift starts later (at most 30 minutes early)", code="trips.shift_too_early")
    shift.status, shift.started_at, shift.odometer_start_km = Shift.Status.STARTED, timezone.now(), odometer_km
    shift.save(update_fields=["status", "started_at", "odometer_start_km", "updated_at"])
    return shift


@transaction.atomic
def shift_end(*, shift_id: uuid.UUID, odometer_km: Decimal) -> Shift:
    shift = Shift.objects.select_for_update().get(id=shift_id)
    if shift.status != Shift.Status.STARTED:
        raise IllegalTransition(f"a shift that is {shift.status} cannot end", code="trips.shift_illegal_transition")
    if shift.odometer_start_km is not None and odometer_km < shift.odometer_start_km:
        raise InvalidTrip(
            "the odometer cannot go backwards", extra={"errors": {"odometer_km": ["Below the start reading."]}}
        )
    if shift.trips.exclude(status__in=[s.value for s in domain.TERMINAL]).exists():
        raise IllegalTransition("finish or hand over the shift's trips first", code="trips.shift_has_open_trips")
    shift.status, shift.ended_at, shift.odometer_end_km = Shift.Status.ENDED, timezone.now(), odometer_km
    shift.save(update_fields=["status", "ended_at", "odometer_end_km", "updated_at"])
    return shift


@transaction.atomic
def shift_cancel(*, shift_id: uuid.UUID) -> Shift:
    shift = Shift.objects.select_for_update().get(id=shift_id)
    if (
        shift.status != Shift.Status.PLANNED
        or shift.trips.exclude(status__in=[s.value for s in domain.TERMINAL]).exists()
    ):
        raise IllegalTransition(
            "only a planned shift without open trips can be cancelled", code="trips.shift_illegal_transition"
        )
    shift.status = Shift.Status.CANCELLED
    shift.save(update_fields=["status", "updated_at"])
    return shift


@transaction.atomic
def trip_assign(
    *,
    trip_id: uuid.UUID,
    shift_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    expected_version: int | None = None,
    reason: str = "",
    sequenced: bool = False,
    role: str = "dispatcher",
) -> Trip:
    """Put the trip on a shift: its driver must still be eligible, and the vehicle must carry this trip's load
    on top of everything else open on the shift — unless `sequenced`: a route plan has put the shift's trips one
    after another so that the van never carries more than it can at any moment; then this trip must fit alone."""
    trip = _locked(trip_id, expected_version)
    if trip.status not in (TripStatus.REQUESTED, TripStatus.ASSIGNED):
        raise IllegalTransition(
            f"a trip that is {trip.status} cannot be (re)assigned", extra={"current_status": trip.status}
        )
    reassigned = trip.status == TripStatus.ASSIGNED
    previous_driver_id = trip.driver_id if reassigned else None
    if reassigned and not reason.strip():
        raise InvalidTrip("say why the trip is reassigned", extra={"errors": {"reason": ["Required to reassign."]}})
    shift = _shift_that_fits(trip, shift_id, sequenced=sequenced)
    old = trip.status
    trip.shift, trip.driver_id, trip.vehicle_id, trip.status = (
        shift,
        shift.driver_id,
        shift.vehicle_id,
        TripStatus.ASSIGNED,
    )
    _save(trip, "shift", "driver_id", "vehicle_id", "status")
    _timeline(
        trip,
        action="reassign" if reassigned else "assign",
        old=old,
        actor_id=actor_id,
        role=role,  # a dispatcher, or the driver who took an offer
        reason=reason,
    )
    publish(
        TripAssignedV1(
            trip_id=trip.id,
            fleet_id=trip.fleet_id,
            driver_id=shift.driver_id,
            vehicle_id=shift.vehicle_id,
            reassigned=reassigned,
            reason=reason,
        )
    )
    now_snapshot = snapshot(trip)
    publish(
        TripAssignedV2(reassigned=reassigned, reason=reason, previous_driver_id=previous_driver_id, trip=now_snapshot)
    )
    if old != trip.status:
        publish(
            TripStatusChangedV1(
                trip_id=trip.id,
                fleet_id=trip.fleet_id,
                old_status=TripStatus(old),
                new_status=TripStatus.ASSIGNED,
                version=trip.version,
                driver_id=shift.driver_id,
            )
        )
        publish(TripStatusChangedV2(old_status=TripStatus(old), new_status=TripStatus.ASSIGNED, trip=now_snapshot))
    trip.offers.filter(status=Offer.Status.PENDING).update(status=Offer.Status.WITHDRAWN, answered_at=timezone.now())
    return trip


def _shift_that_fits(trip: Trip, shift_id: uuid.UUID, *, sequenced: bool = False) -> Shift:
    """The open shift of the trip's fleet whose driver may take the trip and whose vehicle can carry it now."""
    shift = Shift.objects.select_for_update().filter(id=shift_id, fleet_id=trip.fleet_id).first()
    if shift is None or shift.status not in (Shift.Status.PLANNED, Shift.Status.STARTED):
        raise IllegalTransition("no open shift with that id in this fleet", code="trips.shift_not_open")
    when = trip.requested_for or timezone.now()
    if not shift.starts_at - dt.timedelta(minutes=30) <= when <= shift.ends_at:
        raise IllegalTransition("the trip falls outside the shift", code="trips.outside_shift")
    vehicle_type, capacity, licence = integrations.vehicle_capacity(vehicle_id=shift.vehicle_id)
    if not vehicle_serves_booking(booked=trip.vehicle_type, vehicle=vehicle_type):
        raise VehicleTypeMismatch(
            f"the trip was booked for a {trip.vehicle_type}; the shift's vehicle is a {vehicle_type}",
            extra={"booked_vehicle_type": trip.vehicle_type, "vehicle_type": vehicle_type},
        )
    on_board = shift.trips.exclude(status__in=[s.value for s in domain.TERMINAL]).exclude(id=trip.id)
    if sequenced:
        on_board = on_board.none()
    weight = sum(t.weight_kg for t in on_board) + trip.weight_kg
    seats = sum(t.seats for t in on_board) + trip.seats
    if weight > capacity.weight_kg or seats > capacity.seats:
        raise IllegalTransition(
            "the shift's vehicle cannot carry this on top of its other trips",
            code="trips.over_capacity",
            extra={
                "weight_kg": weight,
                "capacity_kg": capacity.weight_kg,
                "seats": seats,
                "capacity_seats": capacity.seats,
            },
        )
    problems = integrations.driver_problems(driver_id=shift.driver_id, licence_class=licence)
    if problems:
        raise IllegalTransition(
            "the shift's driver cannot take this trip", code="trips.not_assignable", extra={"reasons": list(problems)}
        )
    return shift


@transaction.atomic
def offer_make(
    *,
    trip_id: uuid.UUID,
    shift_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    timeout_s: int | None = None,
    role: str = "dispatcher",
) -> Offer:
    """Offer a requested trip to a shift's driver; it lapses after `timeout_s` (OFFER_TIMEOUT_SECONDS).
    `role` is who offers it on the timeline: a dispatcher, or the system (auto-dispatch)."""
    trip = _locked(trip_id, None)
    if trip.status != TripStatus.REQUESTED:
        raise IllegalTransition(f"a trip that is {trip.status} is not offered", extra={"current_status": trip.status})
    if trip.offers.filter(status=Offer.Status.PENDING, expires_at__gt=timezone.now()).exists():
        raise IllegalTransition("the trip already has an open offer", code="trips.offer_open")
    trip.offers.filter(status=Offer.Status.PENDING).update(status=Offer.Status.EXPIRED, answered_at=timezone.now())
    shift = _shift_that_fits(trip, shift_id)
    offer = Offer.objects.create(
        trip=trip,
        shift=shift,
        driver_id=shift.driver_id,
        expires_at=timezone.now() + dt.timedelta(seconds=timeout_s or settings.OFFER_TIMEOUT_SECONDS),
    )
    _timeline(trip, action="offer", old=trip.status, actor_id=actor_id, role=role)
    publish(
        TripOfferedV1(
            offer_id=offer.id,
            trip_id=trip.id,
            fleet_id=trip.fleet_id,
            driver_id=shift.driver_id,
            expires_at=offer.expires_at,
        )
    )
    publish(
        TripOfferedV2(
            offer_id=offer.id,
            shift_id=shift.id,
            driver_id=shift.driver_id,
            expires_at=offer.expires_at,
            trip=snapshot(trip),
        )
    )
    return offer


@transaction.atomic
def offer_answer(
    *, offer_id: uuid.UUID, driver_ids: set[uuid.UUID], accept: bool, actor_id: uuid.UUID | None, reason: str = ""
) -> Offer:
    """The driver's answer. Accepting assigns the trip to the offer's shift; a late answer finds it expired."""
    offer = (
        Offer.objects.select_for_update().select_related("trip").filter(id=offer_id, driver_id__in=driver_ids).first()
    )
    if offer is None:
        raise TripNotFound("no such offer", code="trips.offer_not_found")
    if offer.status != Offer.Status.PENDING:
        raise IllegalTransition(f"the offer was already {offer.status}", code="trips.offer_closed")
    now = timezone.now()
    if offer.expires_at <= now:
        _decline(offer, expired=True, reason="no answer in time")
        raise IllegalTransition("the offer expired before the answer came", code="trips.offer_expired")
    if accept:
        trip_assign(trip_id=offer.trip_id, shift_id=offer.shift_id, actor_id=actor_id, role="driver")
        Offer.objects.filter(id=offer.id).update(status=Offer.Status.ACCEPTED, answered_at=now)
    else:
        _decline(offer, expired=False, reason=reason.strip())
    offer.refresh_from_db()
    return offer


def _decline(offer: Offer, *, expired: bool, reason: str) -> None:
    offer.status = Offer.Status.EXPIRED if expired else Offer.Status.REJECTED
    offer.answered_at, offer.reason = timezone.now(), reason
    offer.save(update_fields=["status", "answered_at", "reason", "updated_at"])
    _timeline(
        offer.trip,
        action="offer_expired" if expired else "offer_rejected",
        old=offer.trip.status,
        actor_id=None,
        role="system" if expired else "driver",
        reason=reason,
    )
    publish(
        TripOfferDeclinedV1(
            offer_id=offer.id,
            trip_id=offer.trip_id,
            fleet_id=offer.trip.fleet_id,
            driver_id=offer.driver_id,
            expired=expired,
            reason=reason,
        )
    )
    publish(
        TripOfferDeclinedV2(
            offer_id=offer.id,
            driver_id=offer.driver_id,
            expired=expired,
            reason=reason,
            trip=snapshot(offer.trip),
        )
    )


@transaction.atomic
def offers_expire() -> int:
    """Close offers nobody answered in time (beat runs this every 15 seconds)."""
    lapsed = list(
        Offer.objects.select_for_update(skip_locked=True)
        .select_related("trip")
        .filter(status=Offer.Status.PENDING, expires_at__lte=timezone.now())
    )
    for offer in lapsed:
        _decline(offer, expired=True, reason="no answer in time")
    return len(lapsed)


def tracking_update(
    *, trip_id: uuid.UUID, at: dt.datetime, eta: dt.datetime | None, lat: float | None, lng: float | None
) -> bool:
    """Store dispatch's latest estimate for the tracking page. It is telemetry, not trip state: the version
    stays, and an estimate older than the one held changes nothing (so it never moves back in time)."""
    fresher = Q(tracking_at__isnull=True) | Q(tracking_at__lt=at)
    changed = (
        Trip.objects.filter(fresher, id=trip_id)
        .exclude(status__in=[s.value for s in domain.TERMINAL])
        .update(eta_at=eta, tracking_lat=lat, tracking_lng=lng, tracking_at=at)
    )
    return bool(changed)


def trips_cancel_stale(*, older_than: dt.timedelta) -> int:
    """Cancel trips still unassigned `older_than` after they were wanted, as the system (no fee)."""
    cutoff = timezone.now() - older_than
    stale = Trip.objects.filter(status=TripStatus.REQUESTED).filter(
        Q(requested_for__isnull=True, created_at__lt=cutoff) | Q(requested_for__lt=cutoff)
    )
    cancelled = 0
    for trip_id in stale.values_list("id", flat=True):
        try:
            trip_transition(
                trip_id=trip_id, action="cancel", actor_id=None, role="system", reason="no driver found in time"
            )
            cancelled += 1
        except IllegalTransition:
            continue  # it moved on meanwhile
    return cancelled


@transaction.atomic
def trip_transition(
    *,
    trip_id: uuid.UUID,
    action: str,
    actor_id: uuid.UUID | None,
    role: str,
    expected_version: int | None = None,
    reason: str = "",
    location: GeoPoint | None = None,
    distance_m: int | None = None,
    waiting_s: int = 0,
) -> Trip:
    """Move the trip along its lifecycle. Illegal steps are 409s; a stale version is a 409 too."""
    trip = _locked(trip_id, expected_version)
    old = TripStatus(trip.status)
    target = domain.next_status(old, action, role)
    if target is None:
        raise IllegalTransition(
            f"a {role} cannot {action.replace('_', ' ')} a trip that is {old.replace('_', ' ')}",
            extra={"current_status": old.value, "action": action},
        )
    if (
        domain.ACTIONS[action].needs_reason or (action == "cancel" and role in ("dispatcher", "system"))
    ) and not reason.strip():
        raise InvalidTrip("say why", extra={"errors": {"reason": ["Required."]}})
    if action == "pick_up" and trip.shift_id and not trip.shift.pooling:
        busy = Trip.objects.filter(driver_id=trip.driver_id, status=TripStatus.IN_PROGRESS).exclude(id=trip.id)
        if busy.exists():
            raise IllegalTransition(
                "the driver already has a trip in progress and the shift does not pool", code="trips.driver_busy"
            )
    now = timezone.now()
    trip.status = target
    fields = ["status"]
    if action == "start":
        trip.started_at = now
        fields.append("started_at")
    if (
        target == TripStatus.COMPLETED
        and trip.stops.filter(status__in=[StopStatus.PENDING, StopStatus.ARRIVED]).exclude(pin_hash="").exists()
    ):
        raise ProofMissing("a drop-off that needs the customer's PIN is not done yet")
    if target in domain.TERMINAL:
        trip.ended_at, trip.end_reason = now, reason.strip()
        fields += ["ended_at", "end_reason"]
        trip.stops.filter(status=StopStatus.PENDING).update(
            status=StopStatus.DONE if target == TripStatus.COMPLETED else StopStatus.FAILED
        )
    _save(trip, *fields)
    _timeline(trip, action=action, old=old, actor_id=actor_id, role=role, reason=reason.strip(), at_point=location)
    publish(
        TripStatusChangedV1(
            trip_id=trip.id,
            fleet_id=trip.fleet_id,
            old_status=old,
            new_status=target,
            version=trip.version,
            driver_id=trip.driver_id,
        )
    )
    now_snapshot = snapshot(trip)
    publish(TripStatusChangedV2(old_status=old, new_status=target, trip=now_snapshot))
    if target == TripStatus.COMPLETED:
        _publish_completed(trip, now_snapshot, distance_m=distance_m, waiting_s=waiting_s)
    elif target == TripStatus.CANCELLED:
        publish(
            TripCancelledV1(
                trip_id=trip.id,
                fleet_id=trip.fleet_id,
                customer_id=trip.customer_id,
                driver_id=trip.driver_id,
                quote_id=trip.quote_id,
                cancelled_by=CancelledBy(role),
                reason=reason.strip(),
                booked_at=trip.created_at,
                cancelled_at=now,
            )
        )
        publish(TripCancelledV2(cancelled_by=CancelledBy(role), reason=reason.strip(), trip=now_snapshot))
    elif target == TripStatus.FAILED:
        publish(TripFailedV1(trip_id=trip.id, fleet_id=trip.fleet_id, driver_id=trip.driver_id, reason=reason.strip()))
        publish(TripFailedV2(reason=reason.strip(), trip=now_snapshot))
    if target in domain.TERMINAL and trip.erase_when_ended:
        _scrub(Trip.objects.filter(id=trip.id))
    return trip


def _stop_locked(trip: Trip, sequence: int) -> Stop:
    stop = trip.stops.select_for_update().filter(sequence=sequence).first()
    if stop is None:
        raise TripNotFound("no such stop", code="trips.stop_not_found")
    return stop


def _stop_open_for(trip: Trip, stop: Stop) -> None:
    allowed = {
        StopKind.PICKUP: (TripStatus.AT_PICKUP, TripStatus.IN_PROGRESS),
        StopKind.DROPOFF: (TripStatus.IN_PROGRESS,),
    }
    if trip.status not in allowed[StopKind(stop.kind)]:
        raise IllegalTransition(
            f"a {stop.kind} cannot be handled while the trip is {trip.status}", extra={"current_status": trip.status}
        )


@transaction.atomic
def stop_arrive(*, trip_id: uuid.UUID, sequence: int, actor_id: uuid.UUID | None, expected_version: int | None) -> Stop:
    trip = _locked(trip_id, expected_version)
    stop = _stop_locked(trip, sequence)
    _stop_open_for(trip, stop)
    if stop.status != StopStatus.PENDING:
        raise IllegalTransition(f"the stop is already {stop.status}", code="trips.stop_illegal_transition")
    stop.status, stop.arrived_at = StopStatus.ARRIVED, timezone.now()
    stop.save(update_fields=["status", "arrived_at"])
    _save(trip)
    _timeline(trip, action=f"stop_{sequence}_arrived", old=trip.status, actor_id=actor_id, role="driver")
    return stop


@transaction.atomic
def stop_done(
    *,
    trip_id: uuid.UUID,
    sequence: int,
    actor_id: uuid.UUID | None,
    expected_version: int | None,
    recipient_name: str = "",
    signature=None,
    photo=None,
    pin: str = "",
) -> Stop:
    """Finish a stop; a drop-off keeps its proof (recipient, signature, photo, the customer's PIN when one was set)."""
    trip = _locked(trip_id, expected_version)
    stop = _stop_locked(trip, sequence)
    _stop_open_for(trip, stop)
    if stop.status not in (StopStatus.PENDING, StopStatus.ARRIVED):
        raise IllegalTransition(f"the stop is already {stop.status}", code="trips.stop_illegal_transition")
    if stop.pin_hash and not (pin and secrets.compare_digest(_hash(pin), stop.pin_hash)):
        raise IllegalTransition("the PIN does not match; ask the recipient again", code="trips.pin_mismatch")
    if stop.kind == StopKind.DROPOFF:
        required = set(integrations.proof_required(fleet_id=trip.fleet_id)) - {"pin"}
        given = {
            "recipient": bool(recipient_name.strip()),
            "signature": signature is not None,
            "photo": photo is not None,
        }
        missing = sorted(k for k in required if not given[k])
        if missing:
            raise ProofMissing(
                "this fleet needs more proof of delivery",
                extra={"errors": {k: ["Required by the fleet."] for k in missing}},
            )
        proof = ProofOfDelivery(
            stop=stop, recipient_name=recipient_name.strip(), pin_verified=bool(stop.pin_hash), captured_by_id=actor_id
        )
        try:
            if signature is not None:
                proof.signature_path = files.store_private(
                    signature, folder="proof", allowed=("png",), max_bytes=POD_MAX_BYTES, image=images.LINE_ART
                ).path
            if photo is not None:
                proof.photo_path = files.store_private(
                    photo, folder="proof", allowed=("jpeg", "png"), max_bytes=POD_MAX_BYTES, image=images.PHOTO
                ).path
        except ValidationFailed:
            files.delete_private(proof.signature_path)  # a refused photo leaves no signature file behind
            raise
        proof.save()
    stop.status, stop.finished_at = StopStatus.DONE, timezone.now()
    stop.save(update_fields=["status", "finished_at"])
    _save(trip)
    _timeline(trip, action=f"stop_{sequence}_done", old=trip.status, actor_id=actor_id, role="driver")
    return stop


@transaction.atomic
def stop_fail(
    *, trip_id: uuid.UUID, sequence: int, actor_id: uuid.UUID | None, expected_version: int | None, reason: str
) -> Stop:
    trip = _locked(trip_id, expected_version)
    stop = _stop_locked(trip, sequence)
    _stop_open_for(trip, stop)
    if not reason.strip():
        raise InvalidTrip("say why", extra={"errors": {"reason": ["Required."]}})
    if stop.status not in (StopStatus.PENDING, StopStatus.ARRIVED):
        raise IllegalTransition(f"the stop is already {stop.status}", code="trips.stop_illegal_transition")
    stop.status, stop.finished_at, stop.failure_reason = StopStatus.FAILED, timezone.now(), reason.strip()
    stop.save(update_fields=["status", "finished_at", "failure_reason"])
    _save(trip)
    _timeline(
        trip, action=f"stop_{sequence}_failed", old=trip.status, actor_id=actor_id, role="driver", reason=reason.strip()
    )
    return stop


def _publish_completed(trip: Trip, now: TripSnapshot, *, distance_m: int | None, waiting_s: int) -> None:
    points = tuple(GeoPoint(s.lat, s.lng) for s in now.stops)
    if distance_m is None:  # no odometer figure: the straight legs with a road factor
        distance_m = round(sum(a.distance_m(b) for a, b in itertools.pairwise(points)) * 1.3)
    started = trip.started_at or trip.created_at
    publish(
        TripCompletedV1(
            trip_id=trip.id,
            fleet_id=trip.fleet_id,
            customer_id=trip.customer_id,
            driver_id=trip.driver_id,
            vehicle_type=trip.vehicle_type,
            service=trip.service,
            quote_id=trip.quote_id,
            distance_m=distance_m,
            duration_s=int((trip.ended_at - started).total_seconds()),
            waiting_s=waiting_s,
            stops=len(points),
            started_at=started,
            completed_at=trip.ended_at,
            stop_points=points,
        )
    )
    duration_s = int((trip.ended_at - started).total_seconds())
    publish(TripCompletedV2(distance_m=distance_m, duration_s=duration_s, waiting_s=waiting_s, trip=now))


# ---- stored files ---------------------------------------------------------------------------------------------


def uploads_sanitize(*, dry_run: bool = False) -> files.RecheckReport:
    """Operator's re-check of stored proof-of-delivery signatures and photos (`trips_sanitize_uploads`):
    images stored before uploads were re-encoded are re-encoded now, those that cannot be made safe are
    quarantined. One transaction per proof; a second run finds nothing to do."""
    report = files.RecheckReport()
    proofs = ProofOfDelivery.objects.exclude(signature_path="", photo_path="").order_by("id")
    for proof_id in proofs.values_list("id", flat=True):
        _proof_files_recheck(proof_id, report, dry_run)
    return report


@transaction.atomic
def _proof_files_recheck(proof_id: int, report: files.RecheckReport, dry_run: bool) -> None:
    proof = ProofOfDelivery.objects.select_for_update().filter(id=proof_id).first()
    if proof is None:
        return
    changed = []
    for field, image in (("signature_path", images.LINE_ART), ("photo_path", images.PHOTO)):
        path = getattr(proof, field)
        if not path:
            continue
        label = f"proof {proof.id} {field.removesuffix('_path')}"
        result = files.recheck_and_tally(path, image=image, label=label, report=report, dry_run=dry_run)
        if not dry_run and result.outcome in ("rewritten", "quarantined"):
            setattr(proof, field, result.stored.path if result.stored else "")
            changed.append(field)
    if changed:
        proof.save(update_fields=changed)


# ---- GDPR erasure -------------------------------------------------------------------------------------------

ERASED = "erased"
ERASED_REASON = "the customer's account was erased"
_UNDER_WAY_CANCELLABLE = (TripStatus.REQUESTED, TripStatus.ASSIGNED, TripStatus.EN_ROUTE, TripStatus.AT_PICKUP)


def person_erase(*, user_id: uuid.UUID) -> dict[str, int]:
    """What trips hold about an erased person (identity's UserErasedV1).

    As a customer: trips not yet with goods on board are cancelled by the system (no fee); trips that ended lose
    what identifies people (`_scrub`); a trip in progress finishes first and is scrubbed as it ends. As a driver
    or anyone else acting on trips: the positions recorded with their actions on the timelines go."""
    cancelled = 0
    for trip_id in Trip.objects.filter(customer_id=user_id, status__in=_UNDER_WAY_CANCELLABLE).values_list(
        "id", flat=True
    ):
        try:
            trip_transition(trip_id=trip_id, action="cancel", actor_id=None, role="system", reason=ERASED_REASON)
            cancelled += 1
        except IllegalTransition:
            continue  # it moved on meanwhile: scrubbed below, or when it ends
    Trip.objects.filter(customer_id=user_id).exclude(status__in=domain.TERMINAL).update(erase_when_ended=True)
    scrubbed = _scrub(Trip.objects.filter(customer_id=user_id, status__in=domain.TERMINAL))
    positions = TripEvent.objects.filter(actor_id=user_id, lat__isnull=False).update(lat=None, lng=None)
    return {"cancelled": cancelled, "scrubbed": scrubbed, "timeline positions": positions}


@transaction.atomic
def _scrub(trips) -> int:
    """Keep what the trips were (status, times, loads, money facts, who by id), drop what identifies people:
    addresses, contact names and phones, notes, free-text reasons, proofs of delivery and their files, tracking
    links and estimates. Stop coordinates are rounded to about a kilometre (0.01°). A few statements whatever
    the number of trips; returns how many."""
    ids = list(trips.values_list("id", flat=True))
    proofs = ProofOfDelivery.objects.filter(stop__trip_id__in=ids)
    for signature, photo in proofs.values_list("signature_path", "photo_path"):
        files.delete_private(signature)
        files.delete_private(photo)
    proofs.update(recipient_name="", signature_path="", photo_path="")
    Stop.objects.filter(trip_id__in=ids).update(
        address=ERASED,
        contact_name="",
        contact_phone="",
        notes="",
        pin_hash="",
        failure_reason="",
        lat=Round(F("lat"), 2),
        lng=Round(F("lng"), 2),
    )
    TripEvent.objects.filter(trip_id__in=ids).update(reason="", lat=None, lng=None)
    Offer.objects.filter(trip_id__in=ids).update(reason="")
    TrackingLink.objects.filter(trip_id__in=ids).delete()
    return Trip.objects.filter(id__in=ids).update(
        end_reason="", tracking_lat=None, tracking_lng=None, eta_at=None, tracking_at=None, erase_when_ended=False
    )
