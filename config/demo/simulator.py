"""The demo operator come alive, as its users would: drivers' apps, customers' apps and a dispatcher, all over
the public REST API and websockets of a running LogiTrack (embedded or full stack alike; nothing is imported
from the apps). Drivers go on duty, start their shifts, drive along the city's streets pinging once a second,
accept most offers, and work their trips through pickup, proof of delivery and completion; customers quote and
book; a dispatcher assigns what waits too long.

Time runs `speed` times faster on the road than on the clock so trips finish within minutes.

This module is the entry point (`run`, run by `manage.py dispatch_simulate`); the agents have their modules in
`config.demo.simulation`: `drivers`, `customers`, `dispatchers`, sharing `client` (one user's REST session) and
`settings` (the run's settings and counters).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from config.demo.cities import CITIES
from config.demo.plans import FLEETS, email
from config.demo.simulation.client import ApiError, Client
from config.demo.simulation.customers import Customers
from config.demo.simulation.dispatchers import Dispatcher
from config.demo.simulation.drivers import Driver
from config.demo.simulation.settings import Settings, Stats

__all__ = ["ApiError", "Settings", "Stats", "driver_emails", "fleet_ids", "run"]


def fleet_ids(settings: Settings) -> dict[str, str]:
    """The demo fleets this server has, found through their dispatchers' memberships."""
    found = {}
    for plan in FLEETS:
        client = Client(settings.base_url, email(plan.slug, "dispatcher"), settings.password)
        try:
            me = client.call("GET", "/api/v1/identity/me/")
        except ApiError:
            continue
        found[plan.slug] = next(m["fleet_id"] for m in me["memberships"] if m["role"] == "dispatcher")
    return found


def driver_emails(settings: Settings, slug: str, fleet_id: str) -> list[str]:
    """driver01… of the fleet, as many as its manager sees on the driver list."""
    manager = Client(settings.base_url, email(slug, "manager"), settings.password)
    listed = manager.call("GET", f"/api/v1/partner/drivers/?fleet_id={fleet_id}&include_inactive=true&page_size=1")
    return [email(slug, f"driver{n:02d}") for n in range(1, listed["count"] + 1)]


def run(
    settings: Settings,
    *,
    seconds: float = 0,
    drivers: int = 0,
    stop: threading.Event | None = None,
    on_start: Callable[[], None] | None = None,
    every: tuple[float, Callable[[Stats], None]] | None = None,
) -> Stats:
    """Run until `seconds` have passed (0: until `stop` is set or Ctrl-C). `drivers` caps the drivers per fleet
    (0: all); `every` = (seconds, callback) reports progress along the way."""
    stats, stop = Stats(), stop or threading.Event()
    fleets = fleet_ids(settings)
    if not fleets:
        raise ApiError(404, {"code": "demo.not_seeded", "detail": "no demo fleet answers here; run seed_demo first"})
    agents: list[threading.Thread] = [Customers(settings, fleets, stop, stats)]
    for slug, fleet_id in fleets.items():
        agents.append(Dispatcher(settings, slug, fleet_id, stop, stats))
        emails = driver_emails(settings, slug, fleet_id)
        agents += [Driver(settings, e, CITIES[slug], stop, stats) for e in emails[: drivers or None]]
    for agent in agents:
        agent.start()
    if on_start is not None:
        on_start()
    started = time.monotonic()
    next_report = started + (every[0] if every else math.inf)
    try:
        while not stop.wait(0.5):
            now = time.monotonic()
            if seconds and now - started >= seconds:
                break
            if every is not None and now >= next_report:
                every[1](stats)
                next_report = now + every[0]
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        for agent in agents:
            agent.join(timeout=5)
    return stats
