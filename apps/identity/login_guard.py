"""Brute-force protection for login: failures counted per account and per client IP in the cache
(Redis in the full stack, so every web process shares the counts), with a lockout once a limit is hit."""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

from logitrack.exceptions import RateLimited


def _h(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


def _keys(kind: str, value: str) -> tuple[str, str]:
    digest = _h(value)
    return f"identity:login-fail:{kind}:{digest}", f"identity:login-lock:{kind}:{digest}"


def _limits() -> dict[str, int]:
    return {"account": settings.LOGIN_FAILURES_PER_ACCOUNT, "ip": settings.LOGIN_FAILURES_PER_IP}


def login_guard_check(*, email: str, ip: str) -> None:
    """Raise RateLimited while the account or the IP is locked out."""
    now = time.time()
    for kind, value in (("account", email), ("ip", ip)):
        _, lock_key = _keys(kind, value)
        until = cache.get(lock_key)
        if until is not None and until > now:
            raise RateLimited(
                "too many failed logins; try again later", retry_after=int(until - now) + 1, code="auth.locked_out"
            )


def login_failed(*, email: str, ip: str) -> None:
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    lockout = settings.LOGIN_LOCKOUT_SECONDS
    for kind, value in (("account", email), ("ip", ip)):
        count_key, lock_key = _keys(kind, value)
        cache.add(count_key, 0, timeout=window)
        try:
            count = cache.incr(count_key)
        except ValueError:  # expired between add and incr
            cache.set(count_key, 1, timeout=window)
            count = 1
        if count >= _limits()[kind]:
            cache.set(lock_key, time.time() + lockout, timeout=lockout)
            cache.delete(count_key)


def login_succeeded(*, email: str) -> None:
    count_key, _ = _keys("account", email)
    cache.delete(count_key)
