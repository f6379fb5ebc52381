"""Pushes to customers' tracking pages over the channel layer (`/ws/track/<token>/`, consumers.TrackingConsumer).

A push says only "this trip changed": each open page's socket reads what its link may see itself (the page's
JSON), so nothing more than that travels through Redis, and the work is done only where someone is watching.
Pushes are at most once and best effort; a page that reconnects gets the whole state again.
"""

from __future__ import annotations

import uuid

import structlog
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from logitrack import correlation
from logitrack.db import contexts
from logitrack.realtime import group_message

log = structlog.get_logger(__name__)


def trip_group(trip_id: uuid.UUID) -> str:
    return f"trips.track.{trip_id}"


def tracking_changed(trip_id: uuid.UUID) -> None:
    """Tell the trip's open tracking pages, once the surrounding transaction commits (nothing for a rollback).
    Several changes in one transaction push several times; the sockets send a page only what differs."""
    # on commit, the request id and trace may no longer be bound
    contexts.on_commit(correlation.carry(lambda: _send(trip_id)), "trips")


def _send(trip_id: uuid.UUID) -> None:
    try:
        message = group_message({"type": "tracking.changed"})
        async_to_sync(get_channel_layer().group_send)(trip_group(trip_id), message)
    except Exception:  # Redis unreachable: the change is saved; the page catches up when it reconnects or polls
        log.warning("trips.tracking_push_failed", trip_id=str(trip_id), exc_info=True)
