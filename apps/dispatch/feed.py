"""Pushes to dispatch screens and driver apps over the channel layer (at most once; screens resync over REST).

Every state message to a fleet's screens carries the next number of the fleet's sequence, so a screen that
sees a gap knows it missed something and reloads the snapshot. Position batches carry the current number
without advancing it: a missed position is superseded by the next one and never needs a resync.
"""

from __future__ import annotations

import uuid
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from apps.dispatch import live
from apps.dispatch.contracts import LivePosition


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


async def positions_async(fleet_id: uuid.UUID, moved: list[LivePosition], sequence: int) -> None:
    message = {
        "type": "feed.message",
        "message": {"type": "positions", "seq": sequence, "positions": [position_json(p) for p in moved]},
    }
    await get_channel_layer().group_send(fleet_group(fleet_id), message)


def positions(fleet_id: uuid.UUID, moved: list[LivePosition]) -> None:
    if moved:
        async_to_sync(positions_async)(fleet_id, moved, live.store().sequence(fleet_id))


def _send_now(group: str, message: dict[str, Any]) -> None:
    async_to_sync(get_channel_layer().group_send)(group, {"type": "feed.message", "message": message})


def to_fleet(fleet_id: uuid.UUID, kind: str, payload: dict[str, Any]) -> None:
    """A state change for the fleet's screens, numbered and sent once the surrounding transaction commits."""

    def send() -> None:
        _send_now(fleet_group(fleet_id), {"type": kind, "seq": live.store().next_sequence(fleet_id), **payload})

    transaction.on_commit(send)


def to_driver(driver_id: uuid.UUID, kind: str, payload: dict[str, Any]) -> None:
    transaction.on_commit(lambda: _send_now(driver_group(driver_id), {"type": kind, **payload}))
