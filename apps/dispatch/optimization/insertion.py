"""Putting trips into existing routes without a re-solve: one trip at its cheapest feasible place
(`insert_chain`, also behind "insert into plan"), and the trips of three or more stops a search left out put back
in, making room by taking a cheaper trip out if need be."""

from __future__ import annotations

import time
from collections.abc import Sequence

from apps.dispatch.optimization.routing_model import Model, check_routes


def insert_left_out(model: Model, routes: dict[int, tuple[int, ...]], deadline: float) -> dict[int, tuple[int, ...]]:
    """Puts each trip of three or more stops that `routes` leave out at its cheapest feasible place, the costliest
    to leave out first, where that lowers penalties plus distance. One that fits nowhere gets room: a cheaper trip
    is taken out (nearest first), the left-out one put in, and the other put back if it still fits."""
    served = {n for nodes in routes.values() for n in nodes}
    left_out = [c for c, chain in enumerate(model.chains) if len(chain) >= 3 and chain[0] not in served]
    for c in sorted(left_out, key=lambda c: (_weight(model, c), len(model.chains[c])), reverse=True):
        if time.time() >= deadline:
            break
        trial = insert_chain(model, routes, c) or _make_room(model, routes, c, deadline)
        if trial is not None and _cost(model, trial) < _cost(model, routes):
            routes = trial
    return routes


def _weight(model: Model, c: int) -> tuple[bool, int]:
    """What leaving chain `c` out costs, comparable: a chain that must be served (penalty 0) above any other."""
    penalty = model.penalties[c] if model.penalties else 0
    return (penalty == 0, penalty)


def _cost(model: Model, routes: dict[int, tuple[int, ...]]) -> tuple[int, int]:
    """Chains that must be served but are not, then penalties of the others left out plus distance."""
    served = {n for nodes in routes.values() for n in nodes}
    left = [_weight(model, c) for c, chain in enumerate(model.chains) if chain[0] not in served]
    distance = sum(r.distance for r in check_routes(model, routes)[0])
    return sum(must for must, _ in left), sum(penalty for _, penalty in left) + distance


def _make_room(model: Model, routes: dict[int, tuple[int, ...]], c: int, deadline: float):
    served = {n for nodes in routes.values() for n in nodes}
    cheaper = [
        d for d, chain in enumerate(model.chains) if chain[0] in served and _weight(model, d) < _weight(model, c)
    ]

    def nearness(d):
        return min(model.distance[a][b] for a in model.chains[c] for b in model.chains[d])

    for d in sorted(cheaper, key=lambda d: (_weight(model, d), nearness(d))):
        if time.time() >= deadline:
            return None
        out = set(model.chains[d])
        without = {v: tuple(n for n in nodes if n not in out) for v, nodes in routes.items()}
        # taking stops out can make a route late where travel times break the triangle inequality
        changed = [v for v, nodes in without.items() if nodes != routes[v]]
        if any(next(_placements(model, v, list(without[v]), (), [None]), None) is None for v in changed):
            continue
        trial = insert_chain(model, without, c)
        if trial is not None:
            return insert_chain(model, trial, d) or trial
    return None


def insert_chain(model: Model, routes: dict[int, tuple[int, ...]], chain: int) -> dict[int, tuple[int, ...]] | None:
    """Cheapest feasible insertion of one chain into existing routes, keeping every other stop where it is
    (no re-solve). None when no position works."""
    nodes = model.chains[chain]
    candidates = model.vehicles_for(chain)
    best, best_cost = None, None
    base = {v: r.distance for v, r in zip(routes, check_routes(model, routes)[0], strict=True)}
    for v in candidates:
        current = base.get(v, _empty_cost(model, v))
        # the route length to beat, as it improves
        ceiling: list[int | None] = [None if best_cost is None else best_cost + current]
        for placed in _placements(model, v, list(routes.get(v, ())), nodes, ceiling):
            trial = {**routes, v: tuple(placed)}
            checked, errors = check_routes(model, {v: trial[v]})
            if errors:
                continue
            cost = checked[0].distance - current
            if best_cost is None or cost < best_cost:
                best, best_cost, ceiling[0] = trial, cost, checked[0].distance
    return best


def _empty_cost(model: Model, v: int) -> int:
    vehicle = model.vehicles[v]
    return model.distance[vehicle.start][vehicle.end]


def _placements(model: Model, v: int, route: list[int], nodes: tuple[int, ...], ceiling: Sequence[int | None]):
    """The ways to put `nodes` into `route` keeping both orders, in the order of the positions of `nodes`, that
    vehicle `v` can drive (windows, loads, end, duration) in less distance than `ceiling[0]`, if set. A prefix
    that is late, overloaded or already too long only gets worse, so its completions are never tried: that
    keeps trips of four or five stops in long routes cheap. `check_routes` stays the judge of each one."""
    vehicle, dims = model.vehicles[v], range(len(model.demands))
    travel, service, windows, distance, demands = (
        model.travel[vehicle.speed],
        model.service,
        model.windows,
        model.distance,
        model.demands,
    )
    placed: list[int] = []

    def visit(prev, node, t, load):
        t = max(t + service[prev] + travel[prev][node], windows[node][0])
        if t > windows[node][1]:
            return None
        load = tuple(load[d] + demands[d][node] for d in dims)
        if any(not 0 <= load[d] <= vehicle.capacity[d] for d in dims):
            return None
        return t, load

    def extend(i, j, prev, t, load, dist):
        limit = ceiling[0]
        if limit is not None and dist >= limit:
            return
        if j == len(nodes):  # the rest of the route follows as it is
            for node in route[i:]:
                state = visit(prev, node, t, load)
                if state is None:
                    return
                (t, load), dist, prev = state, dist + distance[prev][node], node
            end = t + service[prev] + travel[prev][vehicle.end]
            dist += distance[prev][vehicle.end]
            if end > vehicle.latest or (
                vehicle.max_duration is not None and end - vehicle.earliest > vehicle.max_duration
            ):
                return
            if limit is None or dist < limit:
                yield [*placed, *route[i:]]
            return
        for node, step in ((nodes[j], (0, 1)), *(((route[i], (1, 0)),) if i < len(route) else ())):
            state = visit(prev, node, t, load)
            if state is not None:
                placed.append(node)
                yield from extend(i + step[0], j + step[1], node, *state, dist + distance[prev][node])
                placed.pop()

    start_load = tuple(demands[d][vehicle.start] for d in dims)
    yield from extend(0, 0, vehicle.start, vehicle.earliest, start_load, 0)
