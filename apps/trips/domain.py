"""Pure rules of the trips context: the lifecycle state machine and who may move it."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import uuid

from apps.trips.contracts import TERMINAL_STATUSES, TripStatus

S = TripStatus


@dataclasses.dataclass(frozen=True)
class Action:
    sources: frozenset[TripStatus]
    target: TripStatus
    actors: frozenset[str]  # customer | driver | dispatcher
    needs_reason: bool = False


ACTIONS: dict[str, Action] = {
    "start": Action(frozenset({S.ASSIGNED}), S.EN_ROUTE, frozenset({"driver"})),
    "arrive_pickup": Action(frozenset({S.EN_ROUTE}), S.AT_PICKUP, frozenset({"driver"})),
    "pick_up": Action(frozenset({S.AT_PICKUP}), S.IN_PROGRESS, frozenset({"driver"})),
    "complete": Action(frozenset({S.IN_PROGRESS}), S.COMPLETED, frozenset({"driver"})),
    "cancel": Action(
        frozenset({S.REQUESTED, S.ASSIGNED, S.EN_ROUTE, S.AT_PICKUP}),
        S.CANCELLED,
        frozenset({"customer", "dispatcher", "system"}),
    ),
    "fail": Action(
        frozenset({S.EN_ROUTE, S.AT_PICKUP, S.IN_PROGRESS}),
        S.FAILED,
        frozenset({"driver", "dispatcher"}),
        needs_reason=True,
    ),
}
# A customer may cancel only until the driver is at the pickup; a dispatcher overrides any time before it ends.
CUSTOMER_CANCEL_UNTIL = frozenset({S.REQUESTED, S.ASSIGNED, S.EN_ROUTE})
TERMINAL = TERMINAL_STATUSES


def next_status(current: TripStatus, action: str, actor: str) -> TripStatus | None:
    """The status `action` by `actor` leads to from `current`, or None when it is not allowed."""
    rule = ACTIONS.get(action)
    if rule is None or current not in rule.sources or actor not in rule.actors:
        return None
    if action == "cancel" and actor == "customer" and current not in CUSTOMER_CANCEL_UNTIL:
        return None
    return rule.target


def point_in_polygon(lat: float, lng: float, polygon: tuple[tuple[float, float], ...]) -> bool:
    """Ray casting on (lat, lng) vertices; fine for city-sized service areas."""
    inside = False
    j = len(polygon) - 1
    for i, (yi, xi) in enumerate(polygon):
        yj, xj = polygon[j]
        if (yi > lat) != (yj > lat) and lng < (xj - xi) * (lat - yi) / ((yj - yi) or 1e-12) + xi:
            inside = not inside
        j = i
    return inside


# The tracking token and drop-off PINs are derived from the server's secret key and the trip, so the customer can
# be shown them again (GET of their trip) while the database keeps only their hashes, as before: someone who
# reads the database alone still cannot open a tracking link or finish a drop-off.


def _derive(secret: str, purpose: str, value: str) -> bytes:
    return hmac.new(secret.encode(), f"logitrack.trips.{purpose}:{value}".encode(), hashlib.sha256).digest()


def tracking_token(*, secret: str, trip_id: uuid.UUID) -> str:
    """The trip's tracking token (32 URL-safe characters, 192 bits)."""
    return base64.urlsafe_b64encode(_derive(secret, "tracking", str(trip_id))[:24]).decode()


def drop_off_pin(*, secret: str, trip_id: uuid.UUID, sequence: int) -> str:
    """The 4-digit PIN of one drop-off of the trip."""
    return f"{int.from_bytes(_derive(secret, 'pin', f'{trip_id}:{sequence}')[:8]) % 10_000:04d}"


def secret_hash(secret: str) -> str:
    """What is stored of a tracking token or PIN."""
    return hashlib.sha256(secret.encode()).hexdigest()
