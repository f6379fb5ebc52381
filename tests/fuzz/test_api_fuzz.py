"""Schemathesis fuzzes every operation of /api/schema/ in-process (WSGI) against the test database, once per
role with a real access token from /api/v1/auth/token/: no response may be a 5xx, and every response must be
documented (status code, media type, body schema). Protected operations must answer 401 problem+json to a
missing and to an invalid token. See docs/development.md, "API fuzzing"."""

from __future__ import annotations

import copy
import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.test import Client

from logitrack.testing import databases
from tests.fuzz import world as fuzz_world

APP = WSGIHandler()
# CI runs a bounded, reproducible search; raise these locally to dig deeper (docs/development.md).
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "6"))
SEED = int(os.environ.get("FUZZ_SEED", "20261122"))


# Boundary values (the coverage phase) find what random data rarely does (a 26-digit integer, `false` for a
# UUID) but cost more, so they run for the platform admin, who passes every role check, and for the driver on
# the driver app's endpoints, which answer 404 to anyone without a driver profile before reading the body.
def _config(*, fuzzing: bool, coverage: bool) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,  # with `deterministic` every run sends the same requests
            "generation": {
                "mode": "all",  # valid and invalid input
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
                "with-security-parameters": False,  # each role's real token is sent instead
            },
            "phases": {
                "examples": {"enabled": False},  # the schema has no examples
                "fuzzing": {"enabled": fuzzing},
                "coverage": {"enabled": coverage},
                "stateful": {"enabled": False},
            },
            "checks": {
                # A schema-valid body may still break a business rule (a stop outside the service area, a weak
                # password): the answer must then be a documented 4xx, which status_code_conformance checks.
                "positive_data_acceptance": {"enabled": False},
            },
        }
    )


SCHEMA = schemathesis.openapi.from_wsgi(
    "/api/schema/",
    APP,
    config=_config(fuzzing=True, coverage=False),
    headers={"Accept": "application/vnd.oai.openapi+json"},
)
BOUNDARIES = schemathesis.openapi.from_dict(
    copy.deepcopy(SCHEMA.raw_schema), config=_config(fuzzing=False, coverage=True)
)
BOUNDARIES.app = APP
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
PROTECTED = [op for op in OPERATIONS if {} not in op.definition.raw.get("security", [{}])]


@schemathesis.check
def no_python_repr_in_problems(ctx, response, case):
    """Problem bodies hold plain strings: a DRF or simplejwt detail str()-ed whole reads `ErrorDetail(string=...`."""
    if response.status_code >= 400 and "ErrorDetail(" in response.text:
        raise AssertionError(f"a Python repr in the problem body: {response.text[:300]}")


CONFORMANCE = [
    no_python_repr_in_problems,
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction that is rolled back at the end; each test runs in a
    savepoint of it (pytest-django's `db`), so what the fuzzer changes is undone after every operation."""
    with django_db_blocker.unblock():
        outer = databases.atomic_everywhere()  # the world is every context's
        outer.__enter__()
        try:
            yield fuzz_world.build()
        finally:
            databases.set_rollback_everywhere()
            outer.__exit__(None, None, None)


@pytest.fixture
def in_process(db):
    """Requests go through Django's WSGI handler inside the test's transaction: keep the handler from closing
    the connection at the end of each request, as django.test.Client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _token(world, role: str) -> str:
    """A fresh access token for the role, obtained the way the apps obtain one (through the same WSGI app:
    django.test.Client would reconnect the signal `in_process` disconnected)."""
    user = world.users[role]
    response = Client(APP).post("/api/v1/auth/token/", json={"email": user.email, "password": fuzz_world.PASSWORD})
    assert response.status_code == 200, response.text
    return response.json["access"]


@pytest.fixture(params=(*fuzz_world.ROLES, "api_key"))
def bearer(request, world, in_process, clean_login_guard) -> str:
    """Every role's access token, and an integration's API key (every scope; 403 `auth.scope_missing` elsewhere)."""
    return world.api_key if request.param == "api_key" else _token(world, request.param)


@pytest.fixture
def admin_bearer(world, in_process, clean_login_guard) -> str:
    return _token(world, "platform_admin")


@pytest.fixture
def driver_bearer(world, in_process, clean_login_guard) -> str:
    return _token(world, "driver")


def _with_known_ids(case, data, known: dict[str, list[str]]) -> None:
    """Let Hypothesis put ids of real rows where the schema only knows "a UUID", so requests reach past 404.
    Parts generated to be invalid stay as they are: the checks expect them to be refused."""
    containers = [(ParameterLocation.PATH, case.path_parameters), (ParameterLocation.QUERY, case.query)]
    if isinstance(case.body, dict):
        containers.append((ParameterLocation.BODY, case.body))
    for location, container in containers:
        if case.meta is not None and case.meta.is_negative_at(location):
            continue
        for name in sorted(container):
            if name in known and data.draw(st.booleans(), label=f"known {name}"):
                container[name] = data.draw(st.sampled_from(known[name]), label=name)


@SCHEMA.parametrize()
@SCHEMA.given(data=st.data())
@settings(deadline=None, suppress_health_check=list(HealthCheck), print_blob=False)
def test_every_operation_for_every_role(case, data, bearer, world):
    _with_known_ids(case, data, world.known)
    case.call_and_validate(headers={"Authorization": f"Bearer {bearer}"})


@BOUNDARIES.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), print_blob=False)
def test_boundary_values_of_every_operation(case, admin_bearer):
    case.call_and_validate(headers={"Authorization": f"Bearer {admin_bearer}"})


@BOUNDARIES.include(tag="driver app").parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), print_blob=False)
def test_boundary_values_of_the_driver_app(case, driver_bearer):
    case.call_and_validate(headers={"Authorization": f"Bearer {driver_bearer}"})


def _any_path(operation, world) -> dict[str, str]:
    known = world.known
    return {p.name: known.get(p.name, ["00000000-0000-4000-8000-000000000000"])[0] for p in operation.path_parameters}


@pytest.mark.parametrize("operation", PROTECTED, ids=lambda op: op.label)
@pytest.mark.parametrize(
    ("authorization", "code"),
    [(None, "not_authenticated"), ("Bearer not-a-token", "authentication_failed")],
    ids=["missing", "invalid"],
)
def test_protected_operations_refuse_missing_and_invalid_tokens(operation, authorization, code, world, in_process):
    case = operation.Case(path_parameters=_any_path(operation, world))
    if authorization:
        case.headers["Authorization"] = authorization
    response = case.call()
    case.validate_response(response, checks=CONFORMANCE)
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == ["application/problem+json"]
    body = response.json()
    assert (body["status"], body["code"]) == (401, code), body
    assert response.headers.get("www-authenticate"), "a 401 names the scheme to use"


def test_the_fuzzer_sees_every_operation_and_protects_all_but_the_public_ones():
    public = sorted(op.label for op in OPERATIONS if op not in PROTECTED)
    assert len(OPERATIONS) > 90
    assert public == [
        "GET /.well-known/jwks.json",
        "GET /api/v1/identity/api-scopes/",
        "GET /api/v1/partner/document-types/",
        "GET /api/v1/trips/track/{token}/",
        "POST /api/v1/auth/logout/",
        "POST /api/v1/auth/token/",
        "POST /api/v1/auth/token/refresh/",
        "POST /api/v1/billing/payments/{provider}/webhook/",
        "POST /api/v1/identity/invitations/accept/",
        "POST /api/v1/identity/password-reset/",
        "POST /api/v1/identity/password-reset/confirm/",
        "POST /api/v1/identity/register/",
    ]


def _untyped(schema: dict, where: str):
    """Schemas that do not say what they hold: no type, or an object without properties or typed values."""
    if not any(key in schema for key in ("type", "$ref", "allOf", "anyOf", "oneOf", "enum")):
        yield where
    if schema.get("type") == "object" and not schema.get("properties"):
        values = schema.get("additionalProperties")
        if not isinstance(values, dict) or not values:
            yield where
    for name, sub in schema.get("properties", {}).items():
        yield from _untyped(sub, f"{where}.{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from _untyped(schema[key], f"{where}[{key}]")
    for key in ("allOf", "anyOf", "oneOf"):
        for n, sub in enumerate(schema.get(key, [])):
            yield from _untyped(sub, f"{where}.{key}[{n}]")


def test_the_schema_types_every_body_and_every_error_is_a_problem():
    raw = SCHEMA.raw_schema
    untyped = [w for name, s in raw["components"]["schemas"].items() for w in _untyped(s, name)]
    for path, operations in raw["paths"].items():
        for method, operation in operations.items():
            label = f"{method.upper()} {path}"
            for status, response in operation["responses"].items():
                content = response.get("content", {})
                if status.startswith("2"):
                    if status not in ("202", "204"):
                        assert content, f"{label} {status} has no body schema"
                else:
                    assert list(content) == ["application/problem+json"], f"{label} {status}"
                for media_type, body in content.items():
                    untyped += _untyped(body["schema"], f"{label} {status} {media_type}")
            for media_type, body in operation.get("requestBody", {}).get("content", {}).items():
                untyped += _untyped(body["schema"], f"{label} request {media_type}")
    assert not untyped, "free-form schemas (AnyValue): " + ", ".join(untyped)
