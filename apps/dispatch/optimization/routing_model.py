"""The routing model every job and the benchmark solve, in integers only (metres, seconds, kilograms…), and the
independent checker that simulates routes against it."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Vehicle:
    start: int  # node where the vehicle is now (or its depot)
    end: int  # node where its route ends (a depot, or a zero-cost "anywhere" node)
    capacity: tuple[int, ...]  # one per load dimension of the model
    earliest: int  # when it can leave `start`
    latest: int  # when it must be at `end`
    max_duration: int | None = None
    speed: int = 0  # index into Model.travel: vehicles of one type share a travel-time matrix


@dataclasses.dataclass(frozen=True)
class Model:
    """Integer data only (metres, seconds, kilograms...), so the search runs without any Python callback.

    A chain is one trip's stops in visiting order: all on one vehicle, in that order, all or none. Its
    penalty is what leaving it unserved costs (0: it must be served); `fixed` keeps it on one vehicle,
    `allowed` on a set of them."""

    name: str
    distance: tuple[tuple[int, ...], ...]
    travel: tuple[tuple[tuple[int, ...], ...], ...]  # travel[speed][i][j], service not included
    service: tuple[int, ...]
    windows: tuple[tuple[int, int], ...]  # start of service at each node within [a, b]
    demands: tuple[tuple[int, ...], ...]  # demands[dimension][node]: + picks up, - drops off
    vehicles: tuple[Vehicle, ...]
    chains: tuple[tuple[int, ...], ...] = ()
    penalties: tuple[int, ...] = ()  # per chain
    fixed: tuple[int | None, ...] = ()  # per chain: the vehicle it must stay on, if any
    # per chain: the only vehicles that may serve it (None: any), e.g. those of the type the trip was booked for
    allowed: tuple[tuple[int, ...] | None, ...] = ()

    def vehicles_for(self, c: int) -> tuple[int, ...]:
        """The vehicles chain `c` may go on: its fixed one, else those allowed, else every vehicle."""
        fixed = self.fixed[c] if self.fixed else None
        if fixed is not None:
            return (fixed,)
        allowed = self.allowed[c] if self.allowed else None
        if allowed is not None:
            return allowed
        return tuple(range(len(self.vehicles)))

    @property
    def size(self) -> int:
        return len(self.distance)

    def transit(self, vehicle: Vehicle, i: int, j: int) -> int:
        return self.service[i] + self.travel[vehicle.speed][i][j]


@dataclasses.dataclass(frozen=True)
class Route:
    vehicle: int
    nodes: tuple[int, ...]  # visiting order, start and end excluded
    arrivals: tuple[int, ...]  # start of service at each node (earliest consistent time)
    distance: int
    ends_at: int


@dataclasses.dataclass(frozen=True)
class Plan:
    routes: tuple[Route, ...]
    dropped: tuple[int, ...]  # chains left unserved
    distance: int
    strategy: str
    seconds: float
    solver: str = "ortools"  # which solver made it: "ortools" or "pyvrp" (the portfolio)
    note: str = ""  # why the portfolio left the model to OR-Tools alone, if it did
    # each solver the portfolio ran: its checked plan's distance and trips left out (None, None: no plan)
    candidates: tuple[tuple[str, int | None, int | None], ...] = ()


def check_routes(model: Model, routes: dict[int, tuple[int, ...]]) -> tuple[list[Route], list[str]]:
    """Independent checker: simulates every route (waiting allowed, starting at the vehicle's earliest time)
    and reports each broken rule. Used by tests, insertion and to vet every solver answer."""
    errors: list[str] = []
    out: list[Route] = []
    owner = {n: c for c, chain in enumerate(model.chains) for n in chain}
    position: dict[int, tuple[int, int]] = {}
    for v, nodes in routes.items():
        vehicle = model.vehicles[v]
        t, prev, dist = vehicle.earliest, vehicle.start, 0
        load = [model.demands[d][vehicle.start] for d in range(len(model.demands))]
        arrivals = []
        for k, node in enumerate(nodes):
            dist += model.distance[prev][node]
            t = max(t + model.transit(vehicle, prev, node), model.windows[node][0])
            if t > model.windows[node][1]:
                errors.append(
                    f"vehicle {v} reaches node {node} at {t}, after its window closes at {model.windows[node][1]}"
                )
            for d in range(len(load)):
                load[d] += model.demands[d][node]
                if not 0 <= load[d] <= vehicle.capacity[d]:
                    errors.append(
                        f"vehicle {v} carries {load[d]} in dimension {d} at node {node} "
                        f"(capacity {vehicle.capacity[d]})"
                    )
            if node in position:
                errors.append(f"node {node} is visited twice")
            position[node] = (v, k)
            arrivals.append(t)
            prev = node
        dist += model.distance[prev][vehicle.end]
        end = t + model.transit(vehicle, prev, vehicle.end)
        if end > vehicle.latest:
            errors.append(f"vehicle {v} ends at {end}, after {vehicle.latest}")
        if vehicle.max_duration is not None and end - vehicle.earliest > vehicle.max_duration:
            errors.append(f"vehicle {v} works {end - vehicle.earliest}, more than {vehicle.max_duration}")
        out.append(Route(v, tuple(nodes), tuple(arrivals), dist, end))
    for c, chain in enumerate(model.chains):
        seen = [p for p in (position.get(n) for n in chain) if p is not None]  # (vehicle, index) of each visited
        if not seen:
            if not model.penalties or model.penalties[c] == 0:
                errors.append(f"chain {c} must be served")
            continue
        if len(seen) != len(chain) or len({p[0] for p in seen}) != 1:
            errors.append(f"chain {c} is split or partly served")
            continue
        if [p[1] for p in seen] != sorted(p[1] for p in seen):
            errors.append(f"chain {c} is visited out of order")
        if model.fixed and model.fixed[c] is not None and seen[0][0] != model.fixed[c]:
            errors.append(f"chain {c} left its vehicle {model.fixed[c]}")
        elif seen[0][0] not in model.vehicles_for(c):
            errors.append(f"chain {c} is on vehicle {seen[0][0]}, which may not serve it")
    loose = {n for n in position if n not in owner}
    starts_ends = {v.start for v in model.vehicles} | {v.end for v in model.vehicles}
    if not model.chains:  # plain VRP: every non-depot node is a customer
        loose = set()
        missing = set(range(model.size)) - starts_ends - set(position)
        if missing:
            errors.append(f"unvisited: {sorted(missing)[:10]}")
    if loose:
        errors.append(f"nodes outside any chain visited: {sorted(loose)[:10]}")
    return out, errors
