"""Pure rules of the trips context: the lifecycle state machine and who may move it."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from apps.trips.contracts import ActorRole, StopKind, StopStatus, TripStatus

S = TripStatus


@dataclasses.dataclass(frozen=True, kw_only=True)
class Action:
    """Everything one lifecycle action needs, in one place: from where, to where, by whom, and its guards. The
    service supplies the facts (is the driver busy? are PIN drop-offs open?) only for the guards an action has."""

    sources: frozenset[TripStatus]
    target: TripStatus
    actors: frozenset[ActorRole]
    # narrower sources for some actors: a customer may cancel only until the driver is at the pickup
    sources_for: Mapping[ActorRole, frozenset[TripStatus]] = dataclasses.field(default_factory=dict)
    reason_from: frozenset[ActorRole] = frozenset()  # who must say why (an override, or a failure)
    driver_free: bool = False  # without pooling, the driver has no other trip in progress (trips.driver_busy)
    pins_done: bool = False  # every drop-off that needs the customer's PIN is finished (trips.proof_missing)
    starts: bool = False  # stamps the trip's started_at
    # takes the trip off its shift (driver, vehicle, start and live estimate cleared; the shift's load freed; open
    # offers withdrawn), and only while no stop is done or failed: nothing is on board yet (trips.goods_on_board)
    unassigns: bool = False


A = ActorRole
ACTIONS: dict[str, Action] = {
    "start": Action(sources=frozenset({S.ASSIGNED}), target=S.EN_ROUTE, actors=frozenset({A.DRIVER}), starts=True),
    "arrive_pickup": Action(sources=frozenset({S.EN_ROUTE}), target=S.AT_PICKUP, actors=frozenset({A.DRIVER})),
    "pick_up": Action(
        sources=frozenset({S.AT_PICKUP}), target=S.IN_PROGRESS, actors=frozenset({A.DRIVER}), driver_free=True
    ),
    "complete": Action(
        sources=frozenset({S.IN_PROGRESS}), target=S.COMPLETED, actors=frozenset({A.DRIVER}), pins_done=True
    ),
    # a dispatcher (or the system) overrides any time before it ends, and says why
    "cancel": Action(
        sources=frozenset({S.REQUESTED, S.ASSIGNED, S.EN_ROUTE, S.AT_PICKUP}),
        target=S.CANCELLED,
        actors=frozenset({A.CUSTOMER, A.DISPATCHER, A.SYSTEM}),
        sources_for={A.CUSTOMER: frozenset({S.REQUESTED, S.ASSIGNED, S.EN_ROUTE})},
        reason_from=frozenset({A.DISPATCHER, A.SYSTEM}),
    ),
    "fail": Action(
        sources=frozenset({S.EN_ROUTE, S.AT_PICKUP, S.IN_PROGRESS}),
        target=S.FAILED,
        actors=frozenset({A.DRIVER, A.DISPATCHER}),
        reason_from=frozenset({A.DRIVER, A.DISPATCHER}),
    ),
    # a dispatcher takes the trip back from its driver before the goods are on board, to give it to someone else:
    # at the pickup too (the driver cannot load, the vehicle is wrong), as long as no stop is done or failed yet
    "unassign": Action(
        sources=frozenset({S.ASSIGNED, S.EN_ROUTE, S.AT_PICKUP}),
        target=S.REQUESTED,
        actors=frozenset({A.DISPATCHER}),
        reason_from=frozenset({A.DISPATCHER}),
        unassigns=True,
    ),
}
DRIVER_ACTIONS = frozenset(name for name, rule in ACTIONS.items() if rule.actors == {A.DRIVER})
"""The steps only a trip's driver takes (a driver who is also the fleet's dispatcher takes them as its driver)."""
TRANSITIONS = frozenset(name for name, rule in ACTIONS.items() if not rule.unassigns)
"""The steps `POST trips/<id>/transitions/` takes; unassigning has its own endpoint (`trips/<id>/unassign/`)."""
CANCELLABLE = ACTIONS["cancel"].sources  # not yet with goods on board
ASSIGNABLE = frozenset({S.REQUESTED, S.ASSIGNED})  # a dispatcher (re)assigns before the driver sets off
OFFERABLE = frozenset({S.REQUESTED})
# who handles a trip's stops: its driver; the fleet's dispatchers may also mark one failed (with a reason, as anyone)
STOP_ACTORS: dict[str, frozenset[ActorRole]] = {
    "arrive": frozenset({A.DRIVER}),
    "done": frozenset({A.DRIVER}),
    "fail": frozenset({A.DRIVER, A.DISPATCHER}),
}
# which trip statuses let the driver handle a stop of each kind
STOP_OPEN_WHILE: dict[StopKind, frozenset[TripStatus]] = {
    StopKind.PICKUP: frozenset({S.AT_PICKUP, S.IN_PROGRESS}),
    StopKind.DROPOFF: frozenset({S.IN_PROGRESS}),
}


def next_status(current: TripStatus, action: str, actor: str) -> TripStatus | None:
    """The status `action` by `actor` leads to from `current`, or None when it is not allowed."""
    rule = ACTIONS.get(action)
    if rule is None or actor not in rule.actors:
        return None
    if current not in rule.sources_for.get(ActorRole(actor), rule.sources):
        return None
    return rule.target


def needs_reason(action: str, actor: str) -> bool:
    """Whether `actor` must say why they `action` the trip."""
    return actor in ACTIONS[action].reason_from


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


# ---- the overview's figures: one rule for the running count and its rebuild (services/figures.py) ------------


def stop_punctuality(*, status: str, ended_at: dt.datetime | None, stops: Iterable[Any]) -> tuple[int, int]:
    """(stops counted, stops on time) of an ended trip. Counted: each stop with a window end of a completed or
    failed trip (a cancelled trip asked nobody to be anywhere). On time: reached no later than the window's end —
    reached when the driver arrived, else when the stop was finished, else (a stop the completion closed) when the
    trip completed; early is waiting, not lateness, as on the dispatch board. A stop never reached is late."""
    if status not in (TripStatus.COMPLETED, TripStatus.FAILED):
        return 0, 0
    counted = on_time = 0
    for stop in stops:
        if stop.window_end is None:
            continue
        counted += 1
        reached = stop.arrived_at or stop.finished_at
        if reached is None and status == TripStatus.COMPLETED and stop.status == StopStatus.DONE:
            reached = ended_at
        if reached is not None and reached <= stop.window_end:
            on_time += 1
    return counted, on_time


def seconds_on_trips(
    *, shift_start: dt.datetime, shift_end: dt.datetime, trips: Iterable[tuple[dt.datetime | None, dt.datetime | None]]
) -> int:
    """Seconds of the shift during which the driver had a trip under way (from its start to its end): the union
    of the trips' spans within the shift, so pooled trips running at once count once."""
    spans = sorted(
        (max(start, shift_start), min(end, shift_end))
        for start, end in trips
        if start is not None and end is not None and min(end, shift_end) > max(start, shift_start)
    )
    total, reach = 0.0, None
    for start, end in spans:
        if reach is None or start > reach:
            total += (end - start).total_seconds()
            reach = end
        elif end > reach:
            total += (end - reach).total_seconds()
            reach = end
    return int(total)


# ---- the customer's tracking page: a rough position, the steps a customer follows, its words ----------------

ROUGH_GRID_DEG = 0.0025  # a driver's position on a tracking page snaps to this grid: ~280 m north-south
STOP_DECIMALS = 3  # a booked stop on the map: ~100 m, enough to place it on a city map, not a doorway


def rough_position(lat: float, lng: float) -> tuple[float, float]:
    """The driver's position as a tracking link may see it: snapped to a grid of a few hundred metres, so the
    page shows which part of town the driver is in, never the street or the house."""

    def snap(value: float) -> float:
        return round(round(value / ROUGH_GRID_DEG) * ROUGH_GRID_DEG, 4)

    return snap(lat), snap(lng)


TRACKING_STEPS = ("booked", "assigned", "picked_up", "on_the_way", "delivered")
_REACHED = {  # the last step a trip in this status has reached
    S.REQUESTED: "booked",
    S.ASSIGNED: "assigned",
    S.EN_ROUTE: "assigned",
    S.AT_PICKUP: "assigned",
    S.IN_PROGRESS: "on_the_way",
    S.COMPLETED: "delivered",
}


@dataclasses.dataclass(frozen=True, kw_only=True)
class TrackingStep:
    step: str  # booked, assigned, picked_up, on_the_way, delivered, failed, cancelled
    state: str  # done, current, upcoming, ended (the failed or cancelled end of the line)
    at: dt.datetime | None


def tracking_steps(
    *,
    status: str,
    created_at: dt.datetime,
    assigned_at: dt.datetime | None,
    picked_up_at: dt.datetime | None,
    ended_at: dt.datetime | None,
) -> list[TrackingStep]:
    """The timeline a customer follows: booked → driver assigned → picked up → on the way → delivered. A trip
    that failed or was cancelled shows the steps it reached, then how it ended. The step being worked on is
    `current` (booked and waiting for a driver: "assigned" is current)."""
    at = {"booked": created_at, "assigned": assigned_at, "picked_up": picked_up_at, "delivered": ended_at}
    status = S(status)
    if status in (S.FAILED, S.CANCELLED):
        reached = [
            "booked",
            *(["assigned"] if assigned_at else []),
            *(["picked_up"] if picked_up_at else []),
        ]
        return [
            *(TrackingStep(step=s, state="done", at=at[s]) for s in reached),
            TrackingStep(step=status.value, state="ended", at=ended_at),
        ]
    last = TRACKING_STEPS.index(_REACHED[status])
    if status == S.IN_PROGRESS:  # picked up, the goods (or the passenger) on the way: that is what is current
        last = TRACKING_STEPS.index("picked_up")
    steps = []
    for i, step in enumerate(TRACKING_STEPS):
        if i <= last:
            state = "done"
        elif i == last + 1 and status != S.COMPLETED:
            state = "current"
        else:
            state = "upcoming"
        steps.append(TrackingStep(step=step, state=state, at=at.get(step) if state == "done" else None))
    return steps


# What a tracking page says, in the languages LogiTrack writes to people in (fleet.api.SPOKEN). `{driver}` is the
# driver's first name, `{fleet}` the fleet's, `{time}` a local time, `{date}` a local date and time.
TRACKING_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "status.requested": "Booked — we're finding a driver",
        "status.assigned": "{driver} will collect your order",
        "status.assigned.nobody": "A driver has been assigned",
        "status.en_route": "{driver} is on the way to the pickup",
        "status.at_pickup": "{driver} is at the pickup",
        "status.in_progress": "On the way to you",
        "status.in_progress.ride": "On the way",
        "status.completed": "Delivered",
        "status.completed.ride": "You have arrived",
        "status.failed": "The delivery could not be completed",
        "status.failed.ride": "The trip could not be completed",
        "status.cancelled": "This order was cancelled",
        "step.booked": "Booked",
        "step.assigned": "Driver assigned",
        "step.picked_up": "Picked up",
        "step.on_the_way": "On the way",
        "step.delivered": "Delivered",
        "step.delivered.ride": "Arrived",
        "step.failed": "Not delivered",
        "step.cancelled": "Cancelled",
        "eta": "Arriving around {time}",
        "eta.pickup": "At the pickup around {time}",
        "driver": "Your driver",
        "vehicle": "Vehicle",
        "stops": "Addresses",
        "stop.pickup": "Pickup",
        "stop.dropoff": "Drop-off",
        "stop.done": "done",
        "stop.failed": "not possible",
        "map": "Map",
        "map.rough": "The driver's position is approximate (within a few hundred metres).",
        "map.none": "The map shows the driver while the order is under way.",
        "map.missing": "The map could not be shown; the addresses are listed below.",
        "live": "Live",
        "offline": "Reconnecting…",
        "updated": "Updated {time}",
        "help": "Questions about this order? Contact {fleet}.",
        "expired.title": "This tracking link has expired",
        "expired.body": "This link expired on {date}. For news about your order, please contact {fleet}.",
        "unknown.title": "We can't find this tracking link",
        "unknown.body": "Please check that the whole link was copied, or ask whoever sent it for a new one.",
        "vehicle.bike": "bike",
        "vehicle.car": "car",
        "vehicle.van": "van",
        "vehicle.truck": "truck",
        "powered": "Tracking by LogiTrack",
    },
    "de": {
        "status.requested": "Gebucht – wir suchen eine Fahrerin oder einen Fahrer",
        "status.assigned": "{driver} holt Ihre Sendung ab",
        "status.assigned.nobody": "Ein Fahrer ist zugewiesen",
        "status.en_route": "{driver} ist auf dem Weg zur Abholung",
        "status.at_pickup": "{driver} ist bei der Abholung",
        "status.in_progress": "Unterwegs zu Ihnen",
        "status.in_progress.ride": "Unterwegs",
        "status.completed": "Zugestellt",
        "status.completed.ride": "Sie sind angekommen",
        "status.failed": "Die Zustellung war nicht möglich",
        "status.failed.ride": "Die Fahrt konnte nicht abgeschlossen werden",
        "status.cancelled": "Dieser Auftrag wurde storniert",
        "step.booked": "Gebucht",
        "step.assigned": "Fahrer zugewiesen",
        "step.picked_up": "Abgeholt",
        "step.on_the_way": "Unterwegs",
        "step.delivered": "Zugestellt",
        "step.delivered.ride": "Angekommen",
        "step.failed": "Nicht zugestellt",
        "step.cancelled": "Storniert",
        "eta": "Ankunft gegen {time}",
        "eta.pickup": "Bei der Abholung gegen {time}",
        "driver": "Ihr Fahrer",
        "vehicle": "Fahrzeug",
        "stops": "Adressen",
        "stop.pickup": "Abholung",
        "stop.dropoff": "Zustellung",
        "stop.done": "erledigt",
        "stop.failed": "nicht möglich",
        "map": "Karte",
        "map.rough": "Die Position des Fahrers ist ungefähr (auf einige hundert Meter genau).",
        "map.none": "Die Karte zeigt den Fahrer, während der Auftrag unterwegs ist.",
        "map.missing": "Die Karte kann nicht angezeigt werden; die Adressen stehen unten.",
        "live": "Live",
        "offline": "Verbindung wird wiederhergestellt …",
        "updated": "Aktualisiert {time}",
        "help": "Fragen zu diesem Auftrag? Wenden Sie sich an {fleet}.",
        "expired.title": "Dieser Sendungslink ist abgelaufen",
        "expired.body": "Dieser Link ist am {date} abgelaufen. Neuigkeiten zu Ihrem Auftrag erhalten Sie bei {fleet}.",
        "unknown.title": "Diesen Sendungslink gibt es nicht",
        "unknown.body": (
            "Bitte prüfen Sie, ob der ganze Link kopiert wurde, oder bitten Sie den Absender um einen neuen."
        ),
        "vehicle.bike": "Fahrrad",
        "vehicle.car": "Auto",
        "vehicle.van": "Transporter",
        "vehicle.truck": "Lkw",
        "powered": "Sendungsverfolgung von LogiTrack",
    },
}


def tracking_words(language: str) -> dict[str, str]:
    return TRACKING_WORDS.get(language) or TRACKING_WORDS["en"]


def tracking_status_text(words: Mapping[str, str], *, status: str, service: str, driver: str | None) -> str:
    """The page's headline for a status ("Anna is on the way to the pickup")."""
    key = f"status.{status}"
    if status in ("assigned", "en_route", "at_pickup") and not driver:
        key = "status.assigned.nobody"
    elif service == "ride" and f"{key}.ride" in words:
        key = f"{key}.ride"
    return words[key].format(driver=driver or "")
