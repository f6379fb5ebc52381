"""The shipped dashboards and alert rules against a real Prometheus (Debian's `prometheus`) scraping the app's real
processes: web (which serves /metrics), the outbox relay and a Celery worker, sharing PROMETHEUS_MULTIPROC_DIR as
the processes of one host do. After some load (sign-ins, a driver's pings over the socket, a trip completion that
billing settles, the ledger check), every query of every panel of ops/grafana/dashboards must run and return data,
and every rule of ops/prometheus/alerts.yml must evaluate without error."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import shutil
import uuid

import pytest
import requests
import yaml
from django.core.management import call_command

from apps.trips.tests.factories import trip_completed_event
from logitrack.db import contexts
from logitrack.outbox.api import publish
from logitrack.testing.processes import ROOT, Processes, RedisServer, free_port, wait_for_worker, wait_until
from tests.e2e.clients import Api, DriverApp
from tests.e2e.conftest import build_operator

DASHBOARDS = sorted((ROOT / "ops" / "grafana" / "dashboards").glob("*.json"))
RULES = ROOT / "ops" / "prometheus" / "alerts.yml"


class Prometheus:
    def __init__(self, base: str) -> None:
        self.base = base

    def query(self, expr: str) -> list[dict]:
        """The instant query's result; an error (bad syntax, a failing function) raises with Prometheus' message."""
        reply = requests.get(f"{self.base}/api/v1/query", params={"query": expr}, timeout=10)
        body = reply.json()
        if reply.status_code != 200 or body.get("status") != "success":
            raise AssertionError(f"{expr!r}: {reply.status_code} {body.get('errorType')}: {body.get('error')}")
        return body["data"]["result"]

    def value(self, expr: str) -> float:
        """The value of a query that returns one series (0 when it returns none)."""
        result = self.query(expr)
        return float(result[0]["value"][1]) if result else 0.0


def panel_queries(path) -> list[tuple[str, str]]:
    board = json.loads(path.read_text())
    return [
        (f"{board['title']} / {panel['title']}", target["expr"])
        for panel in board["panels"]
        for target in panel.get("targets", [])
    ]


def test_the_dashboards_are_provisioned_for_the_prometheus_data_source():
    assert [p.stem for p in DASHBOARDS] == ["billing", "dispatch", "events", "overview"]
    for path in DASHBOARDS:
        board = json.loads(path.read_text())
        assert board["uid"].startswith("logitrack-")
        for panel in board["panels"]:
            assert panel["datasource"] == {"type": "prometheus", "uid": "prometheus"}, panel["title"]
            assert panel["targets"], panel["title"]


@pytest.mark.processes
@pytest.mark.django_db(transaction=True)
def test_every_dashboard_query_returns_data_from_a_real_prometheus_scraping_the_processes(tmp_path, settings):
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("prometheus is not installed (scripts/test.sh installs the Debian package)")
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    procs = Processes(tmp_path, redis_url=redis.url, env={"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)})
    web_port, prom_port = free_port(), free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        json.dumps(  # JSON is YAML
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "900ms"},
                "rule_files": [str(RULES)],
                "scrape_configs": [
                    {"job_name": "logitrack", "static_configs": [{"targets": [f"127.0.0.1:{web_port}"]}]}
                ],
            }
        )
    )
    try:
        procs.worker("worker", queues="default,events,notifications", concurrency=1)
        procs.relay()
        procs.spawn(
            "prometheus",
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{prom_port}",
            ],
        )
        base = procs.web(port=web_port)
        prom = Prometheus(f"http://127.0.0.1:{prom_port}")
        wait_until(lambda: prom.value('up{job="logitrack"}') == 1, timeout=20, what="Prometheus scraping web")
        wait_for_worker(broker_url=redis.url, names=("worker",))

        # --- load: sign-ins (one refused), a driver's pings over the socket, a trip completed and settled
        operator = build_operator(drivers=1)
        me = operator.drivers[0]
        refused = Api(base).call("POST", "/api/v1/auth/token/", json={"email": me.email, "password": "wrong" * 3})
        assert refused.status_code == 401
        driver = Api(base).login(me.email)
        driver.expect(200, "POST", "/api/v1/partner/me/duty/", json={"on_duty": True})
        app = DriverApp(base, driver)
        for lat in (52.530, 52.531):
            app.wait_acked(app.ping(lat, 13.385, speed_mps=5.0))
        now = dt.datetime.now(dt.UTC)
        with contexts.atomic("trips"):
            publish(
                trip_completed_event(
                    fleet_id=operator.fleet_id,
                    customer_id=uuid.uuid4(),
                    driver_id=me.driver_id,
                    distance_m=4200,
                    duration_s=900,
                    completed_at=now,
                )
            )
        wait_until(
            lambda: prom.value("sum(increase(logitrack_settlements_total[1m]))") > 0,
            timeout=30,
            what="the settlement counted by the worker, summed by web and scraped",
        )
        call_command("billing_verify_ledger")  # as the hourly task does: the latest check, read at scrape time
        wait_until(lambda: prom.query("logitrack_ledger_check_problems"), timeout=10, what="the ledger check scraped")

        # --- what the load did shows in the scraped series
        assert prom.value("max(logitrack_ledger_check_problems)") == 0
        assert prom.value("sum(increase(logitrack_pings_stored_total[1m]))") > 0
        assert prom.value('sum(logitrack_ping_to_screen_seconds_count{via="websocket"})') >= 1
        assert prom.value('sum(logitrack_celery_task_wait_seconds_count{queue="events"})') >= 1
        assert prom.value("sum(logitrack_login_failures_total)") >= 1
        assert prom.value('sum(logitrack_websocket_connections{kind="driver"})') == 1

        # --- every panel's query runs and returns data; NaN (a quantile of no observations yet) counts as data
        failures, measured = [], 0
        for path in DASHBOARDS:
            for where, expr in panel_queries(path):
                try:
                    result = prom.query(expr)
                except AssertionError as exc:
                    failures.append(f"{where}: {exc}")
                    continue
                if not result:
                    failures.append(f"{where}: no data for {expr!r}")
                measured += any(not math.isnan(float(r["value"][1])) for r in result)
        assert not failures, "\n".join(failures)
        assert measured >= 40  # most panels show numbers, not only NaN

        # --- the alert rules evaluate against the real series (a wrong metric or type fails here, not at night)
        def evaluated() -> list[dict]:
            groups = requests.get(f"{prom.base}/api/v1/rules", timeout=10).json()["data"]["groups"]
            rules = [r for g in groups for r in g["rules"]]
            return rules if rules and all(r.get("lastEvaluation", "").startswith("20") for r in rules) else []

        rules = wait_until(evaluated, timeout=10, what="every alert rule evaluated")
        assert len(rules) == 12
        assert [(r["name"], r.get("lastError")) for r in rules if r["health"] != "ok"] == []
    finally:
        procs.stop_all()
        redis.stop()


def test_each_alert_says_what_is_wrong_and_links_its_runbook_section():
    rules = [r for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]
    runbook = (ROOT / "docs" / "runbook.md").read_text()
    sections = {f"docs/runbook.md#{m.lower()}" for m in re.findall(r"^### (LogiTrack\w+)$", runbook, re.M)}
    tests = (RULES.parent / "alerts_test.yml").read_text()
    for rule in rules:
        name, notes = rule["alert"], rule["annotations"]
        assert {"summary", "description", "runbook_url"} <= set(notes), name
        assert notes["runbook_url"] in sections, f"{name}: no section {notes['runbook_url']}"
        assert f"alertname: {name}\n" in tests, f"{name} has no promtool test"
    assert len(sections) == len(rules)
