"""Top-ups: a customer only asks; money reaches the prepaid balance when a platform admin records it or a payment
provider's signed notification confirms it — once, for the amount asked, and never on a forged or replayed call.

The provider is played by the tests: each notification is signed here with hmac, as the provider would sign it."""

import datetime as dt
import hashlib
import hmac
import json
import time
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from apps.billing.contracts import TopUpMismatch
from apps.billing.models import JournalTransaction, TopUp, UnappliedPayment
from apps.billing.services import ledger, topups
from apps.billing.tests.factories import TopUpFactory
from logitrack.db import contexts
from logitrack.types import Money
from tests.support.isolation import client_for

pytestmark = pytest.mark.django_db

SECRET = "whsec_test_" + "k" * 24
WEBHOOK = "/api/v1/billing/payments/psp/webhook/"
TOPUPS = "/api/v1/billing/topups/"


@pytest.fixture(autouse=True)
def provider(settings):
    settings.BILLING_PAYMENT_PROVIDERS = {
        "psp": {
            "CLASS": "apps.billing.payments.signed_webhook.SignedWebhookProvider",
            "SECRETS": [SECRET, "whsec_previous_secret_still_accepted"],
            "TOLERANCE_SECONDS": 300,
        },
        "unset": {"CLASS": "apps.billing.payments.signed_webhook.SignedWebhookProvider", "SECRETS": []},
    }


def event(topup_id, *, amount=5000, currency="EUR", kind="payment.succeeded", event_id=None, payment_id="pay_1"):
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex}",
        "type": kind,
        "data": {
            "object": {
                "id": payment_id,
                "reference": str(topup_id),
                "amount": amount,
                "currency": currency,
                "failure_message": "card declined" if kind == "payment.failed" else None,
            }
        },
    }


def signed(body: dict | bytes, *, secret=SECRET, at=None) -> tuple[bytes, str]:
    """The raw body and its Payment-Signature header, as the provider computes them."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    t = int(time.time() if at is None else at)
    mac = hmac.new(secret.encode(), f"{t}.".encode() + raw, hashlib.sha256).hexdigest()
    return raw, f"t={t},v1={mac}"


def deliver(raw: bytes, header: str | None, path=WEBHOOK):
    headers = {"Payment-Signature": header} if header is not None else {}
    return APIClient().generic("POST", path, raw, content_type="application/json", headers=headers)


def prepaid(customer) -> dict:
    return client_for(customer).get("/api/v1/billing/balance/").json()["prepaid"]


def ask(customer, amount=5000, currency="EUR") -> dict:
    response = client_for(customer).post(
        TOPUPS, {"amount_minor": amount, "currency": currency, "request_id": str(uuid.uuid4())}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:400]
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code, body
    return body


def test_a_customer_can_only_ask_and_asking_credits_nothing(two_fleets):
    customer = client_for(two_fleets.customer)
    request_id = str(uuid.uuid4())
    asked = [
        customer.post(TOPUPS, {"amount_minor": 10_000_000, "currency": "GBP", "request_id": rid}, format="json")
        for rid in (request_id, str(uuid.uuid4()), str(uuid.uuid4()), request_id)
    ]
    assert [r.status_code for r in asked] == [201] * 4
    assert {r.json()["status"] for r in asked} == {"pending"}
    assert asked[0].json() == asked[3].json()  # a retry of one request is the same top-up
    assert prepaid(two_fleets.customer) == {}  # the probe of issue 14: GBP 300,000 in three calls, now nothing
    assert not JournalTransaction.objects.filter(kind="topup").exists()

    listed = customer.get(TOPUPS, {"count": "true"}).json()
    assert listed["count"] == 3 and {row["status"] for row in listed["results"]} == {"pending"}
    detail = customer.get(f"{TOPUPS}{asked[0].json()['id']}/").json()
    assert detail["status"] == "pending" and detail["amount_minor"] == 10_000_000 and detail["currency"] == "GBP"
    assert customer.get(TOPUPS, {"status": "confirmed"}).json()["results"] == []
    problem(customer.get(TOPUPS, {"status": "paid"}), 400, "validation_failed")
    other_amount = customer.post(
        TOPUPS, {"amount_minor": 1, "currency": "GBP", "request_id": request_id}, format="json"
    )
    problem(other_amount, 409, "billing.idempotency_conflict")
    problem(
        customer.post(TOPUPS, {"amount_minor": 0, "currency": "EUR", "request_id": request_id}),
        400,
        "validation_failed",
    )
    # another customer sees none of it
    stranger = client_for(
        get_user_model().objects.create_user(
            email="someone.else@example.test", password="correct horse battery staple", is_customer=True
        )
    )
    assert stranger.get(TOPUPS).json()["results"] == []
    problem(stranger.get(f"{TOPUPS}{asked[0].json()['id']}/"), 404, "billing.topup_not_found")


def test_a_signed_notification_confirms_once(two_fleets):
    topup = ask(two_fleets.customer)
    raw, header = signed(event(topup["id"], event_id="evt_1"))

    first = deliver(raw, header)
    assert first.status_code == 200, first.content
    assert first.json()["outcome"] == "succeeded" and first.json()["topup"]["status"] == "confirmed"
    assert first.json()["topup"]["confirmed_via"] == "psp"
    assert prepaid(two_fleets.customer) == {"EUR": 5000}

    again = deliver(raw, header)  # the provider retries (within the tolerance): the same answer, credited once
    assert (again.status_code, again.json()) == (200, first.json())
    resent = deliver(*signed(event(topup["id"], event_id="evt_1")))  # re-signed later, same event
    assert (resent.status_code, resent.json()["topup"]) == (200, first.json()["topup"])
    other_event_same_payment = deliver(*signed(event(topup["id"], event_id="evt_2")))
    assert (other_event_same_payment.status_code, other_event_same_payment.json()["topup"]["status"]) == (
        200,
        "confirmed",
    )
    assert prepaid(two_fleets.customer) == {"EUR": 5000}
    assert JournalTransaction.objects.filter(kind="topup", reference_id=topup["id"]).count() == 1
    # a second, different payment for a confirmed top-up credits nothing, and is recorded for refund (answered 200:
    # the provider holds that money, and would retry a refusal for days)
    twice_paid = deliver(*signed(event(topup["id"], event_id="evt_3", payment_id="pay_2")))
    assert (twice_paid.status_code, twice_paid.json()["outcome"]) == (200, "held_for_refund")
    assert twice_paid.json()["topup"]["status"] == "confirmed"
    held = UnappliedPayment.objects.get(payment_reference="pay_2")
    assert (held.topup_id, held.amount_minor, held.currency, held.event_id) == (
        uuid.UUID(topup["id"]),
        5000,
        "EUR",
        "evt_3",
    )
    assert deliver(*signed(event(topup["id"], event_id="evt_4", payment_id="pay_2"))).json()["outcome"] == (
        "held_for_refund"
    )
    assert UnappliedPayment.objects.count() == 1  # the same payment again is recorded once
    # the key being rolled: a call signed with the previous secret is still accepted
    second = ask(two_fleets.customer, amount=700)
    rolled = deliver(
        *signed(event(second["id"], amount=700, payment_id="pay_3"), secret="whsec_previous_secret_still_accepted")
    )
    assert rolled.status_code == 200 and rolled.json()["topup"]["status"] == "confirmed"
    assert prepaid(two_fleets.customer) == {"EUR": 5700}
    assert client_for(two_fleets.customer).get(f"{TOPUPS}{topup['id']}/").json()["status"] == "confirmed"


def test_forged_tampered_replayed_and_malformed_calls_are_refused(two_fleets):
    topup = ask(two_fleets.customer)
    body = event(topup["id"])
    raw, header = signed(body)
    tampered = json.dumps({**body, "data": {"object": {**body["data"]["object"], "amount": 500000}}}).encode()
    stale = signed(body, at=time.time() - 330)  # outside the 300 s window, with room for a slow test
    future = signed(body, at=time.time() + 330)
    t = header.split(",")[0]

    problem(deliver(tampered, header), 401, "billing.signature_invalid")  # body changed after signing
    problem(deliver(*signed(body, secret="whsec_guessed")), 401, "billing.signature_invalid")
    problem(deliver(*stale), 401, "billing.signature_invalid")  # a captured call replayed after the window
    problem(deliver(*future), 401, "billing.signature_invalid")
    problem(deliver(raw, f"{t},v1={'0' * 64}"), 401, "billing.signature_invalid")
    problem(deliver(raw, None), 400, "billing.notification_malformed")
    for junk in ("", "v1=abc", f"{t}", "t=soon,v1=" + "a" * 64, f"{t},v1=ÿÿ"):
        problem(deliver(raw, junk), 400, "billing.notification_malformed")
    for bad_body in (b"not json", b"[]", b"{}", json.dumps({**body, "data": {"object": {"amount": "5000"}}}).encode()):
        problem(deliver(*signed(bad_body)), 400, "billing.notification_malformed")
    deep = b'{"id": "evt_deep", "type": "payment.succeeded", "data": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    problem(deliver(*signed(deep)), 400, "billing.notification_malformed")
    huge = event(topup["id"], amount=10**30)
    problem(deliver(*signed(huge)), 400, "billing.notification_malformed")
    problem(deliver(raw, header, path="/api/v1/billing/payments/nope/webhook/"), 404, "billing.unknown_provider")
    problem(deliver(raw, header, path="/api/v1/billing/payments/unset/webhook/"), 404, "billing.unknown_provider")
    problem(deliver(*signed(event(uuid.uuid4()))), 404, "billing.topup_not_found")

    assert TopUp.objects.get(id=topup["id"]).status == "pending"
    assert prepaid(two_fleets.customer) == {}
    ignored = deliver(*signed({"id": "evt_other", "type": "customer.updated", "data": {"object": {}}}))
    assert (ignored.status_code, ignored.json()) == (
        200,
        {"event_id": "evt_other", "outcome": "ignored", "topup": None},
    )


def test_a_confirmation_for_another_amount_or_currency_is_refused(two_fleets):
    short = ask(two_fleets.customer, amount=5000)
    raw, header = signed(event(short["id"], amount=4000))
    # the provider holds 4000 EUR: recorded for refund and acknowledged (a refusal would be retried for days)
    held = deliver(raw, header)
    assert (held.status_code, held.json()["outcome"]) == (200, "held_for_refund")
    assert "4000 EUR" in held.json()["topup"]["reason"] and "5000 EUR" in held.json()["topup"]["reason"]
    assert deliver(raw, header).json() == held.json()  # the same call again: the same answer
    state = client_for(two_fleets.customer).get(f"{TOPUPS}{short['id']}/").json()
    assert state["status"] == "failed" and "4000 EUR" in state["reason"] and "nothing was credited" in state["reason"]
    again = deliver(*signed(event(short["id"], amount=5000)))  # the same payment (pay_1) claimed at another amount
    assert (again.status_code, again.json()["outcome"], again.json()["topup"]["status"]) == (
        200,
        "held_for_refund",
        "failed",
    )
    assert list(UnappliedPayment.objects.values_list("topup_id", "amount_minor", "payment_reference")) == [
        (uuid.UUID(short["id"]), 4000, "pay_1")
    ]
    with pytest.raises(TopUpMismatch):  # called directly, the service still says why it credited nothing
        topups.topup_confirm(
            topup_id=short["id"], amount=Money(4000, "EUR"), via="psp", reference=held.json()["event_id"]
        )

    other_currency = ask(two_fleets.customer, amount=5000, currency="EUR")
    admin = client_for(two_fleets.platform_admin)
    refused = admin.post(
        f"{TOPUPS}{other_currency['id']}/confirm/",
        {"amount_minor": 5000, "currency": "GBP", "reference": "BANK-GBP-1"},
        format="json",
    )
    problem(refused, 400, "billing.topup_amount_differs")  # a staff typo: refused, nothing changes
    assert TopUp.objects.get(id=other_currency["id"]).status == "pending"
    assert prepaid(two_fleets.customer) == {}
    assert not JournalTransaction.objects.filter(kind="topup").exists()


def test_a_failed_payment_fails_the_top_up(two_fleets):
    topup = ask(two_fleets.customer)
    raw, header = signed(event(topup["id"], kind="payment.failed"))
    failed = deliver(raw, header)
    assert failed.status_code == 200 and failed.json()["topup"]["status"] == "failed"
    assert failed.json()["topup"]["reason"] == "the payment failed: card declined"
    assert deliver(raw, header).json() == failed.json()
    assert prepaid(two_fleets.customer) == {}
    # the customer pays again and this time it goes through: the provider's success still confirms it, once
    paid = deliver(*signed(event(topup["id"], payment_id="pay_retry")))
    assert paid.status_code == 200 and paid.json()["topup"]["status"] == "confirmed"
    assert paid.json()["topup"]["reason"] == ""
    assert prepaid(two_fleets.customer) == {"EUR": 5000}
    late = deliver(raw, header)  # the old decline, replayed late: acknowledged, no effect
    assert (late.status_code, late.json()["outcome"], late.json()["topup"]["status"]) == (200, "ignored", "confirmed")
    other_decline = deliver(*signed(event(topup["id"], kind="payment.failed", payment_id="pay_other")))
    assert (other_decline.status_code, other_decline.json()["outcome"]) == (200, "ignored")
    assert prepaid(two_fleets.customer) == {"EUR": 5000}
    assert TopUp.objects.get(id=topup["id"]).status == "confirmed"


def test_platform_admins_record_cash_and_transfers_and_nobody_else(two_fleets):
    topup = ask(two_fleets.customer, amount=2000)
    confirm = f"{TOPUPS}{topup['id']}/confirm/"
    body = {"amount_minor": 2000, "currency": "EUR", "reference": "SEPA-2026-12-05-0042"}
    for who in (two_fleets.customer, two_fleets.a.users["fleet_manager"], two_fleets.a.users["dispatcher"]):
        problem(client_for(who).post(confirm, body, format="json"), 403, "permission_denied")
    admin = client_for(two_fleets.platform_admin)
    problem(admin.post(confirm, {**body, "reference": "  "}, format="json"), 400, "validation_failed")
    done = admin.post(confirm, body, format="json")
    assert done.status_code == 200 and done.json()["status"] == "confirmed" and done.json()["confirmed_via"] == "staff"
    again = admin.post(confirm, body, format="json")
    assert (again.status_code, again.json()) == (200, done.json())
    assert prepaid(two_fleets.customer) == {"EUR": 2000}
    problem(admin.post(confirm, {**body, "reference": "SEPA-other"}, format="json"), 409, "billing.topup_not_pending")

    second = ask(two_fleets.customer, amount=2000)  # one bank transfer cannot pay two top-ups
    reused = admin.post(f"{TOPUPS}{second['id']}/confirm/", body, format="json")
    problem(reused, 409, "billing.confirmation_reused")
    assert TopUp.objects.get(id=second["id"]).status == "pending"
    assert prepaid(two_fleets.customer) == {"EUR": 2000}
    assert {row["id"] for row in admin.get(TOPUPS).json()["results"]} >= {topup["id"], second["id"]}
    problem(admin.post(f"{TOPUPS}{uuid.uuid4()}/confirm/", body, format="json"), 404, "billing.topup_not_found")


def test_customers_cancel_pending_top_ups_and_stale_ones_expire(two_fleets):
    customer = client_for(two_fleets.customer)
    topup = ask(two_fleets.customer)
    cancelled = customer.post(f"{TOPUPS}{topup['id']}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert customer.post(f"{TOPUPS}{topup['id']}/cancel/").json() == cancelled.json()
    problem(
        client_for(two_fleets.a.users["fleet_manager"]).post(f"{TOPUPS}{topup['id']}/cancel/"), 403, "permission_denied"
    )

    paid = ask(two_fleets.customer)
    deliver(*signed(event(paid["id"], payment_id="pay_paid")))
    problem(customer.post(f"{TOPUPS}{paid['id']}/cancel/"), 409, "billing.topup_not_pending")

    stale, fresh = ask(two_fleets.customer), ask(two_fleets.customer)
    TopUp.objects.filter(id=stale["id"]).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert topups.topups_expire() == 1
    after = customer.get(f"{TOPUPS}{stale['id']}/").json()
    assert (after["status"], after["reason"]) == ("cancelled", "expired: not confirmed in time")
    assert customer.get(f"{TOPUPS}{fresh['id']}/").json()["status"] == "pending"
    assert prepaid(two_fleets.customer) == {"EUR": 5000}  # only the paid one


def test_the_admin_confirm_form_is_for_platform_admins(two_fleets):
    topup = ask(two_fleets.customer, amount=1500)
    url = f"/admin/billing/topup/{topup['id']}/confirm/"
    manager = Client()
    manager.force_login(two_fleets.a.users["fleet_manager"])
    assert manager.get("/admin/billing/topup/").status_code == 403
    assert manager.post(url, {"amount": "15.00", "currency": "EUR", "reference": "CASH-1"}).status_code == 403

    admin = Client()
    admin.force_login(two_fleets.platform_admin)
    listed = admin.get("/admin/billing/topup/")
    assert listed.status_code == 200 and b"record payment" in listed.content
    form = admin.get(url)
    assert form.status_code == 200 and b"Record payment" in form.content
    mismatch_free = admin.post(url, {"amount": "15.00", "currency": "EUR", "reference": "CASH-1"})
    assert mismatch_free.status_code == 302
    assert TopUp.objects.get(id=topup["id"]).status == "confirmed"
    assert prepaid(two_fleets.customer) == {"EUR": 1500}

    wrong = ask(two_fleets.customer, amount=1500)
    refused = admin.post(
        f"/admin/billing/topup/{wrong['id']}/confirm/", {"amount": "1.50", "currency": "EUR", "reference": "CASH-2"}
    )
    assert refused.status_code == 200 and b"asked for 1500 EUR, not 150 EUR" in refused.content  # a typo: a form error
    assert TopUp.objects.get(id=wrong["id"]).status == "pending"
    retyped = admin.post(  # the same cash receipt, typed right, still confirms it
        f"/admin/billing/topup/{wrong['id']}/confirm/", {"amount": "15.00", "currency": "EUR", "reference": "CASH-2"}
    )
    assert retyped.status_code == 302 and TopUp.objects.get(id=wrong["id"]).status == "confirmed"
    reused = ask(two_fleets.customer, amount=1500)
    again = admin.post(
        f"/admin/billing/topup/{reused['id']}/confirm/",
        {"amount": "15.00", "currency": "EUR", "reference": "CASH-1"},
    )
    assert again.status_code == 200 and b"already confirmed another top-up" in again.content
    assert prepaid(two_fleets.customer) == {"EUR": 3000}


def test_crafted_timestamps_are_refused_as_malformed_never_a_server_error(two_fleets):
    topup = ask(two_fleets.customer)
    raw, header = signed(event(topup["id"]))
    v1 = header.split(",")[1]
    for t in (
        "²",  # str.isdigit() says yes, int() raises
        "١٢٣٤٥٦٧٨٩٠",  # Arabic-Indic digits: int() would read them
        "9" * 400,  # abs(now - t) overflows a float
        "9" * 5000,  # beyond Python's int-from-string limit
        "1" * 13,
        " 1700000000",
        "+1700000000",
        "-1",
    ):
        problem(deliver(raw, f"t={t},{v1}"), 400, "billing.notification_malformed")
    problem(deliver(raw, f"t={'9' * 12},{v1}"), 401, "billing.signature_invalid")  # well-formed, far future
    assert TopUp.objects.get(id=topup["id"]).status == "pending"


def test_money_paid_after_the_customer_cancelled_or_the_top_up_expired_is_credited(two_fleets):
    """A verified success is money received: it is credited, and the top-up says it came late."""
    customer = client_for(two_fleets.customer)
    cancelled = ask(two_fleets.customer, amount=1000)
    assert customer.post(f"{TOPUPS}{cancelled['id']}/cancel/").json()["status"] == "cancelled"
    paid = deliver(*signed(event(cancelled["id"], amount=1000, payment_id="pay_after_cancel")))
    assert (paid.status_code, paid.json()["outcome"], paid.json()["topup"]["status"]) == (200, "succeeded", "confirmed")
    assert paid.json()["topup"]["reason"] == "paid after it was cancelled (cancelled by the customer)"
    assert prepaid(two_fleets.customer) == {"EUR": 1000}

    expired = ask(two_fleets.customer, amount=2000)  # expired but not yet swept by the hourly job
    TopUp.objects.filter(id=expired["id"]).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    swept = ask(two_fleets.customer, amount=3000)  # and one the job cancelled already
    TopUp.objects.filter(id=swept["id"]).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    for topup, amount in ((expired, 2000), (swept, 3000)):
        if topup is swept:
            assert topups.topups_expire() == 1 and TopUp.objects.get(id=swept["id"]).status == "cancelled"
        late = deliver(*signed(event(topup["id"], amount=amount, payment_id=f"pay_late_{amount}")))
        assert (late.status_code, late.json()["topup"]["status"]) == (200, "confirmed")
        assert late.json()["topup"]["reason"] == "paid after it was cancelled (expired: not confirmed in time)"
    assert prepaid(two_fleets.customer) == {"EUR": 6000}

    declined = ask(two_fleets.customer, amount=400)  # declined, then paid again after it expired
    deliver(*signed(event(declined["id"], amount=400, kind="payment.failed", payment_id="pay_declined")))
    TopUp.objects.filter(id=declined["id"]).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    retried = deliver(*signed(event(declined["id"], amount=400, payment_id="pay_declined_retry")))
    assert (retried.status_code, retried.json()["topup"]["status"]) == (200, "confirmed")
    assert prepaid(two_fleets.customer) == {"EUR": 6400}

    # a late decline about a cancelled top-up changes nothing and is acknowledged
    gone = ask(two_fleets.customer, amount=100)
    customer.post(f"{TOPUPS}{gone['id']}/cancel/")
    decline = deliver(*signed(event(gone["id"], amount=100, kind="payment.failed", payment_id="pay_gone")))
    assert (decline.status_code, decline.json()["outcome"], decline.json()["topup"]["status"]) == (
        200,
        "ignored",
        "cancelled",
    )
    # cancelled, then paid another amount: nothing credited, the money recorded for refund
    short = ask(two_fleets.customer, amount=900)
    customer.post(f"{TOPUPS}{short['id']}/cancel/")
    held = deliver(*signed(event(short["id"], amount=800, payment_id="pay_short")))
    assert (held.status_code, held.json()["outcome"]) == (200, "held_for_refund")
    assert UnappliedPayment.objects.filter(payment_reference="pay_short", amount_minor=800).exists()
    assert prepaid(two_fleets.customer) == {"EUR": 6400}
    assert ledger.verify() == []


def test_a_staff_typo_leaves_the_reference_usable_for_the_real_confirmation(two_fleets):
    topup = ask(two_fleets.customer, amount=2500)
    admin = client_for(two_fleets.platform_admin)
    confirm = f"{TOPUPS}{topup['id']}/confirm/"
    typo = admin.post(confirm, {"amount_minor": 250, "currency": "EUR", "reference": "SEPA-TYPO-1"}, format="json")
    body = problem(typo, 400, "billing.topup_amount_differs")
    assert "2500 EUR" in body["detail"] and body["errors"] == {"amount_minor": ["2500 EUR was requested."]}
    stored = TopUp.objects.get(id=topup["id"])
    assert (stored.status, stored.confirmation_reference, stored.confirmed_amount_minor) == ("pending", "", None)
    right = admin.post(confirm, {"amount_minor": 2500, "currency": "EUR", "reference": "SEPA-TYPO-1"}, format="json")
    assert (right.status_code, right.json()["status"]) == (200, "confirmed")
    assert prepaid(two_fleets.customer) == {"EUR": 2500}


def test_a_platform_admin_cannot_confirm_their_own_top_up(two_fleets):
    me = two_fleets.platform_admin
    own = ask(me, amount=100_000)  # platform admins pass every role check, the customer's included
    admin = client_for(me)
    body = {"amount_minor": 100_000, "currency": "EUR", "reference": "CASH-MYSELF"}
    problem(admin.post(f"{TOPUPS}{own['id']}/confirm/", body, format="json"), 403, "billing.self_confirmation")
    site = Client()
    site.force_login(me)
    form = site.post(
        f"/admin/billing/topup/{own['id']}/confirm/",
        {"amount": "1000.00", "currency": "EUR", "reference": "CASH-MYSELF"},
    )
    assert form.status_code == 200 and b"their own prepaid balance" in form.content
    assert TopUp.objects.get(id=own["id"]).status == "pending"
    assert prepaid(me) == {}


def _self_credit(customer_id, amount, currency="EUR"):
    """What the old `POST topups/` posted for any customer who asked: money with no payment behind it."""

    from apps.billing.models import AccountKind

    with contexts.atomic("billing"):
        txn, _ = ledger.post(
            idempotency_key=f"topup:{customer_id}:{uuid.uuid4()}",
            kind="topup",
            reference_id=customer_id,
            legs=[
                (ledger.account_for(kind=AccountKind.CASH_CLEARING, currency=currency), amount),
                (
                    ledger.account_for(kind=AccountKind.CUSTOMER_PREPAID, currency=currency, owner_id=customer_id),
                    -amount,
                ),
            ],
        )
    return txn


def test_self_credits_from_before_confirmation_are_listed_and_reversed_once(two_fleets):
    from io import StringIO

    from django.core.management import call_command

    from apps.billing.models import AccountKind

    honest, spender = two_fleets.customer, two_fleets.platform_admin
    confirmed = ask(honest, amount=700)  # a real, confirmed top-up is not touched
    client_for(two_fleets.platform_admin).post(
        f"{TOPUPS}{confirmed['id']}/confirm/", {"amount_minor": 700, "currency": "EUR", "reference": "SEPA-OK"}
    )
    whole = _self_credit(honest.id, 300_000)
    spent = _self_credit(spender.id, 5000)
    with contexts.atomic("billing"):  # 4000 of it already paid fares
        ledger.post(
            idempotency_key=f"spent:{spender.id}",
            kind="settlement",
            legs=[
                (ledger.account_for(kind=AccountKind.CUSTOMER_PREPAID, currency="EUR", owner_id=spender.id), 4000),
                (ledger.account_for(kind=AccountKind.PLATFORM_COMMISSION, currency="EUR"), -4000),
            ],
        )

    def run(*args) -> str:
        out = StringIO()
        call_command("billing_unconfirmed_topups", *args, stdout=out)
        return out.getvalue()

    listed = run()
    assert f"customer {honest.id}: 300000 EUR self-credited (transaction {whole.id}), balance now 300700" in listed
    assert f"customer {spender.id}: 5000 EUR self-credited (transaction {spent.id}), balance now 1000" in listed
    assert "2 unconfirmed top-up(s)" in listed and "reversed" not in listed
    assert prepaid(honest) == {"EUR": 300_700}  # listing changes nothing

    reversed_ = run("--reverse")
    assert "reversed 300000" in reversed_ and "reversed 1000, could not reverse 4000 (already spent)" in reversed_
    assert prepaid(honest) == {"EUR": 700} and prepaid(spender) == {"EUR": 0}
    reversals = JournalTransaction.objects.filter(kind="reversal.topup")
    assert {r.reverses_id for r in reversals} == {whole.id, spent.id}

    again = run("--reverse")  # a second run changes nothing and still reports the shortfall
    assert JournalTransaction.objects.filter(kind="reversal.topup").count() == 2
    assert "reversed 300000 before" in again and "reversed 1000 before, 4000 was already spent" in again
    assert prepaid(honest) == {"EUR": 700} and prepaid(spender) == {"EUR": 0}
    assert ledger.verify() == []


def test_the_hourly_expiry_cancels_only_pending_top_ups_past_their_time():
    past = timezone.now() - dt.timedelta(minutes=1)
    stale, fresh = TopUpFactory(expires_at=past), TopUpFactory()
    settled = TopUpFactory(expires_at=past, status=TopUp.Status.CONFIRMED)
    assert topups.topups_expire() == 1
    stale.refresh_from_db()
    assert (stale.status, stale.reason) == (TopUp.Status.CANCELLED, "expired: not confirmed in time")
    assert TopUp.objects.get(id=fresh.id).status == TopUp.Status.PENDING
    assert TopUp.objects.get(id=settled.id).status == TopUp.Status.CONFIRMED
