import pytest

pytestmark = pytest.mark.django_db


def test_healthz_says_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_checks_database_and_redis(client, settings):
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["checks"]["database"]["status"] == "ok"
    if settings.REDIS_URL:
        assert body["checks"]["redis"]["status"] == "ok"


def test_readyz_is_503_when_redis_is_unreachable(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == {
        "status": "error",
        "error": "ConnectionError",
        "detail": "Redis (cache, channel layer, heartbeats) did not answer PING",
    }
    # the heartbeats live in that Redis: unknown, not missing
    assert response.json()["checks"]["relay"]["status"] == "unknown"


def test_metrics_exposes_request_counters_and_outbox_gauges(client):
    client.get("/healthz")
    text = client.get("/metrics").content.decode()
    assert 'logitrack_http_requests_total{method="GET",route="healthz",status="200"}' in text
    assert "logitrack_outbox_pending 0.0" in text
    assert "logitrack_outbox_dead_letters 0.0" in text


def test_health_endpoints_refuse_writes(client):
    assert client.post("/healthz").status_code == 405


def _gauge(text, name):
    line = next(x for x in text.splitlines() if x.startswith(name + " ") or (x.startswith(name) and "{" in name))
    return float(line.rsplit(" ", 1)[1])


def test_metrics_expose_the_events_lag_in_the_outbox_and_then_in_the_broker_queue(client, settings):
    """The lag is the oldest event no subscriber has been handed: first the outbox row the relay has not sent, then
    the delivery task waiting in the events queue (read from Redis, the broker)."""
    import datetime as dt
    import uuid

    import redis
    from django.db import transaction
    from django.utils import timezone

    from logitrack.outbox.api import publish
    from logitrack.outbox.models import OutboxMessage
    from logitrack.outbox.relay import relay_batch
    from logitrack.outbox.sinks import CelerySink
    from tests.support.ping.events import PingSentV1

    assert settings.CELERY_BROKER_URL.startswith("redis://"), "needs the full stack's broker (scripts/test.sh)"
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("events")
    text = client.get("/metrics").content.decode()
    assert _gauge(text, "logitrack_events_lag_seconds") == 0.0
    assert 'logitrack_events_queue_length{queue="events"} 0.0' in text

    occurred = timezone.now() - dt.timedelta(seconds=90)
    with transaction.atomic():
        message = publish(PingSentV1(ping_id=uuid.uuid4(), label="lagging", occurred_at=occurred))
    OutboxMessage.objects.filter(id=message.id).update(created_at=timezone.now() - dt.timedelta(seconds=40))
    text = client.get("/metrics").content.decode()
    assert 40 <= _gauge(text, "logitrack_outbox_oldest_pending_seconds") < 60
    assert 40 <= _gauge(text, "logitrack_events_lag_seconds") < 60

    try:
        assert relay_batch(sinks=[CelerySink()]) == 1  # now a task in Redis that no worker takes
        text = client.get("/metrics").content.decode()
        assert _gauge(text, "logitrack_outbox_oldest_pending_seconds") == 0.0
        assert 'logitrack_events_queue_length{queue="events"} 1.0' in text
        assert 90 <= _gauge(text, 'logitrack_events_queue_oldest_seconds{queue="events"}') < 120
        assert 90 <= _gauge(text, "logitrack_events_lag_seconds") < 120
    finally:
        broker.delete("events")
