#!/usr/bin/env python
"""Webhook throughput: trip.completed events turned into deliveries, and deliveries signed and POSTed to a local
receiver (ThreadingHTTPServer on 127.0.0.1 answering 204), per second, with the whole send path (claim under a row
lock, SSRF check, HMAC signature, HTTP, the attempt logged with request and response, the endpoint's state).

Runs against its own database (logitrack_bench_webhooks, recreated) on the PostgreSQL of DATABASE_URL:
    .venv/bin/python scripts/bench/webhooks.py [--events 1000] [--endpoints 1] [--senders 4]
Prints rates and latency percentiles; results go to docs/benchmarks.md with the machine and date.
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
BENCH_DB = "logitrack_bench_webhooks"


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class Quick(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    received = 0
    lock = threading.Lock()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with Quick.lock:
            Quick.received += 1
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def trip_completed(fleet_id):
    from apps.trips.contracts import StopKind, StopStatus, TripStatus
    from apps.trips.events import StopSnapshot, TripCompletedV2, TripSnapshot

    now = dt.datetime.now(dt.UTC)
    stops = tuple(
        StopSnapshot(
            sequence=n, kind=kind, status=StopStatus.DONE, address=f"Invalidenstraße {n}", lat=52.52, lng=13.40,
            window_start=None, window_end=None, service_minutes=2, arrived_at=now, finished_at=now,
        )
        for n, kind in ((1, StopKind.PICKUP), (2, StopKind.DROPOFF))
    )  # fmt: skip
    trip = TripSnapshot(
        id=uuid.uuid4(), fleet_id=fleet_id, status=TripStatus.COMPLETED, version=7, vehicle_type="van",
        service="delivery", requested_for=None, created_at=now, weight_kg=20, volume_m3=0.1, parcels=1, seats=0,
        customer_id=uuid.uuid4(), quote_id=None, shift_id=uuid.uuid4(), driver_id=uuid.uuid4(),
        vehicle_id=uuid.uuid4(), eta_at=None, started_at=now, ended_at=now, stops=stops,
    )  # fmt: skip
    return TripCompletedV2(distance_m=4200, duration_s=1260, waiting_s=60, trip=trip)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--endpoints", type=int, default=1, help="endpoints of the fleet subscribed to trip.completed")
    parser.add_argument("--senders", type=int, default=4, help="threads sending, as worker processes would")
    args = parser.parse_args()

    base = os.environ.get("DATABASE_URL", "postgres://logitrack:logitrack@127.0.0.1:5432/logitrack")
    os.environ["DATABASE_URL"] = base.rsplit("/", 1)[0] + "/" + BENCH_DB
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    os.environ["DJANGO_DEBUG"] = "false"  # no query log
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["NOTIFICATIONS_WEBHOOK_ALLOW_LOOPBACK"] = "true"  # the receiver is local
    os.environ["OUTBOX_INLINE_RELAY"] = "false"
    os.environ.pop("REDIS_URL", None)

    import django
    import psycopg

    admin = psycopg.connect(base.rsplit("/", 1)[0] + "/postgres", autocommit=True)
    admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    admin.execute(f"CREATE DATABASE {BENCH_DB}")
    admin.close()
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    settings.CELERY_TASK_ALWAYS_EAGER = False  # the rows are claimed and their sends measured here, not queued jobs
    call_command("migrate", verbosity=0)
    from celery import current_app

    current_app.conf.task_always_eager = False
    current_app.conf.broker_url = "memory://"

    from apps.fleet.tests.factories import active_fleet
    from apps.notifications.models import WebhookDelivery
    from apps.notifications.webhooks import services
    from logitrack.events import to_envelope

    server = ThreadingHTTPServer(("127.0.0.1", 0), Quick)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hooks"

    fleet = active_fleet()
    for _ in range(args.endpoints):
        services.endpoint_create(fleet_id=fleet.id, url=url, event_types=["trip.completed"])

    # 1. events -> deliveries (what the handler does in the inbox transaction)
    made_latency, ids = [], []
    started = time.perf_counter()
    for _ in range(args.events):
        t0 = time.perf_counter()
        ids += services.deliveries_create(event_envelope=to_envelope(trip_completed(fleet.id)))
        made_latency.append(time.perf_counter() - t0)
    queued_for = time.perf_counter() - started

    # 2. deliveries -> signed POSTs, by `senders` threads (each a worker process in production)
    claims = dict(WebhookDelivery.objects.filter(id__in=ids).values_list("id", "claim"))
    send_latency = []

    def send(delivery_id):
        t0 = time.perf_counter()
        outcome = services.delivery_send(delivery_id=delivery_id, claim=claims[delivery_id])
        send_latency.append(time.perf_counter() - t0)
        return outcome

    def close_connection():
        connections.close_all()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.senders) as pool:
        outcomes = list(pool.map(send, ids))
        list(pool.map(lambda _: close_connection(), range(args.senders)))
    sent_for = time.perf_counter() - started

    ms = 1000
    print(f"events: {args.events}, endpoints: {args.endpoints}, senders: {args.senders}")
    print(
        f"deliveries made: {len(ids) / queued_for:.0f}/s "
        f"(per event p50 {statistics.median(made_latency) * ms:.1f} ms, p95 {percentile(made_latency, 95) * ms:.1f} ms)"
    )
    print(
        f"deliveries sent: {len(ids) / sent_for:.0f}/s "
        f"(per send p50 {statistics.median(send_latency) * ms:.1f} ms, p95 {percentile(send_latency, 95) * ms:.1f} ms, "
        f"p99 {percentile(send_latency, 99) * ms:.1f} ms); sent {outcomes.count('sent')}, receiver got {Quick.received}"
    )
    server.shutdown()
    connections.close_all()


if __name__ == "__main__":
    main()
