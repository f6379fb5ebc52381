"""What every simulated agent shares: the run's settings (server, password, pace), its counters, and the trip
states a driver works through."""

from __future__ import annotations

import dataclasses
import threading

OPEN = ("assigned", "en_route", "at_pickup", "in_progress")


@dataclasses.dataclass
class Stats:
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    counts: dict[str, int] = dataclasses.field(default_factory=dict)

    def add(self, what: str, n: int = 1) -> None:
        with self.lock:
            self.counts[what] = self.counts.get(what, 0) + n


@dataclasses.dataclass
class Settings:
    base_url: str
    password: str
    speed: float = 4.0  # road time runs this much faster than the clock
    book_every: float = 20.0  # seconds between bookings, across all customers
    assign_after: float = 45.0  # a dispatcher assigns trips still waiting after this long
    accept_share: float = 0.85  # offers a driver accepts
    seed: int = 1
