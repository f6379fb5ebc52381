#!/usr/bin/env python
"""The REST API at a year of history: every hot read and write of the mobile apps, the dispatch screen and the
admin, one client at a time and with 50 at once, each as a ratio to the same server's /healthz in the same run.

One command, from a clean checkout (PostgreSQL and Redis running; PostgreSQL only: the history is written with COPY):

    .venv/bin/python scripts/bench/api.py                 # 1,000,000 trips: builds once (long), then measures
    .venv/bin/python scripts/bench/api.py --trips 20000   # a small run, to check the script

    [--fleets 4] [--drivers 60] [--customers 5000] [--days 365] [--seed 17] [--rebuild]
    [--runs 200] [--requests 1000] [--clients 50] [--workers 1] [--only detail --only book] [--redis-db 13]
    [--tracing-ratio 0.1 [--tracing-rounds 4]]   # untraced and traced servers side by side, calls alternating
    [--against REV [--rounds 4]]                 # another commit's server beside this checkout's, calls alternating

Data: its own database (BENCH_DATABASE, default logitrack_bench_api) on the PostgreSQL of DATABASE_URL. Built once
per size and seed and reused while its marker (the database's comment) matches: measuring again takes a minute.
Fleets in Berlin (EUR) and London (GBP) with compliant drivers on vans, a city tariff, a dispatcher and a manager
each; thousands of customers, one of them booking about a tenth of all trips (a business account); a year of
history written by config/demo/history.py (COPY, seeded: ended shifts, trips with two windowed stops, cancellations
and failures, fares priced by the fleet's tariff and settled on the ledger, which stays balanced), then in bulk SQL
each trip's timeline as the services write it, each fare's receipt with its number, and the overview's daily
tables; today, open trips on the fleets' running shifts. Writes during the measurement are repeatable: bookings
are new trips, which the transition then cancels (so the board does not grow); their events stay in the outbox
(the events' own path is another benchmark's).

Server: uvicorn config.asgi:application as the Procfile starts it, with config.settings.prod (DEBUG off, a random
secret key, HTTPS as behind the proxy: every request says X-Forwarded-Proto: https), Redis database --redis-db
(flushed), user throttling raised so 50 clients are not refused (it is still counted). Users sign in through the
API (a token each) and the manager through the login page (a session, for the admin's overview). With
--tracing-ratio, two servers side by side on the same data, one with tracing off and one tracing at that ratio
(OTEL_EXPORTER_OTLP_ENDPOINT, TRACING_SAMPLE_RATIO), exporting its spans over OTLP/HTTP to a receiver in this
process (logitrack.testing.otlp) that parses and counts them; each call is measured on both in alternating rounds
(--tracing-rounds), and printed: requests/s and server CPU per request, traced as a ratio to untraced.

Printed per call: single client p50 / p95 / p99 over --runs requests; with --clients concurrent clients (asyncio,
aiohttp, in this process: the load generator shares the machine) p50 / p95 / p99, requests/s over --requests
requests, and the server's CPU per request (user + system of its processes, /proc); each as a ratio to /healthz
measured the same way in the same run. Results go to docs/benchmarks.md with the machine and date.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from _fleet import ROOT, asgi_server, fleet_with_drivers, percentile, worktree
from ingestion import cpu_seconds

BENCH_DB = os.environ.get("BENCH_DATABASE", "logitrack_bench_api")
LAYOUT = 1  # bump when what the build writes changes: older databases are rebuilt
PASSWORD = "bench-password-1"
BERLIN, LONDON = (52.52, 13.405), (51.5074, -0.1278)
STREETS = (
    "Invalidenstraße", "Torstraße", "Oranienstraße", "Kastanienallee", "Friedrichstraße", "Karl-Marx-Allee",
    "Holborn", "Strand", "Whitechapel Road", "Camden High Street", "Oxford Street", "Borough High Street",
)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trips", type=int, default=1_000_000, help="trips over the whole history, all fleets")
    parser.add_argument("--fleets", type=int, default=4)
    parser.add_argument("--drivers", type=int, default=60, help="per fleet")
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--heavy-share", type=float, default=0.1, help="share of all trips booked by one customer")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--rebuild", action="store_true", help="build the history again even if the marker matches")
    parser.add_argument("--runs", type=int, default=200, help="single-client requests per call")
    parser.add_argument("--requests", type=int, default=1000, help="requests per call with --clients at once")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers (the Procfile runs one)")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="measure only the calls whose name contains this (repeatable; healthz, the floor, is always measured)",
    )
    parser.add_argument("--redis-db", type=int, default=13, help="the Redis database it may flush")
    parser.add_argument(
        "--tracing-ratio",
        type=float,
        default=None,
        help="compare a server tracing at this ratio (exporting to a local OTLP receiver) with one not tracing",
    )
    parser.add_argument("--tracing-rounds", type=int, default=4, help="with --tracing-ratio: rounds per call")
    parser.add_argument(
        "--against", help="a git revision served side by side with this checkout on the same data, calls alternating"
    )
    parser.add_argument("--rounds", type=int, default=4, help="with --against: rounds per call")
    args = parser.parse_args()

    started = time.perf_counter()
    env = prepare(args)
    print(f"database {BENCH_DB} ready in {time.perf_counter() - started:.0f} s: {describe()}", flush=True)
    who = cast()
    if args.against:
        compare_trees(args, env | {"OTEL_EXPORTER_OTLP_ENDPOINT": ""}, who)
    elif args.tracing_ratio is None:
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = ""  # tracing off, whatever this shell says
        with asgi_server(env, workers=args.workers, log_name="api") as (base, server):
            results = asyncio.run(measure(args, base, server.pid, who))
        report(results, args)
    else:
        compare_tracing(args, env, who)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


# ---- the database ---------------------------------------------------------------------------------------------------


def marker(args) -> str:
    return (
        f"logitrack api bench layout {LAYOUT}: trips={args.trips} fleets={args.fleets} drivers={args.drivers} "
        f"customers={args.customers} heavy={args.heavy_share} days={args.days} seed={args.seed}"
    )


def prepare(args) -> dict[str, str]:
    """Point this process at the bench database (built if its marker differs), migrated to this checkout; returns
    the web server's environment."""
    import psycopg
    import redis

    base = os.environ.get("DATABASE_URL", "postgres://logitrack:logitrack@127.0.0.1:5432/logitrack")
    if not base.startswith("postgres"):
        sys.exit("the API benchmark needs PostgreSQL (DATABASE_URL=postgres://...): the history is written with COPY")
    server_url = base.rsplit("/", 1)[0]
    bench_url = f"{server_url}/{BENCH_DB}"
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/1").rsplit("/", 1)[0] + f"/{args.redis_db}"
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as admin:
        row = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [BENCH_DB]
        ).fetchone()
        build = args.rebuild or row is None or row[0] != marker(args)
        if build:
            admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {BENCH_DB}")
    os.environ.update(
        DATABASE_URL=bench_url,
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DJANGO_DEBUG="false",  # no query log while writing
        LOG_LEVEL="WARNING",
    )
    os.environ.pop("REDIS_URL", None)  # building publishes nothing
    import django

    django.setup()
    from django.core.management import call_command

    from logitrack import jwks

    call_command("migrate", verbosity=0)  # a reused database gets this checkout's new migrations
    if build:
        build_history(args)
        with psycopg.connect(f"{server_url}/postgres", autocommit=True) as admin:
            admin.execute(f"COMMENT ON DATABASE {BENCH_DB} IS {psycopg.sql.quote(marker(args))}")
    redis.Redis.from_url(redis_url).flushdb()
    env = {
        **os.environ,
        "DATABASE_URL": bench_url,
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "JWT_SIGNING_KEY": jwks.Key.generate().private_pem(),  # production refuses the development key
        "EMAIL_HOST": "127.0.0.1",  # nothing is mailed during the run: no worker sends
        "LOGITRACK_APP_URL": "https://bench.logitrack.example",
        "LOG_LEVEL": "WARNING",
        "JWT_ACCESS_MINUTES": "240",
        "THROTTLE_USER": "1000000/min",
        "THROTTLE_AUTH": "1000/min",
    }
    # as a deployment does: the pinned front-end packages, then the static files with the manifest the admin's
    # pages need under production's storage (incremental after the first run)
    subprocess.run(["bash", "-c", ". scripts/lib.sh && ensure_npm"], cwd=ROOT, check=True)
    if static_stale():
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
        )
    return env


def static_stale() -> bool:
    """Whether collectstatic must run (two minutes: it compresses every file): no manifest yet, or a static file
    or the front-end packages changed since."""
    from django.conf import settings

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [ROOT / "node_modules" / ".installed-lock"]
    for folder in [ROOT / "logitrack" / "static", *ROOT.glob("apps/*/static"), *ROOT.glob("config/*/static")]:
        sources += [p for p in folder.rglob("*") if p.is_file()]
    return any(p.stat().st_mtime > built for p in sources if p.exists())


def describe() -> str:
    from django.db import connection

    found = []
    with connection.cursor() as cursor:
        for name, table in (
            ("trips", "trips_trip"),
            ("stops", "trips_stop"),
            ("timeline rows", "trips_triplogentry"),
            ("fares", "billing_farerecord"),
            ("postings", "billing_posting"),
            ("invoices", "billing_invoice"),
            ("shifts", "trips_shift"),
        ):
            cursor.execute(f"SELECT count(*) FROM {table}")
            found.append(f"{cursor.fetchone()[0]:,} {name}")
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        found.append(cursor.fetchone()[0])
    return ", ".join(found)


def build_history(args) -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.utils import timezone
    from screen import open_trips

    from apps.billing import selectors as billing_selectors
    from apps.billing.tests.factories import tariff
    from apps.fleet.models import Fleet
    from apps.identity.contracts import FleetRole
    from apps.identity.models import Membership, User
    from apps.identity.services import memberships
    from apps.partner.models import DriverProfile
    from apps.trips.models import Shift
    from config.demo import history

    started = time.perf_counter()
    password = make_password(PASSWORD)
    fleets = []
    for n in range(args.fleets):
        london = n % 2 == 1
        center = LONDON if london else BERLIN
        fleet, dispatcher, _placed = fleet_with_drivers(args.drivers, center=center, shifts=True, seed=args.seed + n)
        name = f"{'Thames' if london else 'Spree'} {n + 1}"
        changes = {"name": name} | (
            {"country": "GB", "currency": "GBP", "time_zone": "Europe/London"} if london else {}
        )
        Fleet.objects.filter(id=fleet.id).update(**changes)
        fleet.refresh_from_db()
        tariff(fleet_id=fleet.id, currency=fleet.currency, valid_from=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        manager = User.objects.create_user(
            email=f"manager.{n}@bench.test", password=PASSWORD, display_name=f"Manager {n + 1}"
        )
        memberships.membership_grant(
            user_id=manager.id, fleet_id=fleet.id, role=FleetRole.FLEET_MANAGER, granted_by_id=None
        )
        User.objects.filter(id=dispatcher.id).update(password=password)
        first_driver = Membership.objects.filter(fleet_id=fleet.id, role="driver").order_by("user__email")[0]
        User.objects.filter(id=first_driver.user_id).update(password=password)
        open_trips(fleet, dispatcher, args.drivers // 2, seed=args.seed + n)  # today: work under way
        crews = list(Shift.objects.filter(fleet_id=fleet.id).values_list("driver_id", "vehicle_id"))
        fleets.append((fleet, center, crews))
    customers = [
        User(
            email=f"customer{i}@bench.test",
            display_name=f"Customer {i}",
            is_customer=True,
            password=password if i == 0 else "!",
        )
        for i in range(args.customers)
    ]
    User.objects.bulk_create(customers, batch_size=5000)
    heavy = customers[0].id  # customer0@bench.test: a business account with a tenth of all trips
    share = max(0.0, min(args.heavy_share, 0.99))
    chosen = [c.id for c in customers] + [heavy] * round(share * len(customers) / (1 - share))
    print(f"fleets, {args.fleets * args.drivers} drivers and {len(customers)} customers in "
          f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip

    per_day = args.trips / (args.days * args.fleets * (5 + 2 * 0.55) / 7)  # weekends are quieter
    written, started = 0, time.perf_counter()
    for n, (fleet, center, crews) in enumerate(fleets):

        def address(rng, center=center):
            lat, lng = center[0] + rng.uniform(-0.08, 0.08), center[1] + rng.uniform(-0.12, 0.12)
            return f"{rng.choice(STREETS)} {rng.randint(1, 180)}", lat, lng

        today = timezone.now().astimezone(history.zone(fleet.time_zone)).date()
        city = billing_selectors.tariff_for(
            fleet_id=fleet.id, vehicle_type="van", service="delivery", at=timezone.now()
        )
        assert city is not None  # the tariff made above
        counts = history.write(
            fleet=history.FleetHistory(
                fleet_id=fleet.id,
                time_zone=fleet.time_zone,
                commission_bps=fleet.commission_bps,
                crews=[history.Crew(driver_id=d, vehicle_id=v, vehicle_type="van") for d, v in crews],
                customers=chosen,
                address=address,
                tariffs={("delivery", "van"): city},
            ),
            last_day=today - dt.timedelta(days=1),
            days=args.days,
            trips_per_day=round(per_day),
            rng=random.Random(f"{args.seed}-{n}"),
        )
        written += sum(v for k, v in counts.items() if k.startswith("trips "))
        elapsed = time.perf_counter() - started
        print(f"  fleet {n + 1}/{args.fleets}: {written:,} trips so far, {written / elapsed:,.0f} trips/s", flush=True)
    step = time.perf_counter()
    drivers = dict(DriverProfile.objects.values_list("id", "user_id"))
    dispatchers = dict(Membership.objects.filter(role="dispatcher").values_list("fleet_id", "user_id"))
    with connection.cursor() as cursor:
        timelines(cursor, drivers, dispatchers)
        print(f"timelines in {time.perf_counter() - step:.0f} s", flush=True)
        step = time.perf_counter()
        receipts(cursor, [fleet for fleet, _, _ in fleets])
        print(f"receipts in {time.perf_counter() - step:.0f} s", flush=True)
    step = time.perf_counter()
    history.rebuild_figures([fleet.id for fleet, _, _ in fleets])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would have after a year
    print(f"daily figures and statistics in {time.perf_counter() - step:.0f} s", flush=True)


def timelines(cursor, drivers: dict, dispatchers: dict) -> None:
    """Each historic trip's timeline as the services write it: booked by its customer, assigned by the fleet's
    dispatcher, started, picked up and completed by its driver (history wrote the cancellations and failures)."""
    cursor.execute("CREATE TEMP TABLE bench_driver (id uuid PRIMARY KEY, user_id uuid)")
    with cursor.copy("COPY bench_driver (id, user_id) FROM STDIN") as copy:
        for driver_id, user_id in drivers.items():
            copy.write_row((driver_id, user_id))
    cursor.execute("CREATE TEMP TABLE bench_dispatcher (fleet_id uuid PRIMARY KEY, user_id uuid)")
    with cursor.copy("COPY bench_dispatcher (fleet_id, user_id) FROM STDIN") as copy:
        for fleet_id, user_id in dispatchers.items():
            copy.write_row((fleet_id, user_id))
    # (action, from, to, actor, role, at) per step; a step whose `at` is NULL is not taken by that trip
    cursor.execute(
        """
        INSERT INTO trips_triplogentry (trip_id, action, from_status, to_status, actor_id, actor_role, at, reason)
        SELECT t.id, s.action, s.from_status, s.to_status, s.actor_id, s.actor_role, s.at, ''
        FROM trips_trip t
        JOIN trips_stop pickup ON pickup.trip_id = t.id AND pickup.sequence = 1
        JOIN trips_stop dropoff ON dropoff.trip_id = t.id AND dropoff.sequence = 2
        LEFT JOIN bench_driver d ON d.id = t.driver_id
        LEFT JOIN bench_dispatcher x ON x.fleet_id = t.fleet_id
        CROSS JOIN LATERAL (VALUES
            (1, 'book', '', 'requested', t.customer_id, 'customer', t.created_at),
            (2, 'assign', 'requested', 'assigned', x.user_id, 'dispatcher',
                CASE WHEN t.started_at IS NOT NULL THEN t.started_at - interval '4 minutes' END),
            (3, 'start', 'assigned', 'en_route', d.user_id, 'driver', t.started_at),
            (4, 'arrive_pickup', 'en_route', 'at_pickup', d.user_id, 'driver',
                CASE WHEN t.status = 'completed' THEN pickup.arrived_at END),
            (5, 'stop_1_done', 'at_pickup', 'at_pickup', d.user_id, 'driver',
                CASE WHEN t.status = 'completed' THEN pickup.finished_at END),
            (6, 'pick_up', 'at_pickup', 'in_progress', d.user_id, 'driver',
                CASE WHEN t.status = 'completed' THEN pickup.finished_at END),
            (7, 'stop_2_arrived', 'in_progress', 'in_progress', d.user_id, 'driver',
                CASE WHEN t.status = 'completed' THEN dropoff.arrived_at END),
            (8, 'stop_2_done', 'in_progress', 'in_progress', d.user_id, 'driver',
                CASE WHEN t.status = 'completed' THEN dropoff.finished_at END),
            (9, 'complete', 'in_progress', 'completed', d.user_id, 'driver',
                CASE WHEN t.status = 'completed' THEN t.ended_at END)
        ) AS s (step, action, from_status, to_status, actor_id, actor_role, at)
        WHERE t.status IN ('completed', 'cancelled', 'failed') AND s.at IS NOT NULL
        ORDER BY t.created_at, t.id, s.step
        """
    )


def receipts(cursor, fleets) -> None:
    """Each settled fare's receipt (what billing issues on settlement; the PDF is the worker's, left unrendered),
    numbered per fleet and year as its counter would, and the counters where they stand."""
    from apps.billing import integrations

    cursor.execute("CREATE TEMP TABLE bench_seller (fleet_id uuid PRIMARY KEY, seller jsonb)")
    for fleet in fleets:
        cursor.execute(
            "INSERT INTO bench_seller VALUES (%s, %s::jsonb)",
            [fleet.id, json.dumps(integrations.fleet_legal(fleet_id=fleet.id))],
        )
    cursor.execute(
        """
        INSERT INTO billing_invoice (id, created_at, updated_at, fleet_id, customer_id, kind, year, sequence, number,
            period, trip_id, currency, lines, taxes, net_minor, tax_minor, total_minor, seller, buyer, issued_at,
            pdf_path, statement)
        SELECT md5('receipt' || f.trip_id::text)::uuid, f.issued, f.issued, f.fleet_id, f.customer_id, 'receipt',
            f.year, f.sequence, 'RCT-' || f.year || '-' || lpad(f.sequence::text, 6, '0'), '', f.trip_id, f.currency,
            f.breakdown -> 'lines', f.breakdown -> 'taxes', f.net_minor, f.tax_minor, f.total_minor, s.seller,
            jsonb_build_object('name', u.display_name, 'email', u.email), f.issued, '', '[]'::jsonb
        FROM (
            SELECT r.*, r.created_at + interval '5 seconds' AS issued,
                extract(year FROM r.created_at AT TIME ZONE 'UTC')::int AS year,
                row_number() OVER (
                    PARTITION BY r.fleet_id, extract(year FROM r.created_at AT TIME ZONE 'UTC')
                    ORDER BY r.created_at, r.id
                ) AS sequence
            FROM billing_farerecord r WHERE r.kind = 'fare'
        ) f
        JOIN bench_seller s ON s.fleet_id = f.fleet_id
        LEFT JOIN identity_user u ON u.id = f.customer_id
        ORDER BY f.issued
        """
    )
    cursor.execute(
        """
        INSERT INTO billing_invoicecounter (fleet_id, year, series, last_number)
        SELECT fleet_id, year, 'RCT', max(sequence) FROM billing_invoice WHERE kind = 'receipt' GROUP BY fleet_id, year
        """
    )


# ---- the calls ----------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Call:
    name: str
    method: str
    path: str
    token: str | None = None  # a bearer token, or None for the session cookie (see `cookie`)
    # per request: (path, JSON body, headers), for writes that take a fresh quote or trip each time
    make: Callable[[], tuple[str, Any, dict]] | None = None
    cookie: str = ""
    expect: int = 200
    after: Callable[[dict], None] | None = None  # given the response body: keep what a later call uses
    consumes: list | None = None  # what each request takes one of (a quote, a booked trip) ...
    maker: Call | None = None  # ... and the call that makes it


async def measure(args, base: str, server_pid: int, who: dict[str, Any]) -> dict[str, dict]:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    async with aiohttp.ClientSession(
        base, connector=connector, headers={"X-Forwarded-Proto": "https"}, cookie_jar=aiohttp.DummyCookieJar()
    ) as http:
        users = await sign_in(http, base, who)
        calls = await plan(http, users)
        results = {}
        for call in calls:
            wanted = not args.only or any(part.lower() in call.name.lower() for part in args.only)
            if not wanted and call.name != "healthz":
                continue
            results[call.name] = await measure_call(http, call, args, server_pid)
            one = results[call.name]
            print(
                f"  {call.name}: single p95 {percentile(one['single'], 95):.1f} ms; "
                f"{args.clients} clients {one['rate']:.0f}/s, p95 {percentile(one['concurrent'], 95):.0f} ms",
                flush=True,
            )
        cancelling = next(c for c in calls if c.name.startswith("trips: transition"))
        for _ in range(len(cancelling.consumes or [])):  # bookings left open: cancelled, so the board stays as built
            await request(http, cancelling)
        return results


def cast() -> dict[str, Any]:
    """Who signs in: the heavy customer, the first fleet's first driver, its dispatcher and its manager."""
    from apps.fleet.models import Fleet
    from apps.identity.models import Membership, User
    from apps.trips.models import Trip

    fleet = Fleet.objects.order_by("name")[0]
    customer = User.objects.get(email="customer0@bench.test")
    members = Membership.objects.filter(fleet_id=fleet.id).select_related("user").order_by("user__email")
    driver = next(m for m in members if m.role == "driver")
    return {
        "fleet": fleet,
        "customer": customer.email,
        "driver": driver.user.email,
        "dispatcher": next(m.user.email for m in members if m.user.email.startswith("dispatcher.")),
        "manager": next(m.user.email for m in members if m.user.email.startswith("manager.")),
        # the customer's latest completed trip of the history (their newest are this benchmark's cancelled bookings)
        "trip_id": Trip.objects.filter(customer_id=customer.id, status="completed").latest("created_at").id,
    }


async def sign_in(http, base: str, who: dict[str, Any]) -> dict[str, Any]:
    """Tokens for the customer, the driver and the dispatcher (through the API, as the apps do); a session for the
    manager (through the login page, as a person does)."""

    password = who.get("password", PASSWORD)

    async def token(email):
        async with http.post("/api/v1/auth/token/", json={"email": email, "password": password}) as r:
            body = await r.json()
            assert r.status == 200, (email, r.status, body)
            return body["access"]

    users = {
        **who,
        "customer": await token(who["customer"]),
        "driver": await token(who["driver"]),
        "dispatcher": await token(who["dispatcher"]),
    }
    origin = base.replace("http://", "https://") if "X-Forwarded-Proto" in http.headers else base
    async with http.get("/login/") as r:
        csrf = r.cookies["csrftoken"].value
    async with http.post(
        "/login/",
        data={"email": who["manager"], "password": password, "csrfmiddlewaretoken": csrf, "next": "/admin/"},
        headers={"Cookie": f"csrftoken={csrf}", "Origin": origin, "Referer": f"{origin}/login/"},
        allow_redirects=False,
    ) as r:
        assert r.status == 302, f"manager login: {r.status} {(await r.text())[-3000:]}"
        users["session"] = f"sessionid={r.cookies['sessionid'].value}; csrftoken={csrf}"
    return users


async def plan(http, users) -> list[Call]:
    """The calls, with what they need found through the API itself (a trip of the customer's list, the next page
    wherever `next` points: a page number or a cursor)."""
    fleet = users["fleet"]
    customer, driver, dispatcher = users["customer"], users["driver"], users["dispatcher"]

    async def get(path, token):
        async with http.get(path, headers={"Authorization": f"Bearer {token}"}) as r:
            assert r.status == 200, (path, r.status, await r.text())
            return await r.json()

    first = await get("/api/v1/trips/trips/", customer)
    trip_id = users["trip_id"]
    next_page = relative(first["next"]) if first["next"] else None  # a small history has one page
    rng = random.Random(5)
    quotes: list[str] = []  # made by `quote`, taken by `book`
    booked: list[tuple[str, int]] = []  # made by `book`, cancelled by `transition`

    def stops():
        lat, lng = fleet.service_center_lat or BERLIN[0], fleet.service_center_lng or BERLIN[1]
        return [
            (lat + rng.uniform(-0.05, 0.05), lng + rng.uniform(-0.08, 0.08)),
            (lat + rng.uniform(-0.05, 0.05), lng + rng.uniform(-0.08, 0.08)),
        ]

    def quote_body():
        return {"fleet_id": str(fleet.id), "vehicle_type": "van", "stops": [list(p) for p in stops()]}

    def book_body():
        (a, b), quote_id = stops(), quotes.pop()
        return {
            "fleet_id": str(fleet.id),
            "vehicle_type": "van",
            "quote_id": quote_id,
            "weight_kg": 20,
            "parcels": 2,
            "stops": [
                {"kind": "pickup", "address": "Invalidenstraße 117", "lat": a[0], "lng": a[1]},
                {"kind": "dropoff", "address": "Torstraße 49", "lat": b[0], "lng": b[1]},
            ],
        }

    def quote():
        return "/api/v1/billing/quotes/", quote_body(), {}

    def book():
        return "/api/v1/trips/trips/", book_body(), {"Idempotency-Key": str(uuid.uuid4())}

    def cancel():
        trip, version = booked.pop()
        body = {"action": "cancel", "reason": "customer called to cancel"}
        return (
            f"/api/v1/trips/trips/{trip}/transitions/",
            body,
            {"If-Match": f'W/"{version}"', "Idempotency-Key": str(uuid.uuid4())},
        )

    def ping_body():
        now = dt.datetime.now(dt.UTC)
        lat, lng = fleet.service_center_lat or BERLIN[0], fleet.service_center_lng or BERLIN[1]
        return {
            "pings": [
                {
                    "ping_id": str(uuid.uuid4()),
                    "lat": lat + rng.uniform(-0.05, 0.05),
                    "lng": lng + rng.uniform(-0.05, 0.05),
                    "recorded_at": now.isoformat(),
                    "accuracy_m": 8,
                    "speed_mps": 9.5,
                    "heading": 180,
                }
            ]
        }

    def ping():
        return "/api/v1/dispatch/positions/", ping_body(), {}

    quoting = Call(
        "billing: quote", "POST", "", customer, make=quote, expect=201, after=lambda b: quotes.append(b["id"])
    )
    booking = Call(
        "trips: book with the quote",
        "POST",
        "",
        customer,
        make=book,
        expect=201,
        after=lambda b: booked.append((b["id"], b["version"])),
        consumes=quotes,
        maker=quoting,
    )
    cancelling = Call(
        "trips: transition (dispatcher cancels)", "POST", "", dispatcher, make=cancel, consumes=booked, maker=booking
    )
    return [
        Call("healthz", "GET", "/healthz"),
        Call("trips: customer's list", "GET", "/api/v1/trips/trips/", customer),
        *([Call("trips: customer's list, next page", "GET", next_page, customer)] if next_page else []),
        Call("trips: driver's list", "GET", "/api/v1/trips/trips/", driver),
        Call("trips: board (status=requested)", "GET", "/api/v1/trips/trips/?status=requested", dispatcher),
        Call("trips: detail", "GET", f"/api/v1/trips/trips/{trip_id}/", customer),
        Call("trips: timeline", "GET", f"/api/v1/trips/trips/{trip_id}/timeline/", customer),
        quoting,
        booking,
        cancelling,
        Call("dispatch: position upload", "POST", "", driver, make=ping),
        Call("billing: driver's wallet statement", "GET", "/api/v1/billing/wallet/", driver),
        Call("billing: customer's invoices", "GET", "/api/v1/billing/invoices/", customer),
        Call("admin: manager's overview", "GET", "/admin/", None, cookie=users["session"]),
    ]


def relative(url: str) -> str:
    """A `next` link as a path on the bench server (it names the https address the proxy header claims)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def request(http, call: Call) -> float:
    path, body, headers = call.make() if call.make is not None else (call.path, None, {})
    if call.token:
        headers["Authorization"] = f"Bearer {call.token}"
    if call.cookie:
        headers["Cookie"] = call.cookie
    started = time.perf_counter()
    async with http.request(call.method, path, json=body, headers=headers, allow_redirects=False) as r:
        payload = await r.read()
        elapsed = time.perf_counter() - started
    if r.status != call.expect:
        raise RuntimeError(f"{call.name}: {r.status} {payload[:300]!r}")
    if call.after is not None:
        call.after(json.loads(payload))
    return elapsed * 1000


async def measure_call(http, call: Call, args, server_pid: int) -> dict:
    """--runs requests one after another, then --requests by --clients clients at once; the writes that consume
    what an earlier call made get it made first, outside the timing."""
    await prerequisites(http, call, args.runs + 5 + args.requests)
    for _ in range(5):  # warm: connections, caches
        await request(http, call)
    single = [await request(http, call) for _ in range(args.runs)]

    remaining = args.requests
    concurrent: list[float] = []

    async def client():
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            concurrent.append(await request(http, call))

    cpu_before, wall_before = cpu_seconds(server_pid), time.perf_counter()
    await asyncio.gather(*(client() for _ in range(args.clients)))
    wall, cpu = time.perf_counter() - wall_before, cpu_seconds(server_pid) - cpu_before
    return {
        "single": single,
        "concurrent": concurrent,
        "rate": len(concurrent) / wall,
        "cpu_ms": cpu * 1000 / len(concurrent),
    }


async def prerequisites(http, call: Call, n: int) -> None:
    """Enough of what `call` consumes for `n` requests (quotes to book with, booked trips to cancel), made by the
    calls that make them, untimed."""
    if call.consumes is None or call.maker is None:
        return
    missing = n - len(call.consumes)
    if missing <= 0:
        return
    await prerequisites(http, call.maker, missing)
    sem = asyncio.Semaphore(8)

    async def one():
        async with sem:
            await request(http, call.maker)

    await asyncio.gather(*(one() for _ in range(missing)))


def compare_tracing(args, env: dict[str, str], who: dict[str, Any]) -> None:
    """Two servers side by side, one not tracing and one tracing at --tracing-ratio (exporting to a local OTLP
    receiver that parses and counts the spans), on the same database; each call measured on both, alternating
    (off, on, on, off, ...) --tracing-rounds times, so the machine's load falls on both alike. Per call, the
    concurrent phase's requests/s and server CPU per request (each server's own processes), medians over rounds,
    traced as a ratio to untraced."""
    from logitrack.testing.otlp import OtlpReceiver

    with (
        OtlpReceiver(keep=False) as receiver,
        asgi_server(env | {"OTEL_EXPORTER_OTLP_ENDPOINT": ""}, workers=args.workers, log_name="api") as (b_off, off),
        asgi_server(
            env | {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, "TRACING_SAMPLE_RATIO": str(args.tracing_ratio)},
            workers=args.workers,
            log_name="api-traced",
        ) as (b_on, on),
    ):
        servers = {"off": (b_off, off.pid), "on": (b_on, on.pid)}
        same_users = dict.fromkeys(servers, who)
        runs, made = asyncio.run(interleaved(args, servers, same_users, rounds=args.tracing_rounds, counted="on"))
    names = list(dict.fromkeys(name for name, _ in runs))
    print(
        f"\ntracing at ratio {args.tracing_ratio} against off, two servers side by side: medians of "
        f"{args.tracing_rounds} alternating rounds, {args.clients} clients, {args.requests} requests per call and "
        f"round; load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())} at the end\n"
    )
    print("| call | requests/s off | on | on/off | server CPU/request off | on | on/off | single p50 off | on |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in names:
        off_runs, on_runs = runs[(name, "off")], runs[(name, "on")]
        rate_off, rate_on = (statistics.median(r["rate"] for r in rs) for rs in (off_runs, on_runs))
        cpu_off, cpu_on = (statistics.median(r["cpu_ms"] for r in rs) for rs in (off_runs, on_runs))
        p50_off, p50_on = (statistics.median(statistics.median(r["single"]) for r in rs) for rs in (off_runs, on_runs))
        print(
            f"| {name} | {rate_off:.0f} | {rate_on:.0f} | {rate_on / rate_off:.3f} | {cpu_off:.2f} ms "
            f"| {cpu_on:.2f} ms | {cpu_on / cpu_off:.3f} | {p50_off:.1f} ms | {p50_on:.1f} ms |"
        )
    spans = receiver.received_spans
    print(f"\nspans received over OTLP: {spans} ({spans / made:.2f} per request to the "
          "traced server, warm-ups and untimed writes included)")  # fmt: skip


def compare_trees(args, env: dict[str, str], who: dict[str, Any]) -> None:
    """This checkout and the commit --against, each a server on the same database (migrated to this checkout: an
    older commit must read the newer schema, which holds while migrations only add), each call measured on both in
    alternating rounds. The other commit's static files are collected into its own var directory first."""
    with worktree(args.against) as other:
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=other, env=env, check=True
        )
        with (
            asgi_server(env, workers=args.workers, log_name="api-against", cwd=other) as (b_other, s_other),
            asgi_server(env, workers=args.workers, log_name="api") as (b_this, s_this),
        ):
            servers = {args.against: (b_other, s_other.pid), "this": (b_this, s_this.pid)}
            runs, _ = asyncio.run(interleaved(args, servers, dict.fromkeys(servers, who), rounds=args.rounds))
    compare_report(runs, list(servers), args, what=f"the API at {args.trips:,} trips")


async def interleaved(
    args, servers: dict[str, tuple[str, int]], who: dict[str, Any], *, rounds: int, counted: str = "", https=True
) -> tuple[dict, int]:
    """Each call measured on every server in turn, `rounds` times, the order reversed every other round so drift
    in the machine's load falls on all alike: {(call, server name): [measure_call's result per round]}, and the
    requests made to the server named `counted`."""
    import aiohttp

    sessions, plans = {}, {}
    runs: dict[tuple[str, str], list[dict]] = {}
    made = 0
    try:
        for mode, (base, _pid) in servers.items():
            sessions[mode] = aiohttp.ClientSession(
                base,
                connector=aiohttp.TCPConnector(limit=0, force_close=False),
                headers={"X-Forwarded-Proto": "https"} if https else {},
                cookie_jar=aiohttp.DummyCookieJar(),
            )
            plans[mode] = await plan(sessions[mode], await sign_in(sessions[mode], base, who[mode]))
        modes = list(servers)
        names = set.intersection(*({c.name for c in calls} for calls in plans.values()))
        for call in plans[modes[0]]:
            if call.name not in names:
                continue
            if args.only and call.name != "healthz" and not any(p.lower() in call.name.lower() for p in args.only):
                continue
            for round_ in range(rounds):
                for mode in modes if round_ % 2 == 0 else modes[::-1]:
                    same = next(c for c in plans[mode] if c.name == call.name)
                    one = await measure_call(sessions[mode], same, args, servers[mode][1])
                    runs.setdefault((call.name, mode), []).append(one)
                    made += (len(one["single"]) + len(one["concurrent"]) + 5) if mode == counted else 0
            cpu = ", ".join(f"{mode} {runs[(call.name, mode)][-1]['cpu_ms']:.2f} ms" for mode in modes)
            print(f"  {call.name}: CPU/request {cpu}", flush=True)
        for mode, calls in plans.items():  # bookings left open: cancelled, so the board stays as built
            cancelling = next(c for c in calls if c.name.startswith("trips: transition"))
            for _ in range(len(cancelling.consumes or [])):
                await request(sessions[mode], cancelling)
    finally:
        for http in sessions.values():
            await http.close()
    return runs, made


def compare_report(runs: dict, sides: list[str], args, *, what: str) -> None:
    """Two servers' `interleaved` runs side by side: per call, medians over rounds."""
    other, this = sides
    print(
        f"\n{what}, {other} against this checkout: medians of {args.rounds} alternating rounds "
        f"({args.runs} single-client requests, {args.requests} with {args.clients} clients, per call and round); "
        f"load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())} at the end\n"
    )
    print(
        f"| call | single p50 / p95: {other} | this | requests/s: {other} | this | CPU/request: {other} "
        f"| × its healthz | this | × its healthz | this / {other} |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")

    def med(name, side, key):
        return statistics.median(r[key] for r in runs[(name, side)])

    def single(name, side, q):
        return statistics.median(percentile(r["single"], q) for r in runs[(name, side)])

    names = list(dict.fromkeys(name for name, _ in runs))
    floor = {side: med("healthz", side, "cpu_ms") for side in sides}
    for name in names:
        cpu = {side: med(name, side, "cpu_ms") for side in sides}
        print(
            f"| {name} | {single(name, other, 50):.1f} / {single(name, other, 95):.1f} ms "
            f"| {single(name, this, 50):.1f} / {single(name, this, 95):.1f} ms "
            f"| {med(name, other, 'rate'):.0f} | {med(name, this, 'rate'):.0f} "
            f"| {cpu[other]:.2f} ms | {cpu[other] / floor[other]:.1f} | {cpu[this]:.2f} ms "
            f"| {cpu[this] / floor[this]:.1f} | {cpu[this] / cpu[other]:.2f} |"
        )


# ---- the report ----------------------------------------------------------------------------------------------------


def report(results: dict[str, dict], args) -> None:
    floor = results["healthz"]
    f_single = percentile(floor["single"], 95)
    f_conc = percentile(floor["concurrent"], 95)
    print(
        f"\nsingle client ({args.runs} requests each) and {args.clients} clients ({args.requests} requests each); "
        f"ratios to /healthz in this run (× p95 single, × p95 and × requests/s at {args.clients}, × CPU/request)\n"
    )
    print(
        f"| call | single p50 / p95 / p99 | × healthz p95 | {args.clients} clients p50 / p95 / p99 | × healthz p95 "
        "| requests/s | × healthz | server CPU/request | × healthz |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        s, c = r["single"], r["concurrent"]
        print(
            f"| {name} | {statistics.median(s):.1f} / {percentile(s, 95):.1f} / {percentile(s, 99):.1f} ms "
            f"| {percentile(s, 95) / f_single:.1f} "
            f"| {statistics.median(c):.0f} / {percentile(c, 95):.0f} / {percentile(c, 99):.0f} ms "
            f"| {percentile(c, 95) / f_conc:.1f} | {r['rate']:.0f} | {r['rate'] / floor['rate']:.2f} "
            f"| {r['cpu_ms']:.2f} ms | {r['cpu_ms'] / floor['cpu_ms']:.1f} |"
        )


if __name__ == "__main__":
    main()
