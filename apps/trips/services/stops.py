"""Stops: the driver arrives at, finishes (a drop-off with its proof of delivery) or fails each stop."""

from __future__ import annotations

import secrets
import uuid

from django.db import transaction
from django.utils import timezone

from apps.trips import domain, integrations
from apps.trips.contracts import (
    ActorRole,
    IllegalTransition,
    InvalidTrip,
    ProofMissing,
    StopKind,
    StopStatus,
    TripNotFound,
)
from apps.trips.models import ProofOfDelivery, Stop, Trip
from apps.trips.services._common import locked, timeline_add, versioned_save
from logitrack import files, images
from logitrack.exceptions import ValidationFailed

POD_MAX_BYTES = 5 * 1024 * 1024


def _stop_locked(trip: Trip, sequence: int) -> Stop:
    stop = trip.stops.select_for_update().filter(sequence=sequence).first()
    if stop is None:
        raise TripNotFound("no such stop", code="trips.stop_not_found")
    return stop


def _stop_open_for(trip: Trip, stop: Stop) -> None:
    if trip.status not in domain.STOP_OPEN_WHILE[StopKind(stop.kind)]:
        raise IllegalTransition(
            f"a {stop.kind} cannot be handled while the trip is {trip.status}", extra={"current_status": trip.status}
        )


@transaction.atomic
def stop_arrive(*, trip_id: uuid.UUID, sequence: int, actor_id: uuid.UUID | None, expected_version: int | None) -> Stop:
    trip = locked(trip_id, expected_version)
    stop = _stop_locked(trip, sequence)
    _stop_open_for(trip, stop)
    if stop.status != StopStatus.PENDING:
        raise IllegalTransition(f"the stop is already {stop.status}", code="trips.stop_illegal_transition")
    stop.status, stop.arrived_at = StopStatus.ARRIVED, timezone.now()
    stop.save(update_fields=["status", "arrived_at"])
    versioned_save(trip)
    timeline_add(trip, action=f"stop_{sequence}_arrived", old=trip.status, actor_id=actor_id, role=ActorRole.DRIVER)
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
    trip = locked(trip_id, expected_version)
    stop = _stop_locked(trip, sequence)
    _stop_open_for(trip, stop)
    if stop.status not in (StopStatus.PENDING, StopStatus.ARRIVED):
        raise IllegalTransition(f"the stop is already {stop.status}", code="trips.stop_illegal_transition")
    if stop.pin_hash and not (pin and secrets.compare_digest(domain.secret_hash(pin), stop.pin_hash)):
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
    versioned_save(trip)
    timeline_add(trip, action=f"stop_{sequence}_done", old=trip.status, actor_id=actor_id, role=ActorRole.DRIVER)
    return stop


@transaction.atomic
def stop_fail(
    *, trip_id: uuid.UUID, sequence: int, actor_id: uuid.UUID | None, expected_version: int | None, reason: str
) -> Stop:
    trip = locked(trip_id, expected_version)
    stop = _stop_locked(trip, sequence)
    _stop_open_for(trip, stop)
    if not reason.strip():
        raise InvalidTrip("say why", extra={"errors": {"reason": ["Required."]}})
    if stop.status not in (StopStatus.PENDING, StopStatus.ARRIVED):
        raise IllegalTransition(f"the stop is already {stop.status}", code="trips.stop_illegal_transition")
    stop.status, stop.finished_at, stop.failure_reason = StopStatus.FAILED, timezone.now(), reason.strip()
    stop.save(update_fields=["status", "finished_at", "failure_reason"])
    versioned_save(trip)
    timeline_add(
        trip,
        action=f"stop_{sequence}_failed",
        old=trip.status,
        actor_id=actor_id,
        role=ActorRole.DRIVER,
        reason=reason.strip(),
    )
    return stop
