"""Billing as its own service, across the seam (tests/e2e/billing_apart.py): its public API stays at the platform's
address, its data lives in its own database only, and while its processes are down bookings that need a quote fail
fast with 503 and a completed trip waits in the stream, settled once billing is back."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
import requests

from apps.billing.models import FareRecord, Invoice, Quote
from apps.trips.tests.factories import trip_completed_event
from logitrack.db import contexts
from logitrack.outbox.api import publish
from logitrack.testing.processes import wait_until
from tests.e2e.clients import PASSWORD

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]

PICKUP = {"kind": "pickup", "address": "Invalidenstraße 1, Berlin", "lat": 52.5310, "lng": 13.3847}
DROPOFF = {"kind": "dropoff", "address": "Oranienstraße 25, Berlin", "lat": 52.5016, "lng": 13.4190}


def test_billing_down_fails_quoted_bookings_fast_and_settles_what_waited_once_it_is_back(billing_apart):
    stack, operator, apart = billing_apart
    customer = stack.api()
    email = f"lin.{uuid.uuid4().hex[:6]}@example.test"
    me = customer.expect(
        201, "POST", "/api/v1/identity/register/", json={"email": email, "password": PASSWORD, "display_name": "Lin"}
    )
    customer.login(email)

    # billing's public API at the platform's address: forwarded, problems included, byte for byte
    ask = {"fleet_id": str(operator.fleet_id), "vehicle_type": "van", "stops": [[52.531, 13.385], [52.502, 13.419]]}
    quote = customer.expect(201, "POST", "/api/v1/billing/quotes/", json=ask)
    bad = customer.call("POST", "/api/v1/billing/quotes/", json={**ask, "stops": "nowhere"})
    assert (bad.status_code, bad.headers["Content-Type"]) == (400, "application/problem+json")
    assert "stops" in bad.json()["errors"]
    assert status_of(stack.base, "/api/v1/billing/wallet/") == 401  # no token: billing itself refuses
    # the quote is in billing's own database, not in the shared one the platform's processes still hold
    assert apart._billing_rows(f"SELECT total_minor FROM {Quote._meta.db_table} WHERE id = %s", quote["id"]) == [
        (quote["total_minor"],)
    ]
    assert not Quote.objects.filter(id=quote["id"]).exists()
    # each side describes (and serves) only its own contexts' API: the platform forwards billing's, not serves it
    platform_paths = set(requests.get(f"{stack.base}/api/schema/?format=json", timeout=30).json()["paths"])
    billing_paths = set(requests.get(f"{apart.billing_base}/api/schema/?format=json", timeout=30).json()["paths"])
    assert any(p.startswith("/api/v1/trips/") for p in platform_paths)
    assert not any(p.startswith("/api/v1/billing/") for p in platform_paths)
    assert billing_paths and all(p.startswith("/api/v1/billing/") for p in billing_paths)
    assert status_of(apart.billing_base, "/api/v1/trips/trips/") == 404
    # billing's beat schedules billing's periodic jobs (and the kernel's), in its own database; none of the platform's
    scheduled = wait_until(
        lambda: {name for (name,) in apart._billing_rows("SELECT name FROM django_celery_beat_periodictask")},
        what="billing's beat to write its schedule",
    )
    assert {"billing-verify-ledger", "billing-expire-topups", "outbox-purge"} <= scheduled
    assert not any(name.startswith(("trips-", "dispatch-", "notifications-", "fleet-")) for name in scheduled)

    # --- billing's processes go down
    apart.billing.stop_all()
    booking = {"fleet_id": str(operator.fleet_id), "vehicle_type": "van", "stops": [PICKUP, DROPOFF], "weight_kg": 40}
    started = time.monotonic()
    refused = customer.call("POST", "/api/v1/trips/trips/", json={**booking, "quote_id": quote["id"]})
    assert time.monotonic() - started < 10  # fails fast: a refused connection, not a hang
    assert (refused.status_code, refused.json()["code"]) == (503, "billing.unavailable")
    assert int(refused.headers["Retry-After"]) >= 1
    assert customer.get("/api/v1/trips/trips/", params={"count": "true"})["count"] == 0  # nothing booked
    away = customer.call("GET", "/api/v1/billing/wallet/")
    assert (away.status_code, away.json()["code"]) == (503, "billing.unavailable")
    unquoted = customer.expect(201, "POST", "/api/v1/trips/trips/", json=booking)  # trips itself carries on

    # a trip completes meanwhile (as trips publishes it): its event waits in the stream for billing's consumer
    trip_id = uuid.UUID(unquoted["id"])
    ended = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=5)
    with contexts.atomic("trips"):
        publish(
            trip_completed_event(
                trip_id=trip_id,
                fleet_id=operator.fleet_id,
                customer_id=uuid.UUID(me["id"]),
                driver_id=operator.drivers[0].driver_id,
                distance_m=5200,
                duration_s=1500,
                completed_at=ended,
            )
        )
    wait_until(lambda: stack.underneath.undelivered() == 0, what="the platform's relay to hand it to the stream")
    assert not apart._billing_rows(f"SELECT 1 FROM {FareRecord._meta.db_table} WHERE trip_id = %s", trip_id)

    # --- billing comes back: the waiting completion is settled, once, and its receipt issued
    apart.start_billing()
    receipts = wait_until(
        lambda: customer.get("/api/v1/billing/invoices/", params={"kind": "receipt"})["results"],
        timeout=60,
        what="the receipt of the trip completed while billing was down",
    )
    assert [r["trip_id"] for r in receipts] == [str(trip_id)]
    assert apart._billing_rows(f"SELECT count(*) FROM {FareRecord._meta.db_table} WHERE trip_id = %s", trip_id) == [
        (1,)
    ]
    assert customer.get("/api/v1/billing/balance/")["owed"] == {"EUR": receipts[0]["total_minor"]}
    quoted = customer.expect(201, "POST", "/api/v1/trips/trips/", json={**booking, "quote_id": quote["id"]})
    assert quoted["quote_id"] == quote["id"]
    # nothing of it in the shared database: the platform's processes never ran billing's code
    assert not FareRecord.objects.filter(trip_id=trip_id).exists()
    assert not Invoice.objects.filter(trip_id=trip_id).exists()
    wait_until(lambda: stack.underneath.undelivered() == 0, what="every relay to catch up")
    assert stack.underneath.dead_letters() == []
    assert stack.underneath.ledger_problems() == []


def status_of(base: str, path: str) -> int:
    """A request without credentials, straight to `base`."""
    return requests.get(f"{base}{path}", timeout=10).status_code
