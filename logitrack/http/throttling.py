"""DRF throttles that let requests through while their counters' store (the cache: Redis in the full stack) is
unreachable.

Rate limits protect the service; they must not take it down. Bookings, trip steps and payouts need only
PostgreSQL (their events wait in the outbox until the broker is back), so a Redis restart would otherwise turn
every API call into a 500 for as long as it lasts. While the cache fails, calls are let through uncounted (each
logs a warning); counting resumes as soon as it answers again.
"""

from __future__ import annotations

import uuid
from typing import Any

import redis
import structlog
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache import cache as default_cache
from django.core.cache.backends.redis import RedisCache
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


# DRF's sliding window (a GET of the history, then a SET of it: two round trips, and two concurrent requests can both
# pass on the same history) as one script: drop timestamps out of the window, refuse when full, else record now.
# Answers {allowed, requests in the window, the oldest one's time}. A key of another type (the pickled list DRF
# kept there before) is replaced.
_WINDOW = """
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind ~= 'zset' and kind ~= 'none' then redis.call('DEL', KEYS[1]) end
local now, duration, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - duration)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('EXPIRE', KEYS[1], math.ceil(duration))
  count = count + 1
  allowed = 1
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2] or ARGV[1]
return {allowed, count, oldest}
"""


class _OneRoundTrip(throttling.SimpleRateThrottle):
    """DRF's rate semantics at one Redis round trip per check when the cache is Redis; DRF's own code otherwise.
    Placed after DRF's throttle among the bases, so a scoped throttle has set its rate before this runs."""

    duration: float  # set by DRF from the rate
    num_requests: int

    def allow_request(self, request: Any, view: Any) -> bool:  # a Request, or a page's HttpRequest
        cache = self.cache
        if cache is default_cache:  # DRF's default is the proxy; the backend behind it is what we look at
            cache = caches[DEFAULT_CACHE_ALIAS]
        if not isinstance(cache, RedisCache) or self.rate is None:
            return super().allow_request(request, view)
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        client = cache._cache.get_client(self.key, write=True)
        script = client.register_script(_WINDOW)
        allowed_flag, count, oldest = script(
            keys=[cache.make_and_validate_key(self.key)],
            args=[repr(self.now), self.duration, self.num_requests, f"{self.now!r}:{uuid.uuid4().hex[:8]}"],
        )
        self._count, self._oldest = int(count), float(oldest)
        return bool(allowed_flag)

    def wait(self) -> float | None:
        if not hasattr(self, "_count"):
            return super().wait()
        remaining = self.duration - (self.now - self._oldest)
        available = self.num_requests - self._count + 1
        return None if available <= 0 else remaining / float(available)


class AnonRateThrottle(_FailOpen, throttling.AnonRateThrottle, _OneRoundTrip):
    pass


class UserRateThrottle(_FailOpen, throttling.UserRateThrottle, _OneRoundTrip):
    pass


class ScopedRateThrottle(_FailOpen, throttling.ScopedRateThrottle, _OneRoundTrip):
    pass
