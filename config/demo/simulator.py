"""The demo operator come alive, as its users would: drivers' apps, customers' apps and a dispatcher, all over
the public REST API and websockets of a running LogiTrack (embedded or full stack alike; nothing is imported
from the apps). Drivers go on duty, start their shifts, drive along the city's streets pinging once a second,
accept most offers, and work their trips through pickup, proof of delivery and completion; customers quote and
book; a dispatcher assigns what waits too long.

Time runs `speed` times faster on the road than on the clock so trips finish within minutes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import math
import random
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable

from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from config.demo.cities import CITIES, City, along
from config.demo.operator import DOMAIN, FLEETS, email, signature_png

log = logging.getLogger("logitrack.demo.simulator")
OPEN = ("assigned", "en_route", "at_pickup", "in_progress")
CLOSE_UNAUTHENTICATED, CLOSE_FORBIDDEN = 4401, 4403  # the websocket close codes of docs/api.md


class ApiError(Exception):
    def __init__(self, status: int, body: dict) -> None:
        super().__init__(f"{status} {body.get('code', '')}: {body.get('detail') or body.get('title', '')}")
        self.status, self.body = status, body

    @property
    def code(self) -> str:
        return self.body.get("code", "")


class Client:
    """One user's session against the REST API: JWT login, refreshed before the 5-minute access token lapses."""

    def __init__(self, base_url: str, email_: str, password: str) -> None:
        self.base, self.email, self.password = base_url.rstrip("/"), email_, password
        self.access, self.refresh, self.renew_at = "", "", 0.0

    def _send(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, dict, dict]:
        """One request; a 429 is waited out as its Retry-After says, plus a random spread so that waiting clients
        do not all come back at once (fifty phones signing in from one machine meet the per-address limit)."""
        deadline = time.monotonic() + 600
        while True:
            status, parsed, answer_headers = self._send_once(method, path, body, headers)
            if status != 429 or time.monotonic() > deadline:
                return status, parsed, answer_headers
            time.sleep(min(60.0, float(answer_headers.get("Retry-After") or 5)) + random.uniform(0, 10))

    def _send_once(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, dict, dict]:
        request = urllib.request.Request(self.base + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else {}, dict(response.headers)
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                parsed = json.loads(raw) if raw else {}
            except ValueError:
                parsed = {"detail": raw[:200].decode(errors="replace")}
            return exc.code, parsed, dict(exc.headers)

    def login(self) -> None:
        if self.refresh:
            status, body, _ = self._send(
                "POST", "/api/v1/auth/token/refresh/", json.dumps({"refresh": self.refresh}).encode(), _JSON
            )
            if status == 200:
                self._keep(body)
                return
        payload = json.dumps({"email": self.email, "password": self.password}).encode()
        status, body, _ = self._send("POST", "/api/v1/auth/token/", payload, _JSON)
        if status != 200:
            raise ApiError(status, body)
        self._keep(body)

    def _keep(self, body: dict) -> None:
        self.access, self.refresh, self.renew_at = body["access"], body["refresh"], time.monotonic() + 240

    def token(self) -> str:
        if not self.access or time.monotonic() > self.renew_at:
            self.login()
        return self.access

    def call(self, method: str, path: str, data: dict | None = None, *, version: int | None = None, files=None) -> dict:
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self.token()}", "Idempotency-Key": str(uuid.uuid4())}
            if version is not None:
                headers["If-Match"] = f'W/"{version}"'
            if files:
                body, content_type = _multipart(data or {}, files)
                headers["Content-Type"] = content_type
            else:
                body = json.dumps(data).encode() if data is not None else None
                headers.update(_JSON)
            status, parsed, _ = self._send(method, path, body, headers)
            if status == 401 and attempt == 1:
                self.access = ""  # expired or revoked: log in again once
                continue
            if status >= 400:
                raise ApiError(status, parsed)
            return parsed
        raise AssertionError("unreachable")

    def ws_url(self, path: str) -> str:
        return self.base.replace("http", "ws", 1) + path

    def ws_protocols(self) -> list[Subprotocol]:
        """The token as subprotocols, not in the URL: servers log URLs."""
        return [Subprotocol("bearer"), Subprotocol(self.token())]


_JSON = {"Content-Type": "application/json", "Accept": "application/json"}


def _multipart(fields: dict, files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content, content_type) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        )
        parts.append(head.encode() + content + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


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

    def _step(self, action: str, **extra) -> None:
        self._trip_call("POST", f"/api/v1/trips/trips/{self.trip['id']}/transitions/", {"action": action, **extra})

    def _trip_call(self, method: str, path: str, data: dict, files=None) -> None:
        self.trip = self.api.call(method, path, data, version=self.trip["version"], files=files)

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
            if now >= next_report:
                every[1](stats)
                next_report = now + every[0]
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        for agent in agents:
            agent.join(timeout=5)
    return stats
