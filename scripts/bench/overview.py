#!/usr/bin/env python
"""The manager's overview at a year of history: how long its figures and the whole page take with N trips behind
them, measured twice — after the last month of history, then after the whole year — to show it does not grow.

    .venv/bin/python scripts/bench/overview.py [--trips 1000000] [--fleets 4] [--drivers 60] [--days 365]
        [--runs 30] [--explain]

Against its own PostgreSQL database (BENCH_DATABASE, default logitrack_bench, recreated) and Redis database 3
(--redis-db), both emptied first.
Fleets in Berlin (EUR) and London (GBP), each with compliant drivers on vans, a city tariff and a manager; the
history is written in bulk by config/demo/history.py (COPY, seeded: shifts, trips with two windowed stops each,
cancellations and failures with reasons, fares priced by the tariff and settled on the ledger), then the overview's
daily tables are rebuilt from it (timed). Today: open trips on the fleets' running shifts, like a working day.
Figures: for each of the overview's api calls, `build` (every figure, in names and money) and the page itself
(Django's test client, the admin's middleware and template), the median and p95 of `--runs` calls, and the ratio
to a floor measured in the same run (`SELECT 1` for the calls, /healthz for the page).
"""

import argparse
import datetime as dt
import os
import random
import statistics
import time

from _fleet import configure, fleet_with_drivers, percentile
from screen import open_trips

LONDON = (51.5074, -0.1278)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trips", type=int, default=1_000_000, help="trips over the whole history, all fleets")
    parser.add_argument("--fleets", type=int, default=4)
    parser.add_argument("--drivers", type=int, default=60, help="per fleet")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--explain", action="store_true", help="print the query plans of the live reads")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--redis-db", type=int, default=3, help="the Redis database it may flush")
    parser.add_argument(
        "--measure-only", action="store_true", help="measure again on the database an earlier run left (no writing)"
    )
    args = parser.parse_args()

    started = time.perf_counter()
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # the page as built, every time: what the figures' assembly costs (the console keeps them 30 s otherwise)
    os.environ.setdefault("CONSOLE_OVERVIEW_CACHE_SECONDS", "0")
    if args.measure_only:
        results = [(counts()["trips"], measure(existing_world(), args.runs))] if _setup_existing() else []
        report(results)
        return
    configure(redis_db=args.redis_db)
    world = build_world(args)
    print(f"set up {len(world['fleets'])} fleets in {time.perf_counter() - started:.0f} s", flush=True)

    recent = min(36, args.days)
    phases = [(recent, 0), (args.days - recent, recent)] if args.days > recent else [(args.days, 0)]
    results = []
    for days, offset in phases:
        write_started = time.perf_counter()
        written = write_history(world, args, days=days, offset=offset)
        wrote = time.perf_counter() - write_started
        rebuild = rebuild_figures(world)
        totals = counts()
        print(
            f"\nhistory: +{written:,} trips over {days} days in {wrote:.0f} s "
            f"({written / max(wrote, 1e-9):,.0f} trips/s); figures rebuilt in {rebuild:.1f} s; "
            f"now {totals['trips']:,} trips, {totals['stops']:,} stops, {totals['postings']:,} postings",
            flush=True,
        )
        results.append((totals["trips"], measure(world, args.runs)))
        if args.explain:
            explain(world)
    report(results)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


def build_world(args) -> dict:
    from apps.billing.tests.factories import tariff
    from apps.fleet.models import Fleet
    from apps.identity.contracts import FleetRole
    from apps.identity.models import User
    from apps.identity.services import memberships
    from apps.trips.models import Shift

    fleets = []
    for n in range(args.fleets):
        london = n % 2 == 1
        fleet, dispatcher, _drivers = fleet_with_drivers(
            args.drivers, center=LONDON if london else (52.52, 13.405), shifts=True, seed=args.seed + n
        )
        if london:
            Fleet.objects.filter(id=fleet.id).update(country="GB", currency="GBP", time_zone="Europe/London")
            fleet.refresh_from_db()
        Fleet.objects.filter(id=fleet.id).update(name=f"{'Thames' if london else 'Spree'} {n + 1}")
        tariff(fleet_id=fleet.id, currency=fleet.currency, valid_from=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        manager = User.objects.create_user(
            email=f"manager.{n}@bench.test", password="x" * 12, display_name=f"Manager {n + 1}"
        )
        memberships.membership_grant(
            user_id=manager.id, fleet_id=fleet.id, role=FleetRole.FLEET_MANAGER, granted_by_id=None
        )
        open_trips(fleet, dispatcher, args.drivers // 2, seed=args.seed + n)  # today: work under way
        crews = list(Shift.objects.filter(fleet_id=fleet.id).values_list("driver_id", "vehicle_id"))
        fleets.append(
            {"fleet": fleet, "manager": manager, "crews": crews, "center": LONDON if london else (52.52, 13.405)}
        )
    customers = [
        User(email=f"customer{i}@bench.test", display_name=f"Customer {i}", is_customer=True) for i in range(400)
    ]
    User.objects.bulk_create(customers, batch_size=1000)
    admin = User.objects.create_superuser(email="admin@bench.test", password="x" * 12, display_name="Platform admin")
    return {"fleets": fleets, "customers": [c.id for c in customers], "admin": admin}


def _setup_existing() -> bool:
    """Django on the database an earlier run left (as configure() points there, without recreating it)."""
    from _fleet import BENCH_DB

    base = os.environ.get("DATABASE_URL", "postgres://logitrack:logitrack@127.0.0.1:5432/logitrack")
    os.environ.update(
        DATABASE_URL=base.rsplit("/", 1)[0] + "/" + BENCH_DB,
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DJANGO_DEBUG="false",
    )
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    return True


def existing_world() -> dict:
    from apps.fleet.models import Fleet
    from apps.identity.models import User

    fleets = []
    for n, fleet in enumerate(Fleet.objects.order_by("name")):
        manager = User.objects.filter(memberships__fleet_id=fleet.id, memberships__role="fleet_manager").first()
        fleets.append({"fleet": fleet, "manager": manager, "crews": [], "center": None, "n": n})
    return {"fleets": fleets, "customers": [], "admin": User.objects.get(email="admin@bench.test")}


def write_history(world, args, *, days: int, offset: int) -> int:
    """`days` days ending `offset` days before yesterday, for every fleet; returns the trips written."""
    from django.utils import timezone

    from apps.billing import selectors as billing_selectors
    from config.demo import history

    per_day = args.trips / (args.days * args.fleets * (5 + 2 * 0.55) / 7)  # weekends are quieter
    written = 0
    for n, entry in enumerate(world["fleets"]):
        fleet = entry["fleet"]
        rng = random.Random(f"{args.seed}-{n}-{offset}")
        center = entry["center"]

        def address(rng, center=center):
            lat, lng = center[0] + rng.uniform(-0.08, 0.08), center[1] + rng.uniform(-0.12, 0.12)
            return f"{rng.choice(STREETS)} {rng.randint(1, 180)}", lat, lng

        today = timezone.now().astimezone(history.zone(fleet.time_zone)).date()
        tariff = billing_selectors.tariff_for(
            fleet_id=fleet.id, vehicle_type="van", service="delivery", at=timezone.now()
        )
        counts = history.write(
            fleet=history.FleetHistory(
                fleet_id=fleet.id,
                time_zone=fleet.time_zone,
                commission_bps=fleet.commission_bps,
                crews=[history.Crew(driver_id=d, vehicle_id=v, vehicle_type="van") for d, v in entry["crews"]],
                customers=world["customers"],
                address=address,
                tariffs={("delivery", "van"): tariff},
            ),
            last_day=today - dt.timedelta(days=1 + offset),
            days=days,
            trips_per_day=round(per_day),
            rng=rng,
        )
        written += sum(v for k, v in counts.items() if k.startswith("trips "))
    return written


def rebuild_figures(world) -> float:
    from django.db import connection

    from config.demo import history

    started = time.perf_counter()
    history.rebuild_figures([entry["fleet"].id for entry in world["fleets"]])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh statistics, as autovacuum would have after a year
    return time.perf_counter() - started


def counts() -> dict[str, int]:
    from django.db import connection

    found = {}
    with connection.cursor() as cursor:
        for name, table in (("trips", "trips_trip"), ("stops", "trips_stop"), ("postings", "billing_posting")):
            cursor.execute(f"SELECT count(*) FROM {table}")
            found[name] = cursor.fetchone()[0]
    return found


def timed(fn, runs: int) -> list[float]:
    fn()  # warm: imports, template loading, the first connection
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return samples


def measure(world, runs: int) -> dict[str, list[float]]:
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from apps.billing import api as billing_api
    from apps.fleet import api as fleet_api
    from apps.partner import api as partner_api
    from apps.trips import api as trips_api
    from config.console import overview

    first = world["fleets"][0]
    one = [first["fleet"].id]
    every = [e["fleet"].id for e in world["fleets"]]
    today = timezone.localdate()
    manager, admin = Client(), Client()
    manager.force_login(first["manager"])
    admin.force_login(world["admin"])

    def select_one():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    refs = fleet_api.fleets_get(fleet_ids=every)
    links = overview.Links()  # no admin links: build's own work (the page below makes them)
    horizon = today + dt.timedelta(days=30)
    calls = {
        "floor: SELECT 1": select_one,
        "trip_figures (7 days)": lambda: trips_api.trip_figures(fleet_ids=one, days=7),
        "trip_figures (30 days)": lambda: trips_api.trip_figures(fleet_ids=one, days=30),
        "trip_days (30 days)": lambda: trips_api.trip_days(
            fleet_ids=one, first=today - dt.timedelta(days=29), last=today
        ),
        "revenue_by_day (30 days)": lambda: billing_api.revenue_by_day(
            fleet_ids=one, first=today - dt.timedelta(days=29), last=today
        ),
        "payouts_waiting": lambda: billing_api.payouts_waiting(fleet_ids=one),
        "kyc_review_queue": lambda: partner_api.kyc_review_queue(fleet_ids=one),
        "kyc_documents_expiring": lambda: partner_api.kyc_documents_expiring(fleet_ids=one, on_or_before=horizon),
        "fleet_documents_expiring": lambda: fleet_api.fleet_documents_expiring(fleet_ids=one, on_or_before=horizon),
        "build, one fleet, 30 days": lambda: overview.build(fleets=refs[:1], days=30, now=timezone.now(), links=links),
        "build, all fleets, 30 days": lambda: overview.build(fleets=refs, days=30, now=timezone.now(), links=links),
        "floor: GET /healthz": lambda: _ok(manager.get("/healthz")),
        "page: manager, /admin/ (7 days)": lambda: _ok(manager.get("/admin/")),
        "page: manager, /admin/?days=30": lambda: _ok(manager.get("/admin/", {"days": "30"})),
        "page: platform admin, all fleets, 30 days": lambda: _ok(admin.get("/admin/", {"days": "30"})),
    }
    return {name: timed(fn, runs) for name, fn in calls.items()}


def _ok(response) -> None:
    assert response.status_code == 200, response.status_code


def explain(world) -> None:
    """The plans of the reads that touch the big tables."""
    from django.db import connection
    from django.utils import timezone

    from apps.trips.models import WANTED_AT, Trip

    fleet_id = world["fleets"][0]["fleet"].id
    start = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    queries = {
        "today by status": Trip.objects.annotate(wanted=WANTED_AT)
        .filter(fleet_id__in=[fleet_id], wanted__gte=start, wanted__lt=start + dt.timedelta(days=1))
        .order_by()
        .values("status"),
        "open from earlier days": Trip.objects.filter(
            status__in=["requested", "assigned", "en_route", "at_pickup", "in_progress"]
        )
        .annotate(wanted=WANTED_AT)
        .filter(fleet_id__in=[fleet_id], wanted__lt=start)
        .order_by()
        .values("id"),
        "cancelled and failed": Trip.objects.filter(
            fleet_id__in=[fleet_id], status__in=["cancelled", "failed"], ended_at__gte=start - dt.timedelta(days=30)
        ).order_by("-ended_at")[:8],
    }
    for name, qs in queries.items():
        sql, params = qs.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS OFF, TIMING OFF, SUMMARY ON) {sql}", params)
            plan = [row[0] for row in cursor.fetchall()]
        print(f"\n-- {name}\n" + "\n".join(plan))


def report(results) -> None:
    names = list(results[0][1])
    floors = {"calls": "floor: SELECT 1", "page": "floor: GET /healthz"}
    header = " | ".join(f"{trips:,} trips: median / p95 (× floor)" for trips, _ in results)
    print(f"\n| measured | {header} |")
    print("|---|" + "---|" * len(results))
    for name in names:
        cells = []
        for _trips, samples in results:
            floor = statistics.median(samples[floors["page" if name.startswith("page") else "calls"]])
            median, p95 = statistics.median(samples[name]), percentile(samples[name], 95)
            cells.append(f"{median:.2f} / {p95:.2f} ms (× {median / floor:.1f})")
        print(f"| {name} | " + " | ".join(cells) + " |")
    if len(results) > 1:
        page = "page: manager, /admin/?days=30"
        small, large = (statistics.median(s[page]) for _, s in (results[0], results[-1]))
        print(f"\nthe page with {results[-1][0] / results[0][0]:.1f}× the trips: {large / small:.2f}× the time")


STREETS = (
    "Invalidenstraße", "Torstraße", "Oranienstraße", "Kastanienallee", "Friedrichstraße", "Karl-Marx-Allee",
    "Holborn", "Strand", "Whitechapel Road", "Camden High Street", "Oxford Street", "Borough High Street",
)  # fmt: skip

if __name__ == "__main__":
    main()
