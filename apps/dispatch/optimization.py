"""Vehicle routing with time windows on OR-Tools: the one solver every routing job and the
benchmark use. Pure: no Django, no database; problems in, routes out.

The solver stops on its own time limit (never a Celery soft limit, which OR-Tools can swallow and
then report a bogus optimum). Travel costs go in as matrices, so no Python runs inside the search.
Both cores are used by running differently tuned searches in parallel and keeping the best.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

SCALE = 1000  # OR-Tools works in integers: distances and times in thousandths


@dataclasses.dataclass(frozen=True)
class Problem:
    """Node 0 is the depot. Times are in the same unit as distances (travel time = distance)."""

    name: str
    coords: tuple[tuple[float, float], ...]
    demands: tuple[int, ...]
    ready: tuple[float, ...]
    due: tuple[float, ...]
    service: tuple[float, ...]
    vehicles: int
    capacity: int

    @property
    def size(self) -> int:
        return len(self.coords)

    def distance(self, i: int, j: int) -> float:
        (x1, y1), (x2, y2) = self.coords[i], self.coords[j]
        return math.hypot(x1 - x2, y1 - y2)


@dataclasses.dataclass(frozen=True)
class Solution:
    routes: tuple[tuple[int, ...], ...]  # node indices in visiting order, depot excluded
    distance: float
    seconds: float
    strategy: str


def read_solomon(text: str, name: str = "") -> Problem:
    lines = [ln.split() for ln in text.splitlines() if ln.strip()]
    title = name or lines[0][0]
    vehicles, capacity = None, None
    rows = []
    for i, parts in enumerate(lines):
        if parts[:2] == ["NUMBER", "CAPACITY"]:
            vehicles, capacity = int(lines[i + 1][0]), int(lines[i + 1][1])
        if len(parts) == 7 and all(p.replace(".", "", 1).isdigit() for p in parts):
            rows.append([float(p) for p in parts])
    if vehicles is None or not rows:
        raise ValueError("not a Solomon instance: no VEHICLE section or no customer lines")
    return Problem(
        name=title,
        coords=tuple((r[1], r[2]) for r in rows),
        demands=tuple(int(r[3]) for r in rows),
        ready=tuple(r[4] for r in rows),
        due=tuple(r[5] for r in rows),
        service=tuple(r[6] for r in rows),
        vehicles=vehicles,
        capacity=capacity,
    )


def check(problem: Problem, routes: tuple[tuple[int, ...], ...]) -> tuple[float, list[str]]:
    """Independent feasibility check and exact (unrounded) distance of a solution."""
    errors: list[str] = []
    seen: list[int] = []
    total = 0.0
    if len(routes) > problem.vehicles:
        errors.append(f"{len(routes)} routes for {problem.vehicles} vehicles")
    for r, route in enumerate(routes):
        load = sum(problem.demands[n] for n in route)
        if load > problem.capacity:
            errors.append(f"route {r} carries {load} > {problem.capacity}")
        t, prev = problem.ready[0], 0
        for node in route:
            travel = problem.distance(prev, node)
            total += travel
            t = max(t + travel, problem.ready[node])
            if t > problem.due[node] + 1e-6:
                errors.append(f"route {r} reaches {node} at {t:.2f} after its due time {problem.due[node]}")
            t += problem.service[node]
            prev = node
        total += problem.distance(prev, 0)
        if t + problem.distance(prev, 0) > problem.due[0] + 1e-6:
            errors.append(f"route {r} returns to the depot after it closes")
        seen += route
    missing = set(range(1, problem.size)) - set(seen)
    if missing:
        errors.append(f"unvisited: {sorted(missing)[:10]}")
    if len(seen) != len(set(seen)):
        errors.append("a customer is visited twice")
    return total, errors


@dataclasses.dataclass(frozen=True)
class Recipe:
    """One worker's search. With `ruin` set: iterated local search that removes about `ruin` stops in
    strings of neighbouring stops (SISR), reinserts them, descends, and keeps the result only if it is
    better; without: guided local search."""

    first_solution: str
    ruin: int | None = None

    @property
    def name(self) -> str:
        return f"{self.first_solution}+" + (f"ILS_SISR{self.ruin}" if self.ruin else "GUIDED_LOCAL_SEARCH")


# One per worker, in order. Small ruins suit short routes (R1/RC1), larger ones long routes (R2): on the
# Solomon set each beats guided local search at 10 s and the two together beat either alone. Workers past
# two (not measured) get other starts and ruin sizes.
RECIPES = (
    Recipe("PARALLEL_CHEAPEST_INSERTION", ruin=10),
    Recipe("PARALLEL_CHEAPEST_INSERTION", ruin=20),
    Recipe("LOCAL_CHEAPEST_INSERTION", ruin=15),
    Recipe("SEQUENTIAL_CHEAPEST_INSERTION", ruin=10),
)
# A trip of three or more stops is one pickup-delivery pair (first and last stop) plus constraints tying the middle
# stops to it, which OR-Tools reads back as same-vehicle and same-activity groups. Its insertion heuristics then
# place such a trip only if every stop fits where they look: parallel and sequential cheapest insertion never do,
# local cheapest insertion mostly does but leaves them all out when one does not fit; local search seldom puts one
# back. So on these models each worker takes its first solution alone, puts the trips of three or more stops it
# left out in itself (`_insert_left_out`), and continues with guided local search from that plan (ILS cannot
# start from a plan); a re-optimisation does the same with the current plan. On 60 models with 4-7 such trips
# among 12-18 this serves all of them, where guided local search alone left every one out from parallel cheapest
# insertion and all of them in 12 models from local cheapest insertion. From the same start ILS ended 0.6-3 %
# longer than guided local search. (Savings is no start for pickup-and-delivery: it leaves every trip out.)
GLS_RECIPES = tuple(
    Recipe(s) for s in ("LOCAL_CHEAPEST_INSERTION", "PARALLEL_CHEAPEST_INSERTION", "SEQUENTIAL_CHEAPEST_INSERTION")
)
CONTINUE = Recipe("FROM_CURRENT_PLAN")  # guided local search from the given routes (ILS cannot start from them)
# Operators that rebuild whole paths by insertion: each call costs more than a ruin-and-recreate step
# inside iterated local search, and finds less.
_HEAVY_OPERATORS = (
    "use_global_cheapest_insertion_path_lns",
    "use_local_cheapest_insertion_path_lns",
    "use_relocate_path_global_cheapest_insertion_insert_unperformed",
    "use_global_cheapest_insertion_visit_types_lns",
    "use_local_cheapest_insertion_visit_types_lns",
)
# Kept back from the wall-time budget: the search overshoots its limit by up to ~0.2 s, and parallel workers
# take up to ~0.4 s more (under load) to hand back their plans and exit.
OVERSHOOT_SECONDS, WORKERS_SECONDS = 0.2, 0.4


# ---- the general model: what every routing job and the benchmark solve ---------------------------------------


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
        if self.fixed and self.fixed[c] is not None:
            return (self.fixed[c],)
        if self.allowed and self.allowed[c] is not None:
            return self.allowed[c]
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
        seen = [position.get(n) for n in chain]
        if all(p is None for p in seen):
            if not model.penalties or model.penalties[c] == 0:
                errors.append(f"chain {c} must be served")
            continue
        if any(p is None for p in seen) or len({p[0] for p in seen}) != 1:
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


def _build(model: Model):
    from ortools.constraint_solver import pywrapcp

    n, vehicles = model.size, model.vehicles
    manager = pywrapcp.RoutingIndexManager(n, len(vehicles), [v.start for v in vehicles], [v.end for v in vehicles])
    routing = pywrapcp.RoutingModel(manager)
    cost = routing.RegisterTransitMatrix([list(row) for row in model.distance])
    routing.SetArcCostEvaluatorOfAllVehicles(cost)
    for d, demand in enumerate(model.demands):
        callback = routing.RegisterUnaryTransitVector(list(demand))
        routing.AddDimensionWithVehicleCapacity(callback, 0, [v.capacity[d] for v in vehicles], True, f"load{d}")
    by_speed = {}
    for speed in {v.speed for v in vehicles}:
        matrix = [[model.service[i] + model.travel[speed][i][j] for j in range(n)] for i in range(n)]
        by_speed[speed] = routing.RegisterTransitMatrix(matrix)
    horizon = max(v.latest for v in vehicles)
    routing.AddDimensionWithVehicleTransits([by_speed[v.speed] for v in vehicles], horizon, horizon, False, "time")
    time_dim = routing.GetDimensionOrDie("time")
    terminals = {v.start for v in vehicles} | {v.end for v in vehicles}
    for node in range(n):
        if node not in terminals:
            time_dim.CumulVar(manager.NodeToIndex(node)).SetRange(*model.windows[node])
    for k, v in enumerate(vehicles):
        time_dim.CumulVar(routing.Start(k)).SetRange(v.earliest, v.earliest)
        time_dim.CumulVar(routing.End(k)).SetRange(v.earliest, v.latest)
        if v.max_duration is not None:
            time_dim.SetSpanUpperBoundForVehicle(v.max_duration, k)
    solver = routing.solver()
    for c, chain in enumerate(model.chains):
        index = [manager.NodeToIndex(node) for node in chain]
        if len(index) >= 2:
            routing.AddPickupAndDelivery(index[0], index[-1])
        for a, b in itertools.pairwise(index):
            solver.Add(routing.VehicleVar(a) == routing.VehicleVar(b))
            solver.Add(time_dim.CumulVar(a) <= time_dim.CumulVar(b))
            solver.Add(routing.ActiveVar(a) == routing.ActiveVar(b))
        penalty = model.penalties[c] if model.penalties else 0
        if penalty:
            for i in index:
                routing.AddDisjunction([i], penalty)
        allowed = model.vehicles_for(c)
        if len(allowed) < len(vehicles):  # -1: the chain may still be left out (its disjunction decides)
            for i in index:
                routing.VehicleVar(i).SetValues([-1, *allowed])
    return manager, routing, time_dim


def _search_parameters(recipe: Recipe, seconds: float):
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2
    from ortools.util import optional_boolean_pb2

    params = pywrapcp.DefaultRoutingSearchParameters()
    if recipe != CONTINUE:
        params.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, recipe.first_solution)
    params.use_full_propagation = False
    if recipe.ruin:
        # greedy descent after each ruin-and-recreate step; the first solution is descended the same way
        params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
        params.use_iterated_local_search = True
        ils = params.iterated_local_search_parameters
        sisr = ils.ruin_recreate_parameters.ruin_strategies.add().sisr
        sisr.max_removed_sequence_size = 10
        sisr.avg_num_removed_visits = recipe.ruin
        sisr.bypass_factor = 0.01
        # only improvements replace the reference: simulated annealing did no better here at 10 s
        ils.reference_solution_acceptance_strategy.greedy_descent.SetInParent()
        for name in _HEAVY_OPERATORS:
            setattr(params.local_search_operators, name, optional_boolean_pb2.BOOL_FALSE)
    else:
        params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(max(100, int(seconds * 1000)))
    return params


def _solve_model_one(
    model: Model, deadline: float, recipe: Recipe, initial: dict[int, tuple[int, ...]] | None = None
) -> Plan | None:
    """One search that stops by itself at `deadline` (time.time(), comparable across processes)."""
    started = time.monotonic()
    manager, routing, _ = _build(model)
    assignment, solved, continued = None, False, CONTINUE
    long_trips = _has_long_trips(model)
    if long_trips and not initial:  # see GLS_RECIPES: first solution, trips put back, then the search
        params = _search_parameters(Recipe(recipe.first_solution), deadline - time.time())
        params.solution_limit = 1
        first, solved = routing.SolveWithParameters(params), True
        if first is not None:
            initial, continued = _routes(model, manager, routing, first), Recipe(recipe.first_solution)
    if initial:
        if long_trips:
            initial = _insert_left_out(model, initial, deadline)
        params = _search_parameters(CONTINUE, deadline - time.time())
        if not solved:
            routing.CloseModelWithParameters(params)
        routes = [[manager.NodeToIndex(n) for n in initial.get(k, ())] for k in range(len(model.vehicles))]
        start = routing.ReadAssignmentFromRoutes(routes, True)
        if start is not None:
            assignment = routing.SolveFromAssignmentWithParameters(start, params)
            recipe = continued
    if assignment is None and recipe.ruin:
        assignment = routing.SolveWithIteratedLocalSearch(_search_parameters(recipe, deadline - time.time()))
        if assignment is None:  # no first solution: guided local search at least falls back to dropping trips
            recipe = Recipe(recipe.first_solution)
    if assignment is None:
        assignment = routing.SolveWithParameters(_search_parameters(recipe, deadline - time.time()))
    if assignment is None:
        return None
    checked, errors = check_routes(model, _routes(model, manager, routing, assignment))
    if errors:  # never trust a solver answer the checker refuses (see the soft-time-limit pitfall)
        return None
    served = {n for r in checked for n in r.nodes}
    dropped = tuple(c for c, chain in enumerate(model.chains) if chain[0] not in served)
    return Plan(
        routes=tuple(r for r in checked if r.nodes),
        dropped=dropped,
        distance=sum(r.distance for r in checked),
        strategy=recipe.name,
        seconds=time.monotonic() - started,
    )


def _has_long_trips(model: Model) -> bool:
    return any(len(chain) >= 3 for chain in model.chains)


def _routes(model: Model, manager, routing, assignment) -> dict[int, tuple[int, ...]]:
    routes: dict[int, tuple[int, ...]] = {}
    for k in range(len(model.vehicles)):
        index, nodes = assignment.Value(routing.NextVar(routing.Start(k))), []
        while not routing.IsEnd(index):
            nodes.append(manager.IndexToNode(index))
            index = assignment.Value(routing.NextVar(index))
        routes[k] = tuple(nodes)
    return routes


def _insert_left_out(model: Model, routes: dict[int, tuple[int, ...]], deadline: float) -> dict[int, tuple[int, ...]]:
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


def _score(plan: Plan, model: Model) -> tuple[int, int]:
    penalty = sum(model.penalties[c] for c in plan.dropped) if model.penalties else 0
    return (penalty, plan.distance)


def solve_model(
    model: Model, *, seconds: float, workers: int = 1, initial: dict[int, tuple[int, ...]] | None = None
) -> Plan | None:
    """Best plan found by `workers` differently tuned searches in parallel within `seconds` of wall time.
    With `initial` routes (the current plan) the first search continues from them."""
    # one deadline for all: whatever starting the processes takes comes out of the search, not on top of it
    kept_back = OVERSHOOT_SECONDS + (WORKERS_SECONDS if workers > 1 else 0)
    deadline = time.time() + max(0.2, seconds - kept_back)
    recipes = (GLS_RECIPES if _has_long_trips(model) else RECIPES)[: max(1, workers)]
    if workers <= 1:
        return _solve_model_one(model, deadline, recipes[0], initial)
    # spawn, not fork: a forked child can inherit locks held by the parent's other threads and hang
    with ProcessPoolExecutor(max_workers=len(recipes), mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [
            pool.submit(_solve_model_one, model, deadline, r, initial if i == 0 else None)
            for i, r in enumerate(recipes)
        ]
        results = [f.result() for f in futures]
    plans = [r for r in results if r is not None]
    return min(plans, key=lambda p: _score(p, model)) if plans else None


def insert_chain(model: Model, routes: dict[int, tuple[int, ...]], chain: int) -> dict[int, tuple[int, ...]] | None:
    """Cheapest feasible insertion of one chain into existing routes, keeping every other stop where it is
    (no re-solve). None when no position works."""
    nodes = model.chains[chain]
    candidates = model.vehicles_for(chain)
    best, best_cost = None, None
    base = {v: r.distance for v, r in zip(routes, check_routes(model, routes)[0], strict=True)}
    for v in candidates:
        current = base.get(v, _empty_cost(model, v))
        ceiling = [None if best_cost is None else best_cost + current]  # route length to beat, as it improves
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


def _placements(model: Model, v: int, route: list[int], nodes: tuple[int, ...], ceiling: list[int | None]):
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


# ---- Solomon VRPTW: the benchmark's view of the same solver ---------------------------------------------------


def solomon_model(problem: Problem) -> Model:
    n = problem.size
    dist = tuple(tuple(round(problem.distance(i, j) * SCALE) for j in range(n)) for i in range(n))
    service = tuple(round(s * SCALE) for s in problem.service)
    # travel rounded up so that a plan the solver accepts is feasible in exact arithmetic too
    travel = tuple(tuple(math.ceil(problem.distance(i, j) * SCALE) for j in range(n)) for i in range(n))
    windows = tuple((math.ceil(problem.ready[i] * SCALE), math.floor(problem.due[i] * SCALE)) for i in range(n))
    horizon = math.floor(problem.due[0] * SCALE)
    vehicle = Vehicle(
        start=0, end=0, capacity=(problem.capacity,), earliest=math.ceil(problem.ready[0] * SCALE), latest=horizon
    )
    return Model(
        name=problem.name,
        distance=dist,
        travel=(travel,),
        service=service,
        windows=windows,
        demands=(tuple(problem.demands),),
        vehicles=(vehicle,) * problem.vehicles,
    )


def solve(problem: Problem, *, seconds: float, workers: int = 2) -> Solution | None:
    """A Solomon instance through the production solver; the distance is recomputed exactly by `check`."""
    started = time.monotonic()
    plan = solve_model(solomon_model(problem), seconds=seconds, workers=workers)
    if plan is None:
        return None
    routes = tuple(r.nodes for r in plan.routes)
    total, errors = check(problem, routes)
    if errors:
        return None
    return Solution(routes, total, time.monotonic() - started, plan.strategy)
