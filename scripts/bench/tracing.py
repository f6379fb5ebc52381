#!/usr/bin/env python
"""What tracing costs a request (issue 22): server CPU per request with tracing off, on at
TRACING_SAMPLE_RATIO 0.1 and on at 1.0, in one process, rounds interleaved so the machine's load falls on every
mode alike; medians, and each mode as a ratio to "off" measured in the same run.

    .venv/bin/python scripts/bench/tracing.py [--rounds 7] [--requests 150] [--only detail] [--ratios 0,0.1,1]
    .venv/bin/python scripts/bench/tracing.py --profile 0.1 --only cancel   # where a mode's CPU goes (cProfile)

Its own database (logitrack_bench_tracing, recreated) on the PostgreSQL of DATABASE_URL, Redis database
--redis-db (15, flushed). Requests go through Django's whole stack (DRF's test client: middleware, authentication
with a JWT, the view, its queries and Redis calls): a customer's trip list (page of 20), a trip's detail, and a
dispatcher's cancellation (a write that publishes events to the outbox). Spans are exported in batches to an
exporter that drops them, so the figures are the instrumentation's and the SDK's work, not a collector's. CPU is the
process's (`time.process_time`), which includes the batch exporter's thread. Database connections are closed at
each switch of mode: the psycopg instrumentation wraps a connection when it is opened.
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

os.environ.setdefault("BENCH_DATABASE", "logitrack_bench_tracing")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _fleet import configure, fleet_with_drivers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=150, help="of each kind, per mode and round")
    parser.add_argument("--only", action="append", default=[], help="request kinds whose name contains this")
    parser.add_argument("--redis-db", type=int, default=15, help="the Redis database it may flush")
    parser.add_argument(
        "--ratios", default="0.1,1.0", help="sampling ratios measured beside 'off' (0: on, nothing kept)"
    )
    parser.add_argument(
        "--profile",
        metavar="RATIO",
        help="instead of measuring: --requests of each kind under cProfile with tracing at this ratio ('off': none)",
    )
    args = parser.parse_args()
    modes = [("off", None)] + [(f"on, ratio {float(r)}", float(r)) for r in args.ratios.split(",")]
    os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = ""  # this script turns tracing on and off itself
    configure(redis_db=args.redis_db)

    import logging

    from django.db import connections
    from django.test.utils import setup_test_environment
    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import AccessToken

    from apps.identity.models import User
    from apps.trips.models import Stop, Trip
    from logitrack import tracing

    setup_test_environment()  # ALLOWED_HOSTS for the test client
    logging.disable(logging.WARNING)  # a request's log lines are the logging's cost, not tracing's

    class Dropped(SpanExporter):
        spans = 0  # counted, so a run that traced nothing (no instrumentation in the path) shows it

        def export(self, spans):
            Dropped.spans += len(spans)
            return SpanExportResult.SUCCESS

        def shutdown(self):
            pass

    fleet, dispatcher, _drivers = fleet_with_drivers(3, seed=22)
    customer = User.objects.create(email="customer@bench.test", display_name="Customer", is_customer=True)
    total = args.rounds * len(modes) * (args.requests + 2) + 10

    def trips(n: int, status: str) -> list:
        made = Trip.objects.bulk_create(
            Trip(
                fleet_id=fleet.id,
                customer_id=customer.id,
                booked_by_id=customer.id,
                vehicle_type="van",
                status=status,
                requested_for=dt.datetime.now(dt.UTC),
            )
            for _ in range(n)
        )
        Stop.objects.bulk_create(
            Stop(trip=t, sequence=s + 1, kind=k, address=f"Street {s}", lat=52.52, lng=13.40 + s / 100)
            for t in made
            for s, k in enumerate(("pickup", "dropoff"))
        )
        return made

    trips(100, "completed")
    to_cancel = iter(trips(total, "requested"))
    shown = Trip.objects.filter(customer_id=customer.id, status="completed").first()

    def client(user) -> APIClient:
        c = APIClient()
        c.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
        return c

    staff = User.objects.get(id=dispatcher.id)
    as_customer, as_dispatcher = client(customer), client(staff)

    def listing(c: int) -> None:
        for _ in range(c):
            assert as_customer.get("/api/v1/trips/trips/", {"page_size": 20}).status_code == 200

    def detail(c: int) -> None:
        for _ in range(c):
            assert as_customer.get(f"/api/v1/trips/trips/{shown.id}/").status_code == 200

    def cancel(c: int) -> None:
        for _ in range(c):
            trip = next(to_cancel)
            response = as_dispatcher.post(
                f"/api/v1/trips/trips/{trip.id}/transitions/",
                {"action": "cancel", "reason": "bench"},
                format="json",
                HTTP_IF_MATCH=f'W/"{trip.version}"',
                HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
            )
            assert response.status_code == 200, response.content

    kinds = tuple(
        (name, body)
        for name, body in (("trip list", listing), ("trip detail", detail), ("cancel (write + events)", cancel))
        if not args.only or any(part in name for part in args.only)
    )
    for _, body in kinds:  # warm: caches, connections, the principal cache
        body(5)
    if args.profile:
        import cProfile
        import pstats

        if args.profile != "off":
            tracing.enable(Dropped(), ratio=float(args.profile), role="bench")
        connections.close_all()  # the psycopg instrumentation wraps connections as they are opened
        as_customer, as_dispatcher = client(customer), client(staff)
        for _, body in kinds:
            body(2)
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for _, body in kinds:
            body(args.requests)
        profiler.disable()
        stats = pstats.Stats(profiler).sort_stats("tottime")
        stats.print_stats(25)
        # the tracing's own share: time spent inside OpenTelemetry's and logitrack.tracing's functions
        spent = {key: row[2] for key, row in stats.stats.items()}  # type: ignore[attr-defined]
        total = sum(spent.values())
        ours = {key: t for key, t in spent.items() if "opentelemetry" in key[0] or "logitrack/tracing" in key[0]}
        print(f"inside tracing code: {sum(ours.values()) / total * 100:.1f} % of {total:.2f} s (tottime)")
        stats.sort_stats("tottime").print_stats("opentelemetry|logitrack/tracing", 30)
        if os.environ.get("BENCH_CALLEES"):  # e.g. process_request: what it spends its time on
            stats.sort_stats("cumulative").print_callees(os.environ["BENCH_CALLEES"])
        return
    cpu: dict[tuple[str, str], list[float]] = {}
    exported: dict[str, int] = {}
    for _ in range(args.rounds):
        for mode, ratio in modes:
            if ratio is not None:
                tracing.enable(Dropped(), ratio=ratio, role="bench")
            connections.close_all()  # the psycopg instrumentation wraps connections as they are opened (or not)
            # new clients: a client's handler builds its middleware chain once, and the Django instrumentation adds
            # its middleware to the settings when enabled
            as_customer, as_dispatcher = client(customer), client(staff)
            for _, body in kinds:
                body(2)
            try:
                for kind, body in kinds:
                    started = time.process_time()
                    body(args.requests)
                    cpu.setdefault((kind, mode), []).append((time.process_time() - started) / args.requests)
            finally:
                if ratio is not None:
                    tracing.disable()  # flushes: the spans are counted
                    exported[mode] = exported.get(mode, 0) + Dropped.spans
                    Dropped.spans = 0

    print(
        f"CPU per request, medians of {args.rounds} interleaved rounds of {args.requests}; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {dt.date.today()}"
    )
    print(f"{'request':<26}" + "".join(f"{mode:>22}" for mode, _ in modes))
    for kind, _ in kinds:
        off = statistics.median(cpu[(kind, "off")])
        cells = []
        for mode, _ in modes:
            value = statistics.median(cpu[(kind, mode)])
            cells.append(f"{value * 1000:.2f} ms" + ("" if mode == "off" else f" ({(value / off - 1) * 100:+.0f} %)"))
        print(f"{kind:<26}" + "".join(f"{c:>22}" for c in cells))
    made = args.rounds * (args.requests + 2) * len(kinds)
    print("spans exported per request: " + ", ".join(f"{m} {n / made:.1f}" for m, n in exported.items()))


if __name__ == "__main__":
    main()
