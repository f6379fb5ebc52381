"""Loads per stop: what each drop-off takes off the vehicle (planning.stop_loads) — its declared share, else an equal
one (DISPATCH_SPLIT_LOAD_AT_DROPOFFS), else nothing before the last stop — and the checker refusing a route that is
overloaded between two drop-offs."""

import dataclasses
import datetime as dt
import uuid

from apps.dispatch import planning
from apps.dispatch.optimization import insertion, routing_model
from apps.trips.contracts import StopKind, StopLoad, StopRef, StopStatus, TripRef, TripStatus

WEIGHT = planning.DIMENSIONS.index("weight_kg")
PARCELS = planning.DIMENSIONS.index("parcels")
ON_BOARD = planning.DIMENSIONS.index("trips_on_board")


def trip(*kinds: str, weight=100, parcels=5, seats=0, unloads=None) -> TripRef:
    """A trip of these stop kinds; `unloads` maps a stop's sequence to its declared (weight, parcels)."""
    unloads = unloads or {}
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
            unload=StopLoad(weight_kg=unloads[i + 1][0], parcels=unloads[i + 1][1]) if i + 1 in unloads else None,
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
    loads = planning.stop_loads(trip("pickup", "dropoff", "dropoff", "dropoff", weight=100, parcels=5), split=True)
    assert column(loads, WEIGHT) == [100, -33, -33, -34]  # the remainder stays on to the last stop
    assert column(loads, PARCELS) == [5, -1, -1, -3]
    assert column(loads, ON_BOARD) == [1, 0, 0, -1]  # the trip is on board until its last stop
    for d in range(len(planning.DIMENSIONS)):
        assert sum(column(loads, d)) == 0


def test_a_drop_off_before_a_later_pickup_takes_nothing_and_without_splitting_all_stays_on():
    loads = planning.stop_loads(trip("pickup", "dropoff", "pickup", "dropoff", "dropoff", weight=90), split=True)
    assert column(loads, WEIGHT) == [90, 0, 0, -45, -45]
    whole = planning.stop_loads(trip("pickup", "dropoff", "dropoff", weight=90))  # the default: no guessing
    assert column(whole, WEIGHT) == [90, 0, -90]


def test_declared_shares_come_off_exactly_where_declared_whatever_the_setting():
    uneven = trip("pickup", "dropoff", "dropoff", "dropoff", weight=100, parcels=5, unloads={2: (80, 1), 3: (5, 4)})
    for split in (False, True):
        loads = planning.stop_loads(uneven, split=split)
        assert column(loads, WEIGHT) == [100, -80, -5, -15]  # what the shares leave comes off at the last stop
        assert column(loads, PARCELS) == [5, -1, -4, 0]
        assert column(loads, ON_BOARD) == [1, 0, 0, -1]
    # a drop-off before a later pickup takes its declared share too: the booking said so
    between = trip("pickup", "dropoff", "pickup", "dropoff", weight=90, unloads={2: (60, 0), 4: (30, 0)})
    assert column(planning.stop_loads(between), WEIGHT) == [90, -60, 0, -30]
    # shares that claim more than the load (trips refuses them at booking) never take the van below empty
    greedy = trip("pickup", "dropoff", "dropoff", weight=50, unloads={2: (40, 0), 3: (40, 0)})
    assert column(planning.stop_loads(greedy), WEIGHT) == [50, -40, -10]


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
    carried, loads = planning.remaining_loads(under_way, [3, 4], split=True)
    assert carried[WEIGHT] == 60 and carried[ON_BOARD] == 1
    assert (loads[3][WEIGHT], loads[4][WEIGHT], loads[4][ON_BOARD]) == (-30, -30, -1)
    # a failed drop-off handed nothing over: its share stays on board to the last stop
    failed = dataclasses.replace(
        under_way,
        stops=tuple(
            dataclasses.replace(s, status=StopStatus.FAILED) if s.sequence == 2 else s for s in under_way.stops
        ),
    )
    carried, loads = planning.remaining_loads(failed, [3, 4], split=True)
    assert carried[WEIGHT] == 90 and (loads[3][WEIGHT], loads[4][WEIGHT]) == (-30, -60)


def test_a_trip_under_way_carries_its_load_less_the_declared_shares_of_its_done_drop_offs():
    declared = trip("pickup", "dropoff", "dropoff", "dropoff", weight=90, unloads={2: (70, 0), 3: (15, 0), 4: (5, 0)})
    done = {1: StopStatus.DONE, 2: StopStatus.DONE}
    declared = dataclasses.replace(
        declared, stops=tuple(dataclasses.replace(s, status=done.get(s.sequence, s.status)) for s in declared.stops)
    )
    carried, loads = planning.remaining_loads(declared, [3, 4])
    assert carried[WEIGHT] == 20 and (loads[3][WEIGHT], loads[4][WEIGHT]) == (-15, -5)


def model_of(*trips: TripRef, capacity: int, windows: tuple[tuple[int, int], ...]) -> routing_model.Model:
    """One van of `capacity` kg on a line, starting at 0, every stop at x = 1000 m × its position in the trips' stop
    order (a metre a second), with these time windows; the demands are planning.stop_loads' weights (the default
    rule)."""
    nodes = [(t, s) for t in trips for s in t.stops]
    x = [0, 0] + [1000 * (k + 1) for k in range(len(nodes))]
    n = len(x)
    distance = tuple(tuple(0 if 0 in (i, j) else abs(x[i] - x[j]) for j in range(n)) for i in range(n))
    loads = {t.id: planning.stop_loads(t) for t in trips}
    chains, k = [], 2
    for t in trips:
        chains.append(tuple(range(k, k + len(t.stops))))
        k += len(t.stops)
    return routing_model.Model(
        name="declared",
        distance=distance,
        travel=(distance,),
        service=(0,) * n,
        windows=((0, 100_000), (0, 100_000), *windows),
        demands=((0, 0, *(loads[t.id][s.sequence][WEIGHT] for t, s in nodes)),),
        vehicles=(routing_model.Vehicle(start=1, end=0, capacity=(capacity,), earliest=0, latest=100_000),),
        chains=tuple(chains),
        penalties=(10**6,) * len(chains),
    )


def test_a_declared_big_first_drop_off_makes_room_for_another_trip_and_declared_the_other_way_round_not():
    """An 800 kg van with trip A (800 kg: picked up first, its last drop-off not before 50 000 s); trip B (400 kg)
    must be done by 20 000 s, so it can ride only between A's drop-offs, and only when the first takes the big share."""
    windows = ((0, 1500), (0, 100_000), (50_000, 100_000), (0, 20_000), (0, 20_000))  # A1, A2, A3, B1, B2
    b = trip("pickup", "dropoff", weight=400)
    big_first = trip("pickup", "dropoff", "dropoff", weight=800, unloads={2: (600, 3), 3: (200, 2)})
    model = model_of(big_first, b, capacity=800, windows=windows)
    assert insertion.insert_chain(model, {0: (2, 3, 4)}, 1) == {0: (2, 3, 5, 6, 4)}
    small_first = trip("pickup", "dropoff", "dropoff", weight=800, unloads={2: (200, 2), 3: (600, 3)})
    model = model_of(small_first, b, capacity=800, windows=windows)
    assert insertion.insert_chain(model, {0: (2, 3, 4)}, 1) is None
    _, errors = routing_model.check_routes(model, {0: (2, 3, 5, 6, 4)})
    assert errors == ["vehicle 0 carries 1000 in dimension 0 at node 5 (capacity 800)"]
