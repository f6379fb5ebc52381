"""The one HTTP POST webhooks make, safe against server-side request forgery.

- only `http` and `https` URLs, with a host;
- the host is resolved once and *every* address it has must be public (not private, loopback, link-local,
  multicast, reserved, unspecified, shared or otherwise non-global; an IPv4-mapped IPv6 address is judged by its IPv4
  address). NOTIFICATIONS_WEBHOOK_ALLOW_LOOPBACK lets loopback through, for development and tests only;
- the connection goes to the address that was checked (the Host header and TLS name stay the URL's host), so a DNS
  answer that changes between the check and the connect (rebinding) cannot send the request elsewhere;
- redirects are not followed (a 3xx is a failed attempt); connect and read timeouts are bounded, and at most
  NOTIFICATIONS_WEBHOOK_MAX_RESPONSE_BYTES of the response body is read.
"""

from __future__ import annotations

import dataclasses
import http.client
import ipaddress
import socket
import ssl
import time
import urllib.parse
from collections.abc import Mapping

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeURL(ValueError):
    """The URL may not be called: wrong scheme, no host, an address that is not public, or a name that resolves
    to nothing."""


@dataclasses.dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as in the URL (the Host header and the TLS name)
    port: int
    path: str  # path and query
    address: str  # the checked address the connection goes to


@dataclasses.dataclass(frozen=True)
class Response:
    status: int | None
    headers: dict[str, str]
    body: bytes  # at most the configured bound
    error: str  # why there is no usable answer ("" when a status came back)
    duration_ms: int


def _refusal(ip: IPAddress) -> str | None:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return _refusal(ip.ipv4_mapped)
    if isinstance(ip, ipaddress.IPv6Address) and ip.sixtofour is not None:  # 2002::/16 carries an IPv4 address
        inner = _refusal(ip.sixtofour)
        return f"{inner} inside a 6to4 address" if inner else None
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return "a site-local address"
    if ip.is_loopback:
        return None if settings.NOTIFICATIONS_WEBHOOK_ALLOW_LOOPBACK else "a loopback address"
    for flag, what in (
        ("is_unspecified", "the unspecified address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private address"),
        ("is_reserved", "a reserved address"),
    ):
        if getattr(ip, flag):
            return what
    if not ip.is_global:
        return "an address that is not public"
    return None


def check_address(text: str) -> IPAddress:
    ip = ipaddress.ip_address(text.split("%", 1)[0])  # a zone index (fe80::1%eth0) does not make it public
    why = _refusal(ip)
    if why is not None:
        raise UnsafeURL(f"the host resolves to {why} ({ip}); webhooks go to public addresses only")
    return ip


def resolve(url: str) -> Target:
    """The URL checked and resolved; UnsafeURL if it may not be called."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeURL("only http and https URLs are allowed")
    host = parts.hostname
    if not host:
        raise UnsafeURL("the URL has no host")
    if parts.username or parts.password:
        raise UnsafeURL("credentials in the URL are not allowed; check the signature instead")
    port = port or (443 if scheme == "https" else 80)
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise UnsafeURL(f"the host {host!r} does not resolve ({exc})") from None
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not addresses:
            raise UnsafeURL(f"the host {host!r} does not resolve")
    checked = [check_address(a) for a in addresses]  # every answer must be public: any one may be picked later
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=scheme, host=host, port=port, path=path, address=str(checked[0]))


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target, connect_timeout: float, read_timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=connect_timeout)
        self._address, self._read_timeout = target.address, read_timeout

    def _open(self) -> socket.socket:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        sock.settimeout(self._read_timeout)
        return sock

    def connect(self) -> None:
        self.sock = self._open()


class _PinnedHTTPS(_PinnedHTTP):
    def connect(self) -> None:
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(self._open(), server_hostname=self.host)


def post(target: Target, headers: Mapping[str, str], body: bytes) -> Response:
    """POST `body` to the checked target; never raises for network trouble (it is the Response's `error`)."""
    connect_timeout = float(settings.NOTIFICATIONS_WEBHOOK_CONNECT_TIMEOUT_SECONDS)
    read_timeout = float(settings.NOTIFICATIONS_WEBHOOK_READ_TIMEOUT_SECONDS)
    limit = int(settings.NOTIFICATIONS_WEBHOOK_MAX_RESPONSE_BYTES)
    cls = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    connection = cls(target, connect_timeout, read_timeout)
    started = time.monotonic()
    status: int | None = None
    got_headers: dict[str, str] = {}
    # one budget for the whole exchange, so a receiver dripping bytes cannot hold a sender (and its lease) for long
    deadline = started + connect_timeout + read_timeout

    def remaining() -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the time budget ran out")
        return left

    try:
        connection.request("POST", target.path, body=body, headers=dict(headers))
        sock = connection.sock  # kept: the connection hands it to the response (and forgets it) on Connection: close
        assert sock is not None
        sock.settimeout(min(read_timeout, remaining()))
        answer = connection.getresponse()
        status, got_headers = answer.status, {k: v for k, v in answer.getheaders()}
        data = b""
        while len(data) < limit:
            sock.settimeout(min(read_timeout, remaining()))
            chunk = answer.read1(min(65536, limit - len(data)))
            if not chunk:
                break
            data += chunk
        return Response(status, got_headers, data, "", _ms(started))
    except TimeoutError as exc:
        if time.monotonic() >= deadline - 0.05:
            what = f"no complete answer within {connect_timeout + read_timeout:g} s"
        else:
            what = "timed out" + (" reading the response" if status is not None else "") + f": {exc}"
        return Response(status, got_headers, b"", what, _ms(started))
    except (OSError, http.client.HTTPException) as exc:
        return Response(status, got_headers, b"", f"{type(exc).__name__}: {exc}"[:500], _ms(started))
    finally:
        connection.close()


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
