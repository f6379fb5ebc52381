"""The board's clock, as pure rules: late against the next stop's window, at risk on little slack or a later stop
projected to miss its window, a requested trip late once its pickup window closed, unknown without a position."""

import dataclasses
import datetime as dt

from apps.dispatch import timing

NOW = dt.datetime(2026, 5, 4, 12, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)


@dataclasses.dataclass(frozen=True)
class Stop:
    sequence: int
    window_end: dt.datetime | None
    window_start: dt.datetime | None = None
    status: str = "pending"
    service_minutes: int = 0
    arrived_at: dt.datetime | None = None


def assigned(stops, legs, *, fix_at=NOW):
    return timing.trip_timing(
        status="assigned", has_driver=True, stops=stops, now=NOW, at_risk_s=600, fix_at=fix_at, legs_s=legs
    )


def test_the_eta_at_the_next_stop_against_its_window_says_late_at_risk_or_on_time():
    late = assigned([Stop(1, NOW + 10 * MIN), Stop(2, None)], [20 * 60, 300])
    assert (late.next_stop, late.eta, late.late_by_s, late.state) == (1, NOW + 20 * MIN, 600, "late")
    assert late.window_end == NOW + 10 * MIN

    tight = assigned([Stop(1, NOW + 25 * MIN), Stop(2, None)], [20 * 60, 300])
    assert (tight.late_by_s, tight.state) == (-300, "at_risk")  # 5 min of slack < 10 min

    easy = assigned([Stop(1, NOW + 60 * MIN), Stop(2, NOW + 120 * MIN)], [20 * 60, 300])
    assert (easy.late_by_s, easy.state) == (-40 * 60, "on_time")
    assert easy.json()["eta"] == (NOW + 20 * MIN).isoformat()


def test_a_later_stop_projected_to_miss_its_window_puts_the_trip_at_risk():
    # pickup fine; service 15 min there, then 30 min to a drop-off whose window ends 50 min from now
    stops = [Stop(1, NOW + 60 * MIN, service_minutes=15), Stop(2, NOW + 50 * MIN)]
    t = assigned(stops, [5 * 60, 30 * 60])
    assert t.late_by_s == -55 * 60
    assert (t.last_stop_late_by_s, t.state) == (0, "on_time")  # there at +50: just in time
    stops = [Stop(1, NOW + 60 * MIN, service_minutes=15), Stop(2, NOW + 45 * MIN)]
    t = assigned(stops, [5 * 60, 30 * 60])
    assert (t.last_stop_late_by_s, t.state) == (5 * 60, "at_risk")


def test_waiting_for_a_window_to_open_counts_in_later_etas():
    stops = [Stop(1, NOW + 90 * MIN, window_start=NOW + 60 * MIN), Stop(2, NOW + 70 * MIN)]
    t = assigned(stops, [10 * 60, 15 * 60])  # there at +10, waits till +60, drop-off at +75: 5 min past its window
    assert (t.eta, t.last_stop_late_by_s, t.state) == (NOW + 10 * MIN, 5 * 60, "at_risk")


def test_a_requested_trip_is_late_once_its_pickup_window_closed_and_at_risk_just_before():
    requested = dict(status="requested", has_driver=False, now=NOW, at_risk_s=600)
    late = timing.trip_timing(stops=[Stop(1, NOW - 7 * MIN)], **requested)
    assert (late.eta, late.late_by_s, late.state) == (None, 7 * 60, "late")
    soon = timing.trip_timing(stops=[Stop(1, NOW + 5 * MIN)], **requested)
    assert (soon.late_by_s, soon.state) == (None, "at_risk")
    later = timing.trip_timing(stops=[Stop(1, NOW + 50 * MIN)], **requested)
    assert later.state == "on_time"
    no_window = timing.trip_timing(stops=[Stop(1, None)], **requested)
    assert (no_window.late_by_s, no_window.state) == (None, "on_time")


def test_without_the_drivers_position_the_timing_is_unknown_until_the_window_has_passed():
    kw = dict(status="en_route", has_driver=True, now=NOW, at_risk_s=600)
    assert timing.trip_timing(stops=[Stop(1, NOW + 30 * MIN)], **kw).state == "unknown"
    gone = timing.trip_timing(stops=[Stop(1, NOW - 3 * MIN)], **kw)
    assert (gone.late_by_s, gone.state) == (180, "late")


def test_done_stops_are_skipped_and_a_trip_with_none_open_is_on_time():
    t = assigned([Stop(1, NOW - 60 * MIN, status="done"), Stop(2, NOW + 30 * MIN)], [10 * 60])
    assert (t.next_stop, t.late_by_s, t.state) == (2, -20 * 60, "on_time")
    done = assigned([Stop(1, None, status="done")], [])
    assert (done.next_stop, done.state) == (None, "on_time")


def test_the_eta_counts_from_now_not_from_an_older_fix():
    # a 110 s old fix 30 s from a stop whose window closed 60 s ago: from the fix's time the ETA (-80 s) would lie
    # in the past, inside the window; the driver is not there yet, so it is late
    t = assigned([Stop(1, NOW - 60 * dt.timedelta(seconds=1))], [30], fix_at=NOW - dt.timedelta(seconds=110))
    assert (t.eta, t.late_by_s, t.state) == (NOW + dt.timedelta(seconds=30), 90, "late")
    ahead = assigned([Stop(1, NOW + 30 * MIN)], [60], fix_at=NOW + MIN)  # a fix stamped ahead of our clock
    assert ahead.eta == NOW + 2 * MIN


def test_a_stop_already_arrived_at_is_timed_from_its_arrival():
    now = dt.datetime(2026, 5, 4, 10, 10, tzinfo=dt.UTC)
    there = Stop(1, now - 10 * MIN, status="arrived", service_minutes=5, arrived_at=now - 20 * MIN)  # 09:50 < 10:00
    t = timing.trip_timing(
        status="at_pickup",
        has_driver=True,
        stops=[there, Stop(2, now + 60 * MIN)],
        now=now,
        at_risk_s=600,
        fix_at=now - MIN,
        legs_s=[0, 20 * 60],
    )
    assert (t.eta, t.late_by_s, t.state) == (now - 20 * MIN, -10 * 60, "on_time")
    assert t.last_stop_late_by_s == -40 * 60  # leaves now (not 09:55), 20 min to the drop-off
    unknown = timing.trip_timing(
        status="at_pickup",
        has_driver=True,
        stops=[dataclasses.replace(there, arrived_at=None)],
        now=now,
        at_risk_s=600,
        fix_at=now - MIN,
        legs_s=[0],
    )
    assert (unknown.eta, unknown.state) == (now, "late")  # no arrival time known: there now, past its window


def test_driver_states():
    state = dict(now=NOW, stale_s=120)
    assert timing.driver_state(last_ping_at=None, holds_trips=True, offered=False, **state) == "stale"
    assert timing.driver_state(last_ping_at=NOW - 3 * MIN, holds_trips=True, offered=False, **state) == "stale"
    assert timing.driver_state(last_ping_at=NOW, holds_trips=True, offered=True, **state) == "on_trip"
    assert timing.driver_state(last_ping_at=NOW, holds_trips=False, offered=True, **state) == "offered"
    assert timing.driver_state(last_ping_at=NOW, holds_trips=False, offered=False, **state) == "idle"
