"""A driver's app come alive: on duty with a started shift, a websocket sending a ping a second along the city's
streets, offers accepted or refused, assigned trips driven and worked through pickup, proof of delivery and
completion; reconnecting when the socket's token lapses or the connection drops."""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import threading
import time
import uuid

from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from config.demo.cities import City, along
from config.demo.scans import signature_png
from config.demo.simulation.client import ApiError, Client
from config.demo.simulation.settings import OPEN, Settings, Stats

log = logging.getLogger("logitrack.demo.simulator")
CLOSE_UNAUTHENTICATED, CLOSE_FORBIDDEN = 4401, 4403  # the websocket close codes of docs/api.md


class Driver(threading.Thread):
    """One driver's app: duty, shift, a websocket for pings, offers and assignments, and trips worked through."""

    def __init__(self, settings: Settings, email_: str, city: City, stop: threading.Event, stats: Stats) -> None:
        super().__init__(name=email_, daemon=True)
        self.s, self.city, self.stop_event, self.stats = settings, city, stop, stats
        self.api = Client(settings.base_url, email_, settings.password)
        self.rng = random.Random(f"{settings.seed}:{email_}")
        self.position = city.address(self.rng).point
        self.path: list[tuple[float, float]] = [self.position]
        self.travelled = 0.0
        self.trip: dict | None = None
        self.queue: list[str] = []  # ids of trips assigned to me, not started yet
        self.next_leg = 0  # index of the stop being driven to
        self.odometer = 0.0
        self.dwell_until = 0.0

    def run(self) -> None:
        try:
            if not self._clock_in():
                return
            self.stats.add("drivers working")
            while not self.stop_event.is_set():
                try:
                    self._drive()
                except ConnectionClosed as exc:
                    code = exc.rcvd.code if exc.rcvd is not None else None
                    if code == CLOSE_FORBIDDEN:  # not a driver of this fleet any more: retrying cannot help
                        log.warning("%s stops: the driver socket refused us (4403)", self.name)
                        self.stats.add("driver errors")
                        return
                    if code == CLOSE_UNAUTHENTICATED:  # token lapsed or revoked: sign in afresh, then reconnect
                        self.api.access = ""
                    log.info("%s: socket closed (%s); reconnecting", self.name, exc)
                    self.stop_event.wait(2)
                except (InvalidStatus, OSError) as exc:
                    log.info("%s: socket failed (%s); reconnecting", self.name, exc)
                    self.stop_event.wait(2)
        except ApiError as exc:
            log.warning("%s stops: %s", self.name, exc)
            self.stats.add("driver errors")

    def _clock_in(self) -> bool:
        """On duty with a started shift, or stay home (not compliant, or no shift today)."""
        shifts = self.api.call("GET", "/api/v1/trips/shifts/?status=started")["results"]
        if not shifts:
            for shift in self.api.call("GET", "/api/v1/trips/shifts/?status=planned")["results"]:
                try:
                    odometer = str(self.rng.randint(10_000, 90_000))
                    self.api.call("POST", f"/api/v1/trips/shifts/{shift['id']}/start/", {"odometer_km": odometer})
                    shifts = [shift]
                    break
                except ApiError as exc:
                    if exc.code != "trips.shift_too_early":
                        raise
        if not shifts:
            return False
        try:
            self.api.call("POST", "/api/v1/partner/me/duty/", {"on_duty": True})
        except ApiError as exc:
            if exc.code == "partner.not_compliant":
                return False
            raise
        mine = self.api.call("GET", "/api/v1/trips/trips/")["results"]
        self.queue = [t["id"] for t in mine if t["status"] in OPEN]
        return True

    def _drive(self) -> None:
        with connect(
            self.api.ws_url("/ws/driver/"), subprotocols=self.api.ws_protocols(), open_timeout=10, close_timeout=2
        ) as ws:
            while not self.stop_event.is_set():
                tick = time.monotonic()
                self._move()
                ws.send(json.dumps(self._ping()))
                self.stats.add("pings sent")
                while (left := 1.0 - (time.monotonic() - tick)) > 0:
                    try:
                        self._on_message(json.loads(ws.recv(timeout=left)))
                    except TimeoutError:
                        break
                if time.monotonic() > self.api.renew_at - 10:
                    return  # the socket's token is about to lapse: reconnect with a fresh one

    def _ping(self) -> dict:
        (lat, lng), heading, _ = along(self.path, self.travelled)
        return {
            "type": "ping",
            "ping_id": str(uuid.uuid4()),
            "lat": round(lat, 6),
            "lng": round(lng, 6),
            "recorded_at": dt.datetime.now(dt.UTC).isoformat(),
            "accuracy_m": 6,
            "heading": round(heading),
            "speed_mps": 11.0,  # the road speed; the clock runs `speed` times faster than the road
        }

    def _on_message(self, message: dict) -> None:
        kind = message.get("type")
        if kind == "offer":
            offer = message["offer"]
            accept = self.rng.random() < self.s.accept_share
            try:
                self.api.call("POST", f"/api/v1/trips/offers/{offer['id']}/{'accept' if accept else 'reject'}/", {})
                self.stats.add("offers accepted" if accept else "offers rejected")
            except ApiError as exc:  # lapsed, or taken by a dispatcher meanwhile
                log.info("%s: offer %s: %s", self.name, offer["id"], exc)
        elif kind == "assignment":
            trip_id = message["trip"]["id"]
            if trip_id not in self.queue and (self.trip is None or self.trip["id"] != trip_id):
                self.queue.append(trip_id)
        elif kind == "error":  # a refused ping; the next one carries a fresher fix anyway
            log.info("%s: ping refused: %s", self.name, message.get("code"))
            self.stats.add(f"pings refused ({message.get('code')})")
        elif kind == "duty" and not message.get("on_duty"):
            self.api.call("POST", "/api/v1/partner/me/duty/", {"on_duty": True})

    # ---- the road ------------------------------------------------------------------------------------------

    def _move(self) -> None:
        if time.monotonic() < self.dwell_until:
            return
        step = 11 * self.s.speed  # ~40 km/h in town, sped up
        self.travelled += step
        self.odometer += step
        position, _, arrived = along(self.path, self.travelled)
        self.position = position
        if not arrived:
            return
        try:
            self._arrived()
        except ApiError as exc:
            log.info("%s: %s", self.name, exc)
            self.dwell_until = time.monotonic() + 5  # look again in a moment, do not hammer
            self._refresh_trip()

    def _head_to(self, target: tuple[float, float]) -> None:
        self.path, self.travelled = self.city.route(self.position, target), 0.0

    def _arrived(self) -> None:
        if self.trip is None:
            if self.queue:
                self._take(self.queue.pop(0))
            else:  # cruise to somewhere else in town while waiting for work
                self._head_to(self.city.address(self.rng).point)
            return
        trip, stops = self.trip, self.trip["stops"]
        if trip["status"] == "en_route":
            self._step("arrive_pickup")
            self.dwell_until = time.monotonic() + 3
        elif trip["status"] == "at_pickup":
            self._step("pick_up")
            self.next_leg = 1
            self._head_to(_point(stops[1]))
        elif trip["status"] == "in_progress":
            sequence = stops[self.next_leg]["sequence"]
            self._trip_call(
                "POST",
                f"/api/v1/trips/trips/{trip['id']}/stops/{sequence}/done/",
                {"recipient_name": stops[self.next_leg].get("contact_name") or "At the door"},
                files={"signature": ("signature.png", signature_png(), "image/png")},
            )
            self.dwell_until = time.monotonic() + 2
            self.next_leg += 1
            if self.next_leg < len(stops):
                self._head_to(_point(stops[self.next_leg]))
                return
            lat, lng = self.position
            self._step("complete", lat=lat, lng=lng, distance_m=round(self.odometer), waiting_s=0)
            self.stats.add("trips completed")
            self.trip = None
        else:  # cancelled or reassigned meanwhile
            self.trip = None

    def _take(self, trip_id: str) -> None:
        try:
            self.trip = self.api.call("GET", f"/api/v1/trips/trips/{trip_id}/")
        except ApiError:
            self.trip = None
            return
        stops = self.trip["stops"]
        if self.trip["status"] == "assigned":
            self._step("start")
        if self.trip and self.trip["status"] in ("en_route", "at_pickup"):
            self._head_to(_point(stops[0]))
        elif self.trip and self.trip["status"] == "in_progress":
            self.next_leg = next((i for i, s in enumerate(stops) if i and s["status"] != "done"), len(stops) - 1)
            self._head_to(_point(stops[self.next_leg]))
        else:
            self.trip = None
        self.odometer = 0.0

    def _held(self) -> dict:
        """The trip the driver holds: steps and trip calls are made only while there is one."""
        if self.trip is None:
            raise RuntimeError("the driver holds no trip")
        return self.trip

    def _step(self, action: str, **extra) -> None:
        self._trip_call("POST", f"/api/v1/trips/trips/{self._held()['id']}/transitions/", {"action": action, **extra})

    def _trip_call(self, method: str, path: str, data: dict, files=None) -> None:
        self.trip = self.api.call(method, path, data, version=self._held()["version"], files=files)

    def _refresh_trip(self) -> None:
        """After a refusal (stale version, cancelled, reassigned), look at the trip as it is now."""
        if self.trip is None:
            return
        try:
            self.trip = self.api.call("GET", f"/api/v1/trips/trips/{self.trip['id']}/")
        except ApiError:
            self.trip = None
            return
        if self.trip["status"] not in OPEN:
            self.trip = None


def _point(stop: dict) -> tuple[float, float]:
    return (stop["lat"], stop["lng"])
