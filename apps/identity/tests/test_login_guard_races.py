"""Parallel guesses against the login guard: each login form, hit by many threads at once on PostgreSQL, lets at most
the limit of password checks through; the rest are refused as locked out without their password being checked."""

import threading
import time

import pytest
from django.contrib.auth.backends import ModelBackend
from django.db import connection
from django.test import Client

from apps.identity.login_guard import LoginGuardBackend
from apps.identity.tests.factories import UserFactory

THREADS = 16
LIMIT = 5  # LOGIN_FAILURES_PER_ACCOUNT in the settings
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("clean_login_guard", "postgresql"),
]


@pytest.fixture
def postgresql():
    """These races need the full stack's database: pytest-django's SQLite test database is in memory with a shared
    cache, whose table locks refuse concurrent writers at once (the embedded default's file database waits)."""
    if connection.vendor != "postgresql":
        pytest.skip("parallel logins are tested on PostgreSQL (DATABASE_URL)")


@pytest.fixture
def password_checks(monkeypatch):
    """Counts the password checks that reach authentication, each as slow as a real hash (a wide race window)."""
    checks = []
    real = ModelBackend.authenticate

    def slow_check(self, request, username=None, password=None, **kwargs):
        checks.append(username)
        time.sleep(0.2)
        return real(self, request, username=username, password=password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", slow_check)
    return checks


def all_at_once(post) -> list[int]:
    """`post(client, n)` from THREADS threads released together; their status codes."""
    barrier = threading.Barrier(THREADS)
    codes: list[int] = []

    def one(n):
        try:
            barrier.wait()
            codes.append(post(Client(REMOTE_ADDR=f"10.9.0.{n + 1}"), n).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(codes) == THREADS
    return codes


def test_parallel_token_logins_check_at_most_the_limit_of_passwords(settings, password_checks):
    assert settings.LOGIN_FAILURES_PER_ACCOUNT == LIMIT
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth": "100000/min"},
    }
    user = UserFactory(email="target@example.test")

    codes = all_at_once(
        lambda client, n: client.post(
            "/api/v1/auth/token/", {"email": user.email, "password": f"guess {n}"}, content_type="application/json"
        )
    )

    assert sorted(codes) == [401] * LIMIT + [429] * (THREADS - LIMIT)
    assert len(password_checks) == LIMIT


def test_parallel_admin_logins_check_at_most_the_limit_of_passwords(password_checks):
    user = UserFactory(email="boss@example.test", is_staff=True)

    codes = all_at_once(
        lambda client, n: client.post("/admin/login/?next=/admin/", {"username": user.email, "password": f"guess {n}"})
    )

    assert len(password_checks) == LIMIT
    assert codes.count(429) >= THREADS - LIMIT  # the fifth failure already answers the lockout page
    assert set(codes) <= {200, 429}


def test_the_guard_checks_the_admin_logins_password_itself(settings):
    """The guard stands first, so no login form reaches ModelBackend's password check without being counted."""
    assert settings.AUTHENTICATION_BACKENDS[0] == f"{LoginGuardBackend.__module__}.{LoginGuardBackend.__name__}"
