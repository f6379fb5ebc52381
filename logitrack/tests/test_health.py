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
    assert response.json()["checks"]["redis"] == {"status": "error", "error": "ConnectionError"}


def test_metrics_exposes_request_counters_and_outbox_gauges(client):
    client.get("/healthz")
    text = client.get("/metrics").content.decode()
    assert 'logitrack_http_requests_total{method="GET",route="healthz",status="200"}' in text
    assert "logitrack_outbox_pending 0.0" in text
    assert "logitrack_outbox_dead_letters 0.0" in text


def test_health_endpoints_refuse_writes(client):
    assert client.post("/healthz").status_code == 405
