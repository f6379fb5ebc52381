"""A local webhook receiver for tests: the kernel's local HTTP server (logitrack/testing/http.py), which records the
bytes it is sent and answers what the test scripts (status, body, delay, a redirect), at a webhook's address."""

from __future__ import annotations

from logitrack.testing.http import Answer, LocalServer, Received

__all__ = ["Answer", "Received", "Receiver"]


class Receiver(LocalServer):
    @property
    def url(self) -> str:
        return f"{self.base_url}/hooks/logitrack"
