"""Loads per stop: how a trip's one load divides among its drop-offs (planning.stop_loads), and the checker
refusing a route that is overloaded between two drop-offs."""

import dataclasses
import datetime as dt
import uuid

from apps.dispatch import planning
from apps.dispatch.optimization import insertion, routing_model
from apps.trips.contracts import StopKind, StopRef, StopStatus, TripRef, TripStatus

WEIGHT = planning.DIMENSIONS.index("weight_kg")
PARCELS = planning.DIMENSIONS.index("parcels")
ON_BOARD = planning.DIMENSIONS.index("trips_on_board")


def trip(*kinds: str, weight=100, parcels=5, seats=0) -> TripRef:
    stops = tuple(
        StopRef(
            sequence=i + 1,
            kind=StopKind(k),
            status=StopStatus.PENDING,
            address="",
            lat=52.5,
            lng=13.4,
            window_start=None,
            window_end=None,
            service_minutes=0,
        )
        for i, k in enumerate(kinds)
    )
    return TripRef(
        id=uuid.uuid4(),
        fleet_id=uuid.uuid4(),
        status=TripStatus.REQUESTED,
        version=1,
        vehicle_type="van",
        service="delivery",
        requested_for=None,
        created_at=dt.datetime(2026, 12, 6, tzinfo=dt.UTC),
        weight_kg=weight,
        volume_m3=0.0,
        parcels=parcels,
        seats=seats,
        shift_id=None,
        driver_id=None,
        vehicle_id=None,
        stops=stops,
    )


def column(loads, d):
    return [loads[s][d] for s in sorted(loads)]


def test_each_drop_off_after_the_last_pickup_takes_an_equal_share():
    loads = planning.stop_loads(trip("pickup", "dropoff", "dropoff", "dropoff", weight=100, parcels=5))
    assert column(loads, WEIGHT) == [100, -33, -33, -34]  # the remainder stays on to the last stop
    assert column(loads, PARCELS) == [5, -1, -1, -3]
    assert column(loads, ON_BOARD) == [1, 0, 0, -1]  # the trip is on board until its last stop
    for d in range(len(planning.DIMENSIONS)):
        assert sum(column(loads, d)) == 0


def test_a_drop_off_before_a_later_pickup_takes_nothing_and_without_splitting_all_stays_on():
    loads = planning.stop_loads(trip("pickup", "dropoff", "pickup", "dropoff", "dropoff", weight=90))
    assert column(loads, WEIGHT) == [90, 0, 0, -45, -45]
    whole = planning.stop_loads(trip("pickup", "dropoff", "dropoff", weight=90), split=False)
    assert column(whole, WEIGHT) == [90, 0, -90]


def two_trips_model():
    """One van (capacity 100) on a line: trip 0 picks up 100 at x=1000 and drops 50 at 2000 and 50 at 5000; trip 1
    picks up 50 at 3000 and drops it at 4000."""
    x = [0, 0, 1000, 2000, 5000, 3000, 4000]  # node 0 the free end, node 1 the van
    distance = tuple(tuple(0 if 0 in (i, j) else abs(x[i] - x[j]) for j in range(7)) for i in range(7))
    return routing_model.Model(
        name="per-stop",
        distance=distance,
        travel=(distance,),
        service=(0,) * 7,
        windows=((0, 40_000),) * 7,
        demands=((0, 0, 100, -50, -50, 50, -50),),
        vehicles=(routing_model.Vehicle(start=1, end=0, capacity=(100,), earliest=0, latest=40_000),),
        chains=((2, 3, 4), (5, 6)),
        penalties=(10**6, 10**6),
    )


def test_the_checker_refuses_an_overload_between_two_drop_offs_and_takes_the_freed_room():
    model = two_trips_model()
    # trip 1 picked up before trip 0's first drop-off: 150 on board at node 5, mid-route
    _, errors = routing_model.check_routes(model, {0: (2, 5, 3, 6, 4)})
    assert errors == ["vehicle 0 carries 150 in dimension 0 at node 5 (capacity 100)"]
    # after trip 0's first drop-off the room is there
    assert routing_model.check_routes(model, {0: (2, 3, 5, 6, 4)})[1] == []
    assert insertion.insert_chain(model, {0: (2, 3, 4)}, 1) == {0: (2, 3, 5, 6, 4)}


def test_a_trip_under_way_carries_its_load_less_what_its_done_drop_offs_took():
    under_way = trip("pickup", "dropoff", "dropoff", "dropoff", weight=90)
    done = {1: StopStatus.DONE, 2: StopStatus.DONE}
    under_way = dataclasses.replace(
        under_way, stops=tuple(dataclasses.replace(s, status=done.get(s.sequence, s.status)) for s in under_way.stops)
    )
    carried, loads = planning.remaining_loads(under_way, [3, 4])
    assert carried[WEIGHT] == 60 and carried[ON_BOARD] == 1
    assert (loads[3][WEIGHT], loads[4][WEIGHT], loads[4][ON_BOARD]) == (-30, -30, -1)
    # a failed drop-off handed nothing over: its share stays on board to the last stop
    failed = dataclasses.replace(
        under_way,
        stops=tuple(
            dataclasses.replace(s, status=StopStatus.FAILED) if s.sequence == 2 else s for s in under_way.stops
        ),
    )
    carried, loads = planning.remaining_loads(failed, [3, 4])
    assert carried[WEIGHT] == 90 and (loads[3][WEIGHT], loads[4][WEIGHT]) == (-30, -60)
