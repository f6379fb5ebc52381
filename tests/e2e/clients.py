"""What the clients are: a mobile app or a script over HTTP (JWT), a driver app and a dispatch screen over
websockets. Nothing here touches the database; the test sees the platform as its users do."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import requests
from PIL import Image
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

PASSWORD = "correct horse battery staple"
# docs/api.md: an app refreshes its token and reconnects after 4401, and does not retry after 4403
CLOSE_MEANINGS = {4401: ": not authenticated, refresh and reconnect", 4403: ": not allowed here, do not retry"}


class SocketClosed(AssertionError):
    """The server closed the socket before what a test waited for; `code` is its close code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class Api:
    """A JSON API client. `call` returns the response; `expect` asserts its status and returns its body."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.access = self.email = ""

    def login(self, email: str, password: str = PASSWORD) -> Api:
        tokens = self.expect(200, "POST", "/api/v1/auth/token/", json={"email": email, "password": password})
        self.access, self.email = tokens["access"], email
        self.http.headers["Authorization"] = f"Bearer {self.access}"
        return self

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return self.http.request(method, f"{self.base}{path}", **kwargs)

    def expect(self, status: int, method: str, path: str, **kwargs: Any) -> Any:
        response = self.call(method, path, **kwargs)
        assert response.status_code == status, f"{method} {path} -> {response.status_code}: {response.text[:1000]}"
        return response.json() if response.headers.get("Content-Type", "").endswith("json") else response

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.expect(200, "GET", path, **kwargs)

    def retry(self, method: str, path: str, *, key: str, timeout: float = 60, **kwargs: Any) -> requests.Response:
        """What a mobile app does over a bad network: resend with the same Idempotency-Key until an answer that is
        not a server or connection error arrives."""
        headers = {**kwargs.pop("headers", {}), "Idempotency-Key": key}
        deadline = time.monotonic() + timeout
        while True:
            try:
                response = self.call(method, path, headers=headers, timeout=10, **kwargs)
                if response.status_code < 500:
                    return response
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{method} {path} kept failing for {timeout}s")
            time.sleep(0.2)


class Socket:
    """A websocket read on a background thread into `messages`, so a test can wait for what has arrived."""

    def __init__(self, url: str, token: str) -> None:
        self.url = f"{url}{'&' if '?' in url else '?'}token={token}"
        self.messages: list[dict] = []
        self.closed_with: int | None = None
        self._arrived = threading.Condition()
        self.ws = connect(self.url, open_timeout=15, close_timeout=5, max_size=None, legacy=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            for raw in self.ws:
                with self._arrived:
                    self.messages.append(json.loads(raw))
                    self._arrived.notify_all()
        except ConnectionClosed:
            pass
        finally:
            with self._arrived:
                self.closed_with = self.ws.close_code if self.ws.close_code is not None else 1006
                self._arrived.notify_all()

    def send(self, message: dict) -> None:
        self.ws.send(json.dumps(message))

    def mark(self) -> int:
        with self._arrived:
            return len(self.messages)

    def wait_for(
        self, predicate: Callable[[dict], object], *, since: int = 0, timeout: float = 30, what: str = "a message"
    ) -> dict:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for message in self.messages[since:]:
                    if predicate(message):
                        return message
                if self.closed_with is not None:
                    meaning = CLOSE_MEANINGS.get(self.closed_with, "")
                    raise SocketClosed(
                        self.closed_with, f"the socket closed ({self.closed_with}{meaning}) before {what} arrived"
                    )
                left = deadline - time.monotonic()
                if left <= 0:
                    tail = json.dumps(self.messages[-5:])[:2000]
                    raise AssertionError(f"no {what} within {timeout}s; last messages: {tail}")
                self._arrived.wait(left)

    def close(self) -> None:
        self.ws.close()
        self._reader.join(10)


def signature_png() -> bytes:
    """What the driver app captures on the glass: a real PNG (uploads are checked by content)."""
    out = io.BytesIO()
    Image.new("RGB", (120, 40), "white").save(out, format="PNG")
    return out.getvalue()


def ws_url(base: str, path: str) -> str:
    return base.replace("http://", "ws://", 1) + path


class DriverApp:
    """The driver app's socket: pings up, keeps every ping until the server acks it and resends the unacked ones
    after a reconnect (docs/api.md); offers and assignments come down."""

    def __init__(self, base: str, api: Api) -> None:
        self.base, self.api = base, api
        self.unacked: dict[str, dict] = {}
        self.acked: set[str] = set()
        self.sockets: list[Socket] = []
        self.connect()

    @property
    def socket(self) -> Socket:
        return self.sockets[-1]

    def connect(self) -> dict:
        self.sockets.append(Socket(ws_url(self.base, "/ws/driver/"), self.api.access))
        return self.socket.wait_for(lambda m: m["type"] == "hello", what="hello")

    def ping(self, lat: float, lng: float, **extra: Any) -> str:
        ping = {
            "ping_id": str(uuid.uuid4()),
            "lat": lat,
            "lng": lng,
            "recorded_at": dt.datetime.now(dt.UTC).isoformat(),
            **extra,
        }
        self.unacked[ping["ping_id"]] = ping
        self.socket.send({"type": "ping", **ping})
        return ping["ping_id"]

    def collect_acks(self) -> None:
        for socket in self.sockets:
            for message in list(socket.messages):
                if message["type"] == "ack":
                    for ping_id in message["ping_ids"]:
                        self.acked.add(ping_id)
                        self.unacked.pop(ping_id, None)

    def wait_acked(self, ping_id: str, timeout: float = 20) -> None:
        self.socket.wait_for(lambda m: m["type"] == "ack" and ping_id in m["ping_ids"], timeout=timeout, what="ack")
        self.collect_acks()

    def resend_unacked(self) -> None:
        self.collect_acks()
        if self.unacked:
            self.socket.send({"type": "pings", "pings": list(self.unacked.values())})

    def close(self) -> None:
        for socket in self.sockets:
            socket.close()


class Screen:
    """A dispatch screen's socket: a snapshot, then numbered changes and un-numbered position batches."""

    def __init__(self, base: str, api: Api, fleet_id: Any) -> None:
        self.socket = Socket(ws_url(base, f"/ws/dispatch/fleets/{fleet_id}/"), api.access)
        self.snapshot = self.socket.wait_for(lambda m: m["type"] == "snapshot", what="the snapshot")

    def saw_position(self, driver_id: Any, lat: float, lng: float, *, since: int = 0, timeout: float = 20) -> dict:
        def moved(message: dict) -> bool:
            return message["type"] == "positions" and any(
                p["driver_id"] == str(driver_id) and (p["lat"], p["lng"]) == (lat, lng) for p in message["positions"]
            )

        return self.socket.wait_for(moved, since=since, timeout=timeout, what=f"the position {lat},{lng}")

    def saw_trip(self, trip_id: Any, *, status: str | None = None, change: str | None = None, timeout: float = 30):
        def about(message: dict) -> bool:  # a `trip` message, or one card of a `trips` message (a batch of events)
            cards = [message["trip"]] if message["type"] == "trip" else message.get("trips", [])
            return message["type"] in ("trip", "trips") and any(
                card["id"] == str(trip_id)
                and (status is None or card["status"] == status)
                and (change is None or message["change"] == change)
                for card in cards
            )

        return self.socket.wait_for(about, timeout=timeout, what=f"trip {trip_id} {change or ''} {status or ''}")

    def numbers(self) -> list[int]:
        """The sequence numbers of the numbered changes received after the snapshot. Snapshots, position batches and
        boards carry the current number without advancing it (the screen's store.js skips them too)."""
        return [
            m["seq"]
            for m in self.socket.messages
            if "seq" in m and m["type"] not in ("snapshot", "positions", "board") and m["seq"] > self.snapshot["seq"]
        ]
