"""Pushes to dispatch screens and driver apps over the channel layer (at most once; screens resync over REST).

Every state message to a fleet's screens carries the next number of the fleet's sequence, so a screen that
sees a gap knows it missed something and reloads the snapshot. Position batches carry the current number
without advancing it: a missed position is superseded by the next one and never needs a resync.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import structlog
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder

from apps.dispatch import live
from apps.dispatch.contracts import LivePosition
from logitrack import correlation
from logitrack.db import contexts
from logitrack.realtime import group_message

log = structlog.get_logger(__name__)


def fleet_group(fleet_id: uuid.UUID) -> str:
    return f"dispatch.fleet.{fleet_id}"


def driver_group(driver_id: uuid.UUID) -> str:
    return f"dispatch.driver.{driver_id}"


def position_json(p: LivePosition) -> dict[str, Any]:
    return {
        "driver_id": str(p.driver_id),
        "lat": p.lat,
        "lng": p.lng,
        "heading": p.heading,
        "speed_mps": p.speed_mps,
        "recorded_at": p.recorded_at.isoformat(),
    }


def jsonable(data: Any) -> Any:
    """`data` as plain JSON values (uuids, datetimes, decimals as strings), as a message payload carries it."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _event(message: dict[str, Any]) -> dict[str, Any]:
    """The channel-layer event for a message, encoded once here rather than by each of the group's sockets
    (twenty screens on a fleet would otherwise each decode and re-encode every position batch)."""
    text = json.dumps(message, cls=DjangoJSONEncoder)
    return group_message({"type": "feed.message", "kind": message["type"], "text": text})


async def positions_async(fleet_id: uuid.UUID, moved: list[LivePosition], sequence: int) -> None:
    message = {"type": "positions", "seq": sequence, "positions": [position_json(p) for p in moved]}
    await get_channel_layer().group_send(fleet_group(fleet_id), _event(message))


def positions(fleet_id: uuid.UUID, moved: list[LivePosition]) -> None:
    if moved:
        async_to_sync(positions_async)(fleet_id, moved, live.store().sequence(fleet_id))


def _send_now(group: str, message: dict[str, Any]) -> None:
    async_to_sync(get_channel_layer().group_send)(group, _event(message))


def _best_effort(group: str, kind: str, send) -> None:
    """Pushes are at most once: one that cannot be sent (Redis unreachable) is logged and dropped. It must not
    fail what already committed: an API call that answers 500 after its change was saved, or an event handler
    retried for a push it cannot make. Screens resync from the snapshot after a gap."""
    try:
        send()
    except Exception:
        log.warning("dispatch.push_failed", group=group, kind=kind, exc_info=True)


def board(fleet_id: uuid.UUID, payload: Callable[[], dict[str, Any]]) -> None:
    """The board's clock (timings, driver states, alerts) to the fleet's screens: like a position batch it carries
    the current number without advancing it, since the next one supersedes it. `payload` is computed inside the
    best-effort guard: a fleet whose board cannot be computed or sent is logged, not raised."""
    group = fleet_group(fleet_id)

    def send() -> None:
        _send_now(group, {"type": "board", "seq": live.store().sequence(fleet_id), **payload()})

    _best_effort(group, "board", send)


def to_fleet(fleet_id: uuid.UUID, kind: str, payload: dict[str, Any]) -> None:
    """A state change for the fleet's screens, numbered and sent once the surrounding transaction commits."""
    group = fleet_group(fleet_id)

    def send() -> None:
        _send_now(group, {"type": kind, "seq": live.store().next_sequence(fleet_id), **payload})

    # on commit, the request id and trace may no longer be bound
    contexts.on_commit(correlation.carry(lambda: _best_effort(group, kind, send)), "dispatch")


def trips_to_fleet(fleet_id: uuid.UUID, change: str, trips: list[dict[str, Any]]) -> None:
    """Several trips' cards for the fleet's screens after the commit: one `trip` message for one, one numbered
    `trips` message (the cards in order, one change) for several, so a batch of events costs one send per fleet."""
    if len(trips) == 1:
        to_fleet(fleet_id, "trip", {"change": change, "trip": trips[0]})
    elif trips:
        to_fleet(fleet_id, "trips", {"change": change, "trips": trips})


def to_driver(driver_id: uuid.UUID, kind: str, payload: dict[str, Any]) -> None:
    group = driver_group(driver_id)
    message = {"type": kind, **payload}
    contexts.on_commit(
        correlation.carry(lambda: _best_effort(group, kind, lambda: _send_now(group, message))), "dispatch"
    )
