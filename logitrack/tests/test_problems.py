"""Every API failure is an application/problem+json body with a stable code; never a traceback."""

import json

import pytest
import structlog.testing
from django.core.cache import cache

pytestmark = [pytest.mark.urls("logitrack.tests.urls"), pytest.mark.django_db]
PROBLEM = "application/problem+json"


def problem(response):
    assert response["Content-Type"].startswith(PROBLEM), response["Content-Type"]
    body = json.loads(response.content)
    assert body["status"] == response.status_code
    assert body["type"].endswith(body["code"])
    assert body["title"] and body["detail"]
    return body


def test_application_error_keeps_its_code_and_extra(client):
    body = problem(client.post("/api/v1/kernel/conflict/"))
    assert body["status"] == 409
    assert body["code"] == "trips.illegal_transition"
    assert body["detail"] == "trip is already completed"
    assert body["current_state"] == "completed"


def test_not_found_error_is_404(client):
    assert problem(client.get("/api/v1/kernel/missing/"))["code"] == "fleet.vehicle_not_found"


def test_unexpected_exception_is_a_500_problem_with_request_id_and_no_internals(client):
    client.raise_request_exception = False
    response = client.get("/api/v1/kernel/explode/", HTTP_X_REQUEST_ID="req-abcdef123")
    body = problem(response)
    assert response.status_code == 500
    assert body["code"] == "internal_error"
    assert body["request_id"] == "req-abcdef123"
    assert response["X-Request-ID"] == "req-abcdef123"
    assert "hunter2" not in response.content.decode()
    assert "Traceback" not in response.content.decode()


def test_field_errors_are_listed_per_field(client):
    response = client.post(
        "/api/v1/kernel/echo/", {"name": "far too long", "count": 0}, content_type="application/json"
    )
    body = problem(response)
    assert response.status_code == 400
    assert body["code"] == "validation_failed"
    assert set(body["errors"]) == {"name", "count"}


def test_malformed_json_is_400(client):
    response = client.post("/api/v1/kernel/echo/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert problem(response)["code"] == "malformed_request"


def test_wrong_content_type_is_415(client):
    response = client.post("/api/v1/kernel/echo/", "name=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert problem(response)["code"] == "unsupported_media_type"


def test_oversized_body_is_413_before_parsing(client, settings):
    settings.LOGITRACK_MAX_BODY_BYTES = 1000
    response = client.post(
        "/api/v1/kernel/echo/", json.dumps({"name": "x" * 5000, "count": 1}), content_type="application/json"
    )
    assert response.status_code == 413
    assert problem(response)["code"] == "payload_too_large"


def test_unauthenticated_is_401_with_challenge(client):
    response = client.get("/api/v1/kernel/private/")
    assert response.status_code == 401
    assert problem(response)["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_wrong_method_is_405(client):
    response = client.delete("/api/v1/kernel/echo/")
    assert response.status_code == 405
    assert problem(response)["code"] == "method_not_allowed"


def test_throttled_is_429_with_retry_after(client):
    cache.delete("throttle_kernel-test_127.0.0.1")  # only our key: the cache may be a shared Redis
    assert client.get("/api/v1/kernel/throttled/").status_code == 200
    response = client.get("/api/v1/kernel/throttled/")
    body = problem(response)
    assert response.status_code == 429
    assert body["code"] == "throttled"
    assert int(response["Retry-After"]) >= 1
    assert body["retry_after"] == int(response["Retry-After"])


def test_unknown_api_path_is_a_404_problem(client):
    response = client.get("/api/v1/kernel/nowhere/")
    assert response.status_code == 404
    assert problem(response)["code"] == "not_found"


def test_request_id_is_minted_when_absent_or_unsafe(client):
    minted = client.get("/api/v1/kernel/missing/")["X-Request-ID"]
    assert len(minted) == 32
    unsafe = client.get("/api/v1/kernel/missing/", HTTP_X_REQUEST_ID="bad id\nInjected: 1")["X-Request-ID"]
    assert unsafe != "bad id\nInjected: 1" and len(unsafe) == 32


def test_details_never_overwrite_the_problem_members():
    from logitrack.http.problems import problem_body

    body = problem_body(status=409, code="x.y", title="T", detail="D", extra={"status": "evil", "current_status": "ok"})
    assert body["status"] == 409 and body["context"] == {"status": "evil"} and body["current_status"] == "ok"


def test_a_malformed_bearer_token_is_a_plain_401(client):
    response = client.get("/api/v1/kernel/private/", HTTP_AUTHORIZATION="Bearer not-a-token")
    body = problem(response)
    assert (response.status_code, body["code"]) == (401, "authentication_failed")
    assert body["detail"] == "Given token not valid for any token type"
    assert body["messages"] == [{"token_class": "AccessToken", "token_type": "access", "message": "Token is invalid"}]


# Python reprs that leak into a body when an error detail is str()-ed instead of rendered
_REPRS = ("ErrorDetail(", "{'", "['", "<class", "object at 0x")


def _strings(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str):
        yield value


def test_no_error_body_carries_a_python_repr(client, settings):
    """Walks every kind of failure the kernel's glue produces, members and nested members alike."""
    cache.delete("throttle_kernel-test_127.0.0.1")
    client.raise_request_exception = False
    from rest_framework_simplejwt.tokens import RefreshToken

    refresh_as_access = str(RefreshToken())
    settings.LOGITRACK_MAX_BODY_BYTES = 10_000
    calls = [
        lambda: client.get("/api/v1/kernel/private/", HTTP_AUTHORIZATION="Bearer not-a-token"),
        lambda: client.get("/api/v1/kernel/private/", HTTP_AUTHORIZATION=f"Bearer {refresh_as_access}"),
        lambda: client.get("/api/v1/kernel/private/", HTTP_AUTHORIZATION="Bearer"),
        lambda: client.get("/api/v1/kernel/private/", HTTP_AUTHORIZATION="Bearer a b"),
        lambda: client.get("/api/v1/kernel/private/"),
        lambda: client.post("/api/v1/kernel/echo/", {"name": "far too long"}, content_type="application/json"),
        lambda: client.post("/api/v1/kernel/echo/", [1, [2]], content_type="application/json"),
        lambda: client.post("/api/v1/kernel/echo/", "{not json", content_type="application/json"),
        lambda: client.post("/api/v1/kernel/echo/", "[" * 5000 + "]" * 5000, content_type="application/json"),
        lambda: client.post("/api/v1/kernel/echo/", "x=1", content_type="application/x-www-form-urlencoded"),
        lambda: client.post("/api/v1/kernel/echo/", "x" * 20_000, content_type="application/json"),
        lambda: client.delete("/api/v1/kernel/echo/"),
        lambda: client.get("/api/v1/kernel/conflict/"),
        lambda: client.post("/api/v1/kernel/conflict/"),
        lambda: client.get("/api/v1/kernel/missing/"),
        lambda: client.get("/api/v1/kernel/nowhere/"),
        lambda: client.get("/api/v1/kernel/explode/"),
        lambda: client.get("/api/v1/kernel/throttled/"),
        lambda: client.get("/api/v1/kernel/throttled/"),
    ]
    seen = set()
    for call in calls:
        response = call()
        if response.status_code < 400:
            continue
        body = problem(response)
        seen.add(response.status_code)
        for text in _strings(body):
            assert not any(r in text for r in _REPRS), (response.status_code, body)
    assert seen >= {400, 401, 404, 405, 409, 413, 415, 429, 500}


def _nested(levels: int) -> str:
    return '{"name": ' * levels + '"x"' + "}" * levels


@pytest.mark.parametrize(
    "body",
    ["[" * 5000 + "]" * 5000, _nested(5000), _nested(65)],
    ids=["5000-lists", "5000-objects", "65-objects"],
)
def test_deeply_nested_json_is_malformed_input(client, body):
    response = client.post("/api/v1/kernel/echo/", body, content_type="application/json")
    assert response.status_code == 400
    body = problem(response)
    assert body["code"] == "malformed_request"
    assert body["detail"] == "JSON nested deeper than 64 levels"


def test_json_nested_up_to_the_limit_reaches_the_view(client):
    response = client.post("/api/v1/kernel/echo/", _nested(64), content_type="application/json")
    assert problem(response)["code"] == "validation_failed"  # parsed: the serializer refused a dict for a name


def test_a_download_honours_accept_and_its_errors_stay_problems(client):
    from logitrack.testing.downloads import assert_honours_accept

    assert assert_honours_accept(client, "/api/v1/kernel/download/", documented=("application/pdf",)) == (
        "application/pdf"
    )
    missing = client.get("/api/v1/kernel/download/?missing=1", HTTP_ACCEPT="application/pdf")
    assert missing.status_code == 404 and problem(missing)["code"] == "kernel.file_not_found"
    refused = client.get("/api/v1/kernel/download/", HTTP_ACCEPT="image/png")
    assert refused.status_code == 406 and problem(refused)["code"] == "not_acceptable"


@pytest.mark.parametrize(
    ("accept", "ok"),
    [
        ("", True),
        ("application/pdf", True),
        ("APPLICATION/PDF; charset=binary", True),
        ("application/*;q=0.2", True),
        ("*/*", True),
        ("text/html, application/pdf;q=0.1", True),
        ("image/png", False),
        ("application/pdf;q=0", False),
        ("application/pdf;q=0.0, image/*", False),
        ("application/json", False),
        ("nonsense", False),
    ],
)
def test_accept_matching(accept, ok):
    from logitrack.http.downloads import accepts

    assert accepts(accept, "application/pdf") is ok


def test_a_database_error_that_is_not_an_outage_is_a_logged_500_not_a_503(client):
    """PostgreSQL's lock_not_available (55P03) is an OperationalError, but the database answered: a 503 saying it
    is unreachable would hide a bug of ours behind "retry later"."""
    import psycopg
    from django.db import connection

    client.raise_request_exception = False
    params = connection.get_connection_params()
    holder = psycopg.connect(**{k: v for k, v in params.items() if k in ("dbname", "user", "password", "host", "port")})
    try:
        holder.execute("SELECT pg_advisory_lock(424242)")
        with structlog.testing.capture_logs() as logs:
            response = client.get("/api/v1/kernel/wait-for-lock/?key=424242")
    finally:
        holder.close()
    body = problem(response)
    assert (response.status_code, body["code"]) == (500, "internal_error")
    assert "Retry-After" not in response
    events = {e["event"]: e for e in logs}
    assert "http.database_unavailable" not in events
    assert events["http.unhandled_exception"]["exc_info"] is True  # logged with its traceback


def test_only_an_unreachable_sqlite_file_counts_as_an_outage(tmp_path):
    import sqlite3

    from django.db import OperationalError

    from logitrack.http.problems import database_unavailable

    def raised(sql, db=":memory:"):
        try:
            try:
                sqlite3.connect(db, timeout=0).execute(sql)
            except sqlite3.Error as exc:
                raise OperationalError(*exc.args) from exc  # as Django wraps it
        except OperationalError as wrapped:
            return wrapped
        raise AssertionError(f"{sql} did not fail")

    assert not database_unavailable(raised("SELECT * FROM no_such_table"))  # not migrated: ours to fix
    assert database_unavailable(raised("SELECT 1", db=str(tmp_path / "missing" / "db.sqlite3")))  # cannot open
    locked = tmp_path / "locked.sqlite3"
    holder = sqlite3.connect(locked, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        assert database_unavailable(raised("SELECT * FROM sqlite_master", db=str(locked)))  # busy: retry later
    finally:
        holder.close()
