"""The event types integrators may subscribe to, and the envelope they receive.

Integration events are mapped by their type string (this module imports no other context: the handlers do), to a
stable public name. The envelope's `data` is the event's payload without what the fleet does not own or need
(platform user ids, quote and shift ids, the fleet id, which the envelope carries once)."""

from __future__ import annotations

import dataclasses
import json
import uuid
from typing import Any


@dataclasses.dataclass(frozen=True)
class PublicType:
    name: str  # what integrators subscribe to and receive as "type"
    source: str  # the integration event type it is built from
    description: str


PUBLIC_TYPES: tuple[PublicType, ...] = (
    PublicType("trip.requested", "logitrack.trips.trip.requested.v2", "A trip was booked and waits for a driver."),
    PublicType("trip.assigned", "logitrack.trips.trip.assigned.v2", "A trip was given to a driver (or moved)."),
    PublicType("trip.status_changed", "logitrack.trips.trip.status_changed.v2", "Every step of a trip's lifecycle."),
    PublicType("trip.completed", "logitrack.trips.trip.completed.v2", "A trip ended with every stop done."),
    PublicType("trip.cancelled", "logitrack.trips.trip.cancelled.v2", "A trip was cancelled."),
    PublicType("trip.failed", "logitrack.trips.trip.failed.v2", "A trip could not be completed."),
    PublicType("offer.made", "logitrack.trips.offer.made.v2", "A trip was offered to a driver."),
    PublicType("offer.declined", "logitrack.trips.offer.declined.v2", "A driver declined an offer, or it ran out."),
    PublicType("fare.finalised", "logitrack.billing.fare.finalised.v1", "A completed trip's fare is final."),
    PublicType("invoice.issued", "logitrack.billing.invoice.issued.v1", "An invoice, receipt or credit note."),
    PublicType("payout.paid", "logitrack.billing.payout.paid.v1", "A driver's payout was paid."),
    PublicType("payout.rejected", "logitrack.billing.payout.rejected.v1", "A driver's payout was turned down."),
    PublicType("driver.onboarded", "logitrack.partner.driver.onboarded.v1", "A driver joined the fleet."),
    PublicType("driver.duty_changed", "logitrack.partner.duty_status.changed.v1", "A driver went on or off duty."),
    PublicType("driver.compliance_changed", "logitrack.partner.compliance.changed.v1", "A driver's compliance moved."),
    PublicType(
        "kyc_document.expiring", "logitrack.partner.kyc_document.expiring.v1", "A driver's document expires soon."
    ),
    PublicType("vehicle.added", "logitrack.fleet.vehicle.added.v1", "A vehicle joined the fleet."),
    PublicType("vehicle.status_changed", "logitrack.fleet.vehicle.status_changed.v1", "A vehicle's status moved."),
    PublicType(
        "vehicle_document.expiring", "logitrack.fleet.vehicle_document.expiring.v1", "A vehicle document expires soon."
    ),
    PublicType(
        "vehicle_document.expired", "logitrack.fleet.vehicle_document.expired.v1", "A vehicle document expired."
    ),
)
PING = "ping"  # the test event an integrator sends themselves; never subscribed to
BY_SOURCE = {t.source: t for t in PUBLIC_TYPES}
PUBLIC_NAMES = tuple(t.name for t in PUBLIC_TYPES)

# never shown to an integrator: platform-wide people ids and internal references
_HIDDEN = frozenset({"user_id", "quote_id", "shift_id", "fleet_id"})


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items() if k not in _HIDDEN}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def fleet_of(envelope: dict[str, Any]) -> uuid.UUID | None:
    """The fleet an integration event belongs to (trip events carry it in their snapshot)."""
    data = envelope.get("data") or {}
    raw = data.get("fleet_id") or (data.get("trip") or {}).get("fleet_id")
    return uuid.UUID(str(raw)) if raw else None


def envelope_for(event_envelope: dict[str, Any]) -> tuple[PublicType, dict[str, Any]] | None:
    """(public type, webhook envelope) for an integration event's outbox envelope; None if not published."""
    public = BY_SOURCE.get(event_envelope["type"])
    fleet_id = fleet_of(event_envelope)
    if public is None or fleet_id is None:
        return None
    return public, {
        "id": event_envelope["id"],
        "type": public.name,
        "created": event_envelope["time"],
        "fleet_id": str(fleet_id),
        "data": _scrub(event_envelope.get("data") or {}),
    }


def render(envelope: dict[str, Any]) -> str:
    """The body's bytes (as text): compact, keys in a fixed order, so a replay carries what was sent first."""
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False)
