"""Billing as its own service: its internal HTTP API (service credential, problems for bad input), and trips calling
it over HTTP from another process (BILLING_API_MODE=remote) — the same contracts as in process, 503 fast while
billing is down, the breaker open and then closed again by a trial once billing is back."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
from django.test import Client

from apps.billing import api as billing_inprocess
from apps.billing.contracts import QuoteExpired, QuoteNotFound
from apps.billing.models import Quote
from apps.billing.tests.factories import tariff
from apps.dispatch import integrations as dispatch_integrations
from apps.fleet.tests.factories import active_fleet, vehicle
from apps.notifications.models import Delivery
from apps.notifications.services import deliveries
from apps.trips import integrations as trips_integrations
from apps.trips.models import Trip
from apps.trips.tests.rest import DROPOFF, PICKUP, book
from logitrack import remote
from logitrack.resilience import BreakerState
from logitrack.testing.metrics import scraped
from logitrack.testing.processes import Processes, free_port, wait_until
from tests.support.isolation import client_for

TOKEN = "svc-" + uuid.uuid4().hex


def internal(client, call: str, body, token: str | None = TOKEN):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
    return client.post(f"/internal/billing/{call}/", body, content_type="application/json", **headers)


def book_once(client, fleet_id, quote_id, key: str):
    body = {"fleet_id": str(fleet_id), "vehicle_type": "van", "stops": [PICKUP, DROPOFF], "weight_kg": 120}
    return client.post(
        "/api/v1/trips/trips/", {**body, "quote_id": str(quote_id)}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )


def quoted_fleet(two_fleets):
    fleet = active_fleet(
        fleet_id=two_fleets.a.fleet_id, service_center_lat=52.52, service_center_lng=13.405, service_radius_m=25_000
    )
    tariff(fleet_id=fleet.id)
    vehicle(fleet, registration="B-RM 1", capacity_kg=800)
    customer = client_for(two_fleets.customer)
    asked = customer.post(
        "/api/v1/billing/quotes/",
        {
            "fleet_id": str(fleet.id),
            "vehicle_type": "van",
            "stops": [[PICKUP["lat"], PICKUP["lng"]], [DROPOFF["lat"], DROPOFF["lng"]]],
        },
        format="json",
    )
    assert asked.status_code == 201, asked.json()
    return fleet, customer, uuid.UUID(asked.json()["id"])


@pytest.mark.django_db
def test_the_internal_api_takes_only_the_service_credential_and_answers_problems(client, settings, two_fleets):
    fleet, _, quote_id = quoted_fleet(two_fleets)
    args = {"quote_id": str(quote_id), "fleet_id": str(fleet.id)}

    settings.BILLING_SERVICE_TOKENS = []  # the default single process: no internal API at all
    assert internal(client, "quote_check", args).status_code == 404

    settings.BILLING_SERVICE_TOKENS = ["old-" + TOKEN, TOKEN]  # a rotation: both accepted
    missing = internal(client, "quote_check", args, token=None)
    assert (missing.status_code, missing.json()["code"]) == (401, "billing.internal.unauthenticated")
    assert missing["Content-Type"] == "application/problem+json"
    wrong = internal(client, "quote_check", args, token=TOKEN + "x")
    assert (wrong.status_code, wrong.json()["code"]) == (403, "billing.internal.forbidden")
    assert internal(client, "quote_check", args, token="old-" + TOKEN).status_code == 200

    answered = internal(client, "quote_check", args)
    assert answered.status_code == 200
    assert answered.json()["result"]["id"] == str(quote_id)
    assert (
        answered.json()["result"]["total_minor"]
        == billing_inprocess.quote_check(**{"quote_id": quote_id, "fleet_id": fleet.id}).total_minor
    )

    bad = internal(client, "quote_check", {"quote_id": "nope", "fleet_id": 3, "extra": 1})
    assert (bad.status_code, bad.json()["code"]) == (400, "billing.internal.invalid")
    assert set(bad.json()["errors"]) == {"quote_id", "fleet_id", "extra"}
    missing_arg = internal(client, "trip_fares", {})
    assert (missing_arg.status_code, missing_arg.json()["errors"]) == (400, {"trips": ["is required"]})
    nested = internal(client, "trip_fares", {"trips": [[str(uuid.uuid4()), "x"]]})
    assert nested.status_code == 400 and list(nested.json()["errors"]) == ["trips.0.1"]
    assert internal(client, "trip_fares", [1]).status_code == 400
    assert internal(client, "trip_fares", "{not json").status_code == 400
    unknown = internal(client, "settle_everything", {})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "internal.call_not_found")

    other = internal(client, "quote_check", {**args, "fleet_id": str(two_fleets.b.fleet_id)})
    assert (other.status_code, other.json()["code"]) == (404, "billing.quote_not_found")


@pytest.fixture
def billing_service(transactional_db, tmp_path, settings):
    """Billing's own web process (the same codebase, as deployed for billing) accepting TOKEN, and this process
    (the platform) calling it remotely with short breaker settings."""
    procs = Processes(tmp_path, env={"BILLING_SERVICE_TOKENS": TOKEN})
    port = free_port()
    base = procs.web("billing", port=port)
    settings.BILLING_API_MODE = "remote"
    settings.BILLING_SERVICE_URL = base
    settings.BILLING_SERVICE_TOKEN = TOKEN
    settings.REMOTE_API_CONNECT_TIMEOUT_SECONDS = 0.5
    settings.REMOTE_API_TIMEOUT_SECONDS = 2.0
    settings.REMOTE_API_RETRIES = 2
    settings.REMOTE_API_RETRY_BASE_SECONDS = 0.05
    settings.REMOTE_API_BREAKER_FAILURES = 3
    settings.REMOTE_API_BREAKER_RESET_SECONDS = 1.0
    try:
        yield procs, port
    finally:
        procs.stop_all()


@pytest.mark.processes
def test_bookings_call_billing_over_http_fail_fast_while_it_is_down_and_recover(billing_service, two_fleets):
    procs, port = billing_service
    fleet, customer, quote_id = quoted_fleet(two_fleets)
    billing = trips_integrations.billing_api
    assert billing.mode == "remote"

    # the same contracts as in process, errors included
    assert billing.quote_check(quote_id=quote_id, fleet_id=fleet.id) == billing_inprocess.quote_check(
        quote_id=quote_id, fleet_id=fleet.id
    )
    with pytest.raises(QuoteNotFound):
        billing.quote_check(quote_id=uuid.uuid4(), fleet_id=fleet.id)
    booked = book(customer, fleet.id, quote_id=str(quote_id))
    assert booked.status_code == 201, booked.json()
    trip = Trip.objects.get(id=booked.json()["id"])
    pairs = [(trip.id, quote_id), (uuid.uuid4(), None)]
    assert billing.trip_fares(trips=pairs) == billing_inprocess.trip_fares(trips=pairs)
    assert billing.trip_fare_detail(trip_id=trip.id, quote_id=quote_id) == billing_inprocess.trip_fare_detail(
        trip_id=trip.id, quote_id=quote_id
    )
    now = dt.datetime.now(dt.UTC)
    for call, kwargs in [
        ("surcharge_zones", {"fleet_id": fleet.id, "at": now}),
        ("revenue_by_day", {"fleet_ids": [fleet.id], "first": now.date(), "last": now.date()}),
        ("payouts_waiting", {"fleet_ids": [fleet.id]}),
        ("trip_money", {"fleet_id": fleet.id, "trip_ids": [trip.id]}),
        ("trip_receipt", {"trip_id": trip.id}),
    ]:
        assert getattr(billing, call)(**kwargs) == getattr(billing_inprocess, call)(**kwargs), call
    assert billing.document_pdf(html="<p>report</p>").startswith(b"%PDF-")
    listed = customer.get("/api/v1/trips/trips/").json()["results"]
    assert listed[0]["fare"]["quoted_total_minor"] > 0 and listed[0]["fare_unavailable"] is False
    assert scraped('logitrack_remote_calls_total{call="quote_check",outcome="error",service="billing"}') >= 1

    expired = Quote.objects.filter(id=quote_id)
    expired.update(expires_at=now - dt.timedelta(minutes=1))
    late = book(customer, fleet.id, quote_id=str(quote_id))
    assert (late.status_code, late.json()["code"]) == (400, QuoteExpired.code)  # trips' InvalidTrip, billing's code
    expired.update(expires_at=now + dt.timedelta(minutes=30))

    # billing's process dies: a booking with a quote is refused at once, 503 with a code and Retry-After
    procs.kill("billing")
    trips_before = Trip.objects.count()
    started = time.monotonic()
    key = uuid.uuid4().hex
    down = book_once(customer, fleet.id, quote_id, key)
    first_refusal = time.monotonic() - started
    assert (down.status_code, down.json()["code"]) == (503, "billing.unavailable")
    assert int(down["Retry-After"]) >= 1
    assert first_refusal < 2.5, first_refusal  # under one try's budget (connect 0.5 s + read 2 s): nothing hung
    client = remote.client_for(billing.interface)
    assert client.breaker.state is BreakerState.OPEN  # the try and its two retries: three failures in a row

    started = time.monotonic()
    again = book(customer, fleet.id, quote_id=str(quote_id))
    assert (again.status_code, again.json()["code"]) == (503, "billing.unavailable")
    assert time.monotonic() - started < first_refusal
    started = time.monotonic()
    with pytest.raises(billing.interface.unavailable):
        billing.quote_check(quote_id=quote_id, fleet_id=fleet.id)
    assert time.monotonic() - started < 0.005  # refused by the open breaker, no connection tried
    assert Trip.objects.count() == trips_before  # nothing booked unchecked
    degraded = customer.get("/api/v1/trips/trips/")
    assert degraded.status_code == 200
    assert [(t["fare"], t["fare_unavailable"]) for t in degraded.json()["results"]] == [(None, True)]
    staff = Client()
    staff.force_login(two_fleets.platform_admin)
    page = staff.get(f"/admin/trips/trip/{trip.id}/change/")  # the trip page still opens, saying why no fare
    assert page.status_code == 200 and "Billing cannot be reached" in page.content.decode()
    overview = staff.get("/admin/", HTTP_ACCEPT="text/html")  # the overview opens; revenue and payouts say why not
    assert overview.status_code == 200 and overview.content.decode().count("Billing cannot be reached") == 4
    report = staff.get(
        "/admin/reports/",
        {"fleet": str(fleet.id), "kind": "drivers", "first": "2026-11-09", "last": "2026-11-11"},
        HTTP_ACCEPT="text/html",
    )  # money it cannot read is not guessed: a page that says so and reloads itself
    assert (report.status_code, report["Content-Type"][:9]) == (503, "text/html")
    assert "Billing is temporarily unavailable" in report.content.decode() and int(report["Retry-After"]) >= 1
    assert dispatch_integrations.surcharge_zones(fleet_id=fleet.id) == []  # the dispatch map without its zones
    mail = Delivery(data={"receipt_trip_id": str(trip.id)}, created_at=now)  # a "delivered" mail awaiting its receipt
    until, why = deliveries._receipt_wait(mail, dt.datetime.now(dt.UTC))
    assert why == "billing unavailable" and until > dt.datetime.now(dt.UTC)  # asked again later, not sent without
    assert scraped('logitrack_remote_calls_total{call="quote_check",outcome="refused",service="billing"}') >= 1
    assert scraped('logitrack_breaker_opened_total{breaker="remote.billing"}') >= 1

    # billing comes back on the same address: after the reset period one trial booking closes the breaker
    procs.web("billing", port=port)
    wait_until(lambda: client.breaker.state is BreakerState.HALF_OPEN, timeout=5, interval=0.05, what="half-open")
    back = book_once(customer, fleet.id, quote_id, key)  # the app's retry of the refused booking, same key
    assert back.status_code == 201, back.json()
    assert client.breaker.state is BreakerState.CLOSED
    replayed = book_once(customer, fleet.id, quote_id, key)
    assert (replayed.status_code, replayed.json()["id"]) == (201, back.json()["id"])
    assert Trip.objects.count() == trips_before + 1
    assert customer.get(f"/api/v1/trips/trips/{back.json()['id']}/").json()["fare_unavailable"] is False
