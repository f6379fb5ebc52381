"""Over the real processes (web, relay, beat, a worker on the events and default queues):

- one request id in every log line: a request's id, sent as X-Request-ID, is found in the JSON log lines of each
  process that handled what it caused — the web process that published the event, the relay that sent it, the
  worker that applied it and the job its handler enqueued (logitrack/correlation.py);
- the web process's /readyz shows each one's heartbeat: the relay's and beat's from their loops, the worker's for
  each queue it consumes from the task beat sends there (logitrack/heartbeats.py)."""

import json
import uuid

import pytest
import redis
import requests
from django.conf import settings
from rest_framework_simplejwt.tokens import AccessToken

from logitrack import heartbeats
from logitrack.testing.processes import Processes, wait_for_worker, wait_until
from tests.support.pong.models import Receipt

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]


def lines_with(procs, name, request_id):
    """The JSON log lines of process `name` that carry `request_id` (as its field, or in a list of them)."""
    found = []
    for line in procs.log(name).splitlines():
        try:
            record = json.loads(line)
        except ValueError:  # a line that is not JSON (Celery's banner)
            continue
        if record.get("request_id") == request_id or request_id in record.get("request_ids", ()):
            found.append(record)
    return found


ENV = {
    "LOG_LEVEL": "INFO",
    "LOGITRACK_TEST_URLCONF": "tests.support.urls",
    "HEALTH_HEARTBEAT_SECONDS": "0.5",
    "HEALTH_STALE_SECONDS": "5",
    "HEALTH_REQUIRED_PROCESSES": "relay,beat,worker:events,worker:default",
}


def test_a_request_id_is_in_the_log_lines_of_each_process_and_readyz_shows_each_ones_heartbeat(tmp_path, make_user):
    if not settings.REDIS_URL:
        pytest.fail("needs Redis (run scripts/test.sh)")
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(heartbeats.INDEX, *client.keys(f"{heartbeats.PREFIX}:*"))
    procs = Processes(tmp_path, env=ENV)
    token = AccessToken.for_user(make_user())
    try:
        relay, beat = procs.relay(), procs.beat()
        worker = procs.worker("worker", queues="events,default", concurrency=1)
        base = procs.web()
        wait_for_worker(names=("worker",))

        request_id = f"story-{uuid.uuid4().hex}"
        answer = requests.post(
            f"{base}/api/v1/ping/pings/",
            json={"label": "echo:story"},
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": request_id},
            timeout=30,
        )
        assert answer.status_code == 201, answer.text
        assert answer.headers["X-Request-ID"] == request_id
        wait_until(lambda: Receipt.objects.filter(label="echo:story").exists(), what="the delivery")
        wait_until(
            lambda: any(r["event"] == "pong.echoed" for r in lines_with(procs, "worker", request_id)),
            what="the handler's job",
        )

        web = lines_with(procs, "web", request_id)
        assert [r["event"] for r in web] == ["outbox.published"]
        assert web[0]["event_type"] == "logitrack.ping.ping.sent.v1"
        assert [r["event"] for r in lines_with(procs, "relay", request_id)] == ["outbox.relayed"]
        handled = {r["event"]: r for r in lines_with(procs, "worker", request_id)}
        assert handled["outbox.delivered"]["event_id"] == web[0]["event_id"]  # the event the request published ...
        assert handled["outbox.delivered"]["subscriber"] == "pong.record_ping"
        assert handled["pong.echoed"]["label"] == "echo:story"  # ... and the job its handler enqueued (task header)

        ready = wait_until(
            lambda: (r := requests.get(f"{base}/readyz", timeout=30)).status_code == 200 and r.json(),
            timeout=60,
            interval=0.3,
            what="every required process's heartbeat",
        )
        checks = ready["checks"]
        assert [i["pid"] for i in checks["relay"]["instances"]] == [relay.pid]
        assert [i["pid"] for i in checks["beat"]["instances"]] == [beat.pid]
        for queue in ("events", "default"):  # written by the worker's pool process that ran beat's task
            assert {i["pid"] for i in checks[f"worker:{queue}"]["instances"]} - {worker.pid, beat.pid, relay.pid}
        assert checks["worker:routing"] == {**checks["worker:routing"], "status": "missing", "required": False}
        assert ready["status"] == "degraded"  # no routing or notifications worker here, and not required
        assert procs.died() == ""
    finally:
        procs.stop_all()
        client.delete(heartbeats.INDEX, *client.keys(f"{heartbeats.PREFIX}:*"))
