"""A fleet's dispatcher come alive: every ten seconds, trips nobody took are given to a free started shift."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

from config.demo.plans import email
from config.demo.simulation.client import ApiError, Client
from config.demo.simulation.settings import OPEN, Settings, Stats

log = logging.getLogger("logitrack.demo.simulator")


class Dispatcher(threading.Thread):
    """A fleet's dispatcher: gives trips nobody took (no auto-dispatch, or every offer refused) to a free shift."""

    def __init__(self, settings: Settings, slug: str, fleet_id: str, stop: threading.Event, stats: Stats) -> None:
        super().__init__(name=f"dispatcher@{slug}", daemon=True)
        self.s, self.fleet_id, self.stop_event, self.stats = settings, fleet_id, stop, stats
        self.api = Client(settings.base_url, email(slug, "dispatcher"), settings.password)
        self.refused: dict[tuple[str, str], float] = {}  # (trip, shift) -> when to try that pair again

    def run(self) -> None:
        while not self.stop_event.wait(10):
            try:
                self.assign_waiting()
            except ApiError as exc:
                log.warning("%s: %s", self.name, exc)

    def assign_waiting(self) -> int:
        trips = self.api.call("GET", f"/api/v1/trips/trips/?fleet_id={self.fleet_id}&page_size=200")["results"]
        busy = {t["driver_id"] for t in trips if t["status"] in OPEN}
        shifts = self.api.call("GET", f"/api/v1/trips/shifts/?fleet_id={self.fleet_id}&status=started")["results"]
        free = [s["id"] for s in shifts if s["driver_id"] not in busy]
        now, assigned, clock = dt.datetime.now(dt.UTC), 0, time.monotonic()
        self.refused = {pair: until for pair, until in self.refused.items() if until > clock}  # forget lapsed ones
        for trip in sorted((t for t in trips if t["status"] == "requested"), key=lambda t: t["created_at"]):
            booked = dt.datetime.fromisoformat(trip["created_at"])
            wanted = dt.datetime.fromisoformat(trip["requested_for"]) if trip.get("requested_for") else booked
            if not free or (now - booked).total_seconds() < self.s.assign_after or wanted > now:
                continue
            for shift_id in list(free):
                if (trip["id"], shift_id) in self.refused:
                    continue
                try:
                    path = f"/api/v1/trips/trips/{trip['id']}/assign/"
                    self.api.call("POST", path, {"shift_id": shift_id}, version=trip["version"])
                except ApiError:
                    # does not fit that van, or the driver is no longer eligible: the next, and not this pair
                    # again for a while (a person would not retry it every ten seconds either)
                    self.refused[(trip["id"], shift_id)] = clock + 300
                    continue
                free.remove(shift_id)
                assigned += 1
                self.stats.add("trips assigned by dispatchers")
                break
        return assigned
