"""Billing run as its own service calls fleet, partner and identity on the platform over HTTP (issue 20, part 4):
this test process is billing (FLEET_/PARTNER_/IDENTITY_API_MODE=remote), a real platform web process serves
/internal/fleet|partner|identity/. Quotes, settlements and receipts come out as they do in one process, without
billing touching one of their tables; with the platform killed a quote is refused at once (503 fleet.unavailable),
a settlement's delivery is put back as an outage (retried later, nothing written) and a receipt waits, and both
go through once the platform is back."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
import redis
from celery.exceptions import Retry
from django.apps import apps as django_apps
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.billing import integrations
from apps.billing.contracts import InvalidBillingData, TripFacts
from apps.billing.models import FareRecord, Invoice, InvoiceCounter, JournalTransaction, Quote
from apps.billing.services import invoices, quotes
from apps.billing.tests.factories import tariff
from apps.fleet.contracts import FleetUnavailable
from apps.fleet.tests.factories import active_fleet
from apps.partner.contracts import DriverNotFound
from apps.partner.tests.factories import DriverProfileFactory
from apps.trips.tests.factories import trip_completed_event
from logitrack import remote
from logitrack.db import contexts
from logitrack.outbox import delivery
from logitrack.outbox.api import publish
from logitrack.outbox.models import DeadLetter, InboxRecord, OutboxMessage
from logitrack.outbox.tasks import deliver
from logitrack.resilience import BreakerState
from logitrack.testing import databases
from logitrack.testing.processes import Processes, free_port, wait_until
from tests.integration.test_outbox_batches import events_queue, run_as_worker  # noqa: F401  (fixture)
from tests.support.isolation import client_for

TOKEN = "svc-" + uuid.uuid4().hex
NOON = dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.UTC)
PLATFORM = ("fleet", "partner", "identity")


@pytest.fixture
def platform(transactional_db, tmp_path, settings):
    """The platform's web process serving fleet's, partner's and identity's internal API (PLATFORM_SERVICE_TOKENS),
    on the test database; this process (billing) still calls them in process until `remote_billing` is called."""
    procs = Processes(tmp_path, env={"PLATFORM_SERVICE_TOKENS": TOKEN})
    port = free_port()
    base = procs.web("platform", port=port)
    settings.REMOTE_API_CONNECT_TIMEOUT_SECONDS = 0.5
    settings.REMOTE_API_TIMEOUT_SECONDS = 2.0
    settings.REMOTE_API_RETRIES = 2
    settings.REMOTE_API_RETRY_BASE_SECONDS = 0.05
    settings.REMOTE_API_BREAKER_FAILURES = 3
    settings.REMOTE_API_BREAKER_RESET_SECONDS = 1.0

    def remote_billing() -> None:
        for context in PLATFORM:
            setattr(settings, f"{context.upper()}_API_MODE", "remote")
            setattr(settings, f"{context.upper()}_SERVICE_URL", base)
            setattr(settings, f"{context.upper()}_SERVICE_TOKEN", TOKEN)

    try:
        yield procs, port, remote_billing
    finally:
        procs.stop_all()
        redis.Redis.from_url(django_settings.CELERY_BROKER_URL).delete("default")  # receipt jobs nobody runs here


def completed(fleet, *, customer_id, driver_id) -> dict:
    """A completed trip's event, published (as trips does) and returned as its envelope."""
    event = trip_completed_event(
        fleet_id=fleet.id,
        customer_id=customer_id,
        driver_id=driver_id,
        completed_at=NOON + dt.timedelta(seconds=1200),
    )
    with contexts.atomic("trips"):
        publish(event)
    return OutboxMessage.objects.using(contexts.alias("trips")).get(event_id=event.event_id).envelope


def settled(trip_id) -> tuple:
    """What a settlement wrote for a trip: its fare and the amounts it posted, by account kind."""
    record = FareRecord.objects.get(trip_id=trip_id)
    postings = sorted(
        (p.account.kind, p.amount_minor)
        for t in JournalTransaction.objects.filter(reference_id=trip_id)
        for p in t.postings.select_related("account")
    )
    return record.net_minor, record.tax_minor, record.total_minor, record.breakdown, record.capped, postings


def receipt_of(trip_id) -> tuple:
    invoice = Invoice.objects.get(trip_id=trip_id, kind=Invoice.Kind.RECEIPT)
    return invoice.seller, invoice.buyer, invoice.lines, invoice.total_minor


def platform_tables() -> set[str]:
    return {m._meta.db_table for c in PLATFORM for m in django_apps.get_app_config(c).get_models()}


def reads_platform_tables(queries) -> list[str]:
    tables = platform_tables()
    return [q["sql"][:120] for q in queries if any(f'"{table}"' in q["sql"] for table in tables)]


def ask_quote(customer, fleet):
    body = {"fleet_id": str(fleet.id), "vehicle_type": "van", "stops": [[52.52, 13.405], [52.50, 13.45]]}
    return customer.post("/api/v1/billing/quotes/", body, format="json")


@pytest.mark.processes
def test_billing_on_its_own_reads_the_platform_over_http_and_waits_while_it_is_away(
    platform,
    two_fleets,
    events_queue,  # noqa: F811
):
    procs, port, remote_billing = platform
    fleet = active_fleet(
        fleet_id=two_fleets.a.fleet_id, legal_name="Alpha Logistik GmbH", service_center_lat=52.52,
        service_center_lng=13.405, service_radius_m=25_000, commission_bps=1500,
    )  # fmt: skip
    tariff(fleet_id=fleet.id, valid_from=NOON - dt.timedelta(days=30))
    customer_user, driver_user = two_fleets.customer, two_fleets.a.users["driver"]
    driver = DriverProfileFactory(user_id=driver_user.id, fleet_id=fleet.id, display_name="Dana Driver")
    customer = client_for(customer_user)
    stranger = uuid.uuid4()
    facts = TripFacts(distance_m=10_000, duration_s=1200, stops=2, at=NOON)
    asked = {  # every read billing makes of the platform
        "fleet_terms": lambda: integrations.fleet_terms(fleet_id=fleet.id),
        "fleet_legal": lambda: integrations.fleet_legal(fleet_id=fleet.id),
        "fleet_choices": lambda: integrations.fleet_choices(fleet_ids=None),
        "fleet_choices_of": lambda: integrations.fleet_choices(fleet_ids=frozenset({fleet.id, stranger})),
        "fleet_localities": lambda: integrations.fleet_localities(fleet_ids=[fleet.id, stranger]),
        "fleet_time_zones": lambda: integrations.fleet_time_zones(fleet_ids=[fleet.id, stranger]),
        "driver_of": lambda: integrations.driver_of(user_id=driver_user.id, fleet_id=None),
        "customer_details": lambda: integrations.customer_details(customer_id=customer_user.id),
        "nobody's details": lambda: integrations.customer_details(customer_id=stranger),
        "owner_names": lambda: integrations.owner_names(ids=[fleet.id, customer_user.id, driver.id, stranger]),
    }

    # ---- in one process: what billing answers and writes
    expected = {name: read() for name, read in asked.items()}
    quoted = ask_quote(customer, fleet)
    assert quoted.status_code == 201, quoted.json()
    quote_in_process = quotes.quote_create(
        fleet_id=fleet.id, vehicle_type="van", service="delivery", facts=facts, customer_id=customer_user.id
    )
    first = completed(fleet, customer_id=customer_user.id, driver_id=driver.id)
    assert delivery.deliver(subscription_name="billing.settle_trip", envelope=first)
    invoices.receipt_issue(trip_id=uuid.UUID(first["data"]["trip_id"]))

    # ---- billing on its own: the same over HTTP, and not one query of fleet's, partner's or identity's tables
    remote_billing()
    assert {integrations.fleet_api.mode, integrations.partner_api.mode, integrations.identity_api.mode} == {"remote"}
    assert {name: read() for name, read in asked.items()} == expected
    with pytest.raises(InvalidBillingData) as no_fleet:  # FleetNotFound crossed the wire as itself
        integrations.fleet_terms(fleet_id=stranger)
    assert no_fleet.value.code == "billing.fleet_not_found"
    with pytest.raises(DriverNotFound):
        integrations.driver_of(user_id=customer_user.id, fleet_id=fleet.id)

    over_http = ask_quote(customer, fleet)
    assert over_http.status_code == 201, over_http.json()
    assert over_http.json()["total_minor"] == quoted.json()["total_minor"]
    second = completed(fleet, customer_id=customer_user.id, driver_id=driver.id)
    waiting = completed(fleet, customer_id=customer_user.id, driver_id=driver.id)  # its receipt will wait
    with CaptureQueriesContext(connection) as queries:
        quote = quotes.quote_create(
            fleet_id=fleet.id, vehicle_type="van", service="delivery", facts=facts, customer_id=customer_user.id
        )
        assert delivery.deliver(subscription_name="billing.settle_trip", envelope=second)
        assert delivery.deliver(subscription_name="billing.settle_trip", envelope=waiting)
        invoices.receipt_issue(trip_id=uuid.UUID(second["data"]["trip_id"]))
    assert reads_platform_tables(queries) == []
    assert (quote.total_minor, quote.breakdown) == (quote_in_process.total_minor, quote_in_process.breakdown)
    first_trip, second_trip = uuid.UUID(first["data"]["trip_id"]), uuid.UUID(second["data"]["trip_id"])
    assert settled(second_trip) == settled(first_trip)
    assert receipt_of(second_trip)[:3] == receipt_of(first_trip)[:3]
    assert receipt_of(second_trip)[0]["legal_name"] == "Alpha Logistik GmbH"
    assert receipt_of(second_trip)[1] == {"name": customer_user.display_name, "email": customer_user.email}

    # ---- the platform dies
    procs.kill("platform")
    quotes_before = Quote.objects.count()
    started = time.monotonic()
    refused = ask_quote(customer, fleet)
    first_refusal = time.monotonic() - started
    assert (refused.status_code, refused.json()["code"]) == (503, "fleet.unavailable")
    assert refused["Content-Type"] == "application/problem+json" and int(refused["Retry-After"]) >= 1
    assert first_refusal < 2.5, first_refusal  # three refused connections, well under one try's budget
    assert remote.client_for(integrations.fleet_api.interface).breaker.state is BreakerState.OPEN
    started = time.monotonic()
    again = ask_quote(customer, fleet)
    assert (again.status_code, again.json()["code"]) == (503, "fleet.unavailable")
    assert time.monotonic() - started < first_refusal  # the open breaker: no connection tried
    assert Quote.objects.count() == quotes_before

    # a completed trip's settlement: the worker puts the delivery back as an outage (not an attempt), nothing written
    third = completed(fleet, customer_id=customer_user.id, driver_id=driver.id)
    third_trip = uuid.UUID(third["data"]["trip_id"])
    with pytest.raises(Retry):
        run_as_worker(deliver, "billing.settle_trip", third)
    assert events_queue() == [("outbox.deliver", ["billing.settle_trip", third], {"outages": 1}, 1)]
    assert not FareRecord.objects.filter(trip_id=third_trip).exists()
    assert not JournalTransaction.objects.filter(reference_id=third_trip).exists()
    assert (
        not InboxRecord.objects.using(contexts.alias("billing"))
        .filter(event_id=third["id"], subscriber="billing.settle_trip")
        .exists()
    )
    assert not databases.count_everywhere(DeadLetter)

    # a receipt waits: its job fails before taking a number, and the catch-up sends it again later
    waiting_trip = uuid.UUID(waiting["data"]["trip_id"])
    numbers = list(InvoiceCounter.objects.values_list("series", "last_number"))
    with pytest.raises(FleetUnavailable):
        invoices.receipt_issue(trip_id=waiting_trip)
    assert not Invoice.objects.filter(trip_id=waiting_trip).exists()
    assert list(InvoiceCounter.objects.values_list("series", "last_number")) == numbers  # no number lost

    # ---- the platform is back on the same address: after the reset period one trial call closes the breaker
    procs.web("platform", port=port)
    breaker = remote.client_for(integrations.fleet_api.interface).breaker
    wait_until(lambda: breaker.state is BreakerState.HALF_OPEN, timeout=5, interval=0.05, what="half-open")
    assert delivery.deliver(subscription_name="billing.settle_trip", envelope=third)  # the retried delivery
    assert breaker.state is BreakerState.CLOSED
    assert settled(third_trip) == settled(first_trip)
    assert invoices.documents_catch_up(older_than=dt.timedelta(0))["receipts"] >= 1  # the waiting receipt's job
    invoices.receipt_issue(trip_id=waiting_trip)  # as that job does
    assert receipt_of(waiting_trip)[:3] == receipt_of(first_trip)[:3]
    assert ask_quote(customer, fleet).status_code == 201
