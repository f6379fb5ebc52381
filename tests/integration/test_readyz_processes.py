"""/readyz over a real relay: a killed relay turns readiness red once its heartbeat is older than the staleness window
(short here: HEALTH_* settings and environment). Beat's and the workers' heartbeats over real processes:
tests/integration/test_request_ids.py, which runs them all."""

import signal

import pytest
import redis

from logitrack import heartbeats
from logitrack.testing.processes import Processes, wait_until

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]

FAST = {"HEALTH_HEARTBEAT_SECONDS": "0.3", "HEALTH_STALE_SECONDS": "2"}


@pytest.fixture
def procs(tmp_path, settings):
    if not settings.REDIS_URL:
        pytest.fail("needs Redis (run scripts/test.sh)")
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(heartbeats.INDEX, *client.keys(f"{heartbeats.PREFIX}:*"))
    settings.HEALTH_STALE_SECONDS = float(FAST["HEALTH_STALE_SECONDS"])
    processes = Processes(tmp_path, env=FAST)
    try:
        yield processes
    finally:
        processes.stop_all()
        client.delete(heartbeats.INDEX, *client.keys(f"{heartbeats.PREFIX}:*"))


def readyz(client):
    response = client.get("/readyz")
    return response.status_code, response.json()


def answering(client, status):
    """readyz's (status, body) once it answers `status`, else None (for wait_until)."""
    answer = readyz(client)
    return answer if answer[0] == status else None


def test_a_killed_relay_turns_readyz_red_after_the_staleness_window(client, settings, procs):
    settings.HEALTH_REQUIRED_PROCESSES = ["relay"]
    assert readyz(client)[0] == 503  # no relay yet
    relay = procs.relay()

    _, body = wait_until(lambda: answering(client, 200), timeout=60, interval=0.2, what="the relay's heartbeat")
    assert body["checks"]["relay"]["status"] == "ok"
    assert [i["pid"] for i in body["checks"]["relay"]["instances"]] == [relay.pid]
    assert body["status"] == "degraded"  # beat and workers are not running here, and not required

    procs.kill("relay", signal.SIGKILL)
    assert readyz(client)[0] == 200  # within the window a missed beat or two is not an outage
    _, body = wait_until(lambda: answering(client, 503), timeout=10, what="readyz to turn red")
    relay_check = body["checks"]["relay"]
    assert relay_check["status"] == "stale" and relay_check["age_seconds"] > settings.HEALTH_STALE_SECONDS
    assert relay_check["detail"].endswith("stale after 2 s: stopped or stuck")
    assert body["status"] == "unavailable"
