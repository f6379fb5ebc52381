"""`logitrack.cache.RedisCache`: Django's Redis cache with one client per connection pool, not one per operation."""

import pytest
import redis
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

from logitrack.cache import RedisCache


@pytest.fixture
def redis_cache() -> RedisCache:
    from django.core.cache import caches

    backend = caches["default"]
    if not isinstance(backend, DjangoRedisCache):
        pytest.skip("the embedded default caches in memory")
    return backend


def test_the_redis_cache_is_ours_and_still_djangos(redis_cache):
    assert isinstance(redis_cache, RedisCache)
    assert isinstance(redis_cache, DjangoRedisCache)  # what the throttles look for


def test_operations_share_one_client(redis_cache):
    client = redis_cache._cache.get_client("a")
    assert redis_cache._cache.get_client("b", write=True) is client
    assert redis_cache._cache.get_client() is client


def test_backends_of_other_contexts_share_the_client_and_its_pools(redis_cache):
    """Under ASGI each request runs in a context of its own, and Django builds a cache backend per context: without
    sharing, every request opened its own pool and a new connection to Redis."""
    import contextvars

    from django.core.cache import caches

    def backend_in_a_fresh_context():
        return contextvars.Context().run(lambda: caches["default"])

    first, second = backend_in_a_fresh_context(), backend_in_a_fresh_context()
    assert first is not second  # Django's doing, which is why the client is shared
    assert first._cache is second._cache is redis_cache._cache
    assert first._cache.get_client(write=True).connection_pool is second._cache.get_client(write=True).connection_pool


def test_reads_and_writes_go_through(redis_cache):
    redis_cache.set_many({"logitrack-cache-test:a": {"n": 1}, "logitrack-cache-test:b": 2}, 30)
    assert redis_cache.get_many(["logitrack-cache-test:a", "logitrack-cache-test:b", "logitrack-cache-test:c"]) == {
        "logitrack-cache-test:a": {"n": 1},
        "logitrack-cache-test:b": 2,
    }
    assert redis_cache.incr("logitrack-cache-test:b") == 3
    redis_cache.delete_many(["logitrack-cache-test:a", "logitrack-cache-test:b"])
    assert redis_cache.get("logitrack-cache-test:a") is None


def _count(name: str, backend: str) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, {"backend": backend}) or 0.0


def test_reads_are_counted_in_django_prometheus_cache_metrics(redis_cache):
    names = ("django_cache_get_total", "django_cache_get_hits_total", "django_cache_get_misses_total")
    before = [_count(n, "redis") for n in names]
    redis_cache.set("logitrack-cache-test:zero", 0, 30)  # a falsy value is a hit, and comes back as itself
    assert redis_cache.get("logitrack-cache-test:zero", "default") == 0
    assert redis_cache.get("logitrack-cache-test:none", "default") == "default"
    assert redis_cache.get_many(["logitrack-cache-test:zero", "logitrack-cache-test:x", "logitrack-cache-test:y"]) == {
        "logitrack-cache-test:zero": 0
    }
    after = [_count(n, "redis") for n in names]
    assert [a - b for a, b in zip(after, before, strict=True)] == [5, 2, 3]  # asked, found, not found
    redis_cache.delete("logitrack-cache-test:zero")


def test_a_read_the_server_refuses_is_counted_as_failed():
    from logitrack.testing.processes import free_port

    gone = RedisCache(f"redis://127.0.0.1:{free_port()}/0", {"OPTIONS": {"socket_connect_timeout": 0.5}})
    before = _count("django_cache_get_fail_total", "redis")
    with pytest.raises(redis.exceptions.ConnectionError):
        gone.get("anything")
    assert _count("django_cache_get_fail_total", "redis") == before + 1


def test_the_embedded_cache_counts_too_and_keeps_falsy_values():
    from logitrack.cache import LocMemCache

    cache = LocMemCache("logitrack-cache-test", {})
    before = _count("django_cache_get_hits_total", "locmem")
    cache.set("empty", "", 30)
    assert cache.get("empty", "default") == ""
    assert _count("django_cache_get_hits_total", "locmem") == before + 1
