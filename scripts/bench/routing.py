#!/usr/bin/env python
"""Routing quality on Solomon and generated held-out instances: feasibility, gap, vehicles, solvers side by side.

    .venv/bin/python scripts/bench/routing.py [--seconds 10] [--runs 1] [--solvers ortools,portfolio,pyvrp]
                                              [--instances DIR] [--bks FILE]
                                              [--generated N [--classes R1,C2,...] [--seed 1] [--data DIR]
                                               [--reference-seconds 60 [--reference-solvers pyvrp,ortools]]
                                               [--skip-solomon]]

Runs `manage.py dispatch_solve_benchmark --solver S` on every instance for each solver, checks each result with
the independent checker, and prints one row per instance with every solver's gap and vehicles, then per solver and
class (C1, R1, RC2, ...) the mean and worst gap, the share of instances within 1 % and the mean vehicle count.
Solvers: `ortools` (ours, OR-Tools alone, both cores), `portfolio` (ours as routing jobs run it: PyVRP on one core
beside OR-Tools on the other, the shorter checked plan kept), `pyvrp` (PyVRP alone on one core for the whole time,
on the same model). The search is cut by wall time, so on a shared machine each run depends on the load: with
--runs N it runs all instances N times, prints the load average before each run, and ends with the median gap per
instance and solver.

The six Solomon instances are measured against their best-known distances. `--generated N` adds N held-out
instances per class from scripts/bench/solomon_like.py (generated into var/bench/solomon_like/seed-<seed>/ unless
--data says otherwise; the same seed gives the same files), measured against a reference per instance: the
shortest checked plan that any of --reference-solvers found in a long run. `--reference-seconds S` computes the
references missing (or computed with less time) before the benchmark and stores them in the data folder's
manifest, so one command from a clean checkout is `routing.py --generated 4 --reference-seconds 60`.
"""

import argparse
import csv
import dataclasses
import datetime
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from scripts.bench import solomon_like  # noqa: E402  (after the path is set)

SOLVERS = ("ortools", "portfolio", "pyvrp")


@dataclasses.dataclass(frozen=True)
class Case:
    path: Path
    best: float | None  # best-known (Solomon) or reference (generated) distance; None: not known
    group: str  # "solomon" or "generated"
    best_vehicles: int | None = None  # the reference plan's vehicles (generated instances)


@dataclasses.dataclass(frozen=True)
class Run:
    """One solver's plan, re-checked: distance and routes, or None when it found none or an infeasible one."""

    distance: float | None
    routes: tuple[tuple[int, ...], ...]
    note: str


@dataclasses.dataclass(frozen=True)
class Result:
    gap: float | None  # % above the best known or reference; None: no feasible plan
    vehicles: int | None


def solve_one(path: Path, solver: str, seconds: float) -> Run:
    """One solver on one instance through the production command, its plan checked by the independent checker."""
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
            return Run(None, (), run.stderr.strip()[-60:])
        result = json.loads(Path(out.name).read_text())
    problem = solomon.read_solomon(path.read_text(), name=path.stem)
    routes = tuple(tuple(r) for r in result["routes"])
    distance, errors = solomon.check(problem, routes)
    if errors:
        return Run(None, (), f"INFEASIBLE {errors[0][:50]}")
    return Run(distance, routes, f"{len(routes)} veh {result['seconds']:.1f}s {result.get('solver', '')}")


def gap_of(run: Run, best: float | None) -> Result:
    if run.distance is None:
        return Result(None, None)
    return Result((run.distance / best - 1) * 100 if best else math.nan, len(run.routes))


def run_once(args, cases: list[Case]) -> dict[str, dict[str, Result]]:
    results: dict[str, dict[str, Result]] = {}
    print(f"{'instance':<8} " + " ".join(f"{s + ' gap % (veh)':>22}" for s in args.solvers) + "   notes")
    for case in cases:
        row, notes = {}, []
        for solver in args.solvers:
            run = solve_one(case.path, solver, args.seconds)
            row[solver] = gap_of(run, case.best)
            notes.append(f"{solver}: {run.note}")
        results[case.path.stem] = row
        cells = " ".join(f"{cell(r):>22}" for r in row.values())
        print(f"{case.path.stem:<8} {cells}   {'; '.join(notes)}", flush=True)
    summarise(results, args.solvers, cases)
    return results


def cell(r: Result) -> str:
    if r.gap is None:
        return "none"
    return f"{r.gap:.2f} ({r.vehicles})" if r.vehicles is not None else f"{r.gap:.2f}"


def family(name: str) -> str:
    """C101 -> C1, RC208 -> RC2, RC2-03 -> RC2."""
    match = re.match(r"([A-Z]+)(\d)", name)
    return match.group(1) + match.group(2) if match else name


GROUP_TITLES = {
    "solomon": "Solomon instances, gap to the best-known distance",
    "generated": "generated held-out instances, gap to the reference (best of a long run)",
}


def summarise(results: dict[str, dict[str, Result]], solvers, cases: list[Case]) -> None:
    for group in ("solomon", "generated"):
        names = [c.path.stem for c in cases if c.group == group and c.path.stem in results]
        if not names:
            continue
        print(f"\n{GROUP_TITLES[group]}:")
        classes = sorted({family(n) for n in names})
        if group == "generated":
            for cls in [*classes, "all"]:
                counts = [c.best_vehicles for c in cases if c.group == group and cls in ("all", family(c.path.stem))]
                known = [v for v in counts if v is not None]
                if known:
                    print(
                        f"  reference {cls:<4} vehicles {statistics.mean(known):5.1f} ({len(known)} of {len(counts)})"
                    )
        for solver in solvers:
            print(f"{solver}:")
            for cls in [*classes, "all"]:
                rows = [results[n][solver] for n in names if cls in ("all", family(n))]
                feasible = [r for r in rows if r.gap is not None]
                if not feasible:
                    print(f"  {cls:<4} no feasible plan in {len(rows)}")
                    continue
                gaps = [r.gap for r in feasible if r.gap is not None and not math.isnan(r.gap)]
                vehicles = statistics.mean(r.vehicles for r in feasible if r.vehicles is not None)
                if not gaps:
                    print(f"  {cls:<4} no reference to compare with  vehicles {vehicles:5.1f}")
                    continue
                within = sum(g <= 1.0 for g in gaps)
                print(
                    f"  {cls:<4} mean {statistics.mean(gaps):6.2f} %  worst {max(gaps):6.2f} %  "
                    f"within 1 %: {within}/{len(rows)}  infeasible or none: {len(rows) - len(feasible)}  "
                    f"vehicles {vehicles:5.1f}"
                )


def solomon_cases(args) -> list[Case]:
    bks = {row["instance"]: float(row["bks_distance"]) for row in csv.DictReader(open(args.bks))}
    return [Case(path, bks.get(path.stem), "solomon") for path in sorted(Path(args.instances).glob("*.txt"))]


def generated_set(args) -> tuple[Path, dict, list[dict]]:
    """The data folder, its manifest and the entries of the classes and count asked for (generated if missing)."""
    folder = Path(args.data) if args.data else solomon_like.default_folder(args.seed)
    manifest = solomon_like.write_set(folder, args.classes, args.generated, args.seed)
    chosen = [e for e in manifest["instances"] if e["class"] in args.classes and e["index"] < args.generated]
    return folder, manifest, chosen


def checked_reference(folder: Path, entry: dict) -> float | None:
    """The stored reference, re-checked against the file (a stale or edited one is not used)."""
    from apps.dispatch.optimization import solomon

    ref = entry.get("reference")
    if not ref:
        return None
    problem = solomon.read_solomon((folder / entry["file"]).read_text(), name=entry["name"])
    distance, errors = solomon.check(problem, tuple(tuple(r) for r in ref["routes"]))
    if errors or abs(distance - ref["distance"]) > 1e-3:
        print(f"{entry['name']}: stored reference does not check ({errors[:1] or distance}); not used")
        return None
    return distance


def compute_references(args, folder: Path, manifest: dict, chosen: list[dict]) -> None:
    """The reference of each chosen instance that has none (or one from a shorter run): every reference solver for
    --reference-seconds, the shortest checked plan kept with how it was found. Saved after each instance."""
    by_name = {e["name"]: e for e in manifest["instances"]}
    for entry in chosen:
        old = entry.get("reference")
        if old and old["seconds"] >= args.reference_seconds and checked_reference(folder, entry) is not None:
            continue
        load = os.getloadavg()[0]
        runs = {s: solve_one(folder / entry["file"], s, args.reference_seconds) for s in args.reference_solvers}
        found = {s: r for s, r in runs.items() if r.distance is not None}
        if old and checked_reference(folder, entry) is not None:  # a longer run never loses a shorter plan
            found["previous reference"] = Run(old["distance"], tuple(tuple(r) for r in old["routes"]), "")
        line = ", ".join(f"{s} {r.distance:.2f}" if r.distance is not None else f"{s} none" for s, r in runs.items())
        if not found:
            print(f"{entry['name']}: no solver found a feasible plan ({line})", flush=True)
            continue
        solver, best = min(found.items(), key=lambda item: item[1].distance or math.inf)
        assert best.distance is not None
        by_name[entry["name"]]["reference"] = {
            "distance": round(best.distance, 6),
            "vehicles": len(best.routes),
            "solver": solver,
            "seconds": args.reference_seconds,
            "runs": {s: (round(r.distance, 6) if r.distance is not None else None) for s, r in runs.items()},
            "how": f"each of {', '.join(args.reference_solvers)} through manage.py dispatch_solve_benchmark for "
            f"{args.reference_seconds:g} s; the shortest plan the checker accepts",
            "load_average_before": round(load, 2),
            "machine": f"{platform.node()} ({os.cpu_count()} CPUs)",
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "routes": [list(r) for r in best.routes],
        }
        solomon_like.save_manifest(folder, manifest)
        print(f"{entry['name']}: reference {best.distance:.2f} by {solver} ({line})", flush=True)


def medians(runs: list[dict[str, dict[str, Result]]], solvers) -> dict[str, dict[str, Result]]:
    out: dict[str, dict[str, Result]] = {}
    for name in runs[0]:
        out[name] = {}
        for solver in solvers:
            rows = [r[name][solver] for r in runs]
            found = [r for r in rows if r.gap is not None]
            if len(found) < len(rows):
                out[name][solver] = Result(None, None)
                continue
            out[name][solver] = Result(
                statistics.median(r.gap for r in found if r.gap is not None),
                round(statistics.median(r.vehicles for r in found if r.vehicles is not None)),
            )
        print(f"{name:<8} " + " ".join(f"{solver} {cell(r)}" for solver, r in out[name].items()))
    return out


def solvers_arg(parser, text: str, flag: str) -> list[str]:
    solvers = [s.strip() for s in text.split(",") if s.strip()]
    if not solvers or set(solvers) - set(SOLVERS):
        parser.error(f"{flag} takes some of {', '.join(SOLVERS)}")
    return solvers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--solvers", default=",".join(SOLVERS), help=f"comma-separated, of {', '.join(SOLVERS)}")
    parser.add_argument("--instances", default=str(ROOT.parent / "shared/bench/instances/solomon"))
    parser.add_argument("--bks", default=str(ROOT.parent / "shared/bench/instances/bks.csv"))
    parser.add_argument("--generated", type=int, default=0, help="held-out instances per class (0: none)")
    parser.add_argument("--classes", default=",".join(solomon_like.CLASSES), help="classes of the generated ones")
    parser.add_argument("--seed", type=int, default=1, help="the generator's seed")
    parser.add_argument("--data", help="folder of the generated set (default var/bench/solomon_like/seed-<seed>)")
    parser.add_argument("--reference-seconds", type=float, help="compute missing references with this much time")
    parser.add_argument("--reference-solvers", default="pyvrp,ortools")
    parser.add_argument("--skip-solomon", action="store_true", help="only the generated instances")
    args = parser.parse_args()
    args.solvers = solvers_arg(parser, args.solvers, "--solvers")
    args.reference_solvers = solvers_arg(parser, args.reference_solvers, "--reference-solvers")
    try:
        args.classes = solomon_like.parse_classes(args.classes)
    except ValueError as exc:
        parser.error(str(exc))
    if args.generated < 0 or (args.skip_solomon and not args.generated):
        parser.error("--generated N needs N >= 1 with --skip-solomon")
    if args.reference_seconds is not None and (args.reference_seconds <= 0 or not args.generated):
        parser.error("--reference-seconds needs a positive time and --generated N")

    cases = [] if args.skip_solomon else solomon_cases(args)
    if args.generated:
        folder, manifest, chosen = generated_set(args)
        print(f"generated set: {folder} (generator v{manifest['version']}, seed {manifest['seed']})")
        if args.reference_seconds:
            compute_references(args, folder, manifest, chosen)
        references = {e["name"]: checked_reference(folder, e) for e in chosen}
        missing = [n for n, ref in references.items() if ref is None]
        if missing:
            print(f"no reference yet for {', '.join(missing)}: gaps not shown; run with --reference-seconds 60")
        cases += [
            Case(
                folder / e["file"],
                references[e["name"]],
                "generated",
                e["reference"]["vehicles"] if references[e["name"]] is not None else None,
            )
            for e in chosen
        ]

    runs, loads = [], []
    for n in range(args.runs):
        loads.append(os.getloadavg()[0])
        print(f"\nrun {n + 1} of {args.runs}, load average {loads[-1]:.2f}")
        runs.append(run_once(args, cases))
    if args.runs > 1:
        print(f"\nmedian over {args.runs} runs (load average before each run: {', '.join(f'{x:.1f}' for x in loads)})")
        summarise(medians(runs, args.solvers), args.solvers, cases)


if __name__ == "__main__":
    main()
