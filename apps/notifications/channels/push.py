"""Web Push to the driver app (RFC 8030) with VAPID (RFC 8292) and aes128gcm payload encryption (RFC 8291).

`Outgoing.to` is a `PushSubscription` id (its UUID as text; what the delivery machinery should pass: small, logged
without secrets, and it lets this adapter note successes and drop subscriptions the push service says are gone).
A browser's PushSubscription JSON (`{"endpoint", "keys": {"p256dh", "auth"}}`) is accepted too.

The message travels as encrypted JSON the driver app's service worker shows:
`{"title", "body", "data": {...}, "urgent", "sender", "tag"}` (`tag`: our delivery key, so a repeat replaces the
notification on the device instead of stacking a second one). Headers: `TTL` (NOTIFICATIONS_PUSH_TTL_SECONDS,
capped by an `expires_at` in the data: an offer is worthless once it lapsed), `Urgency: high` for urgent messages
(else `normal`), `Content-Encoding: aes128gcm`, `Authorization: vapid t=<ES256 JWT>, k=<public key>`.

pywebpush does the encryption and py_vapid the signature; the request itself is ours, so redirects are never
followed and the endpoint is checked against NOTIFICATIONS_PUSH_HOSTS before every send.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import ipaddress
import json
import sys
import time
import uuid
from typing import Any, TextIO
from urllib.parse import urlsplit

import requests
import structlog
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.utils import timezone
from py_vapid import Vapid02
from pywebpush import WebPusher, WebPushException

from apps.notifications.channels.base import Outgoing, Permanent, Transient
from apps.notifications.contracts import Channel
from apps.notifications.models import PushSubscription

log = structlog.get_logger(__name__)

MAX_PLAINTEXT = 3993  # RFC 8291 §4: 4096-byte push message − 86-byte aes128gcm header − 16-byte tag − 1 delimiter
JWT_LIFETIME_S = 12 * 3600  # RFC 8292 §2: at most 24 hours
MAX_BODY_CHARS = 1000


# ---- checks shared with the subscription REST (services) ----

_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=")


def b64url_decode(text: str) -> bytes:
    """URL-safe base64 with or without padding (browsers send it without); ValueError when it is not."""
    if not isinstance(text, str) or not text or any(c not in _B64URL for c in text):
        raise ValueError("not URL-safe base64")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not URL-safe base64") from exc


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _host_allowed(host: str) -> bool:
    listed = [h.lower() for h in settings.NOTIFICATIONS_PUSH_HOSTS]
    return any(host == h or (h.startswith(".") and host.endswith(h)) for h in listed)


def endpoint_problem(endpoint: str) -> str:
    """Why this push endpoint must not be used (empty when it may): the server POSTs to it, and browsers (that
    is, anyone with a login) choose it, so only https on a known push service's host, never our own network."""
    if not isinstance(endpoint, str) or len(endpoint) > 2048:
        return "the endpoint is not a URL of at most 2048 characters"
    try:
        parts = urlsplit(endpoint)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018  (a port that is not a number raises here)
    except ValueError:
        return "the endpoint is not a URL"
    allowed_schemes = ("https", "http") if settings.NOTIFICATIONS_PUSH_ALLOW_HTTP else ("https",)
    if parts.scheme not in allowed_schemes:
        return "the endpoint must be an https URL"
    if not host or parts.username or parts.password:
        return "the endpoint must name a host and carry no credentials"
    if not _host_allowed(host):
        return f"{host} is not a push service this server sends to (NOTIFICATIONS_PUSH_HOSTS)"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return ""
    if not address.is_global and host not in settings.NOTIFICATIONS_PUSH_HOSTS:  # only an explicit listing
        return "the endpoint points into a private network"
    return ""


def key_problems(*, p256dh: Any, auth: Any) -> dict[str, str]:
    """The subscription keys that are not what RFC 8291 says: a P-256 point, uncompressed; a 16-byte secret."""
    problems = {}
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw := b64url_decode(p256dh))
        if len(raw) != 65:
            raise ValueError("compressed")
    except (ValueError, TypeError):
        problems["p256dh"] = "an uncompressed P-256 public key (65 bytes) in URL-safe base64"
    try:
        if len(b64url_decode(auth)) != 16:
            raise ValueError("length")
    except (ValueError, TypeError):
        problems["auth"] = "a 16-byte secret in URL-safe base64"
    return problems


# ---- VAPID keys ----


def vapid_signer() -> Vapid02 | None:
    """The application server's key pair from NOTIFICATIONS_VAPID_PRIVATE_KEY (raw or DER in URL-safe base64, or
    PEM); None when unset. Raises ValueError when set but unreadable."""
    private = settings.NOTIFICATIONS_VAPID_PRIVATE_KEY.strip()
    if not private:
        return None
    try:
        if "BEGIN" in private:
            return Vapid02.from_pem(private.encode())
        return Vapid02.from_string(private)
    except Exception as exc:  # py_vapid raises whatever cryptography or base64 raised
        raise ValueError("NOTIFICATIONS_VAPID_PRIVATE_KEY is not a P-256 private key") from exc


def public_key_of(signer: Vapid02) -> str:
    """The application server key browsers subscribe with (`applicationServerKey`): the uncompressed point."""
    raw = signer.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64url_encode(raw)


def generate_vapid_keys() -> tuple[str, str]:
    """(private, public) in URL-safe base64: the raw 32-byte scalar and the uncompressed public point."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = b64url_encode(key.private_numbers().private_value.to_bytes(32, "big"))
    public = b64url_encode(
        key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return private, public


# ---- the adapter ----


def _json(content: dict[str, Any]) -> bytes:
    return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()


def _payload(message: Outgoing) -> bytes:
    content: dict[str, Any] = {
        "title": message.subject,
        "body": message.text if len(message.text) <= MAX_BODY_CHARS else message.text[: MAX_BODY_CHARS - 1] + "…",
        "data": dict(message.data),
        "urgent": message.urgent,
        "sender": message.sender_name,
        "tag": message.key,
    }
    raw = _json(content)
    body = content["body"]
    while len(raw) > MAX_PLAINTEXT and body:  # the shown text gives way; the data the app opens does not
        body = body[: max(0, len(body) - (len(raw) - MAX_PLAINTEXT) - 3)]  # a character is a byte or more; "…" 3
        content["body"] = body + "…" if body else ""
        raw = _json(content)
    if len(raw) > MAX_PLAINTEXT:
        raise Permanent(f"the push message is {len(raw)} bytes, more than a push service carries ({MAX_PLAINTEXT})")
    return raw


def _ttl(message: Outgoing) -> int:
    ttl = int(settings.NOTIFICATIONS_PUSH_TTL_SECONDS)
    expires = dict(message.data).get("expires_at")
    if expires:
        try:
            until = dt.datetime.fromisoformat(expires)
        except ValueError:
            return ttl
        if until.tzinfo is None:
            return ttl
        left = int((until - timezone.now()).total_seconds())
        if left <= 0:
            raise Permanent(f"the message expired at {expires}, before it could be pushed")
        ttl = min(ttl, left)
    return ttl


def _subscription(to: str) -> tuple[dict[str, Any], PushSubscription | None]:
    """The subscription `to` names (see the module's docstring) and its row, if we hold one."""
    text = to.strip()
    if text.startswith("{"):
        try:
            given = json.loads(text)
            endpoint, keys = given["endpoint"], given["keys"]
            subscription = {"endpoint": endpoint, "keys": {"p256dh": keys["p256dh"], "auth": keys["auth"]}}
        except (ValueError, KeyError, TypeError) as exc:
            raise Permanent("not a push subscription (endpoint and keys p256dh, auth)") from exc
        return subscription, PushSubscription.objects.filter(endpoint=endpoint).first()
    try:
        row = PushSubscription.objects.filter(id=uuid.UUID(text)).first()
    except ValueError as exc:
        raise Permanent("not a push subscription id") from exc
    if row is None:
        raise Permanent("the push subscription is gone (unsubscribed or expired)")
    return row.as_webpush(), row


class WebPush:
    channel = Channel.PUSH
    name = "webpush"

    def __init__(self) -> None:
        self.subject = settings.NOTIFICATIONS_VAPID_SUBJECT
        read = float(settings.NOTIFICATIONS_PUSH_TIMEOUT_SECONDS)
        self.timeout = (min(5.0, read), read)
        self.session = requests.Session()
        try:
            self.signer = vapid_signer()
        except ValueError:
            self.signer = None
            log.error("notifications.vapid_key_unreadable")

    def send(self, message: Outgoing) -> str:
        if self.signer is None:
            log.error("notifications.push_not_configured")
            raise Permanent("web push is not configured (NOTIFICATIONS_VAPID_PRIVATE_KEY)")
        subscription, row = _subscription(message.to)
        endpoint = subscription["endpoint"]
        problem = endpoint_problem(endpoint)
        if problem:
            raise Permanent(problem)
        payload, ttl = _payload(message), _ttl(message)
        try:
            body = WebPusher(subscription).encode(payload, "aes128gcm")["body"]
        except (WebPushException, ValueError, TypeError) as exc:  # keys that are no key
            raise Permanent(f"the subscription's keys do not work: {exc}") from exc
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"  # the push service's origin (RFC 8292 §2)
        claims = {"sub": self.subject, "aud": audience, "exp": int(time.time()) + JWT_LIFETIME_S}
        headers = {
            **self.signer.sign(claims),
            "TTL": str(ttl),
            "Urgency": "high" if message.urgent else "normal",
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
        }
        try:
            response = self.session.post(
                endpoint, data=body, headers=headers, timeout=self.timeout, allow_redirects=False
            )
        except requests.Timeout as exc:
            self._failed(row, "timed out")
            raise Transient(f"the push service timed out ({type(exc).__name__})") from exc
        except requests.RequestException as exc:
            self._failed(row, "unreachable")
            raise Transient(f"the push service is unreachable ({type(exc).__name__})") from exc
        return self._outcome(response, row, host=parts.hostname or "")

    def _outcome(self, response: requests.Response, row: PushSubscription | None, *, host: str) -> str:
        status, text = response.status_code, response.text
        if 200 <= status < 300:  # 201 Created (RFC 8030 §5), 202 from some services
            if row is not None:
                PushSubscription.objects.filter(id=row.id).update(last_success_at=timezone.now())
            return response.headers.get("Location", "")
        reason = f"push service {status}: {text[:200] or response.reason}"
        if status in (404, 410):  # RFC 8030 §7.3: the subscription expired or the user revoked it
            if row is not None:
                PushSubscription.objects.filter(id=row.id).delete()
            log.info("notifications.push_subscription_gone", host=host, status=status)
            raise Permanent("the push subscription is gone: " + reason, status=status, body=text)
        self._failed(row, reason)
        if status in (408, 429) or status >= 500:
            retry_after = response.headers.get("Retry-After")
            raise Transient(reason + (f" (Retry-After {retry_after})" if retry_after else ""), status=status, body=text)
        if status in (401, 403):  # our VAPID key or JWT refused: every message will be, until someone fixes it
            log.error("notifications.push_vapid_refused", host=host, status=status, detail=text[:200])
        raise Permanent(reason, status=status, body=text)  # 400, 413 (too large), other refusals

    @staticmethod
    def _failed(row: PushSubscription | None, reason: str) -> None:
        if row is not None:
            PushSubscription.objects.filter(id=row.id).update(last_failure_at=timezone.now(), last_failure=reason[:300])


class ConsolePush:
    """Development without VAPID keys: the push goes to stdout (and the log) as the service worker would get it."""

    channel = Channel.PUSH
    name = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, message: Outgoing) -> str:
        sent = f"console-{uuid.uuid4().hex}"
        stream = self.stream or sys.stdout  # looked up per send: test runners swap sys.stdout
        stream.write(f"--- push {sent}\nTo: {message.to}\nUrgency: {'high' if message.urgent else 'normal'}\n\n")
        stream.write(_payload(message).decode() + "\n---\n")
        stream.flush()
        log.info("notifications.push_console", to=message.to, id=sent)
        return sent
