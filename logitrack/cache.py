"""The Redis cache backend (CACHES in config/settings/base.py): Django's, keeping one client per connection pool.

Django's `RedisCacheClient.get_client` builds a new `redis.Redis` for every operation, and redis-py's constructor
copies its table of ~170 response callbacks each time (about 50 µs here): twice per authenticated API request (the
principal cache's MGET, the throttle's script). A client holds no connection of its own (the pool does) and redis-py
documents clients as safe to share between threads, so one per pool serves every call.
"""

from typing import Any

from django.core.cache.backends import redis as django_redis


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


class RedisCache(django_redis.RedisCache):
    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
