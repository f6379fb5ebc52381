"""The cache backends (CACHES in config/settings/base.py): Django's, counting their reads in django-prometheus's
cache metrics (`django_cache_get_total`, `_get_hits_total`, `_get_misses_total`, `_get_fail_total`, by backend),
and for Redis keeping one client per connection pool.

django-prometheus ships counted backends, but its Redis ones need django-redis (not used here) and its local-memory
one turns a cached falsy value into the default; so ours count with its metrics, get and get_many alike (the
principal cache reads with MGET), a key at a time.

Django's `RedisCacheClient.get_client` builds a new `redis.Redis` for every operation, and redis-py's constructor
copies its table of ~170 response callbacks each time (about 50 µs here): twice per authenticated API request (the
principal cache's MGET, the throttle's script). A client holds no connection of its own (the pool does) and redis-py
documents clients as safe to share between threads, so one per pool serves every call.

Django keeps cache backends per context (`caches` is an asgiref `Local` that is not thread-critical, so its
storage is a context variable), and under ASGI every request runs in a context of its own: each request built a
new backend, with it new connection pools, and opened a new TCP connection to Redis (connect, `HELLO`, `CLIENT
SETINFO` with redis-py's version read from the installed package's metadata), about a fifth of an authenticated
request's CPU. Backends with the same servers and options now share one client, and its pools, per process
(redis-py's pools start afresh in a forked child).
"""

import threading
from typing import Any

from django.core.cache.backends import locmem
from django.core.cache.backends import redis as django_redis
from django.utils.functional import cached_property
from django_prometheus.cache.metrics import (
    django_cache_get_fail_total,
    django_cache_get_total,
    django_cache_hits_total,
    django_cache_misses_total,
)

_MISSING = object()


class CountedReads:
    """get / get_many counted per key: asked, found, not found, failed (the backend raised)."""

    backend_label = "cache"

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        asked = django_cache_get_total.labels(backend=self.backend_label)
        asked.inc()
        try:
            value = super().get(key, _MISSING, version=version)  # type: ignore[misc]  # the cache class mixed in
        except Exception:
            django_cache_get_fail_total.labels(backend=self.backend_label).inc()
            raise
        if value is _MISSING:
            django_cache_misses_total.labels(backend=self.backend_label).inc()
            return default
        django_cache_hits_total.labels(backend=self.backend_label).inc()
        return value

    def get_many(self, keys: Any, version: Any = None) -> dict[Any, Any]:
        keys = list(keys)
        django_cache_get_total.labels(backend=self.backend_label).inc(len(keys))
        try:
            found: dict[Any, Any] = super().get_many(keys, version=version)  # type: ignore[misc]
        except Exception:
            django_cache_get_fail_total.labels(backend=self.backend_label).inc(len(keys))
            raise
        if found:
            django_cache_hits_total.labels(backend=self.backend_label).inc(len(found))
        if len(keys) > len(found):
            django_cache_misses_total.labels(backend=self.backend_label).inc(len(keys) - len(found))
        return found


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        django_client: Any = self  # the pool helpers are Django's private methods, absent from its stubs
        index = django_client._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = django_client._get_connection_pool(write)
            client = self._clients[index] = django_client._client(connection_pool=pool)
        return client


_shared_clients: dict[tuple[tuple[str, ...], str], RedisCacheClient] = {}
_shared_clients_lock = threading.Lock()


class RedisCache(CountedReads, django_redis.RedisCache):
    backend_label = "redis"

    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient

    @cached_property
    def _cache(self) -> RedisCacheClient:
        backend: Any = self  # Django's attributes, absent from its stubs
        key = (tuple(backend._servers), repr(sorted(backend._options.items())))
        with _shared_clients_lock:
            client = _shared_clients.get(key)
            if client is None:
                client = _shared_clients[key] = RedisCacheClient(backend._servers, **backend._options)
        return client


class LocMemCache(CountedReads, locmem.LocMemCache):
    """The embedded default's cache (one process, no Redis)."""

    backend_label = "locmem"
