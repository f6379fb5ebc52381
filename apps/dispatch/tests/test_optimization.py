"""The routing solver on real Solomon data, checked by an independent feasibility checker."""

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.dispatch import optimization

# Two of the public Solomon (1987) instances, kept with the tests so they run without shared/.
INSTANCES = Path(__file__).resolve().parent / "data"


def small_problem():
    text = (INSTANCES / "C101.txt").read_text()
    header, customers = text.split("SERVICE   TIME", 1)
    rows = [ln for ln in customers.splitlines() if ln.strip()][:26]  # depot + 25 customers
    return optimization.read_solomon(header + "SERVICE   TIME\n" + "\n".join(rows), name="C101-25")


def test_reading_a_solomon_instance():
    problem = optimization.read_solomon((INSTANCES / "R101.txt").read_text(), name="R101")
    assert (problem.size, problem.vehicles, problem.capacity) == (101, 25, 200)
    assert problem.coords[0] == (35.0, 35.0) and problem.due[0] == 230.0
    with pytest.raises(ValueError):
        optimization.read_solomon("nothing here")


def test_the_checker_catches_every_kind_of_violation():
    problem = small_problem()
    all_in_one = (tuple(range(1, problem.size)),)
    _, errors = optimization.check(problem, all_in_one)
    assert any("carries" in e for e in errors)  # 25 customers do not fit one vehicle
    assert any("due time" in e for e in errors)
    _, errors = optimization.check(problem, ((1, 2), (2, 3)))
    assert any("twice" in e for e in errors) and any("unvisited" in e for e in errors)


def test_the_solver_returns_a_feasible_plan_that_the_checker_accepts():
    problem = small_problem()
    solution = optimization.solve(problem, seconds=3, workers=2)
    assert solution is not None
    distance, errors = optimization.check(problem, solution.routes)
    assert errors == []
    assert abs(distance - solution.distance) < 1e-6
    assert sorted(n for r in solution.routes for n in r) == list(range(1, problem.size))


def test_the_benchmark_command_writes_the_agreed_json(tmp_path):
    instance = tmp_path / "C101-25.txt"
    problem = small_problem()
    text = (INSTANCES / "C101.txt").read_text()
    header, customers = text.split("SERVICE   TIME", 1)
    instance.write_text(
        header + "SERVICE   TIME\n" + "\n".join([ln for ln in customers.splitlines() if ln.strip()][:26])
    )
    out = tmp_path / "out.json"
    call_command("dispatch_solve_benchmark", "--instance", str(instance), "--seconds", "3", "--output", str(out))
    result = json.loads(out.read_text())
    assert set(result) == {"instance", "routes", "distance", "vehicles", "seconds"}
    assert result["instance"] == "C101-25" and result["vehicles"] == len(result["routes"])
    distance, errors = optimization.check(problem, tuple(tuple(r) for r in result["routes"]))
    assert errors == [] and abs(distance - result["distance"]) < 0.01
    assert result["seconds"] <= 3 + 2  # the solver's own limit bounds it (plus process start-up)
    with pytest.raises(CommandError):
        call_command(
            "dispatch_solve_benchmark",
            "--instance",
            str(tmp_path / "missing.txt"),
            "--seconds",
            "1",
            "--output",
            str(out),
        )
    with pytest.raises(CommandError):
        call_command("dispatch_solve_benchmark", "--instance", str(instance), "--seconds", "0", "--output", str(out))
