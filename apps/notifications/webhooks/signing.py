"""Signing secrets and the `LogiTrack-Signature` header.

`LogiTrack-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>]`: each v1 is HMAC-SHA256, keyed with the whole secret
string (`whsec_…`, as UTF-8), over `f"{t}.{raw body}"`. During a rotation's grace period the header carries one v1
per valid secret (newest first), so a receiver holding either secret verifies. The README has the receiver's recipe;
`verify` below is the same recipe (the tests use it as an integrator would).

Secrets are kept encrypted (Fernet) with a key from settings, because the sender needs them back to sign; the API
and the admin show a secret once, when it is made."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings

PREFIX = "whsec_"
HEADER = "LogiTrack-Signature"


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def _key(material: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(material.encode()).digest()))


def _fernet() -> MultiFernet:
    """Seals with the first key; opens with any: NOTIFICATIONS_WEBHOOK_SECRET_KEY when set, then keys derived from
    SECRET_KEY and each of SECRET_KEY_FALLBACKS, so rotating the secret key as docs/production.md says (old key kept
    as a fallback) or setting the explicit key later leaves every stored secret readable."""
    derived = [f"{key}:notifications.webhooks" for key in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]]
    explicit = [settings.NOTIFICATIONS_WEBHOOK_SECRET_KEY] if settings.NOTIFICATIONS_WEBHOOK_SECRET_KEY else []
    return MultiFernet([_key(material) for material in [*explicit, *derived]])


def seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def unseal(token: str) -> str:
    """The secret (cryptography.fernet.InvalidToken when no configured key opens it)."""
    return _fernet().decrypt(token.encode()).decode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def header(secrets_: Iterable[str], timestamp: int, body: bytes) -> str:
    return ",".join([f"t={timestamp}", *(f"v1={signature(s, timestamp, body)}" for s in secrets_)])


def verify(secret: str, header_value: str, body: bytes, *, tolerance: int = 300, now: float | None = None) -> bool:
    """The receiver's check: the timestamp is recent and one v1 matches the HMAC computed with `secret`."""
    parts = [p.split("=", 1) for p in header_value.split(",") if "=" in p]
    stamps = [v for k, v in parts if k == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit():
        return False
    timestamp = int(stamps[0])
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, v) for k, v in parts if k == "v1")
