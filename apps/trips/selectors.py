"""Read use cases of the trips context."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from apps.trips import domain, integrations
from apps.trips.contracts import TERMINAL_STATUSES, ActorRole, TripNotFound, TripStatus
from apps.trips.models import Offer, ProofOfDelivery, Shift, TrackingLink, Trip
from logitrack.principal import Principal, Role


def trips_visible(*, principal: Principal, driver_ids: set[uuid.UUID] = frozenset()) -> QuerySet:
    """Customers see the trips they booked; drivers the ones given to them; staff their fleets'."""
    qs = Trip.objects.prefetch_related("stops").order_by("-created_at")
    if principal.is_platform_admin:
        return qs
    visible = Q(customer_id=principal.user_id) | Q(booked_by_id=principal.user_id)
    if driver_ids:
        visible |= Q(driver_id__in=driver_ids)
    staff_fleets = principal.fleets(Role.FLEET_MANAGER, Role.DISPATCHER)
    if staff_fleets:
        visible |= Q(fleet_id__in=staff_fleets)
    return qs.filter(visible)


def trip_for(*, principal: Principal, trip_id: uuid.UUID, driver_ids: set[uuid.UUID] = frozenset()) -> Trip | None:
    return trips_visible(principal=principal, driver_ids=driver_ids).filter(id=trip_id).first()


def shifts_visible(*, principal: Principal, driver_ids: set[uuid.UUID]) -> QuerySet:
    """Staff see their fleets' shifts; drivers their own."""
    qs = Shift.objects.order_by("starts_at")
    if principal.is_platform_admin:
        return qs
    return qs.filter(
        Q(fleet_id__in=principal.fleets(Role.FLEET_MANAGER, Role.DISPATCHER)) | Q(driver_id__in=driver_ids)
    )


def tracking_for(*, token: str) -> Trip | None:
    """The trip behind a tracking token, while the link is valid."""
    link = (
        TrackingLink.objects.select_related("trip")
        .filter(token_hash=hashlib.sha256(token.encode()).hexdigest(), expires_at__gt=timezone.now())
        .first()
    )
    return link.trip if link else None


def owner_secrets(*, trip: Trip) -> tuple[str | None, dict[int, str]]:
    """The tracking token (while its link is valid) and the drop-off PINs of the trip, for its customer only.
    They are derived again from the secret key (the current one, or one it replaced: SECRET_KEY_FALLBACKS) and
    shown only when they match what was stored, so a trip booked before they were derived just shows none."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    links = set(
        TrackingLink.objects.filter(trip=trip, expires_at__gt=timezone.now()).values_list("token_hash", flat=True)
    )
    token = next(
        (t for t in (domain.tracking_token(secret=k, trip_id=trip.id) for k in keys) if domain.secret_hash(t) in links),
        None,
    )
    pins = {}
    for stop in trip.stops.all():
        if not stop.pin_hash:
            continue
        for key in keys:
            pin = domain.drop_off_pin(secret=key, trip_id=trip.id, sequence=stop.sequence)
            if domain.secret_hash(pin) == stop.pin_hash:
                pins[stop.sequence] = pin
                break
    return token, pins


def proof_of(*, trip: Trip, sequence: int):
    return ProofOfDelivery.objects.filter(stop__trip=trip, stop__sequence=sequence).first()


def tracking_view(*, trip: Trip) -> dict:
    """What a tracking page shows: progress, the driver's first name and the vehicle; nothing else personal."""
    driver, vehicle = integrations.tracking_details(driver_id=trip.driver_id, vehicle_id=trip.vehicle_id)
    return {
        "status": trip.status,
        "stops": [{"sequence": s.sequence, "kind": s.kind, "status": s.status} for s in trip.stops.all()],
        "driver_first_name": driver,
        "vehicle": vehicle,
        **_live_estimate(trip),
    }


TRACKING_POSITION_FRESH = dt.timedelta(minutes=5)
MOVING = frozenset({TripStatus.EN_ROUTE, TripStatus.AT_PICKUP, TripStatus.IN_PROGRESS})


def _live_estimate(trip: Trip) -> dict:
    """The ETA and the driver's approximate position (about 100 m), only while the trip moves and the estimate
    is fresh: an old fix would mislead more than no fix."""
    fresh = trip.tracking_at is not None and timezone.now() - trip.tracking_at <= TRACKING_POSITION_FRESH
    if not fresh or trip.status not in {*MOVING, TripStatus.ASSIGNED}:
        return {"eta": None, "driver_position": None}
    position = None
    if trip.status in MOVING and trip.tracking_lat is not None and trip.tracking_lng is not None:
        position = {"lat": round(trip.tracking_lat, 3), "lng": round(trip.tracking_lng, 3)}
    return {"eta": trip.eta_at, "driver_position": position}


def offers_pending(*, driver_ids: set[uuid.UUID]) -> QuerySet:
    return Offer.objects.filter(
        driver_id__in=driver_ids, status=Offer.Status.PENDING, expires_at__gt=timezone.now()
    ).order_by("expires_at")


def actor_role(*, principal: Principal, trip: Trip, action: str) -> ActorRole:
    """Who the caller is for this trip: its driver, its fleet's dispatcher, or its customer."""
    is_driver = trip.driver_id is not None and trip.driver_id in integrations.driver_ids_of(user_id=principal.user_id)
    is_staff = principal.may_act_on_fleet(trip.fleet_id, Role.DISPATCHER, Role.FLEET_MANAGER)
    if is_driver and (action in domain.DRIVER_ACTIONS or not is_staff):
        return ActorRole.DRIVER
    if is_staff:
        return ActorRole.DISPATCHER
    return ActorRole.CUSTOMER


def trip_with_stops(*, trip_id: uuid.UUID) -> Trip:
    trip = Trip.objects.prefetch_related("stops").filter(id=trip_id).first()
    if trip is None:
        raise TripNotFound("no such trip")
    return trip


def trips_open(*, fleet_id: uuid.UUID, trip_ids: list[uuid.UUID] | None = None) -> QuerySet:
    trips = Trip.objects.filter(fleet_id=fleet_id).exclude(status__in=TERMINAL_STATUSES)
    if trip_ids is not None:
        trips = trips.filter(id__in=trip_ids)
    return trips.prefetch_related("stops").order_by("created_at")


def trips_of_drivers(*, driver_ids: list[uuid.UUID]) -> QuerySet:
    held = [TripStatus.ASSIGNED, *MOVING]
    return Trip.objects.filter(driver_id__in=driver_ids, status__in=held).prefetch_related("stops")


SHIFT_LEAD = dt.timedelta(minutes=30)  # a trip may go on a shift that starts within this (as trip_assign allows)


def shifts_open(*, fleet_id: uuid.UUID, at: dt.datetime, driver_ids: list[uuid.UUID] | None = None) -> QuerySet:
    shifts = Shift.objects.filter(
        fleet_id=fleet_id,
        status__in=[Shift.Status.PLANNED, Shift.Status.STARTED],
        starts_at__lte=at + SHIFT_LEAD,
        ends_at__gt=at,
    )
    if driver_ids is not None:
        shifts = shifts.filter(driver_id__in=driver_ids)
    open_trips = Trip.objects.exclude(status__in=TERMINAL_STATUSES).only("id", "shift_id", "weight_kg", "seats")
    return shifts.prefetch_related(Prefetch("trips", queryset=open_trips, to_attr="open_trips")).order_by("starts_at")
