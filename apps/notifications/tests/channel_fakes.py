"""Local stand-ins for the providers the SMS and push adapters talk to: a real HTTP server on 127.0.0.1 that
records every request's bytes and answers from a script (status, headers, body, or a hang)."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HANG = "hang"


@dataclasses.dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes


@dataclasses.dataclass(frozen=True)
class Answer:
    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    hang: bool = False  # never answer (until the server stops): the client's timeout must fire


class FakeHttpServer:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._answers: deque[Answer] = deque()
        self._default = Answer(200)
        self._release = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep the test output clean
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                fake.requests.append(Recorded(self.command, self.path, headers, body))
                answer = fake._answers.popleft() if fake._answers else fake._default
                if answer.hang:
                    fake._release.wait(30)
                    return
                self.send_response(answer.status)
                for name, value in answer.headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, status: int, body: bytes | dict = b"", headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(body).encode() if isinstance(body, dict) else body
        extra = dict(headers or {})
        if isinstance(body, dict):
            extra.setdefault("Content-Type", "application/json")
        self._answers.append(Answer(status, raw, tuple(extra.items())))

    def hang(self) -> None:
        self._answers.append(Answer(0, hang=True))

    def stop(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()
