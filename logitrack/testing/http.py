"""A local HTTP server for tests that stand in for a provider or another service (a webhook endpoint, an email
API, a map tile server, an OTLP collector, billing's web process): a real server on 127.0.0.1 that records the
bytes each request brought and answers what the test scripts, or what a `respond` function says."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclasses.dataclass
class Received:
    method: str
    path: str  # with its query string
    headers: dict[str, str]
    body: bytes
    at: float = dataclasses.field(default_factory=time.monotonic)  # when it arrived: tests measure retry gaps


@dataclasses.dataclass
class Answer:
    status: int = 200
    body: bytes = b"ok"
    delay: float = 0.0  # seconds before answering (a slow or hanging endpoint)
    drip: float = 0.0  # seconds between the body's bytes (an endpoint that answers, very slowly)
    headers: dict[str, str] = dataclasses.field(default_factory=dict)


class LocalServer:
    """Answers each request with `respond(received)` when given, else the next scripted answer (`answer(...)`),
    else `default`. `keep_alive`: HTTP/1.1 with persistent connections (clients that reuse theirs)."""

    def __init__(self, respond: Callable[[Received], Answer] | None = None, *, keep_alive: bool = False) -> None:
        self.received: list[Received] = []
        self.script: deque[Answer] = deque()
        self.default = Answer()
        self._respond = respond
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                seen = Received(self.command, self.path, dict(self.headers.items()), self.rfile.read(length))
                answer = server._answer_for(seen)
                if answer.delay:
                    time.sleep(answer.delay)
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    if answer.drip:
                        for byte in answer.body:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(answer.drip)
                    else:
                        self.wfile.write(answer.body)
                except OSError:
                    pass  # the client gave up (timeout) and closed

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _answer_for(self, seen: Received) -> Answer:
        with self._lock:
            self.received.append(seen)
            if self._respond is None:
                return self.script.popleft() if self.script else self.default
        return self._respond(seen)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, *answers: Answer) -> None:
        self.script.extend(answers)

    def start(self) -> LocalServer:
        self.thread.start()
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
