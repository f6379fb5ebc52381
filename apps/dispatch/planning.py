"""From a fleet's open trips and shifts to the solver's model, and from the solver's answer to a route plan.

Times in the model are seconds after `origin` (when the job started); distances metres. Node 0 is a shared
"anywhere" end (routes end where their last stop is); each shift has its own start node (the driver's live
position, or the fleet's depot); then one node per remaining stop. A trip is a chain: all its remaining stops
on one vehicle in order, and only on vehicles of the type it was booked for. Requested trips may be left out at
a price; assigned or moving trips stay on their shift's vehicle. Load dimensions are those any trip uses:
weight, seats, parcels, volume. A trip's load comes off at its drop-offs as its booking declared (`stop_loads`),
so room freed mid-trip can take another trip.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from django.conf import settings

from apps.dispatch import integrations, live, matrix
from apps.dispatch.optimization import routing_model
from apps.trips.contracts import (
    ShiftRef,
    StopKind,
    StopLoad,
    StopRef,
    StopStatus,
    TripRef,
    TripStatus,
    load_fits,
    vehicle_serves_booking,
)

UNSERVED_PENALTY = 10_000_000  # metres: leaving a trip out costs more than any detour to serve it
KEEP_PENALTY = 100 * UNSERVED_PENALTY  # a trip already with a driver is dropped only when it cannot be helped
OPEN_STOP = ("pending", "arrived")
DIMENSIONS = ("weight_kg", "seats", "parcels", "volume_cl", "trips_on_board")
POOLING_LIMIT = 50  # trips a pooling vehicle may carry at once; without pooling, one at a time


@dataclasses.dataclass
class NodeInfo:
    trip_id: uuid.UUID
    stop: StopRef


@dataclasses.dataclass
class Built:
    fleet_id: uuid.UUID
    origin: dt.datetime
    model: routing_model.Model | None
    shifts: list[ShiftRef]
    registrations: dict[uuid.UUID, str]
    nodes: dict[int, NodeInfo]
    chain_trips: list[uuid.UUID]
    unserved: list[dict]  # trips left out before solving, with the reason

    def routable(self) -> routing_model.Model:
        """The model, for callers that checked there is one (None: no trip was left to plan)."""
        if self.model is None:
            raise ValueError("no routing model: no trip was left to plan")
        return self.model

    def chain_of(self, trip_id: uuid.UUID) -> int | None:
        return self.chain_trips.index(trip_id) if trip_id in self.chain_trips else None


def _seconds(at: dt.datetime | None, origin: dt.datetime, default: int) -> int:
    return default if at is None else int((at - origin).total_seconds())


def _load(trip: TripRef) -> tuple[int, ...]:
    return (trip.weight_kg, trip.seats, trip.parcels, round(trip.volume_m3 * 100), 1)


def _unload(unload: StopLoad) -> tuple[int, ...]:
    return (unload.weight_kg, unload.seats, unload.parcels, round(unload.volume_m3 * 100), 0)


def stop_loads(trip: TripRef, *, split: bool = False) -> dict[int, tuple[int, ...]]:
    """What each stop of the trip puts on (+) or takes off (-) the vehicle, per DIMENSIONS, by stop sequence.

    The whole load goes on at the first stop (a later pickup's part is held for from the start) and the trip counts
    as on board (`trips_on_board`) until its last stop. What comes off where:
    - declared at booking (`StopRef.unload`, trips checks every drop-off declares and the shares fit the load):
      each drop-off takes its share exactly, what they leave comes off at the last stop;
    - not declared, with `split` (DISPATCH_SPLIT_LOAD_AT_DROPOFFS): the drop-offs after the trip's last pickup
      each take an equal share in whole units (kilograms, seats, parcels, centilitres; the remainder at the last
      one); a drop-off before a later pickup takes nothing, as what that pickup adds is unknown;
    - not declared, without `split` (the default): everything stays on to the last stop. Equal shares are a guess
      that overloads a real van when one drop-off takes a pallet and the next an envelope."""
    stops = trip.stops
    load = _load(trip)
    out = {s.sequence: [0] * len(DIMENSIONS) for s in stops}
    out[stops[0].sequence] = list(load)
    on_board = DIMENSIONS.index("trips_on_board")
    out[stops[-1].sequence][on_board] -= load[on_board]
    declared = [(s.sequence, _unload(s.unload)) for s in stops if s.kind == StopKind.DROPOFF and s.unload is not None]
    if declared:
        left = list(load)
        for sequence, unloaded in declared:
            for d, value in enumerate(unloaded):
                taken = min(value, left[d])  # shares never exceed the load (trips' rule); a bad one cannot go below 0
                out[sequence][d] -= taken
                left[d] -= taken
        for d in range(len(DIMENSIONS)):
            if d != on_board:
                out[stops[-1].sequence][d] -= left[d]
        return {sequence: tuple(values) for sequence, values in out.items()}
    last_pickup = max((i for i, s in enumerate(stops) if s.kind == StopKind.PICKUP), default=0)
    drops = [s.sequence for s in stops[last_pickup + 1 :] if s.kind == StopKind.DROPOFF] if split else []
    drops = drops or [stops[-1].sequence]  # a trip ends with a drop-off (trips' booking rule)
    for d in range(len(DIMENSIONS)):
        if d == on_board:
            continue
        share = load[d] // len(drops)
        for sequence in drops:
            out[sequence][d] -= share
        out[drops[-1]][d] -= load[d] - share * len(drops)
    return {sequence: tuple(values) for sequence, values in out.items()}


def remaining_loads(
    trip: TripRef, remaining: list[int], *, split: bool = False
) -> tuple[tuple[int, ...], dict[int, tuple[int, ...]]]:
    """What the trip has on board now and what each of its `remaining` stops (sequences, in order) loads or
    unloads, per DIMENSIONS. The stops behind it did what `stop_loads` says (a done drop-off took its declared
    share, else its equal one, else nothing), except a failed drop-off: its share was not handed over and stays on
    to the trip's last remaining stop."""
    loads = stop_loads(trip, split=split)
    behind = [s for s in trip.stops if s.sequence not in remaining]
    failed = [s.sequence for s in behind if s.kind == StopKind.DROPOFF and s.status == StopStatus.FAILED]
    carried = tuple(
        sum(loads[s.sequence][d] for s in behind if s.sequence not in failed) for d in range(len(DIMENSIONS))
    )
    out = {sequence: list(loads[sequence]) for sequence in remaining}
    for d in range(len(DIMENSIONS)):
        out[remaining[-1]][d] += sum(loads[sequence][d] for sequence in failed)
    return carried, {sequence: tuple(values) for sequence, values in out.items()}


def _fits_alone(load: tuple[int, ...], capacity: tuple[int, ...]) -> bool:
    """Whether the trip fits the vehicle with nothing else on board: trips' rule for weight and seats
    (`load_fits`), and the other dimensions the planner models (parcels, volume, one trip unless it pools). Along
    a route the solver keeps every dimension within capacity at every stop."""
    weight, seats = DIMENSIONS.index("weight_kg"), DIMENSIONS.index("seats")
    return load_fits(
        weight_kg=load[weight],
        seats=load[seats],
        capacity_weight_kg=capacity[weight],
        capacity_seats=capacity[seats],
    ) and all(load[d] <= capacity[d] for d in range(len(DIMENSIONS)) if d not in (weight, seats))


def build(*, fleet_id: uuid.UUID, origin: dt.datetime) -> Built:
    shifts = integrations.shifts_open(fleet_id=fleet_id, at=origin)
    trips = integrations.trips_open(fleet_id=fleet_id)
    vehicles = integrations.vehicles(vehicle_ids=[s.vehicle_id for s in shifts])
    shifts = [s for s in shifts if s.vehicle_id in vehicles]
    registrations = {s.vehicle_id: vehicles[s.vehicle_id][2] for s in shifts}
    built = Built(fleet_id, origin, None, shifts, registrations, {}, [], [])
    if not shifts:
        built.unserved = [{"trip_id": str(t.id), "reason": "no shift is open"} for t in trips if t.driver_id is None]
        return built
    horizon = max(_seconds(s.ends_at, origin, 0) for s in shifts)
    positions = live.store().get(fleet_id, [s.driver_id for s in shifts])
    depot = integrations.fleet_depot(fleet_id=fleet_id)
    capacity = {
        s.id: (c.weight_kg, c.seats, c.parcels, round(c.volume_m3 * 100), POOLING_LIMIT if s.pooling else 1)
        for s in shifts
        for c in [vehicles[s.vehicle_id][1]]
    }
    shift_index = {s.id: k for k, s in enumerate(shifts)}
    points: list[tuple[float, float]] = []
    starts = []
    for s in shifts:
        here = positions.get(s.driver_id)
        start = (here.lat, here.lng) if here else depot
        if start is None:  # no position and no depot: start at its first stop, in effect
            start = (0.0, 0.0)
        starts.append(len(points) + 1)
        points.append(start)
    on_board = [[0] * len(DIMENSIONS) for _ in shifts]
    chains, penalties, fixed, allowed_by_chain = [], [], [], []
    service, windows, demand_rows = [0] * (len(points) + 1), [(0, horizon)] * (len(points) + 1), []
    for trip in trips:
        picked_up = trip.status == TripStatus.IN_PROGRESS  # its first pickup is behind it, marked or not
        remaining = [s for s in trip.stops if s.status in OPEN_STOP and not (picked_up and s is trip.stops[0])]
        load = _load(trip)
        if not remaining:
            continue
        if trip.shift_id is not None and trip.shift_id not in shift_index:
            built.unserved.append({"trip_id": str(trip.id), "reason": "its shift is not open now"})
            continue
        vehicle = (
            shift_index.get(trip.shift_id)
            if trip.shift_id is not None and trip.status != TripStatus.REQUESTED
            else None
        )
        # only vehicles of the booked type may take a trip (trips' rule); one already with a driver stays there
        allowed = (
            None
            if vehicle is not None
            else tuple(
                k
                for k, s in enumerate(shifts)
                if vehicle_serves_booking(booked=trip.vehicle_type, vehicle=vehicles[s.vehicle_id][0])
            )
        )
        if allowed == ():
            built.unserved.append({"trip_id": str(trip.id), "reason": f"no {trip.vehicle_type} is on shift"})
            continue
        if not any(
            _fits_alone(load, capacity[shifts[k].id]) for k in (allowed if allowed is not None else range(len(shifts)))
        ):
            built.unserved.append({"trip_id": str(trip.id), "reason": "too big for every vehicle on shift"})
            continue
        late = [s for s in remaining if s.window_end is not None and s.window_end < origin]
        if late:
            built.unserved.append(
                {"trip_id": str(trip.id), "reason": f"the time window of stop {late[0].sequence} has passed"}
            )
            continue
        nodes = []
        for stop in remaining:
            node = len(points) + 1
            points.append((stop.lat, stop.lng))
            service.append(stop.service_minutes * 60)
            lo = max(0, _seconds(stop.window_start, origin, 0))
            hi = min(horizon, _seconds(stop.window_end, origin, horizon))
            windows.append((lo, max(lo, hi)))
            built.nodes[node] = NodeInfo(trip.id, stop)
            nodes.append(node)
        carried, deltas = remaining_loads(
            trip, [s.sequence for s in remaining], split=settings.DISPATCH_SPLIT_LOAD_AT_DROPOFFS
        )
        row = {n: list(deltas[built.nodes[n].stop.sequence]) for n in nodes}
        for d in range(len(DIMENSIONS)):  # what is on board already rides from the vehicle's start
            if vehicle is not None:
                on_board[vehicle][d] += carried[d]
            else:
                row[nodes[0]][d] += carried[d]
        demand_rows.append(row)
        chains.append(tuple(nodes))
        penalties.append(KEEP_PENALTY if vehicle is not None else UNSERVED_PENALTY)
        fixed.append(vehicle)
        allowed_by_chain.append(allowed)
        built.chain_trips.append(trip.id)
    if not chains:
        return built
    n = len(points) + 1
    demands = [[0] * n for _ in DIMENSIONS]
    for row in demand_rows:
        for node, values in row.items():
            for d, value in enumerate(values):
                demands[d][node] += value
    for k, start_node in enumerate(starts):
        for d in range(len(DIMENSIONS)):
            demands[d][start_node] = on_board[k][d]
    used = [d for d in range(len(DIMENSIONS)) if any(demands[d])]
    provider = matrix.provider()
    types = sorted({vehicles[s.vehicle_id][0] for s in shifts})
    by_type = {t: provider.matrix(points, vehicle_type=t) for t in types}
    first = by_type[types[0]]

    def padded(rows):  # node 0, the "anywhere" end, is free to reach and never left
        return tuple([tuple([0] * n)] + [tuple([0, *r]) for r in rows])

    distance = tuple(tuple(0 if j == 0 else v for j, v in enumerate(row)) for row in padded(first.distance_m))
    travel = tuple(
        tuple(tuple(0 if j == 0 else v for j, v in enumerate(row)) for row in padded(by_type[t].duration_s))
        for t in types
    )
    max_route = settings.DISPATCH_MAX_ROUTE_HOURS * 3600
    model_vehicles = tuple(
        routing_model.Vehicle(
            start=starts[k],
            end=0,
            capacity=tuple(capacity[s.id][d] for d in used),
            earliest=max(0, _seconds(s.starts_at, origin, 0)),
            latest=max(1, _seconds(s.ends_at, origin, horizon)),
            max_duration=max_route,
            speed=types.index(vehicles[s.vehicle_id][0]),
        )
        for k, s in enumerate(shifts)
    )
    built.model = routing_model.Model(
        name=f"fleet {fleet_id}",
        distance=distance,
        travel=travel,
        service=tuple(service),
        windows=tuple(windows),
        demands=tuple(tuple(demands[d]) for d in used),
        vehicles=model_vehicles,
        chains=tuple(chains),
        penalties=tuple(penalties),
        fixed=tuple(fixed),
        allowed=tuple(allowed_by_chain),
    )
    return built


def routes_json(built: Built, routes: list[routing_model.Route]) -> list[dict]:
    out = []
    for route in routes:
        shift = built.shifts[route.vehicle]
        stops = []
        for node, arrival in zip(route.nodes, route.arrivals, strict=True):
            info = built.nodes[node]
            stops.append(
                {
                    "trip_id": str(info.trip_id),
                    "sequence": info.stop.sequence,
                    "kind": info.stop.kind.value,
                    "address": info.stop.address,
                    "lat": info.stop.lat,
                    "lng": info.stop.lng,
                    "eta": (built.origin + dt.timedelta(seconds=arrival)).isoformat(),
                    "window_end": info.stop.window_end.isoformat() if info.stop.window_end else None,
                }
            )
        out.append(
            {
                "shift_id": str(shift.id),
                "driver_id": str(shift.driver_id),
                "vehicle_id": str(shift.vehicle_id),
                "registration": built.registrations.get(shift.vehicle_id, ""),
                "distance_m": route.distance,
                "ends_at": (built.origin + dt.timedelta(seconds=route.ends_at)).isoformat(),
                "stops": stops,
            }
        )
    return out


def dropped_json(built: Built, dropped: tuple[int, ...]) -> list[dict]:
    reasons = []
    for c in dropped:
        kept = built.routable().fixed[c] is not None
        reason = (
            "cannot be kept on time on its assigned vehicle"
            if kept
            else "no vehicle can reach it within its time windows and capacity alongside the other trips"
        )
        reasons.append({"trip_id": str(built.chain_trips[c]), "reason": reason})
    return reasons


def routes_from_json(built: Built, routes: list[dict]) -> dict[int, tuple[int, ...]]:
    """A stored plan's routes as node lists of a freshly built model (stops no longer open are skipped; a trip
    the model no longer has is left out)."""
    node_of = {(str(i.trip_id), i.stop.sequence): n for n, i in built.nodes.items()}
    vehicle_of = {str(s.id): k for k, s in enumerate(built.shifts)}
    out: dict[int, tuple[int, ...]] = {}
    for route in routes:
        k = vehicle_of.get(route["shift_id"])
        if k is None:
            continue
        nodes = [
            node_of[(s["trip_id"], s["sequence"])] for s in route["stops"] if (s["trip_id"], s["sequence"]) in node_of
        ]
        out[k] = tuple(nodes)
    # a trip the old plan put on a vehicle that may not take it (a plan older than the vehicle-type rule) goes
    # back to the solver too
    model = built.routable()
    owner = {n: c for c, chain in enumerate(model.chains) for n in chain}
    out = {k: tuple(n for n in nodes if k in model.vehicles_for(owner[n])) for k, nodes in out.items()}
    # keep only whole chains: a chain partly in the old plan goes back to the solver
    placed = {n for nodes in out.values() for n in nodes}
    whole = {n for chain in model.chains if all(x in placed for x in chain) for n in chain}
    return {k: tuple(n for n in nodes if n in whole) for k, nodes in out.items()}
