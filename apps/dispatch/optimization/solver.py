"""The search: `solve_model` runs differently tuned OR-Tools searches in parallel within one wall-time deadline
and keeps the best plan the checker accepts."""

from __future__ import annotations

import dataclasses
import itertools
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

from apps.dispatch.optimization.insertion import insert_left_out
from apps.dispatch.optimization.routing_model import Model, Plan, check_routes


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
# left out in itself (`insert_left_out`), and continues with guided local search from that plan (ILS cannot
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
            initial = insert_left_out(model, initial, deadline)
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


def score(plan: Plan, model: Model) -> tuple[int, int]:
    """What plans are compared by: the penalty of the trips left out, then distance."""
    penalty = sum(model.penalties[c] for c in plan.dropped) if model.penalties else 0
    return (penalty, plan.distance)


def solve_model(
    model: Model, *, seconds: float, workers: int = 1, initial: dict[int, tuple[int, ...]] | None = None
) -> Plan | None:
    """Best plan found by `workers` differently tuned searches in parallel within `seconds` of wall time.
    With `initial` routes (the current plan) the first search continues from them."""
    # one deadline for all: whatever starting the processes takes comes out of the search, not on top of it
    kept_back = OVERSHOOT_SECONDS + (WORKERS_SECONDS if workers > 1 else 0)
    return solve_until(model, time.time() + max(0.2, seconds - kept_back), workers=workers, initial=initial)


def solve_until(
    model: Model, deadline: float, *, workers: int = 1, initial: dict[int, tuple[int, ...]] | None = None
) -> Plan | None:
    """`solve_model` to an absolute deadline (time.time()), the time to hand back plans already kept back."""
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
    return min(plans, key=lambda p: score(p, model)) if plans else None
