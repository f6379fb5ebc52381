"""A local webhook receiver for tests: a real HTTP server on 127.0.0.1 (ThreadingHTTPServer) that records the bytes
it is sent and answers what the test scripts (status, body, delay, a redirect)."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclasses.dataclass
class Received:
    method: str
    path: str
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


class Receiver:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.script: deque[Answer] = deque()
        self.default = Answer()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.received.append(Received("POST", self.path, dict(self.headers.items()), body))
                    answer = receiver.script.popleft() if receiver.script else receiver.default
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
                    pass  # the sender gave up (timeout) and closed

            do_GET = do_POST

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/logitrack"

    def answer(self, *answers: Answer) -> None:
        self.script.extend(answers)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
