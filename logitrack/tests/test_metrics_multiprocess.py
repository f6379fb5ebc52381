"""Several processes (uvicorn workers, Celery pool processes) keep their own counters; one scrape sums them."""

import os
import subprocess
import sys

import pytest

from logitrack import metrics

pytestmark = pytest.mark.django_db

_COUNT = """
import sys
from logitrack import metrics
metrics.observe_request(method="GET", route="multiproc-probe", status=200, seconds=0.01)
print(type(metrics.HTTP_REQUESTS._metrics[("GET", "multiproc-probe", "200")]._value).__name__)
"""


def _run_process(directory):
    env = {**os.environ, metrics.MULTIPROC_ENV: str(directory)}
    done = subprocess.run([sys.executable, "-c", _COUNT], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_one_scrape_sums_the_counters_of_two_processes_and_reads_shared_state_once(client, monkeypatch, tmp_path):
    assert _run_process(tmp_path) == "MmapedValue"  # the files, not process memory
    _run_process(tmp_path)
    monkeypatch.setenv(metrics.MULTIPROC_ENV, str(tmp_path))
    text = client.get("/metrics").content.decode()
    assert 'logitrack_http_requests_total{method="GET",route="multiproc-probe",status="200"} 2.0' in text
    assert 'logitrack_http_request_seconds_count{method="GET",route="multiproc-probe"} 2.0' in text
    # the scrape-time gauges come from the database once, not once per process
    assert [line for line in text.splitlines() if line.startswith("logitrack_outbox_pending ")] == [
        "logitrack_outbox_pending 0.0"
    ]


def test_without_the_directory_a_scrape_serves_this_process(client, monkeypatch):
    monkeypatch.delenv(metrics.MULTIPROC_ENV, raising=False)
    assert metrics.scrape_registry() is metrics.REGISTRY


_OPEN_SOCKETS = """
import os, sys
from logitrack import metrics
metrics.WEBSOCKETS.labels("driver").inc(int(sys.argv[1]))
print(os.getpid(), flush=True)
if sys.argv[2] == "killed":
    os._exit(0)  # no atexit: as a process killed with SIGKILL, or a Celery pool process (its signal marks it)
"""


def test_open_sockets_are_summed_over_live_processes_and_a_gone_process_is_dropped(client, monkeypatch, tmp_path):
    env = {**os.environ, metrics.MULTIPROC_ENV: str(tmp_path)}

    def process(sockets, ending):
        done = subprocess.run(
            [sys.executable, "-c", _OPEN_SOCKETS, str(sockets), ending], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return int(done.stdout)

    process(2, "exits")  # a clean exit takes its sockets out (atexit)
    killed = process(3, "killed")  # still counted: nothing told the directory it is gone
    monkeypatch.setenv(metrics.MULTIPROC_ENV, str(tmp_path))
    assert 'logitrack_websocket_connections{kind="driver"} 3.0' in client.get("/metrics").content.decode()
    metrics.process_exited(killed)  # what Celery's worker_process_shutdown does for a pool process
    assert 'logitrack_websocket_connections{kind="driver"}' not in client.get("/metrics").content.decode()
