"""Pure rules of deliveries: their idempotency key, quiet hours, the rate limit's window. No I/O."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
import zoneinfo
from collections.abc import Sequence
from typing import Any

# Where an account mail's link goes: the delivery keeps this in its body and the sender puts the live link in its
# place when sending (services.deliveries), so the delivery log never holds a working password link.
ACCOUNT_LINK_SLOT = "[[account-link]]"


def delivery_key(*, event_id: uuid.UUID, recipient: str, channel: str, kind: str) -> str:
    """One delivery per (source event, recipient, channel, message kind): a re-delivered event finds its row."""
    return f"{event_id}:{recipient}:{channel}:{kind}"


def quiet_until(*, now: dt.datetime, start: dt.time | None, end: dt.time | None, time_zone: str) -> dt.datetime | None:
    """When the recipient's quiet hours end, if `now` falls in them (None otherwise). Hours may span midnight
    (22:00-07:00); they are read on the recipient's local clock, so a DST change moves them with it."""
    if start is None or end is None or start == end:
        return None
    try:
        tz = zoneinfo.ZoneInfo(time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("UTC")
    local = now.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    if start < end:
        inside = start <= clock < end
        end_day = local.date()
    else:  # across midnight
        inside = clock >= start or clock < end
        end_day = local.date() + dt.timedelta(days=1) if clock >= start else local.date()
    if not inside:
        return None
    return dt.datetime.combine(end_day, end, tzinfo=tz).astimezone(dt.UTC)


def rate_limited_until(
    *, sent_at: Sequence[dt.datetime], now: dt.datetime, limit: int, window: dt.timedelta
) -> dt.datetime | None:
    """When one more message fits the limit of `limit` per sliding `window`, given the times of those already sent
    (None: it fits now). A deferred message is held, never dropped."""
    if limit <= 0:
        return None
    recent = sorted(t for t in sent_at if t > now - window)
    if len(recent) < limit:
        return None
    # the oldest of the last `limit` leaves the window first
    return recent[len(recent) - limit] + window


@dataclasses.dataclass(frozen=True, kw_only=True)
class StopView:
    sequence: int
    kind: str
    status: str
    address: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class TripView:
    """What notifications reads of a trip event's snapshot: its own shape, so a new version of trips' events
    changes the handlers that translate it and nothing else here."""

    id: uuid.UUID
    fleet_id: uuid.UUID
    customer_id: uuid.UUID | None
    driver_id: uuid.UUID | None
    vehicle_id: uuid.UUID | None
    requested_for: dt.datetime | None
    ended_at: dt.datetime | None
    stops: tuple[StopView, ...]

    @classmethod
    def of(cls, snapshot: Any) -> TripView:
        return cls(
            id=snapshot.id,
            fleet_id=snapshot.fleet_id,
            customer_id=snapshot.customer_id,
            driver_id=snapshot.driver_id,
            vehicle_id=snapshot.vehicle_id,
            requested_for=snapshot.requested_for,
            ended_at=snapshot.ended_at,
            stops=tuple(
                StopView(sequence=s.sequence, kind=str(s.kind), status=str(s.status), address=s.address)
                for s in snapshot.stops
            ),
        )
