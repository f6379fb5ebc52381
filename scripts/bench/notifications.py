#!/usr/bin/env python
"""Notifications throughput: trip completions turned into customer messages (the handler's work: contact,
branding, tracking link, proofs, rendering in the fleet's language, the delivery row) and mails handed to a local
SMTP server (aiosmtpd on 127.0.0.1: claim, preferences, rate limit, send, record), per second, one process.

Runs against its own database (logitrack_bench_notifications, recreated) on the PostgreSQL of DATABASE_URL:
    .venv/bin/python scripts/bench/notifications.py [--trips 1000]
Prints rates and latency percentiles; results go to docs/benchmarks.md with the machine and date.
"""

import argparse
import datetime as dt
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
DB = "logitrack_bench_notifications"


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trips", type=int, default=1000)
    parser.add_argument("--senders", type=int, default=2, help="sending processes, as a worker's concurrency")
    args = parser.parse_args()

    base = os.environ.get("DATABASE_URL", "postgres://logitrack:logitrack@127.0.0.1:5432/logitrack")
    os.environ["DATABASE_URL"] = base.rsplit("/", 1)[0] + "/" + DB
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ["OUTBOX_INLINE_RELAY"] = "false"
    os.environ.pop("REDIS_URL", None)

    import django
    import psycopg

    admin = psycopg.connect(base.rsplit("/", 1)[0] + "/postgres", autocommit=True)
    admin.execute(f"DROP DATABASE IF EXISTS {DB}")
    admin.execute(f"CREATE DATABASE {DB}")
    admin.close()
    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from celery import current_app

    current_app.conf.task_always_eager = False  # the sends are measured below, not run on each commit
    current_app.conf.broker_url = "memory://"

    import multiprocessing

    from django.db import transaction
    from django.utils import timezone

    from apps.fleet.tests.factories import active_fleet
    from apps.identity.models import User
    from apps.notifications.domain import StopView, TripView
    from apps.notifications.models import Delivery
    from apps.notifications.services import deliveries, messages
    from tests.support.smtp import serve

    fork = multiprocessing.get_context("fork")
    port, received, ready = fork.Value("i", 0), fork.Value("i", 0), fork.Event()

    def smtp_server() -> None:  # its own process: the fake provider takes no CPU from the senders' interpreter
        mailbox, _ = serve()
        port.value = mailbox.port
        ready.set()
        while True:
            time.sleep(0.2)
            received.value = len(mailbox.received)

    server = fork.Process(target=smtp_server, daemon=True)
    server.start()
    ready.wait(30)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port.value
    settings.NOTIFICATIONS_RECEIPT_WAIT_SECONDS = 0  # no billing here: "delivered" goes without a receipt
    settings.NOTIFICATIONS_RATE_LIMIT = 1000

    fleet = active_fleet()
    customers = [
        User.objects.create_user(email=f"c{i}@bench.test", password=None, display_name=f"Customer {i}").id
        for i in range(200)
    ]
    stops = (
        StopView(sequence=1, kind="pickup", status="done", address="Invalidenstraße 1, Berlin"),
        StopView(sequence=2, kind="dropoff", status="done", address="Oranienstraße 25, Berlin"),
    )

    made = []
    started = time.perf_counter()
    for i in range(args.trips):
        trip = TripView(
            id=uuid.uuid4(),
            fleet_id=fleet.id,
            customer_id=customers[i % len(customers)],
            driver_id=None,
            vehicle_id=None,
            requested_for=None,
            ended_at=timezone.now(),
            stops=stops,
        )
        t0 = time.perf_counter()
        with transaction.atomic():  # as the handler runs: in the inbox's transaction
            messages.completed(event_id=uuid.uuid4(), event_type="bench", trip=trip)
        made.append(time.perf_counter() - t0)
    making = time.perf_counter() - started

    from django.db import connections

    def sender(out) -> None:
        out.put(deliveries.deliveries_send_due(limit=args.trips * 2))
        connections.close_all()

    connections.close_all()  # each process opens its own
    results = fork.Queue()
    started = time.perf_counter()
    senders = [fork.Process(target=sender, args=(results,)) for _ in range(args.senders)]
    for proc in senders:
        proc.start()
    sent = sum(results.get(timeout=600) for _ in senders)
    sending = time.perf_counter() - started
    for proc in senders:
        proc.join()
    time.sleep(0.5)
    assert Delivery.objects.filter(status="sent").count() == args.trips == sent == received.value, (
        sent,
        received.value,
        list(Delivery.objects.values_list("status", flat=True).distinct()),
    )
    server.terminate()

    print(
        f"completions turned into messages: {args.trips / making:.0f}/s, latency p50 / p95 / p99 "
        f"{percentile(made, 50) * 1000:.1f} / {percentile(made, 95) * 1000:.1f} / {percentile(made, 99) * 1000:.1f} ms"
    )
    print(
        f"mails handed to the local SMTP server by {args.senders} sending process(es): {sent / sending:.0f}/s "
        f"({sent} in {sending:.1f} s), each exactly once"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {dt.date.today()}")


if __name__ == "__main__":
    main()
