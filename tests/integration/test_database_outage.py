"""A PostgreSQL outage is a dependency's failure, not ours: every page and API call answers 503 problem+json with
Retry-After (nothing half-done, retry later), /readyz says not ready, /healthz stays up, and service resumes when
the database is back. The outage is real for this process: its connection is pointed at a port where nothing
listens, the shared PostgreSQL is never touched."""

import json
import socket
import threading
from contextlib import contextmanager

import pytest
import requests
from django.db import connection
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as ws_connect

from logitrack.testing.processes import Processes, wait_until

pytestmark = pytest.mark.django_db(transaction=True)
PROBLEM = "application/problem+json"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when this returns: connections to it are refused


@contextmanager
def database_unreachable():
    saved = {key: connection.settings_dict[key] for key in ("HOST", "PORT")}
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port()))
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


def unavailable(response) -> dict:
    assert response.status_code == 503, (response.status_code, response.content[:300])
    assert response["Content-Type"] == PROBLEM
    assert response["Retry-After"] == "5"
    body = json.loads(response.content)
    assert (body["status"], body["code"], body["retry_after"]) == (503, "service_unavailable", 5)
    assert "Traceback" not in response.content.decode()
    return body


def test_during_a_database_outage_everything_answers_503_with_retry_after(two_fleets):
    dispatcher, admin = two_fleets.a.users["dispatcher"], two_fleets.platform_admin
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {AccessToken.for_user(dispatcher)}"}
    screen, staff, anonymous = Client(), Client(), Client()
    screen.force_login(dispatcher)
    staff.force_login(admin)
    assert anonymous.get("/api/v1/identity/me/", **bearer).status_code == 200
    assert anonymous.get("/readyz").status_code == 200

    with database_unreachable():
        unavailable(anonymous.get("/api/v1/identity/me/", **bearer))  # DRF: the exception handler
        unavailable(
            anonymous.post(
                "/api/v1/auth/token/",
                {"email": dispatcher.email, "password": "correct horse battery staple"},
                content_type="application/json",
            )
        )
        unavailable(anonymous.get("/api/v1/trips/trips/", **bearer))
        unavailable(staff.get("/admin/"))  # outside DRF: the middleware
        unavailable(staff.get("/admin/identity/user/"))
        unavailable(screen.get("/dispatch/"))
        page = staff.get("/admin/", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")  # a person's browser
        assert (page.status_code, page["Retry-After"]) == (503, "5")
        assert page["Content-Type"].startswith("text/html")
        assert "cannot reach its database" in page.content.decode() and 'content="5"' in page.content.decode()
        unavailable(anonymous.post("/login/", {"email": dispatcher.email, "password": "x"}))
        ready = anonymous.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["status"] == "unavailable" and ready.json()["checks"]["database"]["status"] == "error"
        assert anonymous.get("/healthz").status_code == 200  # the process is alive: no restart for an outage

    assert anonymous.get("/readyz").status_code == 200
    assert anonymous.get("/api/v1/identity/me/", **bearer).json()["email"] == dispatcher.email
    assert screen.get("/dispatch/").status_code in (200, 403)  # the screen (or "no fleet") renders again


class CuttableProxy:
    """A TCP proxy to PostgreSQL that a test can cut (every connection dropped, new ones refused) and restore on
    the same port: an outage for the processes behind it only."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target, self.port = target, closed_port()
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        if self._listener is not None:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() blocked in its thread (Linux)
            except OSError:
                pass
            self._listener.close()
            self._listener = None
        with self._lock:
            for s in self._open:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self._open.clear()


@pytest.mark.processes
def test_a_real_server_answers_503_while_postgresql_is_cut_off_and_recovers(tmp_path, two_fleets):
    """uvicorn as deployed (a psycopg pool per process) behind a proxy this test cuts."""
    db = connection.settings_dict
    proxy = CuttableProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    proxy.start()
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@127.0.0.1:{proxy.port}/{db['NAME']}"
    procs = Processes(tmp_path, env={"DATABASE_URL": url, "DATABASE_POOL_TIMEOUT": "2"})
    bearer = {"Authorization": f"Bearer {AccessToken.for_user(two_fleets.a.users['dispatcher'])}"}
    try:
        base = procs.web()
        assert requests.get(f"{base}/api/v1/identity/me/", headers=bearer, timeout=30).status_code == 200
        proxy.cut()
        answer = requests.get(f"{base}/api/v1/identity/me/", headers=bearer, timeout=30)
        assert answer.status_code == 503, answer.text
        assert answer.headers["Content-Type"] == PROBLEM and answer.headers["Retry-After"] == "5"
        assert answer.json()["code"] == "service_unavailable"
        page = requests.get(f"{base}/admin/login/?next=/admin/", timeout=30)
        assert page.status_code in (200, 503)  # the login form needs no database; nothing in between is a 500
        assert requests.get(f"{base}/readyz", timeout=30).status_code == 503
        assert requests.get(f"{base}/healthz", timeout=30).status_code == 200
        # a websocket's authentication needs the database too, for a user the principal cache does not hold: not
        # the dispatcher, whom the first request above resolved and cached once the tombstones of the fixture's
        # writes (5 s) had gone, as they had whenever the server took that long to start
        token = AccessToken.for_user(two_fleets.a.users["fleet_manager"])
        with pytest.raises(InvalidStatus) as refused:
            ws_connect(f"{base.replace('http', 'ws', 1)}/ws/dispatch/fleets/{two_fleets.a.fleet_id}/?token={token}")
        assert refused.value.response.status_code == 503
        assert refused.value.response.headers["Retry-After"] == "5"
        assert json.loads(refused.value.response.body)["code"] == "service_unavailable"
        proxy.start()  # PostgreSQL is back
        wait_until(
            lambda: requests.get(f"{base}/api/v1/identity/me/", headers=bearer, timeout=30).status_code == 200,
            timeout=60,
            what="the server to use the database again",
        )
        assert requests.get(f"{base}/readyz", timeout=30).status_code == 200
        log = procs.log("web")
        assert 'HTTP/1.1\\" 503' in log  # the access log (JSON) shows the outage's answers ...
        assert 'HTTP/1.1\\" 500' not in log and "http.unhandled_exception" not in log  # ... and never a 500
    finally:
        procs.stop_all()
        proxy.cut()
