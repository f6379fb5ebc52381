"""GDPR erasure: what trips hold about an erased person (identity's UserErasedV1)."""

from __future__ import annotations

import uuid

from apps.trips import domain
from apps.trips.contracts import TERMINAL_STATUSES, ActorRole, IllegalTransition
from apps.trips.models import Trip, TripLogEntry
from apps.trips.services import lifecycle, scrubbing

ERASED_REASON = "the customer's account was erased"


def person_erase(*, user_id: uuid.UUID) -> dict[str, int]:
    """What trips hold about an erased person (identity's UserErasedV1).

    As a customer: trips not yet with goods on board are cancelled by the system (no fee); trips that ended lose
    what identifies people (`scrubbing.scrub`); a trip in progress finishes first and is scrubbed as it ends. As a
    driver or anyone else acting on trips: the positions recorded with their actions on the timelines go."""
    # marked first, so a trip cancelled below is scrubbed before its events are built (they carry its stops)
    Trip.objects.filter(customer_id=user_id).exclude(status__in=TERMINAL_STATUSES).update(erase_when_ended=True)
    cancelled = 0
    for trip_id in Trip.objects.filter(customer_id=user_id, status__in=domain.CANCELLABLE).values_list("id", flat=True):
        try:
            lifecycle.trip_transition(
                trip_id=trip_id, action="cancel", actor_id=None, role=ActorRole.SYSTEM, reason=ERASED_REASON
            )
            cancelled += 1
        except IllegalTransition:
            continue  # it moved on meanwhile: scrubbed below, or when it ends
    scrubbed = scrubbing.scrub(Trip.objects.filter(customer_id=user_id, status__in=TERMINAL_STATUSES))
    positions = TripLogEntry.objects.filter(actor_id=user_id, lat__isnull=False).update(lat=None, lng=None)
    return {"cancelled": cancelled, "scrubbed": scrubbed, "timeline positions": positions}
