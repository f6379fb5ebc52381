"""Read a series from a real `/metrics` scrape in tests."""

from __future__ import annotations

import re

from django.test import Client


def scraped(series: str, *, default: float | None = 0.0) -> float | None:
    """The value of one series (`name{label="v"}` as Prometheus prints it) in a scrape of `/metrics` now; `default`
    when the scrape does not have it (a counter no process has touched yet)."""
    text = Client().get("/metrics").content.decode()
    match = re.search(rf"^{re.escape(series)} (\S+)$", text, re.M)
    return default if match is None else float(match.group(1))
