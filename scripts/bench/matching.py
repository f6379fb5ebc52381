#!/usr/bin/env python
"""Matching latency: the nearest eligible driver for a trip with 10,000 and 100,000 live drivers.

    .venv/bin/python scripts/bench/matching.py [--sizes 10000 100000] [--queries 300]

Against its own PostgreSQL database (logitrack_bench, recreated) and Redis database 4: every driver is
compliant, on duty and on a started shift with a van, and has a live position within ~15 km of Berlin's
centre. Measures the GEOSEARCH alone and the whole built-in strategy (GEOSEARCH, partner eligibility,
open shifts, vehicle capacity, travel-time ranking) for random pickups.
"""

import argparse
import datetime as dt
import os
import random
import statistics
import time
import uuid

from _fleet import configure, fleet_with_drivers, percentile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()

    configure(redis_db=4)
    from apps.dispatch import live, matching
    from apps.dispatch.contracts import LivePosition
    from apps.trips.contracts import StopKind, StopRef, StopStatus, TripRef, TripStatus

    rng = random.Random(11)
    print(f"machine: {os.cpu_count()} cores · {args.queries} queries per size · candidates wanted: 20")
    print(
        f"{'live drivers':>12} {'set-up s':>9} {'GEOSEARCH p50/p95/p99 ms':>26} "
        f"{'strategy p50/p95/p99 ms':>26} {'found':>6}"
    )
    for size in args.sizes:
        t0 = time.perf_counter()
        fleet, _, placed = fleet_with_drivers(size, shifts=True, seed=size)
        now = dt.datetime.now(dt.UTC)
        positions = [
            LivePosition(driver_id=driver_id, fleet_id=fleet.id, lat=lat, lng=lng, recorded_at=now)
            for _, driver_id, lat, lng in placed
        ]
        for start in range(0, len(positions), 5000):
            live.store().update(fleet.id, positions[start : start + 5000])
        setup = time.perf_counter() - t0

        strategy = matching.NearestEligibleDriver(radius_m=5_000, limit=20)
        geo, full, found = [], [], []
        for _ in range(args.queries):
            lat, lng = 52.52 + rng.uniform(-0.1, 0.1), 13.405 + rng.uniform(-0.1, 0.1)
            t = time.perf_counter()
            live.store().nearest(fleet.id, lat=lat, lng=lng, radius_m=5_000, count=20)
            geo.append((time.perf_counter() - t) * 1000)
            stop = StopRef(
                sequence=1,
                kind=StopKind.PICKUP,
                status=StopStatus.PENDING,
                address="",
                lat=lat,
                lng=lng,
                window_start=None,
                window_end=None,
                service_minutes=0,
            )
            trip = TripRef(
                id=uuid.uuid4(),
                fleet_id=fleet.id,
                status=TripStatus.REQUESTED,
                version=1,
                vehicle_type="van",
                service="delivery",
                requested_for=None,
                created_at=now,
                weight_kg=50,
                volume_m3=0,
                parcels=0,
                seats=0,
                shift_id=None,
                driver_id=None,
                vehicle_id=None,
                stops=(stop,),
            )
            t = time.perf_counter()
            candidates = strategy.candidates(trip, exclude=set())
            full.append((time.perf_counter() - t) * 1000)
            found.append(len(candidates))
        print(
            f"{size:>12,} {setup:>9.1f} "
            f"{percentile(geo, 50):>8.2f} /{percentile(geo, 95):>6.2f} /{percentile(geo, 99):>6.2f}     "
            f"{percentile(full, 50):>8.1f} /{percentile(full, 95):>6.1f} /{percentile(full, 99):>6.1f}     "
            f"{statistics.median(found):>6.0f}"
        )


if __name__ == "__main__":
    main()
