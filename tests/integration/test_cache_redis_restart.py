"""The Redis cache's client is shared by every request of a process (logitrack.cache), so its pooled connections
outlive a Redis restart: the first read after one must reconnect, not fail (the principal cache and the throttle
would fall back quietly, so a failure here would only show as lost caching)."""

from logitrack.cache import RedisCache
from logitrack.testing.processes import RedisServer


def test_a_shared_client_reconnects_after_a_redis_restart(tmp_path):
    server = RedisServer(tmp_path / "redis", appendonly=False)
    server.start()
    try:
        first, second = (RedisCache(server.url, {}) for _ in range(2))
        assert first._cache is second._cache  # two requests' backends, one client
        first.set("restart:a", 1, 60)
        assert second.get("restart:a") == 1
        server.stop()
        server.start()  # the pool's connection is now dead
        assert first.get("restart:a", "gone") == "gone"  # nothing persisted, and no ConnectionError
        second.set("restart:b", 2, 60)
        assert first.get("restart:b") == 2
    finally:
        server.stop()
