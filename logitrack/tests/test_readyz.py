"""/readyz's report: each dependency and each background process's heartbeat, with its age and what is wrong."""

import time

import pytest
import redis

from logitrack import heartbeats
from logitrack.heartbeats import Beat
from logitrack.http.health import process_checks

EXPECTED = ["relay", "beat", "worker:events"]


def checks(beats, required=("relay",), stale_after=60.0):
    return process_checks(beats, expected=EXPECTED, required=set(required), stale_after=stale_after)


def test_a_fresh_heartbeat_is_ok_with_its_age_and_every_instance():
    report = checks([Beat("relay", "a", 1, 3.0), Beat("relay", "b", 2, 0.5), Beat("beat", "a", 3, 1.0)])
    assert report["relay"] == {
        "status": "ok",
        "required": True,
        "stale_after_seconds": 60.0,
        "age_seconds": 0.5,
        "detail": "2 process(es) beating, latest 0.5 s ago",
        "instances": [{"host": "b", "pid": 2, "age_seconds": 0.5}, {"host": "a", "pid": 1, "age_seconds": 3.0}],
    }
    assert report["beat"]["status"] == "ok" and report["beat"]["required"] is False


def test_an_old_heartbeat_is_stale_and_a_missing_one_says_so():
    report = checks([Beat("relay", "a", 1, 75.0), Beat("beat", "a", 3, 1.0)])
    assert report["relay"]["status"] == "stale"
    assert report["relay"]["age_seconds"] == 75.0
    assert report["relay"]["detail"] == "latest heartbeat 75.0 s ago, stale after 60 s: stopped or stuck"
    assert report["worker:events"]["status"] == "missing"
    assert report["worker:events"]["age_seconds"] is None
    assert "not running, or never started" in report["worker:events"]["detail"]


def test_a_worker_without_heartbeat_points_at_beat_when_beat_is_not_beating():
    report = checks([Beat("relay", "a", 1, 1.0), Beat("beat", "a", 3, 99.0)])
    assert report["worker:events"]["detail"].endswith(
        "(beat sends the workers' heartbeat tasks, and beat is not beating)"
    )


def test_heartbeats_are_unknown_while_redis_does_not_answer():
    report = checks(None)
    assert {c["status"] for c in report.values()} == {"unknown"}


@pytest.fixture
def clean_heartbeats(settings):
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(heartbeats.INDEX, *client.keys(f"{heartbeats.PREFIX}:*"))
    yield client
    client.delete(heartbeats.INDEX, *client.keys(f"{heartbeats.PREFIX}:*"))


@pytest.mark.django_db
def test_readyz_reads_heartbeats_from_redis_and_is_red_while_a_required_one_is_missing(
    client, settings, clean_heartbeats
):
    settings.HEALTH_REQUIRED_PROCESSES = ["relay"]
    body = client.get("/readyz").json()
    assert client.get("/readyz").status_code == 503
    assert body["status"] == "unavailable" and body["mode"] == "full_stack"
    assert body["checks"]["relay"]["status"] == "missing"
    assert {"database", "redis", "channel_layer"} <= {k for k, c in body["checks"].items() if c["status"] == "ok"}

    assert heartbeats.beat("relay")
    body = client.get("/readyz").json()
    assert body["checks"]["relay"]["status"] == "ok"
    assert body["checks"]["relay"]["age_seconds"] < 2
    assert body["status"] == "degraded"  # beat and the workers are missing, but not required here

    key = next(k for k in clean_heartbeats.smembers(heartbeats.INDEX) if b":relay:" in k)
    clean_heartbeats.pexpire(key, 1)  # as if the relay had stopped a TTL ago: forgotten, and out of the index
    time.sleep(0.05)
    assert heartbeats.read_all() == []
    assert clean_heartbeats.scard(heartbeats.INDEX) == 0


@pytest.mark.django_db
def test_metrics_report_readiness_and_each_check_as_readyz_does(client, settings, clean_heartbeats):
    from logitrack.testing.metrics import scraped

    settings.HEALTH_REQUIRED_PROCESSES = ["relay"]
    assert scraped("logitrack_ready") == 0  # /readyz: 503, the relay is missing
    assert scraped('logitrack_readiness_check_ok{check="relay"}') == 0
    assert scraped('logitrack_readiness_check_ok{check="database"}') == 1
    assert heartbeats.beat("relay")
    assert scraped("logitrack_ready") == 1  # degraded (beat and workers missing, not required): 200
    assert scraped('logitrack_readiness_check_ok{check="relay"}') == 1
    assert scraped('logitrack_readiness_check_ok{check="beat"}') == 0
