"""Identical money requests arriving at once, on real PostgreSQL connections: each applies once, and every
caller gets the answer a sequential retry would get (never a 500 from a unique constraint)."""

import threading
import uuid

import pytest
from django.db import connections
from rest_framework.test import APIClient

from apps.billing.models import Account, AccountKind, JournalTransaction, Payout, TopUp
from apps.billing.services import ledger
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
            connections.close_all()  # the thread's connection to every context's database

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


def test_concurrent_identical_confirmations_credit_once(two_fleets, settings):
    from apps.billing.tests.test_topups import SECRET, deliver, event, signed

    settings.BILLING_PAYMENT_PROVIDERS = {
        "psp": {"CLASS": "apps.billing.payments.signed_webhook.SignedWebhookProvider", "SECRETS": [SECRET]}
    }
    customer = two_fleets.customer

    def ask(amount):
        client = APIClient()
        client.force_authenticate(user=customer)
        body = {"amount_minor": amount, "currency": "EUR", "request_id": str(uuid.uuid4())}
        return client.post("/api/v1/billing/topups/", body, format="json")

    # the same request sent six times at once is one top-up
    request = {"amount_minor": 3000, "currency": "EUR", "request_id": str(uuid.uuid4())}

    def send_request():
        client = APIClient(raise_request_exception=False)
        client.force_authenticate(user=customer)
        return client.post("/api/v1/billing/topups/", request, format="json")

    asked = race(6, send_request)
    assert [a.status_code for a in asked] == [201] * 6, [a.content[:200] for a in asked]
    assert len({a.json()["id"] for a in asked}) == 1
    topup_id = asked[0].json()["id"]

    # the provider's notification delivered six times at once credits once; everyone hears "confirmed"
    raw, header = signed(event(topup_id, amount=3000))
    answers = race(6, lambda: deliver(raw, header))
    assert [a.status_code for a in answers] == [200] * 6, [a.content[:200] for a in answers]
    assert {a.json()["topup"]["status"] for a in answers} == {"confirmed"}

    # six admins recording the same bank transfer at once credit once
    staff_topup = ask(1200).json()["id"]

    def confirm():
        client = APIClient(raise_request_exception=False)
        client.force_authenticate(user=two_fleets.platform_admin)
        body = {"amount_minor": 1200, "currency": "EUR", "reference": "SEPA-RACE-1"}
        return client.post(f"/api/v1/billing/topups/{staff_topup}/confirm/", body, format="json")

    confirmed = race(6, confirm)
    assert [c.status_code for c in confirmed] == [200] * 6, [c.content[:200] for c in confirmed]

    # one bank reference raced onto two top-ups: one is credited, the other refused with a problem, never a 500
    first, second = ask(800).json()["id"], ask(800).json()["id"]

    def confirm_either(topup_id):
        def send():
            client = APIClient(raise_request_exception=False)
            client.force_authenticate(user=two_fleets.platform_admin)
            body = {"amount_minor": 800, "currency": "EUR", "reference": "SEPA-RACE-2"}
            return client.post(f"/api/v1/billing/topups/{topup_id}/confirm/", body, format="json")

        return send

    targets = iter([first, second] * 3)  # three threads each way

    def either():
        return confirm_either(next(targets))()

    split = race(6, either)
    assert sorted({s.status_code for s in split}) == [200, 409], [s.content[:200] for s in split]
    assert {s.json()["code"] for s in split if s.status_code == 409} == {"billing.confirmation_reused"}

    assert JournalTransaction.objects.filter(kind="topup").count() == 3
    prepaid = Account.objects.get(kind=AccountKind.CUSTOMER_PREPAID, owner_id=customer.id)
    assert prepaid.balance_minor == 3000 + 1200 + 800
    assert TopUp.objects.filter(status="confirmed").count() == 3
    assert ledger.verify() == []


def test_a_second_payment_delivered_many_times_at_once_is_held_once(two_fleets, settings):
    from apps.billing.models import UnappliedPayment
    from apps.billing.tests.test_topups import SECRET, deliver, event, signed

    settings.BILLING_PAYMENT_PROVIDERS = {
        "psp": {"CLASS": "apps.billing.payments.signed_webhook.SignedWebhookProvider", "SECRETS": [SECRET]}
    }
    client = APIClient()
    client.force_authenticate(user=two_fleets.customer)
    body = {"amount_minor": 900, "currency": "EUR", "request_id": str(uuid.uuid4())}
    topup_id = client.post("/api/v1/billing/topups/", body, format="json").json()["id"]
    assert deliver(*signed(event(topup_id, amount=900, payment_id="pay_first"))).json()["outcome"] == "succeeded"

    # the customer paid twice; the provider sends the second payment's events, each several times, at once
    events = iter([f"evt_second_{n % 2}" for n in range(6)])

    def send():
        return deliver(*signed(event(topup_id, amount=900, payment_id="pay_second", event_id=next(events))))

    answers = race(6, send)
    assert [a.status_code for a in answers] == [200] * 6, [a.content[:200] for a in answers]
    assert {a.json()["outcome"] for a in answers} == {"held_for_refund"}
    assert list(UnappliedPayment.objects.values_list("payment_reference", "amount_minor")) == [("pay_second", 900)]
    assert Account.objects.get(kind=AccountKind.CUSTOMER_PREPAID, owner_id=two_fleets.customer.id).balance_minor == 900
    assert ledger.verify() == []
