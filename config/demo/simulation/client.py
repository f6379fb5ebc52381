"""A demo user's app talking to a running LogiTrack over its public REST API: JWT login and refresh, JSON and
multipart calls with an idempotency key and `If-Match`, 429s waited out, and the websocket URL and subprotocols
that carry the token. Nothing is imported from the apps."""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.request
import uuid

from websockets.typing import Subprotocol


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
            body: bytes | None
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
