"""Shared set-up for the dispatch benchmarks: a fresh bench database and Redis database, and a fleet with
many drivers on duty, written in bulk (the benchmarks measure dispatch, not onboarding)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

BENCH_DB = os.environ.get("BENCH_DATABASE", "logitrack_bench")  # another name lets benches run side by side


def configure(*, redis_db: int = 3) -> dict[str, str]:
    """Point this process at the bench database and Redis database; returns the env for child processes."""
    base = os.environ.get("DATABASE_URL", "postgres://logitrack:logitrack@127.0.0.1:5432/logitrack")
    redis_base = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/1").rsplit("/", 1)[0]
    env = {
        "DATABASE_URL": base.rsplit("/", 1)[0] + "/" + BENCH_DB,
        "REDIS_URL": f"{redis_base}/{redis_db}",
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DJANGO_DEBUG": "false",  # no query log
        "LOG_LEVEL": "WARNING",
        "JWT_ACCESS_MINUTES": "240",
        "THROTTLE_USER": "1000000/min",
    }
    os.environ.update(env)
    import psycopg
    import redis

    admin = psycopg.connect(base, autocommit=True)
    admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    admin.execute(f"CREATE DATABASE {BENCH_DB}")
    admin.close()
    redis.Redis.from_url(env["REDIS_URL"]).flushdb()

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return {**os.environ, **env}


def fleet_with_drivers(n: int, *, center=(52.52, 13.405), spread_deg=0.15, shifts: bool = False, seed: int = 7):
    """An active fleet and `n` compliant drivers on duty (with vans and open shifts if asked); returns
    (fleet, dispatcher user, [(user, driver profile id, lat, lng)])."""
    import random

    from apps.fleet.tests.factories import active_fleet
    from apps.identity.models import Membership, User
    from apps.partner.models import DriverProfile

    rng = random.Random(seed)
    fleet = active_fleet(service_center_lat=center[0], service_center_lng=center[1], service_radius_m=30_000)
    dispatcher = User.objects.create_user(
        email=f"dispatcher.{seed}@bench.test", password="x" * 12, display_name="Dispatch"
    )
    Membership.objects.create(user=dispatcher, fleet_id=fleet.id, role="dispatcher")
    users = [User(email=f"d{i}.{seed}@bench.test", display_name=f"Driver {i}") for i in range(n)]
    User.objects.bulk_create(users, batch_size=5000)
    Membership.objects.bulk_create(
        [Membership(user=u, fleet_id=fleet.id, role="driver") for u in users], batch_size=5000
    )
    profiles = [
        DriverProfile(
            user_id=u.id,
            fleet_id=fleet.id,
            display_name=u.display_name,
            compliance_status="compliant",
            duty_status="on_duty",
            licence_classes="B",
        )
        for u in users
    ]
    DriverProfile.objects.bulk_create(profiles, batch_size=5000)
    if shifts:
        _vans_and_shifts(fleet, profiles, seed)
    placed = [
        (u, p.id, center[0] + rng.uniform(-spread_deg, spread_deg), center[1] + rng.uniform(-spread_deg, spread_deg))
        for u, p in zip(users, profiles, strict=True)
    ]
    return fleet, dispatcher, placed


def _vans_and_shifts(fleet, profiles, seed) -> None:
    """One van and one started shift per driver. Vans are polymorphic (two tables), which bulk_create cannot
    write, so the base rows go in with bulk_create and the van rows with one INSERT per batch."""
    import datetime as dt

    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.utils import timezone

    from apps.fleet.models import Van, Vehicle
    from apps.trips.models import Shift

    van_type = ContentType.objects.get_for_model(Van)
    vehicles = [
        Vehicle(
            fleet_id=fleet.id,
            registration=f"B{seed}N{i}",
            registration_country="DE",
            make="Ford",
            model="Transit",
            year=2022,
            capacity_kg=1000,
            seats=2,
            status="active",
            polymorphic_ctype=van_type,
        )
        for i in range(len(profiles))
    ]
    Vehicle.objects.bulk_create(vehicles, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {Van._meta.db_table} (vehicle_ptr_id, tail_lift, refrigerated) VALUES (%s, false, false)",
            [(v.id,) for v in vehicles],
        )
    now = timezone.now()
    Shift.objects.bulk_create(
        [
            Shift(
                fleet_id=fleet.id,
                driver_id=p.id,
                vehicle_id=v.id,
                status="started",
                starts_at=now - dt.timedelta(hours=1),
                ends_at=now + dt.timedelta(hours=8),
            )
            for p, v in zip(profiles, vehicles, strict=True)
        ],
        batch_size=5000,
    )


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else float("nan")


@contextlib.contextmanager
def asgi_server(
    env: dict[str, str], *, workers: int, log_name: str, ws_deflate: bool = False, ws: str = "auto", cwd: Path = ROOT
):
    """uvicorn serving config.asgi of the checkout at `cwd` on a free port in its own process group, healthy before
    this yields (base URL, process); stopped with all its workers afterwards. Its log:
    var/bench-<log_name>-server.log of this checkout."""
    import requests

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    log_path = ROOT / "var" / f"bench-{log_name}-server.log"
    log_path.parent.mkdir(exist_ok=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--lifespan", "off", "--no-access-log",
         "--ws-per-message-deflate", "true" if ws_deflate else "false", "--ws", ws, "--log-level", "warning"],
        cwd=cwd, env=env, stdout=open(log_path, "w"), stderr=subprocess.STDOUT,
        start_new_session=True,  # its workers are stopped with it, never left behind
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        server.log_path = log_path  # type: ignore[attr-defined]
        yield base, server
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:  # connections still draining: enough
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@contextlib.contextmanager
def worktree(revision: str):
    """A detached worktree of `revision` sharing this checkout's .venv and node_modules; removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="lt-against-")) / "tree"
    subprocess.run(["git", "worktree", "add", "-q", "--detach", str(path), revision], cwd=ROOT, check=True)
    try:
        for shared in (".venv", "node_modules"):
            (path / shared).symlink_to(ROOT / shared)
        yield path
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT, check=False)
