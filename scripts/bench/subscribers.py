#!/usr/bin/env python
"""Each subscriber of a trip completion on its own: statements and CPU per event, delivered one at a time
(`deliver`, one transaction per event) against in batches (`deliver_many`, as the events worker does), in this one
process on PostgreSQL and Redis, caches warm. Unlike scripts/bench/events.py this hardly depends on what else loads
the machine: the CPU is this process' own (PostgreSQL's is not in it).

    .venv/bin/python scripts/bench/subscribers.py [--trips 200] [--batch 20] [--redis-db 6] [--profile NAME]

Its own database (BENCH_DATABASE, default logitrack_bench_subscribers, recreated) and Redis database (flushed).
Trips in progress are written in bulk and completed through trips' service with the relay off, so their events
wait in the outbox; each subscription of a completion's events (and of the FareFinalised event settlement
publishes) then gets half of them one by one and the other half in batches of --batch. --profile NAME prints
cProfile's top functions of NAME's batches.
"""

import argparse
import cProfile
import datetime as dt
import os
import pstats
import sys
import time
from pathlib import Path

os.environ.setdefault("BENCH_DATABASE", "logitrack_bench_subscribers")
os.environ["OUTBOX_INLINE_RELAY"] = "false"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _fleet import configure, fleet_with_drivers
from events import TRIP_EVENTS, trips_in_progress

WARM = 4  # events of each half delivered before measuring: caches, first accounts, first rows of the day


class Statements:
    """Counts the statements this process sends (an execute wrapper: cheaper than capturing them)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trips", type=int, default=200)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--redis-db", type=int, default=6)
    parser.add_argument("--profile", default="", help="a subscription name: cProfile its batches")
    args = parser.parse_args()
    configure(redis_db=args.redis_db)

    from django.db import connection

    from apps.billing.tests.factories import tariff
    from apps.identity.models import User
    from apps.trips.contracts import ActorRole
    from apps.trips.services.lifecycle import trip_transition
    from logitrack import bus
    from logitrack.outbox import delivery
    from logitrack.outbox.models import OutboxMessage

    fleet, _dispatcher, _drivers = fleet_with_drivers(50, shifts=True, seed=19)
    tariff(fleet_id=fleet.id, valid_from=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    customers = [
        User(email=f"customer{i}@bench.test", display_name=f"Customer {i}", is_customer=True) for i in range(60)
    ]
    User.objects.bulk_create(customers)
    for trip_id in trips_in_progress(fleet, [c.id for c in customers], args.trips):
        trip_transition(trip_id=trip_id, action="complete", actor_id=None, role=ActorRole.DRIVER)

    def envelopes(event_type: str) -> list[dict]:
        rows = OutboxMessage.objects.filter(event_type=event_type).order_by("id")
        return list(rows.values_list("envelope", flat=True))

    rows = []
    subs = [s for t in TRIP_EVENTS for s in bus.subscriptions_for(t)]
    # settlement first: the FareFinalised events it publishes are the last subscriber's
    order = sorted(subs, key=lambda s: s.event_type.startswith("logitrack.billing"))
    for sub in order:
        sent = envelopes(sub.event_type)
        half = len(sent) // 2
        alone, batched = sent[:half], sent[half:]
        counter = Statements()
        with connection.execute_wrapper(counter):
            for envelope in alone[:WARM]:
                delivery.deliver(subscription_name=sub.name, envelope=envelope)
            counter.count, cpu = 0, time.process_time()
            for envelope in alone[WARM:]:
                delivery.deliver(subscription_name=sub.name, envelope=envelope)
            one = ((time.process_time() - cpu) / (len(alone) - WARM), counter.count / (len(alone) - WARM))

            delivery.deliver_many(subscription_name=sub.name, envelopes=batched[:WARM])
            rest = batched[WARM:]
            profiler = cProfile.Profile() if sub.name == args.profile else None
            counter.count, cpu = 0, time.process_time()
            if profiler:
                profiler.enable()
            for i in range(0, len(rest), args.batch):
                _, failed = delivery.deliver_many(subscription_name=sub.name, envelopes=rest[i : i + args.batch])
                assert not failed, f"{sub.name}: a batch failed"
            if profiler:
                profiler.disable()
            many = ((time.process_time() - cpu) / len(rest), counter.count / len(rest))
        rows.append((sub.name, one, many))
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)

    print(f"\n{args.trips} completions; batches of {args.batch}; load average {os.getloadavg()[0]:.1f}")
    print(f"| subscriber | statements per event, alone → batch of {args.batch} | CPU per event, alone → batch |")
    print("|---|---|---|")
    for name, (cpu1, st1), (cpu2, st2) in rows:
        print(f"| `{name}` | {st1:.1f} → {st2:.1f} | {cpu1 * 1000:.1f} → {cpu2 * 1000:.1f} ms |")
    st1, st2 = sum(one[1] for _, one, _ in rows), sum(many[1] for _, _, many in rows)
    cpu1, cpu2 = sum(one[0] for _, one, _ in rows) * 1000, sum(many[0] for _, _, many in rows) * 1000
    print(f"| a completion's {len(rows)} deliveries | {st1:.0f} → {st2:.0f} | {cpu1:.0f} → {cpu2:.0f} ms |")


if __name__ == "__main__":
    main()
