"""The solver portfolio: PyVRP beside OR-Tools on the models PyVRP represents exactly, the better checked plan kept.

PyVRP (iterated local search, pinned in requirements) is stronger than our OR-Tools search on plain VRPTW (on the
Solomon set, docs/benchmarks.md). It takes a model only when every chain is one PyVRP client, so that a PyVRP
solution read back is a solution of *our* model with the same distance:

- a chain of one stop (a Solomon customer; a trip under way with one drop-off left, kept on its vehicle);
- a **depot round**: a pickup where every vehicle that may take the trip starts (same matrix rows, open when the
  vehicle leaves, no service time) and one drop-off taking the whole load. It is loaded as the vehicle leaves, so a
  PyVRP route reads back as those pickups first, then its stops. A plan that goes back to the depot to reload
  is beyond this form (OR-Tools may find it; the portfolio keeps whichever is shorter).

Anything else (paired pickups and drop-offs elsewhere, trips of three or more stops, loads on board that do not
come off at a stop of the plan) stays with OR-Tools alone. Vehicles a trip may not use (its booked type, the
vehicle a trip under way stays on) become one extra load dimension per set of allowed vehicles: a capacity
of 0 on the others. Leaving a trip out costs its penalty as an uncollected prize, as in OR-Tools.

Whatever solved it, a plan is offered only if `check_routes` accepts it on the original model.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any, cast

from apps.dispatch.optimization import solver
from apps.dispatch.optimization.routing_model import Model, Plan, check_routes

PYVRP_SEED = 1  # fixed: the same model and budget give the same PyVRP answer on an idle machine
# With one worker both solvers share one process and run in turn: PyVRP first for this share of the time.
PYVRP_SHARE = 0.5


@dataclasses.dataclass(frozen=True)
class Client:
    node: int  # the stop PyVRP visits (a drop-off, or a single stop)
    pickup: int | None  # a depot round's pickup, visited as the vehicle leaves
    delivery: tuple[int, ...]  # loaded at the start, unloaded at `node`, per dimension of the model
    collect: tuple[int, ...]  # picked up at `node`, carried to the end
    allowed: tuple[int, ...]  # vehicles that may serve it
    prize: int  # 0: required


@dataclasses.dataclass(frozen=True)
class Form:
    """A model as PyVRP clients."""

    clients: tuple[Client, ...]


def pyvrp_form(model: Model) -> Form | str:
    """The model as PyVRP clients, or why PyVRP cannot solve it exactly."""
    vehicles = model.vehicles
    dims = range(len(model.demands))
    if not model.chains:  # plain VRP: every node that is not a start or an end is a required customer
        terminals = {v.start for v in vehicles} | {v.end for v in vehicles}
        units: list[tuple[tuple[int, ...], int | None, int]] = [
            ((n,), None, 0) for n in range(model.size) if n not in terminals
        ]
    else:
        units = [(chain, c, model.penalties[c] if model.penalties else 0) for c, chain in enumerate(model.chains)]
    ends = {v.end for v in vehicles} - {v.start for v in vehicles}
    if any(model.demands[d][e] for d in dims for e in ends):
        return "a load is set at a route's end"
    on_board = {k: [0] * len(model.demands) for k in range(len(vehicles))}
    clients = []
    for nodes, c, prize in units:
        allowed = model.vehicles_for(c) if c is not None else tuple(range(len(vehicles)))
        demand = [tuple(model.demands[d][n] for d in dims) for n in nodes]
        if len(nodes) == 1:
            q = demand[0]
            if any(x < 0 for x in q):  # a drop-off of a load already on board: its vehicle must be known
                if any(x > 0 for x in q) or len(allowed) != 1:
                    return f"chain {c} unloads what no stop of the plan loads"
                for d in dims:
                    on_board[allowed[0]][d] -= q[d]
                clients.append(Client(nodes[0], None, tuple(-x for x in q), (0,) * len(q), allowed, prize))
            else:
                clients.append(Client(nodes[0], None, (0,) * len(q), q, allowed, prize))
            continue
        if len(nodes) > 2:
            return f"chain {c} has {len(nodes)} stops"
        pickup, drop = nodes
        if any(x < 0 for x in demand[0]) or any(demand[0][d] != -demand[1][d] for d in dims):
            return f"chain {c} does not unload its whole load at its drop-off"
        if not all(_leaves_from(model, pickup, vehicles[k]) for k in allowed):
            return f"chain {c} is a pickup away from the vehicles' start: paired pickup and drop-off"
        clients.append(Client(drop, pickup, demand[0], (0,) * len(demand[0]), allowed, prize))
    for k, v in enumerate(vehicles):
        if any(model.demands[d][v.start] != on_board[k][d] for d in dims):
            return f"vehicle {k} carries a load that no stop of the plan unloads"
    return Form(tuple(clients))


def _leaves_from(model: Model, pickup: int, vehicle) -> bool:
    """Whether `pickup` is where `vehicle` starts (the same distances and travel times onwards, none from the start),
    takes no service time and is open when the vehicle leaves: then loading it as the vehicle leaves changes
    nothing on the route. Only the pickup's row matters: it is reached from the start or another such pickup."""
    s = vehicle.start
    a, b = model.windows[pickup]
    if model.service[pickup] or not a <= vehicle.earliest <= b:
        return False
    if model.distance[s][pickup] or model.distance[s] != model.distance[pickup]:
        return False
    return not any(x[s][pickup] or x[s] != x[pickup] for x in model.travel)


def solve_pyvrp(model: Model, deadline: float, form: Form | None = None) -> Plan | None:
    """PyVRP on the model until `deadline` (time.time()); its answer read back as our routes and checked."""
    import numpy as np
    import pyvrp
    import pyvrp.stop

    started = time.monotonic()
    if form is None:
        found = pyvrp_form(model)
        if isinstance(found, str):
            return None
        form = found
    vehicles = model.vehicles
    # vehicles a client may not use: one dimension per set of allowed vehicles, capacity 0 on the others
    classes = sorted({c.allowed for c in form.clients if len(c.allowed) < len(vehicles)})
    members = {a: sum(1 for c in form.clients if c.allowed == a) for a in classes}
    depot_nodes = sorted({v.start for v in vehicles} | {v.end for v in vehicles})
    depot_of = {n: i for i, n in enumerate(depot_nodes)}
    kinds: dict[tuple, list[int]] = {}
    for k, v in enumerate(vehicles):
        capacity = (*v.capacity, *(members[a] if k in a else 0 for a in classes))
        kinds.setdefault((v.start, v.end, capacity, v.earliest, v.latest, v.max_duration, v.speed), []).append(k)
    vehicle_types = [
        pyvrp.VehicleType(
            num_available=len(ks),
            capacity=list(capacity),
            start_depot=depot_of[start],
            end_depot=depot_of[end],
            tw_early=earliest,
            start_late=earliest,  # leaves at its earliest, as OR-Tools' model and our checker have it
            tw_late=latest,
            **({"shift_duration": max_duration} if max_duration is not None else {}),
            profile=speed,
        )
        for (start, end, capacity, earliest, latest, max_duration, speed), ks in kinds.items()
    ]
    clients = [
        pyvrp.Client(
            location=c.node,
            delivery=[*c.delivery, *(0 for _ in classes)],
            pickup=[*c.collect, *(1 if c.allowed == a else 0 for a in classes)],
            service_duration=model.service[c.node],
            tw_early=model.windows[c.node][0],
            tw_late=model.windows[c.node][1],
            prize=c.prize,
            required=c.prize == 0,
        )
        for c in form.clients
    ]
    distance: Any = np.asarray(model.distance, dtype=np.int64)  # pyvrp's stubs say ndarray[int]
    data = pyvrp.ProblemData(
        locations=[pyvrp.Location(x=0, y=0) for _ in range(model.size)],  # matrices given: coordinates unused
        clients=clients,
        depots=[pyvrp.Depot(location=n) for n in depot_nodes],
        vehicle_types=vehicle_types,
        distance_matrices=[distance for _ in model.travel],
        duration_matrices=[cast(Any, np.asarray(t, dtype=np.int64)) for t in model.travel],
    )
    seconds = max(0.05, deadline - time.time())
    result = pyvrp.solve(data, stop=pyvrp.stop.MaxRuntime(seconds), seed=PYVRP_SEED, collect_stats=False)
    if not result.is_feasible():
        return None
    free = {key: list(ks) for key, ks in zip(kinds, kinds.values(), strict=True)}
    keys = list(kinds)
    routes: dict[int, tuple[int, ...]] = {k: () for k in range(len(vehicles))}
    for route in result.best.routes():
        k = free[keys[route.vehicle_type()]].pop(0)
        visits = [form.clients[a.idx] for a in route.schedule() if a.is_client()]
        pickups = [c.pickup for c in visits if c.pickup is not None]
        routes[k] = (*pickups, *(c.node for c in visits))
    return _checked(model, routes, started, strategy="PYVRP_ILS", solver_name="pyvrp")


def _checked(model: Model, routes: dict[int, tuple[int, ...]], started: float, *, strategy: str, solver_name: str):
    checked, errors = check_routes(model, routes)
    if errors:
        return None
    served = {n for r in checked for n in r.nodes}
    return Plan(
        routes=tuple(r for r in checked if r.nodes),
        dropped=tuple(c for c, chain in enumerate(model.chains) if chain[0] not in served),
        distance=sum(r.distance for r in checked),
        strategy=strategy,
        seconds=time.monotonic() - started,
        solver=solver_name,
    )


def solve(
    model: Model,
    *,
    seconds: float,
    workers: int = 1,
    initial: dict[int, tuple[int, ...]] | None = None,
    portfolio: bool = True,
    until: float | None = None,
) -> Plan | None:
    """The best checked plan within `seconds` of wall time on `workers` processes in all.

    Without the portfolio, or on a model PyVRP cannot take, OR-Tools alone (`solver.solve_model`). Otherwise both:
    with two or more workers PyVRP searches in one process while OR-Tools uses the others, to the same deadline;
    with one worker they run in turn in this process (PyVRP for PYVRP_SHARE of the time, then OR-Tools), so a job
    never takes more cores than DISPATCH_SOLVER_WORKERS says. The better plan is kept (fewest trips left out by
    penalty, then the shorter; PyVRP's on a tie); it says which solver made it (`Plan.solver`) and
    `Plan.candidates` what each found.
    `until` (time.time()) caps the time further: what the caller spent before (building the model, starting this
    process) comes out of the search."""
    if until is not None:
        seconds = min(seconds, until - time.time())
    form = pyvrp_form(model) if portfolio else "the portfolio is off"
    if isinstance(form, str):
        plan = solver.solve_model(model, seconds=seconds, workers=workers, initial=initial)
        return dataclasses.replace(plan, note=form) if plan is not None else None
    kept_back = solver.OVERSHOOT_SECONDS + (solver.WORKERS_SECONDS if workers > 1 else 0)
    deadline = time.time() + max(0.2, seconds - kept_back)
    note = ""
    if workers <= 1:
        try:
            pyvrp_plan = solve_pyvrp(model, time.time() + (deadline - time.time()) * PYVRP_SHARE, form)
        except Exception as exc:  # as below: OR-Tools' plan still stands, saying so
            pyvrp_plan, note = None, f"PyVRP failed: {type(exc).__name__}: {exc}"[:300]
        ortools_plan = solver.solve_until(model, deadline, workers=1, initial=initial)
    else:
        # spawn, not fork: a forked child can inherit locks held by the parent's other threads and hang
        with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
            future = pool.submit(solve_pyvrp, model, deadline, form)
            ortools_plan = solver.solve_until(model, deadline, workers=workers - 1, initial=initial)
            try:
                pyvrp_plan = future.result()
            except Exception as exc:  # PyVRP's process failed or died: OR-Tools' plan still stands, saying so
                pyvrp_plan, note = None, f"PyVRP failed: {type(exc).__name__}: {exc}"[:300]
    candidates = tuple(
        (name, p.distance, len(p.dropped)) if p is not None else (name, None, None)
        for name, p in (("pyvrp", pyvrp_plan), ("ortools", ortools_plan))
    )
    plans = [p for p in (pyvrp_plan, ortools_plan) if p is not None]
    if not plans:
        return None
    best = min(plans, key=lambda p: solver.score(p, model))  # a tie keeps PyVRP's: OR-Tools is the safety net
    return dataclasses.replace(best, candidates=candidates, note=note)
