import json
import os
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.dispatch.optimization import solomon


class Command(BaseCommand):
    help = (
        "Solve a Solomon VRPTW instance with the production routing solver within S seconds of wall time "
        "(both cores) and write the routes, distance and vehicle count as JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("--instance", required=True, help="path to a Solomon-format instance")
        parser.add_argument("--seconds", type=float, required=True)
        parser.add_argument("--output", required=True, help="where to write the JSON result")
        parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
        parser.add_argument(
            "--solver",
            choices=solomon.SOLVERS,
            default="portfolio",
            help="portfolio (what routing jobs run, default), ortools alone, or pyvrp alone on one core",
        )

    def handle(self, *args, instance, seconds, output, workers, solver, **options):
        if seconds <= 0:
            raise CommandError("--seconds must be positive")
        try:
            text = Path(instance).read_text()
            problem = solomon.read_solomon(text, name=Path(instance).stem)
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        started = time.monotonic()
        solution = solomon.solve(problem, seconds=seconds, workers=workers, solver=solver)
        elapsed = time.monotonic() - started
        if solution is None:
            raise CommandError(f"no feasible solution for {problem.name} within {seconds:g}s")
        result = {
            "instance": problem.name,
            "routes": [list(r) for r in solution.routes],
            "distance": round(solution.distance, 2),
            "vehicles": len(solution.routes),
            "seconds": round(elapsed, 2),
            "solver": solution.solver,
        }
        Path(output).write_text(json.dumps(result) + "\n")
        self.stdout.write(
            f"{problem.name}: distance {result['distance']} with {result['vehicles']} vehicles in {result['seconds']}s "
            f"({solution.solver}: {solution.strategy})"
        )
