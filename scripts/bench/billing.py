#!/usr/bin/env python
"""Billing throughput: settlements posted per second with every ledger guard on (row locks, floors,
idempotency, the PostgreSQL balance trigger), and invoice PDFs rendered per minute.

Runs against its own database (logitrack_bench, recreated) on the PostgreSQL of DATABASE_URL:
    .venv/bin/python scripts/bench/billing.py [--settlements 2000] [--invoices 40]
Prints medians and percentiles; results go to docs/benchmarks.md with the machine and date.
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settlements", type=int, default=2000)
    parser.add_argument("--invoices", type=int, default=40)
    args = parser.parse_args()

    base = os.environ.get("DATABASE_URL", "postgres://logitrack:logitrack@127.0.0.1:5432/logitrack")
    os.environ["DATABASE_URL"] = base.rsplit("/", 1)[0] + "/logitrack_bench"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DJANGO_DEBUG"] = "false"  # no query log: it slows every query and grows without bound
    os.environ["OUTBOX_INLINE_RELAY"] = "false"  # measure billing, not the relay
    os.environ.pop("REDIS_URL", None)

    import django
    import psycopg

    admin = psycopg.connect(base, autocommit=True)
    admin.execute("DROP DATABASE IF EXISTS logitrack_bench")
    admin.execute("CREATE DATABASE logitrack_bench")
    admin.close()
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from celery import current_app

    current_app.conf.task_always_eager = False  # receipts would render PDFs inline: measure them separately
    current_app.conf.broker_url = "memory://"

    from apps.billing.contracts import TripFacts
    from apps.billing.services import invoices, ledger, settlement
    from apps.billing.tests.factories import tariff
    from apps.fleet.tests.factories import active_fleet

    noon = dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.UTC)
    fleet = active_fleet()
    tariff(fleet_id=fleet.id, valid_from=noon - dt.timedelta(days=1))
    customers = [uuid.uuid4() for _ in range(50)]
    drivers = [uuid.uuid4() for _ in range(20)]

    latencies = []
    started = time.perf_counter()
    for i in range(args.settlements):
        t0 = time.perf_counter()
        settlement.trip_complete_settle(
            trip_id=uuid.uuid4(),
            fleet_id=fleet.id,
            customer_id=customers[i % 50],
            driver_id=drivers[i % 20],
            vehicle_type="van",
            service="delivery",
            quote_id=None,
            facts=TripFacts(distance_m=3000 + (i * 37) % 20000, duration_s=600 + i % 1800, stops=2, at=noon),
        )
        latencies.append((time.perf_counter() - t0) * 1000)
    elapsed = time.perf_counter() - started
    problems = ledger.verify()
    print(
        f"settlements: {args.settlements} in {elapsed:.1f}s = {args.settlements / elapsed:.0f}/s "
        f"(each: fare record, 5-leg settlement, 2-leg points, outbox event)"
    )
    print(
        f"  latency ms: p50 {statistics.median(latencies):.2f}  p95 {percentile(latencies, 95):.2f}  "
        f"p99 {percentile(latencies, 99):.2f}"
    )
    print(f"  ledger verified after the run: {'clean' if not problems else problems[:3]}")

    from apps.billing.models import FareRecord
    from apps.billing.services import documents

    render = []
    for trip_id in FareRecord.objects.values_list("trip_id", flat=True)[: args.invoices]:
        invoice = invoices.receipt_issue(trip_id=trip_id)
        t0 = time.perf_counter()
        documents.store_pdf(invoice)
        render.append(time.perf_counter() - t0)
    print(
        f"invoice PDFs: {len(render)} rendered, median {statistics.median(render) * 1000:.0f} ms each = "
        f"{60 / statistics.median(render):.0f}/min on one core"
    )


if __name__ == "__main__":
    main()
