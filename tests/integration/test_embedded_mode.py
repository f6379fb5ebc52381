"""The embedded default: with no DATABASE_URL / REDIS_URL the platform needs no services at all."""

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

from logitrack.testing.processes import process_env

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.core.management import call_command
call_command("migrate", verbosity=0)
from tests.support.ping.services import ping_send
from tests.support.pong.models import Receipt
from logitrack.outbox.models import OutboxMessage
ping = ping_send(label="embedded")  # commits; the relay and the Celery delivery run in-process after commit
from django.test import Client
ready = Client().get("/readyz")
print(json.dumps({
    "readyz": [ready.status_code, ready.json()],
    "engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "channel_layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "sinks": settings.OUTBOX_SINKS,
    "received": [str(r.ping_id) for r in Receipt.objects.all()],
    "ping": str(ping.id),
    "unpublished": OutboxMessage.objects.filter(published_at__isnull=True).count(),
}))
"""


def test_embedded_default_runs_jobs_and_the_relay_in_process(tmp_path):
    env = process_env(embedded=True)  # no database of any context: not DATABASE_URL_<CONTEXT> either
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",  # test settings add the ping/pong contexts
        LOGITRACK_VAR_DIR=str(tmp_path),
        OUTBOX_INLINE_RELAY="true",
    )
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    state = json.loads(result.stdout.strip().splitlines()[-1])

    assert state["engine"] == "django.db.backends.sqlite3"
    assert state["db_name"].startswith(str(tmp_path))
    assert state["channel_layer"] == "channels.layers.InMemoryChannelLayer"
    assert state["eager"] is True
    assert state["sinks"] == ["logitrack.outbox.sinks.CelerySink"]  # the same sink as the full stack
    assert state["received"] == [state["ping"]]
    assert state["unpublished"] == 0
    status, body = state["readyz"]  # no separate processes to watch: ready, and the body says why
    assert status == 200 and body["status"] == "ok" and body["mode"] == "embedded"
    assert body["checks"]["processes"]["detail"].startswith("embedded mode: jobs, the outbox relay")
    assert body["checks"]["channel_layer"] == {
        "status": "ok",
        "ms": body["checks"]["channel_layer"]["ms"],
        "detail": "in memory, this process only",
    }
    assert "redis" not in body["checks"] and "relay" not in body["checks"]


def test_dispatch_runs_on_the_embedded_default_too(tmp_path):
    """Live positions and driver presence (in-process store), history on SQLite (ON CONFLICT ... RETURNING),
    matching and routing plans: the same dispatch tests, rerun without PostgreSQL or Redis."""
    env = process_env(embedded=True)  # no database of any context: not DATABASE_URL_<CONTEXT> either
    # without the in-process beat that importing config.asgi starts: its jobs (offers expiring, sweeps) ran on
    # SQLite's shared in-memory tables from another thread during the tests' setup ("database table is locked");
    # the beat itself is tested in test_periodic_in_process
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test", LOGITRACK_VAR_DIR=str(tmp_path), EMBEDDED_PERIODIC_JOBS="false"
    )
    selection = [
        "apps/dispatch/tests/test_positions.py",
        "tests/integration/test_dispatch_matching.py",
        "tests/integration/test_dispatch_routing.py::test_a_plan_serves_what_fits_and_says_why_the_rest_cannot_be_served",
        # driver presence over real sockets, kept in the in-process store (the lease lapsing is the store's rule,
        # tested on both stores in test_driver_presence; its socket test held SQLite's shared in-memory tables
        # past teardown: "database table is locked")
        "tests/integration/test_driver_presence.py::test_a_driver_is_connected_while_their_socket_is_open",
        "tests/integration/test_driver_presence.py::test_a_second_device_keeps_the_driver_connected_until_both_close",
    ]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *selection],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout


GIVEN = """
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from tests.e2e.conftest import build_operator
operator = build_operator(drivers=3, auto_dispatch=False)
print(json.dumps({"fleet_id": str(operator.fleet_id), "dispatcher": operator.dispatcher_email}))
"""


def test_the_embedded_server_keeps_answering_while_a_route_is_optimised(tmp_path):
    """The embedded default solves routes in a child process: while a multi-second solve runs, the web process
    answers /healthz and the job's own status, and the POST that queued it answered 202 before it finished."""
    from logitrack.testing.processes import Processes, wait_until
    from tests.e2e.clients import PASSWORD, Api
    from tests.e2e.test_resilience import SPOTS, booking

    env = {"LOGITRACK_VAR_DIR": str(tmp_path / "var"), "OUTBOX_INLINE_RELAY": "true"}  # as the embedded default
    procs = Processes(tmp_path, embedded=True, env=env)
    try:
        given = procs.start("given", "-c", GIVEN)
        assert given.wait(120) == 0, procs.log("given")[-3000:]
        operator = json.loads(procs.log("given").strip().splitlines()[-1])
        base = procs.web()
        customer = Api(base)
        account = {"email": "booker@example.test", "password": PASSWORD, "display_name": "Booker"}
        customer.expect(201, "POST", "/api/v1/identity/register/", json=account)
        customer.login(account["email"])
        for pickup, dropoff in SPOTS:
            customer.expect(201, "POST", "/api/v1/trips/trips/", json=booking(operator["fleet_id"], pickup, dropoff))
        dispatcher = Api(base).login(operator["dispatcher"])

        answers: list[float] = []  # when each /healthz answer arrived
        stop = threading.Event()

        def probe() -> None:
            health = Api(base)
            while not stop.is_set():
                if health.call("GET", "/healthz", timeout=30).status_code == 200:
                    answers.append(time.monotonic())
                time.sleep(0.05)

        prober = threading.Thread(target=probe, daemon=True)
        prober.start()
        job = dispatcher.expect(
            202, "POST", f"/api/v1/dispatch/fleets/{operator['fleet_id']}/routing-jobs/", json={"seconds": 4}
        )
        seen: list[tuple[float, str]] = []  # (when the answer arrived, the job's status), polled from here on

        def finished() -> bool:
            status = dispatcher.get(f"/api/v1/dispatch/routing-jobs/{job['id']}/")["status"]
            seen.append((time.monotonic(), status))
            return status in ("succeeded", "failed")

        wait_until(finished, timeout=60, interval=0.1, what="the routing job to finish")
        stop.set()
        prober.join(30)
    finally:
        procs.stop_all()

    assert seen[-1][1] == "succeeded", procs.log("web")[-3000:]
    running = [at for at, status in seen if status in ("queued", "running")]
    assert seen[0][1] in ("queued", "running")  # the POST answered before the job finished
    assert len(running) >= 3, seen  # and the job's status kept answering while it ran
    during = [at for at in answers if running[0] <= at <= running[-1]]
    assert len(during) >= 5, f"{len(during)} /healthz answers in {running[-1] - running[0]:.1f}s of solving"
