"""The login guard (django-axes) every login form shares: the admin's, /login/ and the token endpoint. Failures
are counted in the database, so a Redis outage neither opens nor breaks a login."""

import socket
import threading
import time

import pytest
import redis
import structlog
from axes.models import AccessAttempt
from django.test import Client
from rest_framework.test import APIClient

from apps.identity.services import erasure
from apps.identity.tests.factories import UserFactory
from logitrack.testing.metrics import scraped
from logitrack.testing.processes import free_port

PASSWORD = "correct horse battery staple"
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_login_guard")]


def admin_login(client, email, password):
    return client.post("/admin/login/?next=/admin/", {"username": email, "password": password})


def session_login(client, email, password):
    return client.post("/login/", {"email": email, "password": password, "next": "/dispatch/"})


def token_login(email, password, **extra):
    return APIClient().post("/api/v1/auth/token/", {"email": email, "password": password}, format="json", **extra)


def signed_in_to_admin(client) -> bool:
    return client.get("/admin/").status_code == 200


def test_the_admin_login_locks_after_five_failures_and_then_refuses_the_right_password(two_fleets):
    manager = two_fleets.a.users["fleet_manager"]
    browser = Client()
    answers = [admin_login(browser, manager.email, f"guess {n}") for n in range(5)]

    assert [a.status_code for a in answers[:4]] == [200] * 4  # the form again, with its error
    assert answers[4].status_code == 429  # the fifth failure locks
    right = admin_login(browser, manager.email.upper(), PASSWORD)
    assert right.status_code == 429
    assert b"Too many attempts" in right.content
    assert 60 < int(right["Retry-After"]) <= 15 * 60 + 1
    assert not signed_in_to_admin(browser)
    assert not signed_in_to_admin(Client()) and admin_login(Client(), manager.email, PASSWORD).status_code == 429


def test_the_admin_login_works_and_a_success_clears_the_accounts_failures(two_fleets):
    manager = two_fleets.a.users["fleet_manager"]
    browser = Client()
    for n in range(4):
        admin_login(browser, manager.email, f"guess {n}")

    assert admin_login(browser, manager.email, PASSWORD).status_code == 302
    assert signed_in_to_admin(browser)
    assert not AccessAttempt.objects.filter(username=manager.email).exists()


def test_the_three_login_forms_share_one_counter(two_fleets):
    dispatcher = two_fleets.a.users["dispatcher"]
    failed, locked_out = scraped("logitrack_login_failures_total"), scraped("logitrack_login_lockouts_total")
    admin_login(Client(), dispatcher.email, "wrong one")
    admin_login(Client(), dispatcher.email, "wrong two")
    assert session_login(Client(), dispatcher.email, "wrong three").status_code == 401
    assert session_login(Client(), dispatcher.email, "wrong four").status_code == 401
    assert token_login(dispatcher.email, "wrong five").status_code == 401  # the fifth failure, wherever it comes

    locked = token_login(dispatcher.email, PASSWORD)
    assert locked.status_code == 429
    assert locked.json()["code"] == "auth.locked_out" and int(locked["Retry-After"]) > 0
    assert locked.json()["retry_after"] == int(locked["Retry-After"])
    assert session_login(Client(), dispatcher.email, PASSWORD).status_code == 429
    assert admin_login(Client(), dispatcher.email, PASSWORD).status_code == 429
    assert scraped("logitrack_login_failures_total") == failed + 5
    assert scraped("logitrack_login_lockouts_total") == locked_out + 3  # refused before any password check


def test_an_address_is_locked_after_its_own_higher_limit(two_fleets, settings):
    settings.LOGIN_FAILURES_PER_IP = 7
    for n in range(7):  # seven accounts, one failure each: no account is near its limit
        admin_login(Client(REMOTE_ADDR="10.6.6.6"), f"nobody{n}@example.test", "wrong")

    manager = two_fleets.a.users["fleet_manager"]
    assert admin_login(Client(REMOTE_ADDR="10.6.6.6"), manager.email, PASSWORD).status_code == 429
    assert admin_login(Client(REMOTE_ADDR="10.6.6.7"), manager.email, PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("proxies", "meta"),
    [
        (0, {"REMOTE_ADDR": ""}),  # no address at all (a unix socket, some test clients)
        (1, {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "not-an-address"}),
        (1, {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "2001:db8::7"}),
    ],
)
def test_logins_from_clients_without_a_usable_address_are_still_guarded(settings, proxies, meta):
    settings.LOGITRACK_TRUSTED_PROXIES = proxies
    user = UserFactory(email="nora@example.test")
    assert token_login(user.email, "wrong", **meta).status_code == 401
    assert token_login(user.email, PASSWORD, **meta).status_code == 200
    for n in range(5):
        token_login(user.email, f"guess {n}", **meta)
    assert token_login(user.email, PASSWORD, **meta).status_code == 429


def test_erasure_forgets_the_accounts_failed_logins():
    user = UserFactory(email="gone@example.test")
    token_login(user.email, "wrong")
    erasure.user_erase(user_id=user.id)
    assert not AccessAttempt.objects.filter(username="gone@example.test").exists()


def test_the_failure_counts_in_the_admin_are_for_platform_admins_only(two_fleets):
    token_login(two_fleets.a.users["driver"].email, "wrong")
    manager, admin = Client(), Client()
    manager.force_login(two_fleets.a.users["fleet_manager"])
    admin.force_login(two_fleets.platform_admin)

    assert manager.get("/admin/axes/accessattempt/").status_code == 403
    assert b"/admin/axes/" not in manager.get("/admin/").content
    listed = admin.get("/admin/axes/accessattempt/")
    assert listed.status_code == 200 and two_fleets.a.users["driver"].email.encode() in listed.content
    assert b"/admin/axes/" in admin.get("/admin/").content


def throttled_auth_at(settings, location: str) -> None:
    """The cache as the full stack configures it, at `location`; the auth throttle on."""
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache"), "the full stack's cache (REDIS_URL)"
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": location}}
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth": "30/min"},
    }


@pytest.fixture
def redis_silent(settings):
    """A Redis that accepts connections and never answers (a hung server, a half-open connection)."""
    listener = socket.create_server(("127.0.0.1", 0))
    held = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    throttled_auth_at(settings, f"redis://127.0.0.1:{listener.getsockname()[1]}/0")
    yield
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


def test_token_login_answers_in_seconds_while_redis_hangs(redis_silent):
    user = UserFactory(email="hana@example.test")
    started = time.monotonic()
    assert token_login(user.email, PASSWORD).status_code == 200
    assert time.monotonic() - started < 12  # redis-py's socket timeout (5 s), then the throttle lets the call through


@pytest.fixture
def redis_down(settings):
    """The cache (Redis in the full stack) at an address nothing listens on, as during a Redis outage."""
    throttled_auth_at(settings, f"redis://127.0.0.1:{free_port()}/0")
    from django.core.cache import cache

    with pytest.raises(redis.exceptions.ConnectionError):
        cache.get("anything")  # the outage is real


def test_logins_work_and_stay_guarded_while_redis_is_down(redis_down):
    user = UserFactory(email="rita@example.test")
    with structlog.testing.capture_logs() as logs:
        wrong = token_login(user.email, "wrong")
        right = token_login(user.email, PASSWORD)

    assert (wrong.status_code, wrong.json()["code"]) == (401, "auth.invalid_credentials")
    assert right.status_code == 200 and right.json()["access"]
    assert any(entry["event"] == "http.throttle_unavailable" for entry in logs)  # the throttle failed open, loudly
    assert session_login(Client(), user.email, PASSWORD).status_code == 302
    for n in range(5):
        token_login(user.email, f"guess {n}")
    assert token_login(user.email, PASSWORD).status_code == 429  # the guard still counts: it needs no Redis
