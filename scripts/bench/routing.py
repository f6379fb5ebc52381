#!/usr/bin/env python
"""Routing quality on the Solomon instances: feasibility and gap to the best-known distance, solvers side by side.

    .venv/bin/python scripts/bench/routing.py [--seconds 10] [--runs 1] [--solvers ortools,portfolio,pyvrp]
                                              [--instances DIR] [--bks FILE]

Runs `manage.py dispatch_solve_benchmark --solver S` on every instance for each solver, checks each result with
the independent checker, and prints one row per instance with every solver's gap, then per solver and class (C1,
R1, RC2, ...) the mean and worst gap and the share of instances within 1 %. Solvers: `ortools` (ours, OR-Tools
alone, both cores), `portfolio` (ours as routing jobs run it: PyVRP on one core beside OR-Tools on the other, the
shorter checked plan kept), `pyvrp` (PyVRP alone on one core for the whole time, on the same model). The search is
cut by wall time, so on a shared machine each run depends on the load: with --runs N it runs all instances N times,
prints the load average before each run, and ends with the median gap per instance and solver.
"""

import argparse
import csv
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
SOLVERS = ("ortools", "portfolio", "pyvrp")


def solve_one(path: Path, solver: str, seconds: float, bks: dict[str, float]) -> tuple[float | None, str]:
    """The gap of one solver's checked plan (None: none or infeasible) and a short note."""
    from apps.dispatch.optimization import solomon

    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        run = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "dispatch_solve_benchmark",
                "--instance",
                str(path),
                "--seconds",
                str(seconds),
                "--solver",
                solver,
                "--output",
                out.name,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            return None, run.stderr.strip()[-60:]
        result = json.loads(Path(out.name).read_text())
    problem = solomon.read_solomon(path.read_text(), name=path.stem)
    distance, errors = solomon.check(problem, tuple(tuple(r) for r in result["routes"]))
    if errors:
        return None, f"INFEASIBLE {errors[0][:50]}"
    best = bks.get(path.stem)
    gap = (distance / best - 1) * 100 if best else math.nan
    return gap, f"{result['vehicles']} veh {result['seconds']:.1f}s {result.get('solver', '')}"


def run_once(args, bks) -> dict[str, dict[str, float | None]]:
    gaps: dict[str, dict[str, float | None]] = {}
    print(f"{'instance':<8} " + " ".join(f"{s + ' gap %':>15}" for s in args.solvers) + "   notes")
    for path in sorted(Path(args.instances).glob("*.txt")):
        row, notes = {}, []
        for solver in args.solvers:
            row[solver], note = solve_one(path, solver, args.seconds, bks)
            notes.append(f"{solver}: {note}")
        gaps[path.stem] = row
        cells = " ".join(f"{g:>15.2f}" if g is not None else f"{'none':>15}" for g in row.values())
        print(f"{path.stem:<8} {cells}   {'; '.join(notes)}", flush=True)
    summarise(gaps, args.solvers)
    return gaps


def family(name: str) -> str:
    """C101 -> C1, RC208 -> RC2."""
    match = re.match(r"([A-Z]+)(\d)", name)
    return match.group(1) + match.group(2) if match else name


def summarise(gaps: dict[str, dict[str, float | None]], solvers) -> None:
    classes = sorted({family(n) for n in gaps})
    for solver in solvers:
        print(f"{solver}:")
        for cls in [*classes, "all"]:
            values = [r[solver] for n, r in gaps.items() if cls in ("all", family(n))]
            feasible = [g for g in values if g is not None]
            if not feasible:
                print(f"  {cls:<4} no feasible plan in {len(values)}")
                continue
            within = sum(g <= 1.0 for g in feasible)
            print(
                f"  {cls:<4} mean {statistics.mean(feasible):6.2f} %  worst {max(feasible):6.2f} %  "
                f"within 1 %: {within}/{len(values)}  infeasible or none: {len(values) - len(feasible)}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--solvers", default=",".join(SOLVERS), help=f"comma-separated, of {', '.join(SOLVERS)}")
    parser.add_argument("--instances", default=str(ROOT.parent / "shared/bench/instances/solomon"))
    parser.add_argument("--bks", default=str(ROOT.parent / "shared/bench/instances/bks.csv"))
    args = parser.parse_args()
    args.solvers = [s.strip() for s in args.solvers.split(",") if s.strip()]
    if not args.solvers or set(args.solvers) - set(SOLVERS):
        parser.error(f"--solvers takes some of {', '.join(SOLVERS)}")

    bks = {row["instance"]: float(row["bks_distance"]) for row in csv.DictReader(open(args.bks))}
    runs, loads = [], []
    for n in range(args.runs):
        loads.append(os.getloadavg()[0])
        print(f"run {n + 1} of {args.runs}, load average {loads[-1]:.2f}")
        runs.append(run_once(args, bks))
    if args.runs > 1:
        print(f"\nmedian over {args.runs} runs (load average before each run: {', '.join(f'{x:.1f}' for x in loads)})")
        medians: dict[str, dict[str, float | None]] = {}
        for name in runs[0]:
            medians[name] = {}
            for solver in args.solvers:
                values = [r[name][solver] for r in runs]
                found = [g for g in values if g is not None]
                medians[name][solver] = statistics.median(found) if len(found) == len(values) else None
            print(
                f"{name:<8} "
                + " ".join(
                    f"{solver} {g:.2f}" if g is not None else f"{solver} none" for solver, g in medians[name].items()
                )
            )
        summarise(medians, args.solvers)


if __name__ == "__main__":
    main()
