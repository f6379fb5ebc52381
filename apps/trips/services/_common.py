"""What every trips write use case shares: the locked, versioned trip, its timeline and its V2 snapshot."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from apps.trips import feed
from apps.trips.contracts import ActorRole, StaleVersion, StopKind, StopStatus, TripNotFound, TripStatus
from apps.trips.events import StopSnapshot, TripSnapshot
from apps.trips.models import Stop, Trip, TripLogEntry


def timeline_add(
    trip: Trip, *, action: str, old: str, actor_id, role: ActorRole, reason: str = "", at_point=None
) -> None:
    TripLogEntry.objects.create(
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


def locked(trip_id: uuid.UUID, expected_version: int | None) -> Trip:
    trip = Trip.objects.select_for_update().filter(id=trip_id).first()
    if trip is None:
        raise TripNotFound("no such trip")
    if expected_version is not None and trip.version != expected_version:
        raise StaleVersion(
            f"the trip is at version {trip.version}, not {expected_version}; read it again",
            extra={"current_version": trip.version},
        )
    return trip


def versioned_save(trip: Trip, *fields: str) -> None:
    trip.version += 1
    trip.save(update_fields=[*fields, "version", "updated_at"])
    feed.tracking_changed(trip.id)  # every new version may change what its tracking page shows: push on commit


def snapshot(trip: Trip, *, stops: Iterable[Stop] | None = None) -> TripSnapshot:
    """The trip as its V2 events carry it, read after the change: its stops fresh from the database unless the
    caller passes them (prefetched, when it reads many trips at once)."""
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
                unload=s.unload,
            )
            for s in (Stop.objects.filter(trip_id=trip.id).order_by("sequence") if stops is None else stops)
        ),
    )
