"""Vehicle routing with time windows on OR-Tools: the one solver every routing job and the
benchmark use. Pure: no Django, no database; problems in, routes out.

The solver stops on its own time limit (never a Celery soft limit, which OR-Tools can swallow and
then report a bogus optimum). Travel costs go in as matrices, so no Python runs inside the search.
Both cores are used by running differently seeded strategies in parallel and keeping the best.
"""

from __future__ import annotations

import dataclasses
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


STRATEGIES = ("PARALLEL_CHEAPEST_INSERTION", "LOCAL_CHEAPEST_INSERTION", "SAVINGS", "PATH_CHEAPEST_ARC")


def _solve_one(
    problem: Problem, seconds: float, strategy: str, metaheuristic: str = "GUIDED_LOCAL_SEARCH"
) -> Solution | None:
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    started = time.monotonic()
    n = problem.size
    manager = pywrapcp.RoutingIndexManager(n, problem.vehicles, 0)
    model = pywrapcp.RoutingModel(manager)
    dist = [[round(problem.distance(i, j) * SCALE) for j in range(n)] for i in range(n)]
    # time matrix: service at the origin plus travel, rounded up so solver-feasible means truly feasible
    times = [[math.ceil((problem.service[i] + problem.distance(i, j)) * SCALE) for j in range(n)] for i in range(n)]
    cost = model.RegisterTransitMatrix(dist)
    model.SetArcCostEvaluatorOfAllVehicles(cost)
    demand = model.RegisterUnaryTransitVector(list(problem.demands))
    model.AddDimensionWithVehicleCapacity(demand, 0, [problem.capacity] * problem.vehicles, True, "load")
    transit = model.RegisterTransitMatrix(times)
    horizon = math.ceil(problem.due[0] * SCALE)
    model.AddDimension(transit, horizon, horizon, False, "time")
    time_dim = model.GetDimensionOrDie("time")
    for node in range(1, n):
        index = manager.NodeToIndex(node)
        time_dim.CumulVar(index).SetRange(math.ceil(problem.ready[node] * SCALE), math.floor(problem.due[node] * SCALE))
    for v in range(problem.vehicles):
        time_dim.CumulVar(model.Start(v)).SetRange(math.ceil(problem.ready[0] * SCALE), horizon)
        time_dim.CumulVar(model.End(v)).SetRange(0, horizon)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, strategy)
    params.local_search_metaheuristic = getattr(routing_enums_pb2.LocalSearchMetaheuristic, metaheuristic)
    params.time_limit.FromMilliseconds(max(100, int((seconds - (time.monotonic() - started)) * 1000)))
    params.use_full_propagation = False
    assignment = model.SolveWithParameters(params)
    if assignment is None:
        return None
    routes = []
    for v in range(problem.vehicles):
        index, route = model.Start(v), []
        while not model.IsEnd(index):
            node = manager.IndexToNode(index)
            if node:
                route.append(node)
            index = assignment.Value(model.NextVar(index))
        if route:
            routes.append(tuple(route))
    total, errors = check(problem, tuple(routes))
    if errors:
        return None
    return Solution(tuple(routes), total, time.monotonic() - started, f"{strategy}+{metaheuristic}")


def solve(problem: Problem, *, seconds: float, workers: int = 2) -> Solution | None:
    """Run `workers` strategies in parallel for `seconds` of wall time and keep the shortest feasible plan."""
    strategies = STRATEGIES[: max(1, workers)]
    if workers <= 1:
        return _solve_one(problem, seconds, strategies[0])
    budget = max(0.5, seconds - 1.2)  # starting the processes and returning results come out of the wall-time budget
    # spawn, not fork: a forked child can inherit locks held by the parent's other threads and hang
    with ProcessPoolExecutor(max_workers=len(strategies), mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(_solve_one, problem, budget, s) for s in strategies]
        results = [f.result() for f in futures]
    feasible = [r for r in results if r is not None]
    return min(feasible, key=lambda s: s.distance) if feasible else None
