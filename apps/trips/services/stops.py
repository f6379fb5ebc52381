"""Stops: the driver arrives at, finishes (a drop-off with its proof of delivery) or fails each stop (a dispatcher
may fail one too)."""

from __future__ import annotations

import secrets
import time
import uuid

import structlog
from django.conf import settings
from django.core.cache import cache
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
from logitrack.db import contexts
from logitrack.exceptions import RateLimited, ValidationFailed

POD_MAX_BYTES = 5 * 1024 * 1024
log = structlog.get_logger(__name__)


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


@contexts.atomic("trips")
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


@contexts.atomic("trips")
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
    if stop.pin_hash:
        _pin_check(trip_id, sequence, pin, stop.pin_hash)
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


# ---- the drop-off PIN: 10,000 values, so wrong guesses are counted per stop -----------------------------------
# The count lives in the cache (Redis in the full stack), not in the stop's row: the request's transaction, and
# with an Idempotency-Key the idempotency wrapper's, rolls back with the refusal and would take the count with it.


def _pin_keys(trip_id: uuid.UUID, sequence: int) -> tuple[str, str]:
    base = f"trips:pin-failures:{trip_id}:{sequence}"
    return base, f"{base}:since"


def _pin_check(trip_id: uuid.UUID, sequence: int, pin: str, pin_hash: str) -> None:
    """A wrong PIN is a 409 that says how many tries are left; after TRIP_PIN_MAX_FAILURES of them the stop
    takes no PIN, not even the right one, for TRIP_PIN_LOCK_MINUTES (429 with Retry-After). If the cache
    cannot be reached the PIN is still checked, uncounted (as the API's throttles do)."""
    count_key, since_key = _pin_keys(trip_id, sequence)
    window = settings.TRIP_PIN_LOCK_MINUTES * 60
    try:
        failures = int(cache.get(count_key, 0))
        since = cache.get(since_key)
    except Exception:
        log.warning("trips.pin_count_unavailable", trip_id=str(trip_id), sequence=sequence, exc_info=True)
        failures, since = 0, None
    if failures >= settings.TRIP_PIN_MAX_FAILURES:
        left = int(since + window - time.time()) if since is not None else window
        raise RateLimited(
            "too many wrong PINs for this stop; wait, or ask your dispatcher to help",
            retry_after=left,
            code="trips.pin_locked",
        )
    if pin and secrets.compare_digest(domain.secret_hash(pin), pin_hash):
        try:
            cache.delete_many([count_key, since_key])
        except Exception:
            log.warning("trips.pin_count_unavailable", trip_id=str(trip_id), sequence=sequence, exc_info=True)
        return
    try:
        cache.add(since_key, time.time(), timeout=window)
        cache.add(count_key, 0, timeout=window)
        failures = cache.incr(count_key)
    except Exception:
        log.warning("trips.pin_count_unavailable", trip_id=str(trip_id), sequence=sequence, exc_info=True)
        failures += 1
    if failures >= settings.TRIP_PIN_MAX_FAILURES:
        log.warning("trips.pin_locked", trip_id=str(trip_id), sequence=sequence, failures=failures)
    raise IllegalTransition(
        "the PIN does not match; ask the recipient again",
        code="trips.pin_mismatch",
        extra={"attempts_left": max(0, settings.TRIP_PIN_MAX_FAILURES - failures)},
    )


@contexts.atomic("trips")
def stop_fail(
    *,
    trip_id: uuid.UUID,
    sequence: int,
    actor_id: uuid.UUID | None,
    expected_version: int | None,
    reason: str,
    role: ActorRole = ActorRole.DRIVER,
) -> Stop:
    """The stop could not be done (nobody home, goods refused): its driver says so, or the fleet's dispatcher."""
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
        role=role,
        reason=reason.strip(),
    )
    return stop
