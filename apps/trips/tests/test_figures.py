"""The overview's trip figures (services/figures.py, selectors.overview_figures through api.trip_figures): trips
driven through the real services on a set clock in Berlin, and every number checked exactly — counts by state and
by local day, stops on time against their windows, minutes on shift and on trips, the latest cancelled and failed
trips — and the rebuild from raw rows equal to what was kept as trips and shifts ended."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest

from apps.trips import api, domain
from apps.trips.contracts import ActorRole, StopKind, TripStatus
from apps.trips.models import DriverDay, TripDay
from apps.trips.services import assignment, booking, figures, lifecycle, shifts, stops

pytestmark = pytest.mark.django_db
BERLIN = "Europe/Berlin"
TZ = zoneinfo.ZoneInfo(BERLIN)
DAY = dt.date(2026, 11, 10)


def local(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)


def book(fleet, customer, windows, *, requested_for=None):
    """A van trip, pickup then drop-off, with (start, end) local windows (None: no window)."""
    points = [(StopKind.PICKUP, 52.5310, 13.3847), (StopKind.DROPOFF, 52.5016, 13.4190)]
    return booking.trip_book(
        fleet_id=fleet.id,
        booked_by_id=customer.id,
        customer_id=customer.id,
        vehicle_type="van",
        service="delivery",
        stops=[
            booking.StopInput(
                kind=kind,
                address=f"{kind} street 1",
                lat=lat,
                lng=lng,
                window_start=local(window[0]) if window else None,
                window_end=local(window[1]) if window else None,
            )
            for (kind, lat, lng), window in zip(points, windows, strict=True)
        ],
        load=booking.Load(weight_kg=10),
        quote_id=None,
        requested_for=requested_for,
        role=ActorRole.CUSTOMER,
    ).trip


def move(trip, action, driver_user, **kw):
    return lifecycle.trip_transition(trip_id=trip.id, action=action, actor_id=driver_user.id, role="driver", **kw)


# The clock is set before the world is built (list these fixtures before `world`): the world's shift runs from an
# hour before the clock to seven hours after.


@pytest.fixture
def morning(clock):
    """10 November 2026, 08:00 in Berlin: the world's shift runs 07:00–15:00."""
    clock.at("2026-11-10 08:00", BERLIN)
    return clock


@pytest.fixture
def evening(clock):
    """10 November 2026, 22:00 in Berlin: the world's shift runs 21:00–05:00."""
    clock.at("2026-11-10 22:00", BERLIN)
    return clock


def test_a_day_of_trips_counts_exactly(morning, world):
    clock = morning
    two_fleets, fleet, van, driver, shift = world
    driver_user, customer = two_fleets.a.users["driver"], two_fleets.customer
    clock.at("2026-11-10 07:00", BERLIN)
    shifts.shift_start(shift_id=shift.id, odometer_km=Decimal("100"))

    # on time at the pickup (arrived 08:40, window to 09:00), late at the drop-off (arrived 10:05, window to 10:00)
    first = book(fleet, customer, [("2026-11-10 08:30", "2026-11-10 09:00"), ("2026-11-10 09:30", "2026-11-10 10:00")])
    assignment.trip_assign(trip_id=first.id, shift_id=shift.id, actor_id=None)
    clock.at("2026-11-10 08:10", BERLIN)
    move(first, "start", driver_user)
    clock.at("2026-11-10 08:40", BERLIN)
    move(first, "arrive_pickup", driver_user)
    stops.stop_arrive(trip_id=first.id, sequence=1, actor_id=driver_user.id, expected_version=None)
    stops.stop_done(trip_id=first.id, sequence=1, actor_id=driver_user.id, expected_version=None)
    move(first, "pick_up", driver_user)
    clock.at("2026-11-10 10:05", BERLIN)
    stops.stop_arrive(trip_id=first.id, sequence=2, actor_id=driver_user.id, expected_version=None)
    clock.at("2026-11-10 10:10", BERLIN)
    stops.stop_done(trip_id=first.id, sequence=2, actor_id=driver_user.id, expected_version=None, recipient_name="Mo")
    clock.at("2026-11-10 10:15", BERLIN)
    move(first, "complete", driver_user, distance_m=4000)

    # the driver steps through no stop: both are closed by the completion at 11:40 (late for the pickup's 11:00)
    clock.at("2026-11-10 10:15", BERLIN)
    second = book(fleet, customer, [("2026-11-10 10:30", "2026-11-10 11:00"), ("2026-11-10 11:30", "2026-11-10 12:00")])
    assignment.trip_assign(trip_id=second.id, shift_id=shift.id, actor_id=None)
    clock.at("2026-11-10 10:20", BERLIN)
    move(second, "start", driver_user)
    move(second, "arrive_pickup", driver_user)
    clock.at("2026-11-10 10:50", BERLIN)
    move(second, "pick_up", driver_user)
    clock.at("2026-11-10 11:40", BERLIN)
    move(second, "complete", driver_user, distance_m=3000)

    # cancelled by its customer before a driver took it: counted cancelled, its stops not at all
    clock.at("2026-11-10 11:45", BERLIN)
    cancelled = book(fleet, customer, [("2026-11-10 13:00", "2026-11-10 13:30"), None])
    lifecycle.trip_transition(trip_id=cancelled.id, action="cancel", actor_id=customer.id, role="customer")

    # failed on the way: both windowed stops never reached, so late
    failed = book(fleet, customer, [("2026-11-10 12:30", "2026-11-10 13:00"), ("2026-11-10 13:30", "2026-11-10 14:00")])
    assignment.trip_assign(trip_id=failed.id, shift_id=shift.id, actor_id=None)
    clock.at("2026-11-10 12:00", BERLIN)
    move(failed, "start", driver_user)
    clock.at("2026-11-10 12:30", BERLIN)
    move(failed, "fail", driver_user, reason="van broke down")

    still_waiting = book(fleet, customer, [None, None])  # requested, open
    clock.at("2026-11-10 15:00", BERLIN)
    shifts.shift_end(shift_id=shift.id, odometer_km=Decimal("160"))

    figures_ = api.trip_figures(fleet_ids=[fleet.id], days=7, now=local("2026-11-10 16:00"))

    assert figures_.today == DAY
    by_status = {c.status: c.count for c in figures_.today_by_status}
    assert by_status == {
        TripStatus.REQUESTED: 1,
        TripStatus.ASSIGNED: 0,
        TripStatus.EN_ROUTE: 0,
        TripStatus.AT_PICKUP: 0,
        TripStatus.IN_PROGRESS: 0,
        TripStatus.COMPLETED: 2,
        TripStatus.CANCELLED: 1,
        TripStatus.FAILED: 1,
    }
    days = api.trip_days(fleet_ids=[fleet.id], first=DAY - dt.timedelta(days=6), last=DAY)
    assert [d.day for d in days] == [DAY - dt.timedelta(days=n) for n in range(6, -1, -1)]
    today = days[-1]
    # six windowed stops of the completed and failed trips, on time: the first trip's pickup, the second's drop-off
    assert (today.completed, today.cancelled, today.failed) == (2, 1, 1)
    assert (today.stops_windowed, today.stops_on_time) == (6, 2)
    assert all(d.completed == d.stops_windowed == 0 for d in days[:-1])
    (driver_row,) = figures_.drivers
    # on shift 07:00–15:00; on trips 08:10–10:15, 10:20–11:40 and 12:00–12:30: 125 + 80 + 30 minutes
    assert driver_row.driver_id == driver.id
    assert (driver_row.trips_completed, driver_row.on_shift_s, driver_row.on_trip_s) == (2, 8 * 3600, 235 * 60)
    assert [(v.vehicle_id, v.trips_completed) for v in figures_.vehicles] == [(van.id, 2)]
    assert [(t.id, t.status, t.reason, t.ended_by) for t in figures_.ended_badly] == [
        (failed.id, TripStatus.FAILED, "van broke down", ActorRole.DRIVER),
        (cancelled.id, TripStatus.CANCELLED, "", ActorRole.CUSTOMER),
    ]
    assert figures_.ended_badly[0].pickup_address == "pickup street 1"
    assert figures_.ended_badly[0].dropoff_address == "dropoff street 1"
    assert figures_.ended_badly[0].ended_at == local("2026-11-10 12:30")
    assert api.trip_figures(fleet_ids=[fleet.id], days=7, now=local("2026-11-10 16:00"), recent=1).ended_badly[
        0
    ].id == (failed.id)
    assert still_waiting.status == TripStatus.REQUESTED

    # another fleet's figures have none of it
    other = api.trip_figures(fleet_ids=[two_fleets.b.fleet_id], days=7, now=local("2026-11-10 16:00"))
    assert sum(c.count for c in other.today_by_status) == 0
    assert other.drivers == other.vehicles == other.ended_badly == ()
    other_days = api.trip_days(fleet_ids=[two_fleets.b.fleet_id], first=DAY, last=DAY)
    assert [(d.completed, d.cancelled, d.failed) for d in other_days] == [(0, 0, 0)]

    # the rebuild from trips, stops and shifts gives exactly what was kept as they ended
    kept = _rows()
    assert figures.figures_rebuild(fleet_ids=[fleet.id]) == (1, 1)
    assert _rows() == kept


def test_a_trip_belongs_to_the_local_day_it_was_wanted(evening, world):
    """A trip wanted at 23:30 on the 10th, done after midnight, is the 10th's; one wanted at 00:10 on the 11th
    (23:10 UTC on the 10th) is the 11th's; a shift begun on the evening of the 10th counts there."""
    clock = evening
    two_fleets, fleet, _van, driver, shift = world
    driver_user, customer = two_fleets.a.users["driver"], two_fleets.customer
    shifts.shift_start(shift_id=shift.id, odometer_km=Decimal("100"))
    late_evening = book(fleet, customer, [None, None], requested_for=local("2026-11-10 23:30"))
    after_midnight = book(fleet, customer, [None, None], requested_for=local("2026-11-11 00:10"))
    for trip, start, done in (
        (late_evening, "2026-11-10 23:30", "2026-11-11 00:20"),
        (after_midnight, "2026-11-11 00:25", "2026-11-11 00:40"),
    ):
        assignment.trip_assign(trip_id=trip.id, shift_id=shift.id, actor_id=None)
        clock.at(start, BERLIN)
        for action in ("start", "arrive_pickup", "pick_up"):
            move(trip, action, driver_user)
        clock.at(done, BERLIN)
        move(trip, "complete", driver_user, distance_m=2000)
    clock.at("2026-11-11 05:00", BERLIN)
    shifts.shift_end(shift_id=shift.id, odometer_km=Decimal("130"))

    figures_ = api.trip_figures(fleet_ids=[fleet.id], days=30, now=local("2026-11-11 07:00"))

    assert figures_.today == dt.date(2026, 11, 11)
    days = api.trip_days(fleet_ids=[fleet.id], first=DAY - dt.timedelta(days=28), last=figures_.today)
    assert len(days) == 30
    assert {d.day: d.completed for d in days if d.completed} == {DAY: 1, dt.date(2026, 11, 11): 1}
    assert {c.status: c.count for c in figures_.today_by_status}[TripStatus.COMPLETED] == 1
    assert TripDay.objects.get(fleet_id=fleet.id, day=DAY).completed == 1
    night = DriverDay.objects.get(fleet_id=fleet.id, driver_id=driver.id, day=DAY)  # the shift began on the 10th
    # on shift 22:00–05:00; on trips 23:30–00:20 and 00:25–00:40
    assert (night.on_shift_s, night.on_trip_s, night.trips_completed) == (7 * 3600, (50 + 15) * 60, 1)
    assert DriverDay.objects.get(fleet_id=fleet.id, driver_id=driver.id, day=dt.date(2026, 11, 11)).on_shift_s == 0
    kept = _rows()
    figures.figures_rebuild(fleet_ids=[fleet.id])
    assert _rows() == kept


def test_a_running_shift_counts_up_to_now(morning, world):
    clock = morning
    two_fleets, fleet, _van, driver, shift = world
    driver_user, customer = two_fleets.a.users["driver"], two_fleets.customer
    shifts.shift_start(shift_id=shift.id, odometer_km=Decimal("100"))
    trip = book(fleet, customer, [None, None])
    assignment.trip_assign(trip_id=trip.id, shift_id=shift.id, actor_id=None)
    clock.at("2026-11-10 09:00", BERLIN)
    move(trip, "start", driver_user)

    (row,) = api.trip_figures(fleet_ids=[fleet.id], days=7, now=local("2026-11-10 10:30")).drivers

    # on shift since 08:00, on the trip since 09:00: 2 h 30 and 1 h 30 at 10:30
    assert (row.driver_id, row.on_shift_s, row.on_trip_s, row.trips_completed) == (driver.id, 9000, 5400, 0)


def test_time_on_trips_is_the_union_of_their_spans_within_the_shift():
    start, end = local("2026-11-10 08:00"), local("2026-11-10 16:00")
    spans = [
        (local("2026-11-10 07:30"), local("2026-11-10 08:30")),  # began before the shift: 30 min inside
        (local("2026-11-10 09:00"), local("2026-11-10 10:00")),  # pooled: these two overlap, 09:00–10:30 once
        (local("2026-11-10 09:30"), local("2026-11-10 10:30")),
        (local("2026-11-10 12:00"), None),  # never ended: not counted
        (None, None),  # never started
    ]
    assert domain.seconds_on_trips(shift_start=start, shift_end=end, trips=spans) == (30 + 90) * 60


def _rows():
    return (
        sorted(
            TripDay.objects.values_list(
                "fleet_id", "day", "completed", "cancelled", "failed", "stops_windowed", "stops_on_time"
            )
        ),
        sorted(
            DriverDay.objects.values_list(
                "fleet_id", "day", "driver_id", "vehicle_id", "trips_completed", "on_trip_s", "on_shift_s"
            )
        ),
    )


def test_the_rebuild_command_names_what_it_wrote_and_refuses_a_bad_fleet_id(morning, world):
    from io import StringIO

    from django.core.management import CommandError, call_command

    _two_fleets, fleet, *_ = world
    TripDay.objects.create(fleet_id=fleet.id, day=DAY, completed=5)  # a count no trip backs
    out = StringIO()
    call_command("trips_figures_rebuild", "--fleet", str(fleet.id), stdout=out)
    assert out.getvalue().strip() == "rebuilt 0 trip day(s) and 0 driver day(s)"
    assert not TripDay.objects.filter(fleet_id=fleet.id).exists()
    with pytest.raises(CommandError, match="fleet id"):
        call_command("trips_figures_rebuild", "--fleet", "berlin")
