#!/usr/bin/env python
"""The dispatch screen under a real fleet's feed: Chromium shows one fleet with N drivers pinging at 1 Hz and M
open trips; frame times and long tasks are measured in the page, first with the feed quiet (the floor), then
under load.

    .venv/bin/python scripts/bench/screen.py [--drivers 1000] [--trips 2000] [--seconds 30] [--quiet 10]
        [--width 1366 --height 768] [--web-workers 2]

Starts uvicorn (config.asgi) against its own PostgreSQL database (logitrack_bench, recreated) and Redis
database 3, with the Redis channel layer; Debian's Chromium (Playwright, headless) signs in as the fleet's
dispatcher. The drivers are the ingestion benchmark's websocket clients, in this process. Figures: the interval
between animation frames (a smooth screen draws every ~16.7 ms; above 50 ms a person sees a stutter), long
tasks (main-thread work over 50 ms: the page cannot answer a click meanwhile) and how long the first snapshot
took to draw, each also as a ratio to the quiet phase.
"""

import argparse
import asyncio
import datetime as dt
import os
import random
import statistics
import threading
import time

from _fleet import asgi_server, configure, fleet_with_drivers, percentile
from ingestion import cpu_seconds, driver, machine_ticks

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "x" * 12  # what _fleet gives the dispatcher

# Runs before the page's own scripts: frame intervals, long tasks and feed messages, kept for the harness.
PROBE = """
window.__bench = { frames: [], longtasks: [], messages: 0, recording: false };
new PerformanceObserver((list) => {
  if (!window.__bench.recording) return;
  for (const e of list.getEntries()) window.__bench.longtasks.push(e.duration);
}).observe({ type: "longtask", buffered: false });
let last = 0;
const frame = (t) => {
  if (window.__bench.recording && last) window.__bench.frames.push(t - last);
  last = t;
  requestAnimationFrame(frame);
};
requestAnimationFrame(frame);
const Native = window.WebSocket;
window.WebSocket = class extends Native {
  constructor(...args) {
    super(...args);
    this.addEventListener("message", () => { if (window.__bench.recording) window.__bench.messages += 1; });
  }
};
"""


def open_trips(fleet, booker, n: int, seed: int = 11) -> None:
    """`n` open trips over the fleet's area: a third waiting for a driver, the rest held by the shifts' drivers
    in every open status, each a pickup and a drop-off with windows (some already missed)."""
    from django.utils import timezone

    from apps.trips.models import Shift, Stop, Trip

    rng = random.Random(seed)
    shifts = list(Shift.objects.filter(fleet_id=fleet.id).values_list("id", "driver_id", "vehicle_id"))
    now = timezone.now()
    trips, stops = [], []
    held = ["assigned", "en_route", "at_pickup", "in_progress"]
    for i in range(n):
        status = "requested" if i % 3 == 0 else held[i % 4]
        shift = shifts[i % len(shifts)] if status != "requested" else None
        trip = Trip(
            fleet_id=fleet.id,
            booked_by_id=booker.id,
            customer_id=None,
            vehicle_type="van",
            status=status,
            weight_kg=rng.randint(1, 80),
            driver_id=shift[1] if shift else None,
            vehicle_id=shift[2] if shift else None,
            shift_id=shift[0] if shift else None,
        )
        trips.append(trip)
        start = now + dt.timedelta(minutes=rng.randint(-40, 120))
        for seq, kind in enumerate(("pickup", "dropoff")):
            stops.append(
                Stop(
                    trip=trip,
                    sequence=seq,
                    kind=kind,
                    address=f"{rng.randint(1, 200)} Bench Straße {i}-{seq}",
                    lat=52.52 + rng.uniform(-0.15, 0.15),
                    lng=13.405 + rng.uniform(-0.15, 0.15),
                    window_start=start + dt.timedelta(minutes=45 * seq),
                    window_end=start + dt.timedelta(minutes=45 * seq + 30),
                    status="done" if kind == "pickup" and status == "in_progress" else "pending",
                )
            )
    Trip.objects.bulk_create(trips, batch_size=2000)
    Stop.objects.bulk_create(stops, batch_size=4000)


# Six zoom steps (three in, three out, no animation), each timed until two frames later: what a dispatcher
# waits for on every turn of the mouse wheel.
ZOOM_STEPS = """async () => {
  const map = window.logitrackMap && window.logitrackMap.map;
  if (!map) return [];
  const frames = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const out = [];
  for (const step of [1, 1, 1, -1, -1, -1]) {
    const began = performance.now();
    map.setZoom(map.getZoom() + step, { animate: false });
    await frames();
    out.push(performance.now() - began);
  }
  return out;
}"""


def summary(frames: list[float], longtasks: list[float], seconds: float) -> dict:
    return {
        "frames": len(frames),
        "fps": len(frames) / seconds,
        "p50": percentile(frames, 50),
        "p95": percentile(frames, 95),
        "p99": percentile(frames, 99),
        "janky": sum(f > 50 for f in frames) / max(len(frames), 1),
        "longtasks_per_s": len(longtasks) / seconds,
        "longtask_ms_per_s": sum(longtasks) / seconds,
        "longtask_max": max(longtasks, default=0.0),
    }


def record(page, seconds: float) -> tuple[dict, int]:
    page.evaluate("() => { Object.assign(window.__bench, {frames: [], longtasks: [], messages: 0, recording: true}); }")
    time.sleep(seconds)
    data = page.evaluate("() => { window.__bench.recording = false; return window.__bench; }")
    return summary(data["frames"], data["longtasks"], seconds), data["messages"]


class Drivers:
    """The drivers' websockets on their own thread and event loop (Playwright's sync API owns this thread's)."""

    def __init__(self, base: str, drivers: list) -> None:
        self.counts = dict.fromkeys(("connected", "ws_sent", "acked", "errors"), 0)
        self.base, self.drivers = base.replace("http://", "ws://"), drivers
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()
        self.stop = asyncio.run_coroutine_threadsafe(self._event(), self.loop).result()
        self.running = asyncio.run_coroutine_threadsafe(self._run(), self.loop)
        began = time.monotonic()
        while self.counts["connected"] < len(self.drivers) and time.monotonic() - began < 300:
            time.sleep(0.2)
        time.sleep(3.0)  # every driver on its 1 Hz rhythm

    async def _event(self) -> asyncio.Event:
        return asyncio.Event()

    async def _run(self) -> None:
        await asyncio.gather(
            *(
                driver(f"{self.base}/ws/driver/?token={token}", self.stop, self.counts, i / len(self.drivers), lat, lng)
                for i, (token, lat, lng) in enumerate(self.drivers)
            ),
            return_exceptions=True,
        )

    def finish(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.running.result(timeout=60)
        self.loop.call_soon_threadsafe(self.loop.stop)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drivers", type=int, default=1000)
    parser.add_argument("--trips", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--quiet", type=float, default=10, help="seconds measured with the feed quiet (the floor)")
    parser.add_argument("--width", type=int, default=1366)
    parser.add_argument("--height", type=int, default=768)
    parser.add_argument("--web-workers", type=int, default=2)
    args = parser.parse_args()

    env = configure(redis_db=3)
    from django.db import connection
    from rest_framework_simplejwt.tokens import AccessToken

    fleet, dispatcher, placed = fleet_with_drivers(args.drivers, shifts=True)
    open_trips(fleet, dispatcher, args.trips)
    drivers = [(str(AccessToken.for_user(u)), lat, lng) for u, _, lat, lng in placed]
    connection.close()

    from playwright.sync_api import sync_playwright

    with asgi_server(env, workers=args.web_workers, log_name="screen") as (base, server):
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
            context = browser.new_context(viewport={"width": args.width, "height": args.height})
            context.add_init_script(PROBE)
            page = context.new_page()
            page.goto(f"{base}/login/?next=/dispatch/")
            page.fill("input[name=email]", dispatcher.email)
            page.fill("input[name=password]", PASSWORD)
            began = time.monotonic()
            page.click("button[type=submit]")
            page.wait_for_function(
                "n => window.logitrackDispatch && window.logitrackDispatch.state.trips.size >= n",
                arg=args.trips,
                timeout=120_000,
            )
            page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
            first_draw = time.monotonic() - began
            quiet, _ = record(page, args.quiet)
            zooms = page.evaluate(ZOOM_STEPS)

            load = Drivers(base, drivers)
            load.start()
            cpu, machine = cpu_seconds(server.pid), machine_ticks()
            busy_figures, messages = record(page, args.seconds)
            busy_ticks, total = (b - a for a, b in zip(machine, machine_ticks(), strict=True))
            under_load = {
                "figures": busy_figures,
                "messages": messages,
                "server_cores": (cpu_seconds(server.pid) - cpu) / args.seconds,
                "machine_busy": busy_ticks / total if total else 0.0,
                "markers": page.evaluate("() => document.querySelectorAll('#map .driver[data-driver-id]').length"),
                "counts": load.counts,
            }
            load.finish()
            browser.close()

    busy = under_load["figures"]
    print(
        f"machine: {os.cpu_count()} cores · {args.drivers} drivers at 1 Hz · {args.trips} open trips · "
        f"viewport {args.width}×{args.height} · {args.web_workers} web workers · "
        f"{args.quiet:.0f} s quiet, {args.seconds:.0f} s under load"
    )
    print(f"first snapshot drawn after sign-in: {first_draw:.2f} s")
    print(f"feed messages received under load: {under_load['messages'] / args.seconds:.1f}/s")
    print(f"driver markers in the DOM under load: {under_load['markers']} (clustered markers are not in it)")
    if zooms:
        print(f"zoom step (quiet, 6 steps): median {statistics.median(zooms):.0f} ms, worst {max(zooms):.0f} ms")
    print(f"{'':24}{'quiet':>10}{'under load':>12}{'ratio':>8}")
    for key, label, unit in (
        ("p50", "frame interval p50", "ms"),
        ("p95", "frame interval p95", "ms"),
        ("p99", "frame interval p99", "ms"),
        ("fps", "frames per second", ""),
        ("janky", "frames over 50 ms", "share"),
        ("longtasks_per_s", "long tasks per s", ""),
        ("longtask_ms_per_s", "long-task ms per s", "ms"),
        ("longtask_max", "longest task", "ms"),
    ):
        q, b = quiet[key], busy[key]
        ratio = f"{b / q:.2f}" if q else "-"
        print(f"{label:24}{q:>10.2f}{b:>12.2f}{ratio:>8}  {unit}")
    print(
        f"server CPU {under_load['server_cores']:.2f} cores · whole machine "
        f"{100 * under_load['machine_busy']:.0f} % busy (server, drivers, Chromium, PostgreSQL, Redis) · "
        f"pings acked {under_load['counts']['acked']} · errors {under_load['counts']['errors']}"
    )


if __name__ == "__main__":
    main()
