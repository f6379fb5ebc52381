"""The held-out instance generator (scripts/bench/solomon_like.py) and the routing bench's use of it: the same seed
gives the same files, each class has Solomon's structure, every instance is solvable with the fleet, and the files
and references read back through the benchmark's own reader and checker."""

import json
import math
import os
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from apps.dispatch.optimization import solomon
from scripts.bench import routing, solomon_like

ROOT = Path(__file__).resolve().parents[2]
SEED = 20261206


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """Two instances of every class, written and read back through the benchmark's reader."""
    folder = tmp_path_factory.mktemp("held_out")
    manifest = solomon_like.write_set(folder, solomon_like.CLASSES, 2, SEED)
    problems = {
        e["name"]: solomon.read_solomon((folder / e["file"]).read_text(), name=e["name"]) for e in manifest["instances"]
    }
    return folder, manifest, problems


def mean_nearest(coords):
    return statistics.mean(min(math.dist(a, b) for b in coords if b is not a) for a in coords)


def test_the_same_seed_gives_the_same_files_and_another_seed_others(generated, tmp_path):
    folder, _, _ = generated
    again = solomon_like.write_set(tmp_path, ["R1", "C2"], 2, SEED)
    for entry in again["instances"]:
        assert (tmp_path / entry["file"]).read_bytes() == (folder / entry["file"]).read_bytes()
    assert solomon_like.generate("RC1", SEED + 1, 0).text() != solomon_like.generate("RC1", SEED, 0).text()
    assert solomon_like.generate("R1", SEED, 1).text() != solomon_like.generate("R1", SEED, 0).text()


def test_the_manifest_records_seed_class_parameters_and_version(generated):
    folder, manifest, _ = generated
    assert (manifest["version"], manifest["seed"]) == (solomon_like.GENERATOR_VERSION, SEED)
    assert sorted(e["class"] for e in manifest["instances"]) == sorted(solomon_like.CLASSES * 2)
    c2 = next(e for e in manifest["instances"] if e["name"] == "C2-01")
    assert c2["parameters"]["capacity"] == 700 and c2["parameters"]["horizon"] == 3390
    assert c2["rng_streams"] == [f"solomon_like/v1/{SEED}/places-C2/1", f"solomon_like/v1/{SEED}/windows-C2/1"]
    assert all(e["reference"] is None for e in manifest["instances"])
    assert json.loads((folder / "manifest.json").read_text()) == manifest


def test_the_files_read_back_as_generated(generated):
    _, _, problems = generated
    inst = solomon_like.generate("RC2", SEED, 1)
    problem = problems["RC2-01"]
    assert problem.size == 101 and problem.vehicles == 25 and problem.capacity == 1000
    assert problem.coords == tuple((float(x), float(y)) for x, y in inst.coords)
    assert (problem.demands, problem.ready, problem.due) == (inst.demands, inst.ready, inst.due)
    assert routing.family("RC2-01") == "RC2" and routing.family("R1-00") == "R1"


def test_each_class_has_solomons_structure(generated):
    _, _, p = generated
    nearest = {n: mean_nearest(problem.coords[1:]) for n, problem in p.items()}
    for index in ("00", "01"):
        r = nearest[f"R1-{index}"]
        # clustered: C1 tightly (Solomon's C101 2.7 against R101's 5.2), C2 looser (C201 4.1)
        assert nearest[f"C1-{index}"] < 0.7 * r and nearest[f"C2-{index}"] < 0.95 * r
        rc = p[f"RC1-{index}"]
        assert mean_nearest(rc.coords[1:51]) < 0.8 * mean_nearest(rc.coords[51:])  # half clustered, half not
        # R1 and R2 share their customers (as Solomon's do), C1 and C2 do not
        assert p[f"R1-{index}"].coords == p[f"R2-{index}"].coords
        assert p[f"C1-{index}"].coords != p[f"C2-{index}"].coords
    for kind in ("R", "C", "RC"):
        one, two = p[f"{kind}1-00"], p[f"{kind}2-00"]
        assert two.due[0] >= 2.5 * one.due[0] and two.capacity >= 3.5 * one.capacity
        assert one.capacity == 200 and two.capacity == (700 if kind == "C" else 1000)
        assert set(one.service[1:]) == set(two.service[1:]) == {90.0 if kind == "C" else 10.0}
    assert [p[n].due[0] for n in ("R1-00", "R2-00", "C1-00", "C2-00", "RC1-00", "RC2-00")] == [
        230,
        1000,
        1236,
        3390,
        240,
        960,
    ]
    # R1-00 has Solomon's tightest pattern (every customer a window 10 wide, clipped only at the day's end);
    # R1-01 gives 75 % a window, the rest their whole day
    tight = p["R1-00"]
    widths = [tight.due[i] - tight.ready[i] for i in range(1, 101)]
    assert statistics.median(widths) == 10 and max(widths) == 10
    loose = p["R1-01"]
    whole_day = sum(
        loose.ready[i] == 0 and loose.due[i] == math.floor(230 - 10 - loose.distance(i, 0)) for i in range(1, 101)
    )
    assert 25 <= whole_day <= 30  # 25 without a window, and a few windowed ones that open at 0 and reach the end


def test_every_window_can_be_served_from_the_depot(generated):
    _, _, problems = generated
    for name, p in problems.items():
        for i in range(1, p.size):
            start = max(p.ready[i], p.distance(0, i))  # leaving the depot at 0
            assert start <= p.due[i], (name, i)
            assert start + p.service[i] + p.distance(i, 0) <= p.due[0], (name, i)
            # Solomon's convention, stricter: a start anywhere in the window still gets home in time
            assert p.due[i] + p.service[i] + p.distance(i, 0) <= p.due[0], (name, i)


def test_every_instance_has_a_plan_within_the_fleet_that_the_checker_accepts(generated):
    _, manifest, problems = generated
    for entry in manifest["instances"]:
        p = problems[entry["name"]]
        d = [[p.distance(i, j) for j in range(p.size)] for i in range(p.size)]
        routes = solomon_like.insertion_routes(d, p.demands, p.ready, p.due, p.service, p.capacity)
        _, errors = solomon.check(p, tuple(tuple(r) for r in routes))
        assert errors == [], entry["name"]
        assert len(routes) <= 25
    # and C's windows were drawn around a plan that is feasible: its vehicle count is what the manifest says
    c1 = next(e for e in manifest["instances"] if e["name"] == "C1-00")
    assert 8 <= c1["feasible_with_vehicles"] <= 12


def test_a_stored_reference_is_used_only_while_it_checks(generated, tmp_path):
    solomon_like.write_set(tmp_path, ["C1"], 1, SEED)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    entry = manifest["instances"][0]
    p = solomon.read_solomon((tmp_path / entry["file"]).read_text())
    d = [[p.distance(i, j) for j in range(p.size)] for i in range(p.size)]
    routes = solomon_like.insertion_routes(d, p.demands, p.ready, p.due, p.service, p.capacity)
    distance, _ = solomon.check(p, tuple(tuple(r) for r in routes))
    entry["reference"] = {"distance": distance, "vehicles": len(routes), "seconds": 1, "routes": routes}
    assert routing.checked_reference(tmp_path, entry) == pytest.approx(distance)
    entry["reference"] = {**entry["reference"], "distance": distance - 5}
    assert routing.checked_reference(tmp_path, entry) is None
    entry["reference"] = {**entry["reference"], "distance": distance, "routes": routes[1:]}  # customers left out
    assert routing.checked_reference(tmp_path, entry) is None
    # regenerating keeps a reference of an unchanged file
    entry["reference"]["routes"] = routes
    solomon_like.save_manifest(tmp_path, manifest)
    kept = solomon_like.write_set(tmp_path, ["C1"], 1, SEED)
    assert kept["instances"][0]["reference"]["routes"] == routes


@pytest.mark.processes
def test_one_command_generates_computes_the_reference_and_reports_the_gap(tmp_path):
    """routing.py end to end on one generated instance, PyVRP alone at 1 s (the reference at 1 s too)."""
    run = subprocess.run(
        [
            sys.executable,
            "scripts/bench/routing.py",
            "--generated=1",
            "--classes=C2",
            f"--seed={SEED}",
            f"--data={tmp_path}",
            "--skip-solomon",
            "--reference-seconds=1",
            "--reference-solvers=pyvrp",
            "--solvers=pyvrp",
            "--seconds=1",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    reference = json.loads((tmp_path / "manifest.json").read_text())["instances"][0]["reference"]
    assert reference["solver"] == "pyvrp" and reference["seconds"] == 1 and reference["vehicles"] >= 3
    assert f"C2-00: reference {reference['distance']:.2f} by pyvrp" in run.stdout
    assert "generated held-out instances, gap to the reference" in run.stdout
    summary = next(line for line in run.stdout.splitlines() if line.strip().startswith("C2   mean"))
    assert "within 1 %:" in summary and "infeasible or none: 0" in summary
