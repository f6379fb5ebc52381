"""DRF throttles that let requests through while their counters' store (the cache: Redis in the full stack) is
unreachable.

Rate limits protect the service; they must not take it down. Bookings, trip steps and payouts need only
PostgreSQL (their events wait in the outbox until the broker is back), so a Redis restart would otherwise turn
every API call into a 500 for as long as it lasts. While the cache fails, calls are let through uncounted (each
logs a warning); counting resumes as soon as it answers again.
"""

from __future__ import annotations

from typing import Any

import redis
import structlog
from django.http import HttpRequest
from rest_framework import throttling
from rest_framework.request import Request

log = structlog.get_logger(__name__)

CACHE_ERRORS: tuple[type[BaseException], ...] = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class _FailOpen:
    def allow_request(self, request: Request | HttpRequest, view: Any) -> bool:  # pages use them too
        try:
            allowed: bool = super().allow_request(request, view)  # type: ignore[misc]  # a mixin: the throttle's
            return allowed
        except CACHE_ERRORS as exc:
            log.warning("http.throttle_unavailable", throttle=type(self).__name__, error=repr(exc))
            return True


class AnonRateThrottle(_FailOpen, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_FailOpen, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(_FailOpen, throttling.ScopedRateThrottle):
    pass
