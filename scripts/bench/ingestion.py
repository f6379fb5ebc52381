#!/usr/bin/env python
"""Ingestion and fan-out on the full stack: N drivers pinging at 1 Hz over websockets plus buffered batch
uploads over REST, M dispatch screens watching the fleet; pings stored per second and ping -> screen latency.

    .venv/bin/python scripts/bench/ingestion.py [--drivers 1000] [--screens 20] [--rest-rate 4000]
        [--seconds 30] [--web-workers 2] [--floor-seconds 10] [--redis-db 3] [--profile stacks.txt]

Starts uvicorn (config.asgi) against its own PostgreSQL database (logitrack_bench, recreated) and Redis
database 3, with the Redis channel layer. The load runs in this process (asyncio): every driver has its own
websocket; REST uploads carry --batch buffered (older) pings each. Latency is measured on the screens from each
ping's recorded_at (same machine clock) to the moment a screen receives it, on two of the screens
(in a separate, lightly loaded process; the others take delivery in the load generator without parsing).

The server's CPU is its processes' own (user + kernel, from /proc) over the window. After the window the same
sockets send heartbeats instead of pings for --floor-seconds: a frame in and a frame out with no ping work, the
floor a ping's cost is read against on a shared machine. --profile writes py-spy's collapsed stacks of the worker
(`py-spy record --gil`; one web worker) over the window; py-spy is not a dependency (`pip install py-spy`).
"""

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from _fleet import asgi_server, configure, fleet_with_drivers, percentile


def cpu_seconds(pgid: int, *, system: bool = False) -> float:
    """CPU time (user + system, or system only) of every live process in the server's process group, from /proc."""
    ticks = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # state, ppid, pgrp, ... utime (11), stime (12)
            ticks += (0 if system else int(fields[11])) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    return sum(values) - values[3] - values[4], sum(values)


def now_iso(offset_s: float = 0.0) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=offset_s)).isoformat()


async def screen(url: str, latencies: list, stop: asyncio.Event, counts: dict, measure: bool, timeline=None) -> None:
    from websockets.asyncio.client import connect

    async with connect(url, max_size=None) as ws:
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=0.5)
            except TimeoutError:
                continue
            received = time.time()
            counts["screen_messages"] += 1
            if not measure:  # the other screens only take delivery: parsing is the load generator's cost
                continue
            message = json.loads(raw)
            if message["type"] == "positions":
                for p in message["positions"]:
                    sent = dt.datetime.fromisoformat(p["recorded_at"]).timestamp()
                    latencies.append((received - sent) * 1000)
                    if timeline is not None:
                        timeline.append((received, (received - sent) * 1000))


async def driver(url: str, stop: asyncio.Event, counts: dict, start_delay: float, lat: float, lng: float) -> None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidStatus

    await asyncio.sleep(start_delay)  # spread the 1 Hz pings over the second
    while True:  # like an app: a handshake that times out on a busy server is tried again, not given up
        try:
            ws = await connect(url, open_timeout=60)
            break
        except (OSError, TimeoutError, InvalidStatus):
            if stop.is_set():
                return
            await asyncio.sleep(random.uniform(1.0, 3.0))
    async with ws:
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello", hello
        counts["connected"] += 1

        async def read_acks():
            async for raw in ws:
                message = json.loads(raw)
                if message["type"] == "ack":
                    counts["acked"] += len(message["ping_ids"])
                elif message["type"] == "heartbeat":
                    counts["heartbeats_answered"] += 1
                elif message["type"] == "error":
                    counts["errors"] += 1

        reader = asyncio.create_task(read_acks())
        next_at = time.monotonic()
        while not stop.is_set():
            if counts["floor"]:  # the floor phase: a frame in and a frame out, no ping work
                await ws.send('{"type": "heartbeat"}')
                counts["heartbeats"] += 1
                next_at += 1.0
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                continue
            lat += random.uniform(-0.0003, 0.0003)
            lng += random.uniform(-0.0003, 0.0003)
            await ws.send(
                json.dumps(
                    {
                        "type": "ping",
                        "ping_id": str(uuid.uuid4()),
                        "lat": lat,
                        "lng": lng,
                        "recorded_at": now_iso(),
                        "speed_mps": 8.0,
                    }
                )
            )
            counts["ws_sent"] += 1
            next_at += 1.0
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        await asyncio.sleep(1.0)  # let the last acks arrive
        reader.cancel()


async def uploader(base: str, tokens: list, rate: float, batch: int, stop: asyncio.Event, counts: dict, pool) -> None:
    import requests

    session = requests.Session()
    per_request = batch
    interval = per_request / rate if rate else None
    loop = asyncio.get_running_loop()
    next_at = time.monotonic()
    i = 0

    def post(token, body):
        return session.post(
            f"{base}/api/v1/dispatch/positions/", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )

    pending = set()
    while interval and not stop.is_set():
        token, lat, lng = tokens[i % len(tokens)]
        i += 1
        pings = [
            {"ping_id": str(uuid.uuid4()), "lat": lat, "lng": lng, "recorded_at": now_iso(-600 + k * 600 / per_request)}
            for k in range(per_request)
        ]  # an offline buffer from the last ten minutes

        async def one(t, body):
            response = await loop.run_in_executor(pool, post, t, body)
            if response.status_code == 200:
                counts["rest_stored"] += len(response.json()["stored"])
            else:
                counts["errors"] += 1

        task = asyncio.create_task(one(token, {"pings": pings}))
        pending.add(task)
        task.add_done_callback(pending.discard)
        counts["rest_sent"] += per_request
        next_at += interval
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    if pending:
        await asyncio.wait(pending, timeout=30)


def measuring_screens(url: str, count: int, seconds: float, out) -> None:
    """Runs in its own process: a lightly loaded client, so its receive times are the server's, not the
    load generator's queueing."""

    async def go():
        latencies, timeline, counts, stop = [], [], {"screen_messages": 0}, asyncio.Event()
        tasks = [
            asyncio.create_task(screen(url, latencies, stop, counts, True, timeline if i == 0 else None))
            for i in range(count)
        ]
        await asyncio.sleep(seconds)
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        return latencies, timeline

    out.send(asyncio.run(go()))


async def run_load(args, base, fleet_id, dispatcher_token, drivers, server_pid) -> dict:
    import multiprocessing

    counts = dict.fromkeys(
        ("connected", "ws_sent", "acked", "rest_sent", "rest_stored", "screen_messages", "errors", "floor",
         "heartbeats", "heartbeats_answered"), 0,
    )  # fmt: skip
    stop = asyncio.Event()
    ws_base = base.replace("http://", "ws://")
    feed_url = f"{ws_base}/ws/dispatch/fleets/{fleet_id}/?token={dispatcher_token}"
    measured = min(2, args.screens)
    screens = [asyncio.create_task(screen(feed_url, [], stop, counts, False)) for _ in range(args.screens - measured)]
    await asyncio.sleep(1.0)
    drivers_tasks = [
        asyncio.create_task(driver(f"{ws_base}/ws/driver/?token={token}", stop, counts, i / len(drivers), lat, lng))
        for i, (token, lat, lng) in enumerate(drivers)
    ]
    connecting = time.monotonic()
    while counts["connected"] < len(drivers) and time.monotonic() - connecting < 300:
        await asyncio.sleep(0.2)
    print(f"{counts['connected']} drivers connected in {time.monotonic() - connecting:.1f} s", flush=True)
    pool = ThreadPoolExecutor(8)
    uploads = asyncio.create_task(uploader(base, drivers, args.rest_rate, args.batch, stop, counts, pool))
    await asyncio.sleep(args.warmup)
    receiver, sender = multiprocessing.get_context("spawn").Pipe(duplex=False)
    probe = multiprocessing.get_context("spawn").Process(
        target=measuring_screens, args=(feed_url, measured, args.seconds + 1.0, sender)
    )
    probe.start()
    await asyncio.sleep(1.0)  # the probe connects
    profiler = None
    if args.profile:  # collapsed stacks (py-spy's raw format), GIL holders only: waiting on a socket is not work
        profiler = subprocess.Popen(
            [shutil.which("py-spy") or "py-spy", "record", "--gil", "-r", "100", "-f", "raw", "-d",
             str(int(args.seconds)), "-p", str(server_pid), "-o", args.profile],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    marks = dict(counts)
    server_cpu, server_sys, machine = cpu_seconds(server_pid), cpu_seconds(server_pid, system=True), machine_ticks()
    started = time.monotonic()
    await asyncio.sleep(args.seconds)
    window = time.monotonic() - started
    in_window = {k: counts[k] - marks[k] for k in counts}
    server_cpu = cpu_seconds(server_pid) - server_cpu
    server_sys = cpu_seconds(server_pid, system=True) - server_sys
    busy, total = (b - a for a, b in zip(machine, machine_ticks(), strict=True))
    cpu = {
        "server_cores": server_cpu / window,
        "server_system": server_sys / max(server_cpu, 1e-9),
        "machine_busy": busy / total if total else 0.0,
    }
    latencies, timeline = await asyncio.get_running_loop().run_in_executor(None, receiver.recv)
    if profiler is not None:
        await asyncio.get_running_loop().run_in_executor(None, profiler.wait)
    if args.timeline and timeline:
        start, by_second = timeline[0][0], {}
        for received, ms in timeline:
            by_second.setdefault(int(received - start), []).append(ms)
        for second, values in sorted(by_second.items()):
            print(
                f"  t={second:>3}s  deliveries {len(values):>5}  "
                f"p50 {percentile(values, 50):>7.1f}  max {max(values):>7.1f}"
            )
    probe.join()
    floor = None
    if args.floor_seconds:  # the same sockets send heartbeats instead of pings: the cost of a frame in and out
        counts["floor"] = 1
        await asyncio.sleep(3.0)  # the last batches are stored and acked
        marks, floor_cpu = dict(counts), cpu_seconds(server_pid)
        started = time.monotonic()
        await asyncio.sleep(args.floor_seconds)
        floor_window = time.monotonic() - started
        answered = counts["heartbeats_answered"] - marks["heartbeats_answered"]
        floor = {"cores": (cpu_seconds(server_pid) - floor_cpu) / floor_window, "per_s": answered / floor_window}
    stop.set()
    await asyncio.gather(*drivers_tasks, uploads, *screens, return_exceptions=True)
    pool.shutdown()
    return {
        "window": window, "in_window": in_window, "latencies": latencies, "totals": counts, "cpu": cpu, "floor": floor,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drivers", type=int, default=1000)
    parser.add_argument("--screens", type=int, default=20)
    parser.add_argument("--rest-rate", type=float, default=4000, help="buffered pings per second over REST")
    parser.add_argument("--batch", type=int, default=500, help="pings per REST upload (an offline buffer)")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--timeline", action="store_true", help="latency per second of the window")
    parser.add_argument(
        "--floor-seconds", type=float, default=10, help="then heartbeats instead of pings for this long (0: none)"
    )
    parser.add_argument("--ws", default="auto", help="uvicorn's websocket implementation (auto: websockets-sansio)")
    parser.add_argument("--redis-db", type=int, default=3, help="the Redis database to flush and use")
    parser.add_argument(
        "--profile",
        metavar="SVG",
        help="py-spy's collapsed stacks of the server (one worker) over the window, to this file",
    )
    parser.add_argument(
        "--ws-deflate", action="store_true", help="let websockets negotiate permessage-deflate (off in our servers)"
    )
    args = parser.parse_args()

    env = configure(redis_db=args.redis_db)
    from django.db import connection
    from rest_framework_simplejwt.tokens import AccessToken

    fleet, dispatcher, placed = fleet_with_drivers(args.drivers)
    drivers = [(str(AccessToken.for_user(u)), lat, lng) for u, _, lat, lng in placed]
    dispatcher_token = str(AccessToken.for_user(dispatcher))
    connection.close()

    with asgi_server(env, workers=args.web_workers, log_name="ingestion", ws_deflate=args.ws_deflate, ws=args.ws) as (
        base,
        server,
    ):
        result = asyncio.run(run_load(args, base, fleet.id, dispatcher_token, drivers, server.pid))
    log_path = server.log_path
    server_errors = log_path.read_text().count("Exception in ASGI application")

    from apps.dispatch.models import PositionPing

    stored_total = PositionPing.objects.count()
    w, c, lat = result["window"], result["in_window"], result["latencies"]
    print(
        f"machine: {os.cpu_count()} cores · {args.drivers} drivers at 1 Hz over websockets · {args.screens} screens · "
        f"REST uploads {args.rest_rate:.0f} pings/s · {args.web_workers} web workers · {w:.0f} s window"
    )
    print(f"websocket pings sent/s   {c['ws_sent'] / w:8.0f}   acked (stored) /s {c['acked'] / w:8.0f}")
    print(f"REST pings sent/s        {c['rest_sent'] / w:8.0f}   stored /s         {c['rest_stored'] / w:8.0f}")
    print(f"total stored /s          {(c['acked'] + c['rest_stored']) / w:8.0f}   errors {c['errors']}")
    if lat:
        print(
            f"ping -> screen latency ms: p50 {percentile(lat, 50):.1f}  p95 {percentile(lat, 95):.1f}  "
            f"p99 {percentile(lat, 99):.1f}  (median of {len(lat)} deliveries: {statistics.median(lat):.1f})"
        )
    stored_per_s = (c["acked"] + c["rest_stored"]) / w
    cpu = result["cpu"]
    per_ping_us = cpu["server_cores"] * 1e6 / max(stored_per_s, 1)
    print(
        f"server CPU: {cpu['server_cores']:.2f} cores ({per_ping_us:.0f} µs per stored ping, "
        f"{100 * cpu['server_system']:.0f} % of it in the kernel) · whole machine {100 * cpu['machine_busy']:.0f} % "
        f"busy (server, load generator, PostgreSQL, Redis and anything else running)"
    )
    if result["floor"]:
        f = result["floor"]
        floor_us = f["cores"] * 1e6 / max(f["per_s"], 1)
        print(
            f"floor (heartbeat in, heartbeat out, same sockets): {f['per_s']:.0f}/s · {f['cores']:.2f} cores "
            f"({floor_us:.0f} µs per heartbeat) · a ping costs {per_ping_us / max(floor_us, 1e-9):.2f}× a heartbeat"
        )
    print(f"rows in history: {stored_total} (every acked or REST-stored ping, each once)")
    print(f"server errors while the load ran: {server_errors} (log: {log_path})")


if __name__ == "__main__":
    main()
