#!/usr/bin/env python
"""Routing quality on the Solomon instances: feasibility and gap to the best-known distance.

    .venv/bin/python scripts/bench/routing.py [--seconds 10] [--runs 1] [--instances DIR] [--bks FILE]

Runs `manage.py dispatch_solve_benchmark` (the production solver) on every instance, checks each
result with the independent checker, and prints a table with the mean gap. The search is cut by wall
time, so on a shared machine each run depends on the load: with --runs N it runs all instances N times,
prints the load average before each run, and ends with the median gap per instance and their mean.
"""

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def run_once(args, bks) -> dict[str, float | None]:
    from apps.dispatch.optimization import solomon

    gaps: dict[str, float | None] = {}
    columns = ("instance", "feasible", "vehicles", "distance", "best known", "gap %", "seconds")
    print("{:<8} {:<9} {:>8} {:>10} {:>10} {:>7} {:>7}".format(*columns))
    for path in sorted(Path(args.instances).glob("*.txt")):
        gaps[path.stem] = None
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            run = subprocess.run(
                [
                    sys.executable,
                    "manage.py",
                    "dispatch_solve_benchmark",
                    "--instance",
                    str(path),
                    "--seconds",
                    str(args.seconds),
                    "--output",
                    out.name,
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            if run.returncode != 0:
                print(f"{path.stem:<8} {'no':<9} {run.stderr.strip()[-80:]}")
                continue
            result = json.loads(Path(out.name).read_text())
        problem = solomon.read_solomon(path.read_text(), name=path.stem)
        distance, errors = solomon.check(problem, tuple(tuple(r) for r in result["routes"]))
        best = bks.get(path.stem)
        gap = (distance / best - 1) * 100 if best else float("nan")
        if not errors:
            gaps[path.stem] = gap
        print(
            f"{path.stem:<8} {'yes' if not errors else 'NO':<9} {result['vehicles']:>8} {distance:>10.2f} "
            f"{best or float('nan'):>10.2f} {gap:>7.2f} {result['seconds']:>7.1f}"
            + (f"  {errors[:2]}" if errors else "")
        )
    feasible = [g for g in gaps.values() if g is not None]
    if feasible:
        print(f"mean gap over {len(feasible)} feasible instance(s): {sum(feasible) / len(feasible):.2f}%")
    return gaps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--instances", default=str(ROOT.parent / "shared/bench/instances/solomon"))
    parser.add_argument("--bks", default=str(ROOT.parent / "shared/bench/instances/bks.csv"))
    args = parser.parse_args()

    bks = {row["instance"]: float(row["bks_distance"]) for row in csv.DictReader(open(args.bks))}
    runs, loads = [], []
    for n in range(args.runs):
        loads.append(os.getloadavg()[0])
        print(f"run {n + 1} of {args.runs}, load average {loads[-1]:.2f}")
        runs.append(run_once(args, bks))
    if args.runs > 1:
        print(f"\nmedian over {args.runs} runs (load average before each run: {', '.join(f'{x:.1f}' for x in loads)})")
        medians = []
        for name in runs[0]:
            gaps = [r[name] for r in runs]
            if any(g is None for g in gaps):
                print(f"{name:<8} infeasible in {sum(g is None for g in gaps)} run(s)")
                continue
            medians.append(statistics.median(gaps))
            print(f"{name:<8} {medians[-1]:>6.2f} %   runs: {' '.join(f'{g:.2f}' for g in gaps)}")
        if medians:
            print(f"mean of the medians over {len(medians)} instance(s): {sum(medians) / len(medians):.2f}%")


if __name__ == "__main__":
    main()
