"""Identical money requests arriving at once, on real PostgreSQL connections: each applies once, and every
caller gets the answer a sequential retry would get (never a 500 from a unique constraint)."""

import threading
import uuid

import pytest
from django.db import connection
from rest_framework.test import APIClient

from apps.billing.models import Account, AccountKind, Payout
from apps.partner.models import DriverProfile
from tests.integration.test_billing_api import settle_trip, world  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db(transaction=True)  # each thread has its own connection and sees commits


def race(n: int, send) -> list:
    """Run `send()` on n threads released together; their results, in thread order."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        try:
            barrier.wait(timeout=10)
            results[i] = send()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_concurrent_identical_payout_requests_all_get_the_one_payout(world, relay_and_deliver):  # noqa: F811
    settle_trip(world, relay_and_deliver)
    driver_user = world.a.users["driver"]
    driver = DriverProfile.objects.get(user_id=driver_user.id)

    def send_as_driver(body):
        def send():
            client = APIClient(raise_request_exception=False)
            client.force_authenticate(user=driver_user)
            return client.post("/api/v1/billing/payouts/", body, format="json")

        return send

    for _ in range(3):  # a few rounds: a race that is lost once is lost
        body = {"amount_minor": 100, "request_id": str(uuid.uuid4())}
        answers = race(6, send_as_driver(body))
        assert [a.status_code for a in answers] == [201] * 6, [a.content[:200] for a in answers]
        assert len({a.json()["id"] for a in answers}) == 1
        sequential = send_as_driver(body)()
        assert (sequential.status_code, sequential.json()) == (201, answers[0].json())
    assert Payout.objects.filter(driver_id=driver.id).count() == 3
    hold = Account.objects.get(kind=AccountKind.DRIVER_PAYOUT_HOLD, owner_id=driver.id)
    assert hold.balance_minor == 300

    other_amount = send_as_driver({"amount_minor": 101, "request_id": body["request_id"]})()
    assert (other_amount.status_code, other_amount.json()["code"]) == (409, "billing.idempotency_conflict")
