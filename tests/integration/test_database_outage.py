"""A PostgreSQL outage is a dependency's failure, not ours: every page and API call answers 503 problem+json with
Retry-After (nothing half-done, retry later), /readyz says not ready, /healthz stays up, and service resumes when
the database is back. The outage is real for this process: its connection is pointed at a port where nothing
listens, the shared PostgreSQL is never touched."""

import json
import socket
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken

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
        unavailable(anonymous.post("/login/", {"email": dispatcher.email, "password": "x"}))
        ready = anonymous.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["status"] == "unavailable" and ready.json()["checks"]["database"]["status"] == "error"
        assert anonymous.get("/healthz").status_code == 200  # the process is alive: no restart for an outage

    assert anonymous.get("/readyz").status_code == 200
    assert anonymous.get("/api/v1/identity/me/", **bearer).json()["email"] == dispatcher.email
    assert screen.get("/dispatch/").status_code in (200, 403)  # the screen (or "no fleet") renders again
