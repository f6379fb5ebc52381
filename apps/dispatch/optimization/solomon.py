"""Solomon VRPTW instances, the routing benchmark: reading one, checking a solution in exact arithmetic, and
solving it through the production solver (`manage.py dispatch_solve_benchmark`, scripts/bench/routing.py)."""

from __future__ import annotations

import dataclasses
import math
import time

from apps.dispatch.optimization import portfolio
from apps.dispatch.optimization.routing_model import Model, Vehicle

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
    solver: str = "ortools"  # which solver's plan this is ("ortools", "pyvrp")


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
    if vehicles is None or capacity is None or not rows:  # the two are read together
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


SOLVERS = ("portfolio", "ortools", "pyvrp")


def solve(problem: Problem, *, seconds: float, workers: int = 2, solver: str = "portfolio") -> Solution | None:
    """A Solomon instance through the production solver: the portfolio (what routing jobs run), OR-Tools alone, or
    PyVRP alone (one process, all of `seconds`: the library as it comes, on our model). The distance is recomputed
    exactly by `check`."""
    started = time.monotonic()
    model = solomon_model(problem)
    if solver == "pyvrp":
        plan = portfolio.solve_pyvrp(model, time.time() + seconds)
    else:
        plan = portfolio.solve(model, seconds=seconds, workers=workers, portfolio=solver == "portfolio")
    if plan is None:
        return None
    routes = tuple(r.nodes for r in plan.routes)
    total, errors = check(problem, routes)
    if errors:
        return None
    return Solution(routes, total, time.monotonic() - started, plan.strategy, plan.solver)
