#!/usr/bin/env python
"""Events keep up: trip completions through the outbox, the relay and a Celery events worker to every subscriber
(billing's settlement with its ledger guards, dispatch's board, notifications' message and webhooks, and the
FareFinalised event settlement publishes in turn), with the real processes on PostgreSQL and Redis.

    .venv/bin/python scripts/bench/events.py [--rate 50] [--seconds 20] [--backlog-seconds 20] [--concurrency 2]
                                             [--sink celery|nats]

Its own database (logitrack_bench_events, recreated) on the PostgreSQL of DATABASE_URL and Redis database
--redis-db (flushed). Trips in progress are written in bulk; this process completes them through trips' service
(`trip_transition(action="complete")`, so each completion publishes its four events in its own transaction) at
--rate per second from --completers threads. The relay (`manage.py outbox_relay`) and the events worker
(`celery worker -Q events`, as the Procfile's `events` line) run as their own processes.

1. **Steady**: --seconds at --rate. Completions/s offered and processed end to end (each completion counts once
   every delivery of its events is in the subscribers' inboxes), delivery latency (inbox row minus outbox row),
   and the lag — the age of the oldest committed event some subscriber has not applied — sampled twice a second.
2. **Backlog**: the worker stops consuming (`cancel_consumer`) for --backlog-seconds of completions at --rate, as
   in a fault drill, then consumes again: the drain time against the build-up time (the goal: 5× faster), and
   the drain rate, which is the path's capacity in completions/s.

Both phases also print the CPU the events worker and the relay used per completion (from /proc, their process
groups): unlike the rates, it hardly depends on what else loads the machine, so `cores / CPU per completion`
estimates what the path can carry on an idle one (PostgreSQL's own CPU is not in it).

With `--sink nats` the same subscriptions are carried by NATS JetStream instead (127.0.0.1:4222 or
OUTBOX_NATS_URL; a stream of its own, recreated): the relay publishes to the stream and --concurrency
`manage.py outbox_consume` processes apply the events; the backlog phase stops them and starts them again (their
start-up is in the drain time).

Downstream jobs the subscribers queue (receipt PDFs, mails, webhook POSTs) go to the default and notifications
queues, which this benchmark does not consume unless --downstream starts a worker for them as well.
Figures depend on the machine's load: the load average is printed with them.
"""

import argparse
import datetime as dt
import os
import signal
import statistics
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("BENCH_DATABASE", "logitrack_bench_events")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _fleet import configure, fleet_with_drivers, percentile
from ingestion import cpu_seconds

TRIP_EVENTS = (
    "logitrack.trips.trip.status_changed.v1",
    "logitrack.trips.trip.status_changed.v2",
    "logitrack.trips.trip.completed.v1",
    "logitrack.trips.trip.completed.v2",
    "logitrack.billing.fare.finalised.v1",  # published by settlement, delivered in turn
)


def trips_in_progress(fleet, customers, n: int) -> list:
    """`n` trips under way on the fleet's started shifts, pickup done, drop-off pending; their ids in order."""
    import random

    from django.utils import timezone

    from apps.trips.models import Shift, Stop, Trip

    rng = random.Random(19)
    shifts = list(Shift.objects.filter(fleet_id=fleet.id).values_list("id", "driver_id", "vehicle_id"))
    now = timezone.now()
    trips, stops = [], []
    for i in range(n):
        shift = shifts[i % len(shifts)]
        trip = Trip(
            fleet_id=fleet.id,
            booked_by_id=customers[i % len(customers)],
            customer_id=customers[i % len(customers)],
            vehicle_type="van",
            service="delivery",
            status="in_progress",
            weight_kg=rng.randint(1, 80),
            driver_id=shift[1],
            vehicle_id=shift[2],
            shift_id=shift[0],
            started_at=now - dt.timedelta(minutes=rng.randint(10, 50)),
        )
        trips.append(trip)
        for seq, kind in ((1, "pickup"), (2, "dropoff")):
            stops.append(
                Stop(
                    trip=trip,
                    sequence=seq,
                    kind=kind,
                    address=f"{rng.randint(1, 200)} Bench Straße {i}-{seq}, Berlin",
                    lat=52.52 + rng.uniform(-0.1, 0.1),
                    lng=13.405 + rng.uniform(-0.1, 0.1),
                    status="done" if kind == "pickup" else "pending",
                )
            )
    Trip.objects.bulk_create(trips, batch_size=2000)
    Stop.objects.bulk_create(stops, batch_size=4000)
    return [t.id for t in trips]


class Undelivered:
    """The age of the oldest committed event (of the completions' types) that one of its subscribers has not yet
    applied, and how many deliveries are missing: one anti-join over the unique inbox key."""

    def __init__(self, since_id: int) -> None:
        from logitrack import bus

        self.since_id = since_id
        self.pairs = [(t, s.name) for t in TRIP_EVENTS for s in bus.subscriptions_for(t)]
        self.per_type = {t: sum(1 for p in self.pairs if p[0] == t) for t in TRIP_EVENTS}

    def measure(self) -> tuple[float, int]:
        from django.db import connection

        values = ", ".join(["(%s, %s)"] * len(self.pairs))
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT extract(epoch FROM now() - min(o.created_at)), count(*)
                    FROM outbox_outboxmessage o JOIN (VALUES {values}) s(t, sub) ON o.event_type = s.t
                    WHERE o.id > %s AND NOT EXISTS (
                        SELECT 1 FROM outbox_inboxrecord i WHERE i.subscriber = s.sub AND i.event_id = o.event_id)""",
                [*[x for p in self.pairs for x in p], self.since_id],
            )
            age, missing = cursor.fetchone()
        return float(age or 0.0), int(missing)

    def expected(self, completions: int) -> int:
        return completions * sum(self.per_type.values())


def complete(trip_ids, *, rate: float, threads: int) -> tuple[float, float, list[float]]:
    """Complete the trips at `rate` per second from `threads` threads; (first start, last commit, latencies)."""
    from django.db import connection

    from apps.trips.contracts import ActorRole
    from apps.trips.services.lifecycle import trip_transition

    latencies: list[float] = []
    lock = threading.Lock()
    cursor = iter(enumerate(trip_ids))
    started = time.perf_counter()

    def run() -> None:
        while True:
            with lock:
                item = next(cursor, None)
            if item is None:
                break
            i, trip_id = item
            wait = started + i / rate - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            t0 = time.perf_counter()
            trip_transition(trip_id=trip_id, action="complete", actor_id=None, role=ActorRole.DRIVER)
            with lock:
                latencies.append(time.perf_counter() - t0)
        connection.close()

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return started, time.perf_counter(), latencies


class Sampler(threading.Thread):
    """The lag twice a second, from its own connection, until stopped."""

    def __init__(self, undelivered: Undelivered, every: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.undelivered, self.every = undelivered, every
        self.samples: list[tuple[float, float, int]] = []  # (monotonic time, lag seconds, missing deliveries)
        self.stopping = threading.Event()

    def run(self) -> None:
        from django.db import connection

        while not self.stopping.is_set():
            age, missing = self.undelivered.measure()
            self.samples.append((time.perf_counter(), age, missing))
            self.stopping.wait(self.every)
        connection.close()

    def stop(self) -> list[tuple[float, float, int]]:
        self.stopping.set()
        self.join()
        return self.samples


def wait_delivered(undelivered: Undelivered, timeout: float) -> float:
    """Until no delivery is missing; returns the time it happened (perf_counter), polling every 50 ms."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        _, missing = undelivered.measure()
        if missing == 0:
            return time.perf_counter()
        time.sleep(0.05)
    raise SystemExit(f"not every delivery arrived within {timeout:.0f} s ({undelivered.measure()[1]} missing)")


def delivery_latencies(since_id: int, until_id: int) -> list[float]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT extract(epoch FROM i.processed_at - o.created_at) FROM outbox_inboxrecord i
               JOIN outbox_outboxmessage o ON o.event_id = i.event_id WHERE o.id > %s AND o.id <= %s""",
            [since_id, until_id],
        )
        return [float(r[0]) for r in cursor.fetchall()]


def last_outbox_id() -> int:
    from logitrack.outbox.models import OutboxMessage

    return OutboxMessage.objects.order_by("-id").values_list("id", flat=True).first() or 0


def lag_series(samples, t0: float, step: float = 2.0) -> str:
    out, next_at = [], t0
    for at, age, missing in samples:
        if at >= next_at:
            out.append(f"{at - t0:.0f}s:{age:.1f}s/{missing}")
            next_at += step
    return " ".join(out)


def cpu_of(groups: list[int]) -> float:
    return sum(cpu_seconds(pg) for pg in groups)


def cpu_line(before: tuple[float, float], worker_pgs: list[int], relay_pg: int, completions: int, cores: int) -> str:
    worker = (cpu_of(worker_pgs) - before[0]) / completions
    relay = (cpu_seconds(relay_pg) - before[1]) / completions
    return (
        f"  CPU per completion: events worker {worker * 1000:.0f} ms, relay {relay * 1000:.1f} ms "
        f"(so about {cores / worker:.0f} completions/s from {cores} idle core(s) for the worker)"
    )


def nats_stream(env: dict[str, str]) -> list[str]:
    """Carry every subscription of the completions' events over a fresh JetStream stream; their names."""
    from django.conf import settings
    from django.core.management import call_command

    from logitrack import bus
    from logitrack.outbox import jetstream

    names = sorted({s.name for t in TRIP_EVENTS for s in bus.subscriptions_for(t)})
    settings.OUTBOX_NATS_STREAM = env["OUTBOX_NATS_STREAM"] = "BENCH_EVENTS"
    settings.OUTBOX_NATS_SUBJECT_PREFIX = env["OUTBOX_NATS_SUBJECT_PREFIX"] = "bench"
    settings.OUTBOX_NATS_SUBSCRIPTIONS = names
    env["OUTBOX_NATS_SUBSCRIPTIONS"] = ",".join(names)

    async def drop(js) -> None:
        try:
            await js.delete_stream("BENCH_EVENTS")
        except Exception:  # none yet
            pass

    async def go() -> None:
        await drop(await jetstream.bridge().jetstream())

    jetstream.bridge().run(go())
    call_command("outbox_nats_setup", verbosity=0)
    return names


def wait_pulling(names: list[str], processes: int, timeout: float = 60) -> None:
    """Until every subscription's durable consumer has a pull waiting from each consumer process."""
    from django.conf import settings

    from logitrack.outbox import jetstream

    async def waiting() -> int:
        js = await jetstream.bridge().jetstream()
        infos = [await js.consumer_info(settings.OUTBOX_NATS_STREAM, jetstream.consumer_name(n)) for n in names]
        return min(info.num_waiting or 0 for info in infos)

    deadline = time.perf_counter() + timeout
    while jetstream.bridge().run(waiting()) < processes:
        if time.perf_counter() > deadline:
            raise SystemExit(f"the outbox_consume processes did not start pulling within {timeout:.0f} s")
        time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="trip completions per second offered")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the steady phase")
    parser.add_argument("--backlog-seconds", type=float, default=20.0, help="build-up with the worker paused (0: skip)")
    parser.add_argument("--concurrency", type=int, default=2, help="events worker processes")
    parser.add_argument("--completers", type=int, default=4, help="threads completing trips")
    parser.add_argument("--drivers", type=int, default=50)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--redis-db", type=int, default=5)
    parser.add_argument("--downstream", action="store_true", help="also consume the default and notifications queues")
    parser.add_argument("--sink", choices=("celery", "nats"), default="celery", help="the broker events go through")
    args = parser.parse_args()

    env = configure(redis_db=args.redis_db)
    env["OUTBOX_INLINE_RELAY"] = "false"
    env["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"

    from celery import current_app
    from django.db import connection

    from apps.billing.tests.factories import tariff
    from apps.identity.models import User
    from logitrack.testing.processes import Processes, wait_for_worker, worker_name

    fleet, _dispatcher, _drivers = fleet_with_drivers(args.drivers, shifts=True, seed=19)
    tariff(fleet_id=fleet.id, valid_from=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    customers = [
        User(email=f"customer{i}@bench.test", display_name=f"Customer {i}", is_customer=True)
        for i in range(args.customers)
    ]
    User.objects.bulk_create(customers, batch_size=5000)
    steady_n = round(args.rate * args.seconds)
    backlog_n = round(args.rate * args.backlog_seconds)
    trip_ids = trips_in_progress(fleet, [c.id for c in customers], steady_n + backlog_n)
    connection.close()

    log_dir = Path(__file__).resolve().parents[2] / "var" / "bench-events"
    log_dir.mkdir(parents=True, exist_ok=True)
    for old in log_dir.glob("*.log"):
        old.unlink()
    passed = ["OUTBOX_INLINE_RELAY", "EMAIL_BACKEND", "LOG_LEVEL"]
    nats = args.sink == "nats"
    if nats:
        carried = nats_stream(env)
        passed += ["OUTBOX_NATS_STREAM", "OUTBOX_NATS_SUBJECT_PREFIX", "OUTBOX_NATS_SUBSCRIPTIONS"]
    procs = Processes(log_dir, env={k: env[k] for k in passed})
    consumers = [f"consumer-{i + 1}" for i in range(args.concurrency)]

    def start_consumers() -> None:
        for name in consumers:
            procs.consumer(name)

    try:
        procs.start("relay", "manage.py", "outbox_relay")
        if nats:
            start_consumers()
            wait_pulling(carried, args.concurrency)
        else:
            procs.worker("events", queues="events", concurrency=args.concurrency)
        if args.downstream:
            procs.worker("worker", queues="default,notifications", concurrency=2)
        if not nats or args.downstream:
            wait_for_worker(names=("events",) if not nats else ("worker",))
        what = (
            f"{args.concurrency} outbox_consume processes over NATS" if nats else f"events worker -c {args.concurrency}"
        )
        print(
            f"{steady_n} + {backlog_n} trips in progress, {args.drivers} drivers, {what}, "
            f"{args.completers} completing threads; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )

        # 1. steady
        since = last_outbox_id()
        undelivered = Undelivered(since)
        per_completion = sum(undelivered.per_type.values())
        worker_pgs = [procs.get(n).pid for n in consumers] if nats else [procs.get("events").pid]
        relay_pg = procs.get("relay").pid
        cpu = (cpu_of(worker_pgs), cpu_seconds(relay_pg))
        sampler = Sampler(undelivered)
        sampler.start()
        began, ended, took = complete(trip_ids[:steady_n], rate=args.rate, threads=args.completers)
        done = wait_delivered(undelivered, timeout=600)
        samples = sampler.stop()
        until = last_outbox_id()
        lat = delivery_latencies(since, until)
        steady_lags = [age for at, age, _ in samples if at <= ended]
        offered = steady_n / (ended - began)
        processed = steady_n / (done - began)
        print(f"\nsteady: {steady_n} completions, {per_completion} deliveries each ({len(lat)} in all)")
        print(
            f"  completions offered {offered:.1f}/s (completing p50 {statistics.median(took) * 1000:.0f} ms), "
            f"processed end to end {processed:.1f}/s; all delivered {done - ended:.1f} s after the last completion"
        )
        print(
            f"  delivery latency p50 / p95 / p99 {percentile(lat, 50) * 1000:.0f} / {percentile(lat, 95) * 1000:.0f}"
            f" / {percentile(lat, 99) * 1000:.0f} ms"
        )
        print(
            f"  lag (oldest undelivered event) while completing: median {statistics.median(steady_lags):.2f} s, "
            f"max {max(steady_lags):.2f} s"
        )
        print(f"  lag over time (s since start: lag/missing deliveries): {lag_series(samples, began)}")
        print(cpu_line(cpu, worker_pgs, relay_pg, steady_n, args.concurrency))

        # 2. backlog
        if backlog_n:
            since = last_outbox_id()
            undelivered = Undelivered(since)
            name = worker_name("events").replace("%h", __import__("socket").gethostname())
            if nats:
                for n in consumers:
                    procs.kill(n, signal.SIGTERM)
            else:
                current_app.control.cancel_consumer("events", destination=[name], reply=True, timeout=5)
            began, ended, _ = complete(trip_ids[steady_n:], rate=args.rate, threads=args.completers)
            build = ended - began
            _, missing = undelivered.measure()
            sampler = Sampler(undelivered)
            sampler.start()
            resumed, left = time.perf_counter(), missing
            if nats:  # the drain is timed from when they consume again; their start-up is printed apart
                started = {n: procs.log(n).count("consuming ") for n in consumers}
                start_consumers()
                while any(procs.log(n).count("consuming ") == started[n] for n in consumers):
                    time.sleep(0.05)
                print(f"\n(the consumers took {time.perf_counter() - resumed:.1f} s to start again)")
                resumed = time.perf_counter()
                worker_pgs = [procs.get(n).pid for n in consumers]
                _, left = undelivered.measure()  # they may have applied some already: time the rest, scaled
                if left:
                    print(f"(timing the last {left} of {missing} deliveries, scaled to all of them)")
            else:
                current_app.control.add_consumer("events", destination=[name], reply=True, timeout=5)
            cpu = (cpu_of(worker_pgs), cpu_seconds(relay_pg))
            done = wait_delivered(undelivered, timeout=1200)
            drain_samples = sampler.stop()
            drain = (done - resumed) * (missing / left if left else 1.0)
            print(f"\nbacklog: {backlog_n} completions built up in {build:.1f} s ({missing} deliveries waiting)")
            print(
                f"  drained in {drain:.1f} s: {build / drain:.1f}x faster than it built up (goal 5x), "
                f"capacity {backlog_n / drain:.1f} completions/s ({missing / drain:.0f} deliveries/s)"
            )
            print(f"  lag while draining: {lag_series(drain_samples, resumed)}")
            print(cpu_line(cpu, worker_pgs, relay_pg, backlog_n, args.concurrency))
        print(f"\nload average at the end {os.getloadavg()[0]:.1f}; {dt.date.today()}")
        dead = procs.died()
        if dead:
            print(dead)
    finally:
        procs.stop_all()


if __name__ == "__main__":
    main()
