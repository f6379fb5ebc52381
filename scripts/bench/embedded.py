#!/usr/bin/env python
"""The embedded default, this checkout against an earlier commit: has anything got slower for someone who runs
`scripts/run.sh` (SQLite, the in-memory channel layer, jobs and the outbox relay in the web process)?

    .venv/bin/python scripts/bench/embedded.py --against 814b1f5     # the commit before issue 19's work
    [--rounds 4] [--runs 100] [--requests 300] [--clients 10] [--only list --only book]

Each side is served as scripts/run.sh serves it (config.settings.dev with its defaults, uvicorn, no simulator):
a fresh var directory, `migrate`, then `seed_demo` with the same seed, so both hold the same demo operator. The other
commit runs from a detached git worktree of it (removed afterwards) with this checkout's virtualenv and front-end
packages. Only the user throttle is raised (THROTTLE_USER) and tokens last the run (JWT_ACCESS_MINUTES), on
both. The calls are the API benchmark's (scripts/bench/api.py): the demo customer with the most trips, a driver of
the Berlin fleet on shift, its dispatcher and manager. Each call is measured on both servers in turn, --rounds
times, the order reversed every other round, so the machine's load falls on both alike.

Printed per call, medians over rounds: single-client p50 and p95, requests/s with --clients at once and the server's
CPU per request, each side's as a ratio to its own /healthz, and this checkout's CPU per request against the other's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import types
from pathlib import Path

from _fleet import ROOT, asgi_server, worktree
from api import compare_report, interleaved

SEED = 7

# Who signs in, read from the seeded demo by the side's own Django (the models' fields used here are the same on
# both sides): printed as one JSON line.
CAST = """
import json
from django.db.models import Count
from apps.fleet.models import Fleet
from apps.identity.models import Membership, User
from apps.partner.models import DriverProfile
from apps.trips.models import Shift, Trip
from config.demo.plans import DEFAULT_PASSWORD
fleet = Fleet.objects.get(name="Spree Kurier")
members = {m.user_id: m for m in Membership.objects.filter(fleet_id=fleet.id).select_related("user")}
on_shift = set(Shift.objects.filter(fleet_id=fleet.id, status="started").values_list("driver_id", flat=True))
on_shift |= set(DriverProfile.objects.filter(id__in=on_shift).values_list("user_id", flat=True))
driver = sorted(members[d].user.email for d in on_shift if d in members)[0]
busiest = (Trip.objects.filter(fleet_id=fleet.id, status="completed").values("customer_id")
           .annotate(n=Count("id")).order_by("-n", "customer_id")[0]["customer_id"])
by_role = lambda role: sorted(m.user.email for m in members.values() if m.role == role)[0]
print(json.dumps({
    "fleet_id": str(fleet.id), "lat": fleet.service_center_lat, "lng": fleet.service_center_lng,
    "customer": User.objects.get(id=busiest).email, "driver": driver,
    "dispatcher": by_role("dispatcher"), "manager": by_role("fleet_manager"),
    "trip_id": str(Trip.objects.filter(customer_id=busiest, status="completed").latest("created_at").id),
    "password": DEFAULT_PASSWORD,
}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", required=True, help="the commit to compare with (any git revision)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--runs", type=int, default=100, help="single-client requests per call and round")
    parser.add_argument("--requests", type=int, default=300, help="requests per call and round, --clients at once")
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--only", action="append", default=[], help="calls whose name contains this (repeatable)")
    args = parser.parse_args()

    with contextlib.ExitStack() as stack:
        other = stack.enter_context(worktree(args.against))
        sides = {f"{args.against}": other, "this": ROOT}
        servers, who = {}, {}
        for name, tree in sides.items():
            env = embedded_env(Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lt-embedded-"))))
            who[name] = seed(tree, env)
            base, server = stack.enter_context(asgi_server(env, workers=1, log_name=f"embedded-{name}", cwd=tree))
            servers[name] = (base, server.pid)
            print(f"{name}: {tree} serving on {base}", flush=True)
        runs, _ = asyncio.run(interleaved(args, servers, who, rounds=args.rounds, https=False))
    compare_report(runs, list(sides), args, what="the embedded default")


def embedded_env(var_dir: Path) -> dict[str, str]:
    """scripts/run.sh's environment: the dev settings' defaults, no service URLs; its own var directory."""
    env = {k: v for k, v in os.environ.items() if not k.endswith(("DATABASE_URL", "REDIS_URL")) and k != "DEBUG"}
    env = {k: v for k, v in env.items() if not k.startswith(("DJANGO_", "OUTBOX_", "OTEL_", "DATABASE_URL_"))}
    return env | {
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "LOGITRACK_VAR_DIR": str(var_dir),
        "THROTTLE_USER": "1000000/min",
        "JWT_ACCESS_MINUTES": "240",  # the run's tokens outlive it (the default is 5 minutes)
        "LOG_LEVEL": "WARNING",
    }


def seed(tree: Path, env: dict[str, str]) -> dict:
    python = [sys.executable, "manage.py"]
    subprocess.run([*python, "migrate", "--no-input", "-v", "0"], cwd=tree, env=env, check=True)
    subprocess.run(  # its mails are printed (the console backend): not wanted here
        [*python, "seed_demo", "--quiet", "--seed", str(SEED)], cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL
    )
    out = subprocess.run([*python, "shell", "-c", CAST], cwd=tree, env=env, capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"reading the demo's users in {tree} failed:\n{out.stderr}")
    cast = json.loads(out.stdout.strip().splitlines()[-1])
    fleet = types.SimpleNamespace(id=cast.pop("fleet_id"), service_center_lat=cast.pop("lat"))
    fleet.service_center_lng = cast.pop("lng")
    return cast | {"fleet": fleet}


if __name__ == "__main__":
    main()
