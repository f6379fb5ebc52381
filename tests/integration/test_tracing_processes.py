"""Real processes (web, relay, a worker) exporting their spans over OTLP/HTTP to a local receiver that decodes what
is on the wire with opentelemetry-proto: the spans of one request, from each process that handled what it caused,
share its trace id, and so do those processes' JSON log lines about it (trace_id beside request_id)."""

import json
import uuid

import pytest
import requests
from django.conf import settings
from rest_framework_simplejwt.tokens import AccessToken

from logitrack.testing.otlp import OtlpReceiver
from logitrack.testing.processes import Processes, wait_for_worker, wait_until
from tests.support.pong.models import Receipt

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]


def log_records(procs, name):
    records = []
    for line in procs.log(name).splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:  # Celery's banner
            continue
    return records


def test_spans_of_one_request_from_web_relay_and_worker_share_its_trace(tmp_path, make_user):
    if not settings.REDIS_URL:
        pytest.fail("needs Redis (run scripts/test.sh)")
    token = AccessToken.for_user(make_user())
    with OtlpReceiver() as receiver:
        env = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
            "OTEL_BSP_SCHEDULE_DELAY": "100",  # export within a tenth of a second, not the default five
            "LOG_LEVEL": "INFO",
            "LOGITRACK_TEST_URLCONF": "tests.support.urls",
        }
        procs = Processes(tmp_path, env=env)
        try:
            procs.relay()
            procs.worker("worker", queues="events,default", concurrency=1)
            base = procs.web()
            wait_for_worker(names=("worker",))

            request_id = f"trace-{uuid.uuid4().hex}"
            answer = requests.post(
                f"{base}/api/v1/ping/pings/",
                json={"label": "echo:traced"},
                headers={"Authorization": f"Bearer {token}", "X-Request-ID": request_id},
                timeout=30,
            )
            assert answer.status_code == 201, answer.text
            wait_until(lambda: Receipt.objects.filter(label="echo:traced").exists(), what="the delivery")

            def the_request():
                server = [
                    s
                    for s in receiver.spans
                    if s["process"] == "web" and "ping/pings" in s["name"] + str(s["attributes"])
                ]
                return server[0] if server else None

            trace_id = wait_until(the_request, what="the web process's span of the request")["trace_id"]

            def whole_trace():
                spans = receiver.in_trace(trace_id)
                names = {(s["process"], s["name"]) for s in spans}
                wanted = {
                    ("web", "outbox publish logitrack.ping.ping.sent.v1"),
                    ("relay", "outbox relay logitrack.ping.ping.sent.v1"),
                    ("worker", "outbox deliver pong.record_ping"),
                    ("worker", "run/pong.echo"),  # the job the handler enqueued (task headers)
                }
                return spans if wanted <= names else None

            spans = wait_until(whole_trace, timeout=30, what="the request's spans from web, relay and worker")
            assert receiver.paths == {"/v1/traces"}
            assert {s["process"] for s in spans} >= {"web", "relay", "worker"}
            assert {s["service"] for s in spans} >= {"logitrack-web", "logitrack-relay", "logitrack-worker"}
            by_id = {s["span_id"]: s for s in spans}
            (deliver,) = [s for s in spans if s["name"] == "outbox deliver pong.record_ping"]
            chain, span = [], deliver
            while span is not None:  # up from the delivery to the request
                chain.append((span["process"], span["name"]))
                span = by_id.get(span["parent_span_id"])
            assert chain == [
                ("worker", "outbox deliver pong.record_ping"),
                ("worker", "run/outbox.deliver"),
                ("relay", "apply_async/outbox.deliver"),
                ("relay", "outbox relay logitrack.ping.ping.sent.v1"),
                ("web", "outbox publish logitrack.ping.ping.sent.v1"),
                ("web", "POST api/v1/ping/pings/"),
            ]
            systems = {
                (s["process"], s["attributes"].get("db.system", s["attributes"].get("db.system.name"))) for s in spans
            }
            assert ("worker", "postgresql") in systems  # psycopg: the handler's queries
            assert ("worker", "redis") in systems  # redis: sending the handler's job to the broker

            # each process's log lines about the request carry its trace id beside the request id
            for name, event in (
                ("web", "outbox.published"),
                ("relay", "outbox.relayed"),
                ("worker", "outbox.delivered"),
            ):
                lines = [
                    r
                    for r in log_records(procs, name)
                    if r.get("event") == event and trace_id in (r.get("trace_id"), *r.get("trace_ids", ()))
                ]
                assert lines, (name, event)
            delivered = [
                r
                for r in log_records(procs, "worker")
                if r.get("event") == "outbox.delivered" and r.get("trace_id") == trace_id
            ]
            assert delivered[0]["request_id"] == request_id and len(delivered[0]["span_id"]) == 16
            assert procs.died() == ""
        finally:
            procs.stop_all()
