"""`logitrack.cache.RedisCache`: Django's Redis cache with one client per connection pool, not one per operation."""

import pytest
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


def test_reads_and_writes_go_through(redis_cache):
    redis_cache.set_many({"logitrack-cache-test:a": {"n": 1}, "logitrack-cache-test:b": 2}, 30)
    assert redis_cache.get_many(["logitrack-cache-test:a", "logitrack-cache-test:b", "logitrack-cache-test:c"]) == {
        "logitrack-cache-test:a": {"n": 1},
        "logitrack-cache-test:b": 2,
    }
    assert redis_cache.incr("logitrack-cache-test:b") == 3
    redis_cache.delete_many(["logitrack-cache-test:a", "logitrack-cache-test:b"])
    assert redis_cache.get("logitrack-cache-test:a") is None
