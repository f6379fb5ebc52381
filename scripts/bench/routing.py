#!/usr/bin/env python
"""Routing quality on the Solomon instances: feasibility and gap to the best-known distance.

    .venv/bin/python scripts/bench/optimization.py [--seconds 10] [--instances DIR] [--bks FILE]

Runs `manage.py dispatch_solve_benchmark` (the production solver) on every instance, checks each
result with the independent checker, and prints a table with the mean gap.
"""

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--instances", default=str(ROOT.parent / "shared/bench/instances/solomon"))
    parser.add_argument("--bks", default=str(ROOT.parent / "shared/bench/instances/bks.csv"))
    args = parser.parse_args()

    from apps.dispatch import optimization

    bks = {row["instance"]: float(row["bks_distance"]) for row in csv.DictReader(open(args.bks))}
    gaps = []
    columns = ("instance", "feasible", "vehicles", "distance", "best known", "gap %", "seconds")
    print("{:<8} {:<9} {:>8} {:>10} {:>10} {:>7} {:>7}".format(*columns))
    for path in sorted(Path(args.instances).glob("*.txt")):
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
        problem = optimization.read_solomon(path.read_text(), name=path.stem)
        distance, errors = optimization.check(problem, tuple(tuple(r) for r in result["routes"]))
        best = bks.get(path.stem)
        gap = (distance / best - 1) * 100 if best else float("nan")
        if not errors:
            gaps.append(gap)
        print(
            f"{path.stem:<8} {'yes' if not errors else 'NO':<9} {result['vehicles']:>8} {distance:>10.2f} "
            f"{best or float('nan'):>10.2f} {gap:>7.2f} {result['seconds']:>7.1f}"
            + (f"  {errors[:2]}" if errors else "")
        )
    if gaps:
        print(f"mean gap over {len(gaps)} feasible instance(s): {sum(gaps) / len(gaps):.2f}%")


if __name__ == "__main__":
    main()
