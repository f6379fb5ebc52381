"""Pure rules of the board's clock: how late an open trip is against its stop windows, and what state a driver is
in. No I/O: the caller gathers positions and travel times (workspace.py) and passes them in.

The rule (also in the README):
- The **next stop** is the first stop not done or failed. A trip with a driver whose live position is known gets an
  ETA there (travel from it, counted from now or the fix's time if later: a fix a minute old does not move the ETA
  a minute into the past; a stop already arrived at: its `arrived_at`, else now), then a cumulative ETA at each later
  open stop (service minutes at each, waiting for a window that has not opened, leaving no earlier than now, then
  travel).
- `late_by_s` = ETA at the next stop − its window end (positive: late, negative: slack). A requested trip without a
  driver: now − the first stop's window end once that has passed, else null. A trip with a driver but no position:
  now − the next stop's window end once that has passed, else null.
- `state`: **late** when `late_by_s` > 0; **at_risk** when the next stop's slack (not reached yet) is under the
  at-risk threshold, a requested trip's pickup window closes within it, or a later stop's (e.g. the last
  drop-off's) cumulative ETA misses its window; **unknown**
  when an ETA is needed but there is no position to compute it from (and nothing is late yet); else **on_time**
  (also when no open stop has a window: nothing can be late).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

OPEN_STOP = ("pending", "arrived")
ON_TIME, AT_RISK, LATE, UNKNOWN = "on_time", "at_risk", "late", "unknown"
IDLE, OFFERED, ON_TRIP, STALE = "idle", "offered", "on_trip", "stale"


@dataclasses.dataclass(frozen=True)
class Timing:
    next_stop: int | None
    eta: dt.datetime | None
    window_start: dt.datetime | None
    window_end: dt.datetime | None
    late_by_s: int | None
    state: str
    as_of: dt.datetime
    last_stop_late_by_s: int | None = None  # the last open stop's projected lateness (cumulative ETA − window end)

    def json(self) -> dict[str, Any]:
        iso = lambda t: t.isoformat() if t is not None else None  # noqa: E731
        return {
            "next_stop": self.next_stop,
            "eta": iso(self.eta),
            "window_start": iso(self.window_start),
            "window_end": iso(self.window_end),
            "late_by_s": self.late_by_s,
            "state": self.state,
            "as_of": iso(self.as_of),
            "last_stop_late_by_s": self.last_stop_late_by_s,
        }


def open_stops(stops: Sequence[Any]) -> list[Any]:
    return [s for s in sorted(stops, key=lambda s: s.sequence) if str(s.status) in OPEN_STOP]


def _seconds(delta: dt.timedelta) -> int:
    return round(delta.total_seconds())


def trip_timing(
    *,
    status: str,
    has_driver: bool,
    stops: Sequence[Any],
    now: dt.datetime,
    at_risk_s: int,
    fix_at: dt.datetime | None = None,
    legs_s: Sequence[int] | None = None,
) -> Timing:
    """The timing of one open trip. `legs_s`: travel seconds from the driver's fix to the first open stop, then
    between consecutive open stops (len = open stops); None when the driver's position is not known."""
    remaining = open_stops(stops)
    if not remaining:
        return Timing(None, None, None, None, None, ON_TIME, now)
    first = remaining[0]
    start, end = first.window_start, first.window_end
    if status == "requested" or not has_driver:
        late = _seconds(now - end) if end is not None and now > end else None
        if late is not None:
            state = LATE
        elif end is not None and _seconds(end - now) < at_risk_s:
            state = AT_RISK
        else:
            state = ON_TIME
        return Timing(first.sequence, None, start, end, late, state, now)
    if fix_at is None or legs_s is None:
        late = _seconds(now - end) if end is not None and now > end else None
        return Timing(first.sequence, None, start, end, late, LATE if late is not None else UNKNOWN, now)
    etas = cumulative_etas(remaining, fix_at=fix_at, legs_s=legs_s, now=now)
    eta = etas[0]
    late = _seconds(eta - end) if end is not None else None
    later = [_seconds(t - s.window_end) for s, t in zip(remaining[1:], etas[1:], strict=True) if s.window_end]
    last = remaining[-1]
    last_late = _seconds(etas[-1] - last.window_end) if last.window_end is not None else None
    made_it = str(first.status) == "arrived" and late is not None and late <= 0  # there in time: no slack to lose
    if late is not None and late > 0:
        state = LATE
    elif (late is not None and -late < at_risk_s and not made_it) or any(x > 0 for x in later):
        state = AT_RISK  # the next stop has little slack, or a later stop is projected to miss its window
    else:
        state = ON_TIME
    return Timing(first.sequence, eta, start, end, late, state, now, last_stop_late_by_s=last_late)


def cumulative_etas(
    remaining: Sequence[Any], *, fix_at: dt.datetime, legs_s: Sequence[int], now: dt.datetime | None = None
) -> list[dt.datetime]:
    """Arrival at each open stop: travel, then service at each (after waiting for a window not yet open). The clock
    starts at max(fix_at, now): travel still ahead cannot have begun at an older fix. A first stop already arrived at
    is reached at its `arrived_at` (when known), and left no earlier than the clock's start."""
    start = max(fix_at, now) if now is not None else fix_at
    etas: list[dt.datetime] = []
    clock = start
    for i, stop in enumerate(remaining):
        there = i == 0 and str(stop.status) == "arrived"
        if there:
            arrive = getattr(stop, "arrived_at", None) or start
        else:
            arrive = clock + dt.timedelta(seconds=legs_s[i])
        etas.append(arrive)
        begin = max(arrive, stop.window_start) if stop.window_start is not None else arrive
        clock = begin + dt.timedelta(minutes=getattr(stop, "service_minutes", 0) or 0)
        if there:
            clock = max(clock, start)
    return etas


def driver_state(
    *, last_ping_at: dt.datetime | None, now: dt.datetime, stale_s: int, holds_trips: bool, offered: bool
) -> str:
    """stale (no fix, or none within `stale_s`: shown even on a trip, since the screen must say it cannot see
    them), else on_trip, offered or idle."""
    if last_ping_at is None or _seconds(now - last_ping_at) > stale_s:
        return STALE
    if holds_trips:
        return ON_TRIP
    return OFFERED if offered else IDLE
