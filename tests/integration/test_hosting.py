"""A process that runs only some contexts (LOGITRACK_CONTEXTS, logitrack/hosting.py): the others' tables are refused
and not migrated, their subscriptions and periodic jobs are not this process's, a misconfiguration is a system
check error, and a context's public API run elsewhere is forwarded byte for byte (logitrack/http/forwarding.py)."""

from __future__ import annotations

import json
import uuid

import pytest
from asgiref.sync import async_to_sync
from django.test import RequestFactory

from apps.billing import contracts as billing_contracts
from apps.billing.models import Tariff
from apps.trips.events import TripCompletedV1
from apps.trips.models import Trip
from config import celery
from logitrack import bus, hosting
from logitrack.db import contexts
from logitrack.db.routing import ContextRouter
from logitrack.http import forwarding
from logitrack.testing.http import Answer, LocalServer
from logitrack.testing.processes import free_port

WITHOUT_BILLING = ["identity", "fleet", "partner", "trips", "dispatch", "notifications"]


def test_the_tables_of_a_context_not_run_here_are_refused_and_not_migrated(settings):
    router = ContextRouter()
    billing, trips = contexts.alias("billing"), contexts.alias("trips")  # default, unless split
    assert router.db_for_write(Tariff) == billing
    settings.HOSTED_CONTEXTS = WITHOUT_BILLING
    with pytest.raises(hosting.ContextNotHosted, match=r"billing\.Tariff belongs to billing"):
        router.db_for_read(Tariff)
    with pytest.raises(hosting.ContextNotHosted):
        router.db_for_write(Tariff)
    assert router.db_for_read(Trip) == trips
    assert router.allow_migrate(billing, "billing") is False
    assert router.allow_migrate(trips, "trips") is True
    assert router.allow_migrate("default", "admin") is True  # its log points at identity's users, which are here

    settings.HOSTED_CONTEXTS = ["billing"]
    assert router.allow_migrate(billing, "billing") is True
    assert router.allow_migrate("default", "identity") is False
    assert router.allow_migrate("default", "admin") is False
    for shared in ("auth", "sessions", "django_celery_beat", "contenttypes", "outbox"):
        assert router.allow_migrate("default", shared) is True, shared


def test_subscriptions_and_periodic_jobs_of_a_context_not_run_here_are_not_this_processs(settings):
    completed = {s.name for s in bus.subscriptions_for(TripCompletedV1.TYPE)}
    assert "billing.settle_trip" in completed
    assert {e["task"] for e in celery.hosted_schedule().values()} >= {"billing.expire_topups", "trips.expire_offers"}

    settings.HOSTED_CONTEXTS = WITHOUT_BILLING
    assert {s.name for s in bus.subscriptions_for(TripCompletedV1.TYPE)} == completed - {"billing.settle_trip"}
    with pytest.raises(LookupError):
        bus.subscription("billing.settle_trip")
    assert not any(s.name.startswith("billing.") for s in bus.all_subscriptions())
    tasks = {e["task"] for e in celery.hosted_schedule().values()}
    assert "trips.expire_offers" in tasks and not any(t.startswith("billing.") for t in tasks)
    assert "outbox.purge" in tasks  # the kernel's jobs run in every service, on its own databases


def _ids(errors) -> set[str]:
    return {e.id for e in errors}


def test_checks_refuse_a_context_left_out_but_called_in_process_and_events_no_broker_brings(settings):
    assert _ids(hosting.hosting_problems()) == set()
    settings.HOSTED_CONTEXTS = WITHOUT_BILLING
    assert _ids(hosting.hosting_problems()) == {"hosting.E001", "hosting.E002"}
    settings.BILLING_API_MODE = "remote"
    errors = hosting.hosting_problems()
    assert _ids(errors) == {"hosting.E002"}
    unheard = {e.msg.split(" ", 1)[0] for e in errors}
    assert "notifications.tell_payout_paid" in unheard
    settings.OUTBOX_NATS_SUBSCRIPTIONS = sorted(unheard)
    assert hosting.hosting_problems() == []

    settings.HOSTED_CONTEXTS = ["identity", "fleet", "partner", "billing", "trips", "dispatch", "notifications"]
    assert _ids(hosting.hosting_problems()) == {"hosting.E003"}  # run here and called remotely


@pytest.fixture
def billing_web(settings):
    """Billing's web process as the forwarder meets it: records each request and answers a problem."""
    problem = json.dumps({"code": "billing.quote_expired", "status": 409}).encode()
    headers = {"Content-Type": "application/problem+json", "Retry-After": "7", "Connection": "close"}
    with LocalServer() as server:
        server.default = Answer(409, problem, headers=headers)
        settings.BILLING_API_MODE = "remote"
        settings.BILLING_SERVICE_URL = server.base_url
        settings.BILLING_SERVICE_TOKEN = "svc-token-never-forwarded"
        yield server.received


def test_the_public_api_of_a_context_run_elsewhere_is_forwarded_byte_for_byte(billing_web):
    forward = forwarding.forwarder(billing_contracts.REMOTE, "api/v1/billing/")
    body = json.dumps({"fleet_id": str(uuid.uuid4()), "stops": [[52.5, 13.4], [52.4, 13.3]]}).encode()
    request = RequestFactory().post(
        "/api/v1/billing/quotes/?lang=de&x=1&x=2",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer user-access-token",
        HTTP_IDEMPOTENCY_KEY="k-1",
        HTTP_COOKIE="sessionid=the-platforms-session",
        HTTP_ACCEPT_ENCODING="gzip",
        REMOTE_ADDR="203.0.113.9",
    )
    answer = async_to_sync(forward)(request, rest="quotes/")

    (seen,) = billing_web
    assert (seen.method, seen.path) == ("POST", "/api/v1/billing/quotes/?lang=de&x=1&x=2")
    assert seen.body == body
    headers = {k.lower(): v for k, v in seen.headers.items()}
    assert headers["authorization"] == "Bearer user-access-token"  # the caller's own credential, not the service's
    assert headers["idempotency-key"] == "k-1"
    assert headers["content-type"] == "application/json"
    assert headers["x-forwarded-for"] == "203.0.113.9"
    assert headers["accept-encoding"] == "identity"
    assert "cookie" not in headers  # the platform's session is not billing's business
    assert (answer.status_code, answer["Content-Type"], answer["Retry-After"]) == (409, "application/problem+json", "7")
    assert json.loads(answer.content)["code"] == "billing.quote_expired"
    assert not answer.has_header("Connection")


def test_a_service_that_cannot_be_reached_is_a_503_problem_with_its_code(settings):
    settings.BILLING_API_MODE = "remote"
    settings.BILLING_SERVICE_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens
    forward = forwarding.forwarder(billing_contracts.REMOTE, "api/v1/billing/")
    answer = async_to_sync(forward)(RequestFactory().get("/api/v1/billing/wallet/"), rest="wallet/")
    assert (answer.status_code, answer["Content-Type"]) == (503, "application/problem+json")
    assert json.loads(answer.content)["code"] == "billing.unavailable"
    assert int(answer["Retry-After"]) >= 1
