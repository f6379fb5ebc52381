"""Pushes to screens and driver apps are at most once: one that cannot reach Redis is dropped, never raised into
the change that already committed (an API call answering 500 for a saved change, a handler retried for nothing).
Seen in the e2e suite's Redis restart."""

import uuid

import pytest

from apps.dispatch import feed, live
from apps.dispatch.models import RoutingJob
from apps.dispatch.tests.factories import RoutingJobFactory
from logitrack.db import contexts
from logitrack.testing.processes import free_port


@pytest.fixture
def redis_unreachable(settings):
    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings.REDIS_URL = dead  # the live store's feed sequence
    settings.DISPATCH_LIVE_STORE = "redis"
    settings.CHANNEL_LAYERS = {  # the channel layer rebuilds its backends when this setting changes
        "default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": {"hosts": [dead]}}
    }
    live.store.cache_clear()
    yield
    live.store.cache_clear()


@pytest.mark.django_db(transaction=True)
def test_a_push_that_cannot_reach_redis_is_dropped_after_the_commit(redis_unreachable):
    with contexts.atomic("dispatch"):
        job = RoutingJobFactory()
        feed.to_fleet(job.fleet_id, "job", {"job": {"id": str(job.id)}})
        feed.to_driver(uuid.uuid4(), "offer", {"offer": {"id": "y"}})
    assert RoutingJob.objects.filter(id=job.id).exists()  # committed, and nothing was raised after the commit
