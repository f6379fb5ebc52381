"""Sources for the Content-Security-Policy (django-csp, configured in config/settings/base.py)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

_PLACEHOLDER = re.compile(r"\{[^}]*\}")


def tiles_source(url: str) -> str | None:
    """The img-src source for a map tile URL template: its scheme and host, a `{s}` subdomain as a wildcard.

    'https://{s}.tile.example.org/{z}/{x}/{y}.png' -> 'https://*.tile.example.org'. None for no URL."""
    if not url:
        return None
    parts = urlsplit(_PLACEHOLDER.sub("*", url))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"MAP_TILES_URL must be an http(s) URL template, not {url!r}")
    host = parts.netloc.rsplit("@", 1)[-1]
    if "*" in host and not host.startswith("*."):
        raise ValueError(f"MAP_TILES_URL may have a placeholder only as its first subdomain, not {url!r}")
    return f"{parts.scheme}://{host}"


def websocket_sources(allowed_hosts: Iterable[str]) -> list[str]:
    """connect-src sources for our own websockets on every allowed host (any port: dev servers use one of their
    own). CSP3 browsers already let 'self' cover ws(s) to the page's host; older ones need these."""
    sources: list[str] = []
    for host in allowed_hosts:
        if host in ("*", "") or host.startswith(("*", "[")):
            continue  # "any host" and IPv6 literals cannot be written as sources; 'self' still covers the page's
        name = f"*{host}" if host.startswith(".") else host
        sources += [f"ws://{name}:*", f"wss://{name}:*"]
    return sources
