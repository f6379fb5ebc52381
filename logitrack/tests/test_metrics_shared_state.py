"""Gauges read at scrape time from shared state: dead letters per subscription, Celery queue depth, heartbeats."""

import re
import uuid

import pytest
import redis
from django.db import transaction

from logitrack import bus, heartbeats, jobs
from logitrack.outbox.api import publish
from logitrack.outbox.delivery import park
from tests.support.ping.events import PingSentV1

pytestmark = pytest.mark.django_db


def _value(text, series):
    match = re.search(rf"^{re.escape(series)} (\S+)$", text, re.M)
    return None if match is None else float(match.group(1))


def test_dead_letters_are_counted_per_subscription(client):
    names = sorted(s.name for s in bus.all_subscriptions())
    with transaction.atomic():
        message = publish(PingSentV1(ping_id=uuid.uuid4(), label="parked"))
    park(subscription_name=names[0], envelope=message.envelope, attempts=5, error=RuntimeError("down"))
    text = client.get("/metrics").content.decode()
    assert _value(text, f'logitrack_outbox_subscription_dead_letters{{subscriber="{names[0]}"}}') == 1.0
    assert _value(text, f'logitrack_outbox_subscription_dead_letters{{subscriber="{names[-1]}"}}') == 0.0
    assert _value(text, "logitrack_outbox_dead_letters") == 1.0


def test_celery_queue_depth_is_read_from_the_broker_per_queue(client, settings):
    assert settings.CELERY_BROKER_URL.startswith("redis://"), "needs the full stack's broker (scripts/test.sh)"
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("default", "notifications", "routing")
    try:
        for _ in range(2):  # no worker takes them
            jobs.enqueue("health.heartbeat", args=("routing",), queue="routing")
        text = client.get("/metrics").content.decode()
        assert _value(text, 'logitrack_celery_queue_length{queue="routing"}') == 2.0
        assert _value(text, 'logitrack_celery_queue_length{queue="notifications"}') == 0.0
        assert _value(text, 'logitrack_celery_queue_length{queue="default"}') == 0.0
        assert _value(text, 'logitrack_celery_queue_length{queue="events"}') is not None
    finally:
        broker.delete("default", "notifications", "routing")


def test_heartbeat_age_and_instances_per_process_kind(client, settings):
    beats = redis.Redis.from_url(settings.REDIS_URL)
    beats.delete(heartbeats.INDEX, *beats.keys(f"{heartbeats.PREFIX}:*"))
    try:
        assert heartbeats.beat(heartbeats.RELAY)
        key = next(k for k in beats.smembers(heartbeats.INDEX) if b":relay:" in k)
        beats.pexpire(key, (settings.HEALTH_HEARTBEAT_TTL_SECONDS - 30) * 1000)  # beaten 30 s ago
        text = client.get("/metrics").content.decode()
        assert 29 <= _value(text, 'logitrack_process_heartbeat_age_seconds{kind="relay"}') <= 32
        assert _value(text, 'logitrack_process_instances{kind="relay"}') == 1.0
        assert _value(text, 'logitrack_process_instances{kind="beat"}') == 0.0
        assert _value(text, 'logitrack_process_heartbeat_age_seconds{kind="beat"}') is None  # absent, for absent()
    finally:
        beats.delete(heartbeats.INDEX, *beats.keys(f"{heartbeats.PREFIX}:*"))


def test_database_queries_connections_and_errors_are_counted_by_django_prometheus(client):
    from django.db import DatabaseError, connection, transaction

    series = 'django_db_{}{{alias="default",vendor="postgresql"}}'.format
    ran = _value_or_0(client, series("execute_total"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.execute("SELECT 2")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")
    text = client.get("/metrics").content.decode()
    # the two above and the failing one; the first scrape's own queries ran before it was read
    assert _value(text, series("execute_total")) >= ran + 3
    assert re.search(r'^django_db_errors_total\{alias="default",type="\w+",vendor="postgresql"\} ', text, re.M)
    assert _value(text, 'django_db_query_duration_seconds_count{alias="default",vendor="postgresql"}') >= 3


def _value_or_0(client, series):
    return _value(client.get("/metrics").content.decode(), series) or 0.0
