"""The solver portfolio: which models PyVRP takes, PyVRP's plans read back and vetted by our checker, the shorter
plan kept, OR-Tools alone for the rest, and the time budget kept."""

import math
import random
import time

from apps.dispatch.optimization import portfolio, routing_model, solomon
from apps.dispatch.tests.test_optimization import pickup_and_delivery_model, small_problem

DEPOT = (4000.0, 4000.0)


def depot_round_model(trips=14, vans=3, seed=5, pickup_service=0, on_board=None):
    """What planning.build gives for depot rounds: every van starts at the depot (a start node each, the same
    place), a free "anywhere" end (node 0), each trip a pickup at the depot and one drop-off taking its whole load
    (weight, and one trip on board), optional at a price; trips 0-3 may go only on van 2 or only on vans 0-1 (their
    booked type); one trip under way on van 1: only its drop-off is left and its load rides from the start. Two
    speeds. `on_board` overrides what van 1 carries from the start."""
    rnd = random.Random(seed)
    points = [None] + [DEPOT] * vans
    chains = []
    for _ in range(trips):
        chains.append((len(points), len(points) + 1))
        points += [DEPOT, (rnd.uniform(0, 8000), rnd.uniform(0, 8000))]
    moving = len(points)
    points.append((rnd.uniform(0, 8000), rnd.uniform(0, 8000)))
    chains.append((moving,))
    n = len(points)

    def metres(i, j):
        return 0 if 0 in (i, j) else round(math.dist(points[i], points[j]))

    distance = tuple(tuple(metres(i, j) for j in range(n)) for i in range(n))
    travel = tuple(tuple(tuple(d // speed for d in row) for row in distance) for speed in (8, 12))
    weight, count = [0] * n, [0] * n
    windows, service = [(0, 8 * 3600)] * n, [0] * n
    for pickup, drop in chains[:-1]:
        load = rnd.randint(50, 300)
        weight[pickup], weight[drop], count[pickup], count[drop] = load, -load, 1, -1
        service[pickup], service[drop] = pickup_service, 120
        if rnd.random() < 0.5:
            opens = rnd.randint(0, 4 * 3600)
            windows[drop] = (opens, opens + 3600)
    weight[moving], count[moving], service[moving] = -200, -1, 120
    start_load = on_board if on_board is not None else (200, 1)
    weight[2], count[2] = start_load
    vehicles = tuple(
        routing_model.Vehicle(
            start=k + 1, end=0, capacity=(900, 8), earliest=0, latest=8 * 3600, max_duration=7 * 3600, speed=k % 2
        )
        for k in range(vans)
    )
    allowed = [(2,), (2,), (0, 1), (0, 1), *[None] * (trips - 4), None]
    return routing_model.Model(
        name="depot rounds",
        distance=distance,
        travel=travel,
        service=tuple(service),
        windows=tuple(windows),
        demands=(tuple(weight), tuple(count)),
        vehicles=vehicles,
        chains=tuple(chains),
        penalties=(*[10**7] * trips, 10**9),
        fixed=(*[None] * trips, 1),
        allowed=tuple(allowed),
    )


def checked(model, plan):
    routes = {r.vehicle: r.nodes for r in plan.routes}
    _, errors = routing_model.check_routes(model, routes)
    assert errors == []
    return routes


def test_pyvrp_takes_plain_vrptw_and_depot_rounds_and_nothing_else():
    rounds = portfolio.pyvrp_form(depot_round_model())
    assert isinstance(rounds, portfolio.Form)
    by_node = {c.node: c for c in rounds.clients}
    moving = by_node[depot_round_model().chains[-1][0]]
    assert (moving.pickup, moving.delivery, moving.allowed) == (None, (200, 1), (1,))  # unloads what rides along
    first = by_node[depot_round_model().chains[0][1]]
    assert first.pickup == depot_round_model().chains[0][0] and first.allowed == (2,) and first.prize == 10**7
    solomon_form = portfolio.pyvrp_form(solomon.solomon_model(small_problem()))
    assert isinstance(solomon_form, portfolio.Form) and len(solomon_form.clients) == 25
    assert all(c.prize == 0 for c in solomon_form.clients)  # every customer required

    assert "paired pickup and drop-off" in portfolio.pyvrp_form(pickup_and_delivery_model())
    assert "3 stops" in portfolio.pyvrp_form(pickup_and_delivery_model(stops=(3,)))
    # loading time at the depot: loading all trips as the van leaves would change the route's times
    assert "paired" in portfolio.pyvrp_form(depot_round_model(pickup_service=60))
    # a van carries more than its trips under way unload: PyVRP would think it lighter than it is
    assert "carries a load" in portfolio.pyvrp_form(depot_round_model(on_board=(300, 1)))


def test_pyvrp_plans_read_back_as_our_routes_and_pass_our_checker():
    model = depot_round_model()
    plan = portfolio.solve_pyvrp(model, time.time() + 1.5)
    assert plan is not None and plan.solver == "pyvrp" and plan.dropped == ()
    routes = checked(model, plan)
    for v, nodes in routes.items():  # depot pickups first, as the van leaves
        pickups = [n for n in nodes if any(n == chain[0] and len(chain) == 2 for chain in model.chains)]
        assert list(nodes[: len(pickups)]) == pickups
        for c, chain in enumerate(model.chains):
            if chain[-1] in nodes:
                assert v in model.vehicles_for(c)  # booked types and the trip under way kept
    assert model.chains[-1][0] in routes[1]
    assert plan.distance == sum(r.distance for r in routing_model.check_routes(model, routes)[0])


def test_the_portfolio_keeps_the_better_checked_plan_within_its_time():
    # 14 trips fit the vans at once; 20 do not (2,700 kg of vans, more in trips): PyVRP, loading everything as a van
    # leaves the depot, must leave some out, where OR-Tools can send a van back for more
    for trips, seed, workers in ((14, 5, 1), (20, 9, 2)):
        model = depot_round_model(trips=trips, seed=seed)
        started = time.monotonic()
        plan = portfolio.solve(model, seconds=2, workers=workers)
        assert time.monotonic() - started < 2.5
        checked(model, plan)
        candidates = {name: (left_out, distance) for name, distance, left_out in plan.candidates}
        assert set(candidates) == {"ortools", "pyvrp"} and None not in candidates["pyvrp"]
        assert (len(plan.dropped), plan.distance) == min(c for c in candidates.values() if None not in c)
        assert candidates[plan.solver] == (len(plan.dropped), plan.distance)
    assert candidates["pyvrp"][0] > 0
    problem = small_problem()  # Solomon through the benchmark's path, checked in exact arithmetic
    for which in ("portfolio", "pyvrp"):
        solution = solomon.solve(problem, seconds=1.5, workers=2, solver=which)
        assert solution is not None and solomon.check(problem, solution.routes)[1] == []


def test_pickup_and_delivery_stays_with_or_tools_and_the_portfolio_can_be_turned_off():
    model = pickup_and_delivery_model()
    plan = portfolio.solve(model, seconds=1)
    assert plan is not None and plan.solver == "ortools" and plan.candidates == ()
    assert "paired pickup and drop-off" in plan.note
    checked(model, plan)
    rounds = depot_round_model()
    plan = portfolio.solve(rounds, seconds=1, portfolio=False)
    assert (plan.solver, plan.candidates, plan.note) == ("ortools", (), "the portfolio is off")
    checked(rounds, plan)
