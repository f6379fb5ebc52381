"""Customers' apps come alive: now and then one of them quotes and books a trip between two addresses on a demo
city's streets, with one of the demo fleets."""

from __future__ import annotations

import logging
import random
import threading

from config.demo.cities import CITIES
from config.demo.plans import DOMAIN, FLEETS
from config.demo.simulation.client import ApiError, Client
from config.demo.simulation.settings import Settings, Stats

log = logging.getLogger("logitrack.demo.simulator")


class Customers(threading.Thread):
    """Customers of both fleets quoting and booking trips between addresses on the city's streets."""

    def __init__(self, settings: Settings, fleets: dict[str, str], stop: threading.Event, stats: Stats) -> None:
        super().__init__(name="customers", daemon=True)
        self.s, self.fleets, self.stop_event, self.stats = settings, fleets, stop, stats
        self.rng = random.Random(f"{settings.seed}:customers")
        self.clients = [Client(settings.base_url, f"customer{n:02d}@{DOMAIN}", settings.password) for n in range(1, 13)]

    def run(self) -> None:
        while not self.stop_event.wait(self.rng.expovariate(1 / self.s.book_every)):
            try:
                self.book()
            except ApiError as exc:
                log.warning("booking refused: %s", exc)
                self.stats.add("bookings refused")

    def book(self) -> dict:
        slug = self.rng.choices(list(self.fleets), weights=[p.share for p in FLEETS if p.slug in self.fleets])[0]
        city, client = CITIES[slug], self.rng.choice(self.clients)
        stops = [city.address(self.rng), city.address(self.rng)]
        vehicle_type, service, load = self.rng.choices(
            [("van", "delivery", {"weight_kg": self.rng.randint(5, 300)}), ("car", "ride", {"seats": 1})],
            weights=[4, 1],
        )[0]
        quote = client.call(
            "POST",
            "/api/v1/billing/quotes/",
            {
                "fleet_id": self.fleets[slug],
                "vehicle_type": vehicle_type,
                "service": service,
                "stops": [[a.lat, a.lng] for a in stops],
            },
        )
        trip = client.call(
            "POST",
            "/api/v1/trips/trips/",
            {
                "fleet_id": self.fleets[slug],
                "vehicle_type": vehicle_type,
                "service": service,
                "quote_id": quote["id"],
                "stops": [
                    {"kind": kind, "address": a.line, "lat": a.lat, "lng": a.lng}
                    for kind, a in zip(("pickup", "dropoff"), stops, strict=True)
                ],
                **load,
            },
        )
        self.stats.add("trips booked")
        return trip
