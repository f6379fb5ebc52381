"""Billing over REST as the apps use it: quotes, wallet, payouts, balances, refunds — and isolation."""

import uuid

import pytest
from django.utils import timezone

from apps.billing.models import Payout, Tariff
from apps.billing.tests.factories import tariff
from apps.fleet.tests.factories import active_fleet
from apps.partner.models import DriverProfile
from apps.trips.tests.factories import trip_completed_event
from logitrack.db import contexts
from logitrack.outbox.api import publish
from tests.support.isolation import assert_hidden, assert_never_lists, client_for

pytestmark = pytest.mark.django_db
BERLIN = [[52.5200, 13.4050], [52.5080, 13.3760]]


@pytest.fixture
def world(two_fleets, relay_and_deliver):
    for tenant in (two_fleets.a, two_fleets.b):
        active_fleet(fleet_id=tenant.fleet_id, name=tenant.name)
        tariff(fleet_id=tenant.fleet_id)
    relay_and_deliver()  # partner creates the drivers' profiles
    return two_fleets


def settle_trip(world, relay_and_deliver, *, tenant="a", customer=None):
    t = getattr(world, tenant)
    driver = DriverProfile.objects.get(user_id=t.users["driver"].id)
    trip_id = uuid.uuid4()
    now = timezone.now()
    with contexts.atomic("trips"):
        publish(
            trip_completed_event(
                trip_id=trip_id,
                fleet_id=t.fleet_id,
                customer_id=(customer or world.customer).id,
                driver_id=driver.id,
                distance_m=15_000,
                duration_s=1500,
                completed_at=now,
            )
        )
    relay_and_deliver()
    return trip_id


def test_a_customer_gets_a_quote_with_its_breakdown(world):
    customer = client_for(world.customer)
    response = customer.post(
        "/api/v1/billing/quotes/",
        {"fleet_id": str(world.a.fleet_id), "vehicle_type": "van", "stops": BERLIN},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["currency"] == "EUR" and body["total_minor"] == body["breakdown"]["total"] > 0
    assert {line["code"] for line in body["breakdown"]["lines"]} >= {"base", "distance", "time"}
    assert body["breakdown"]["taxes"][0]["rate_bps"] == 1900
    explicit = customer.post(
        "/api/v1/billing/quotes/",
        {
            "fleet_id": str(world.a.fleet_id),
            "vehicle_type": "van",
            "stops": BERLIN,
            "distance_m": 10_000,
            "duration_s": 1200,
            "requested_at": "2030-01-07T11:00:00Z",
        },
        format="json",
    )
    assert explicit.json()["total_minor"] == 2050  # noon in Berlin: no night surcharge
    assert customer.get(f"/api/v1/billing/quotes/{body['id']}/").status_code == 200


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"stops": [[52.5, 13.4]]}, "stops"),
        ({"stops": [[95.0, 13.4], [52.5, 13.4]]}, "stops"),
        ({"distance_m": 1000}, "duration_s"),
        ({"vehicle_type": "rocket"}, "vehicle_type"),
        ({"fleet_id": "not-a-uuid"}, "fleet_id"),
        ({"coupon": "FREE"}, "coupon"),
    ],
)
def test_bad_quote_requests_are_400(world, change, field):
    body = {"fleet_id": str(world.a.fleet_id), "vehicle_type": "van", "stops": BERLIN, **change}
    response = client_for(world.customer).post("/api/v1/billing/quotes/", body, format="json")
    assert response.status_code == 400 and field in response.json()["errors"]


def test_no_tariff_for_that_vehicle_or_time_is_a_clear_404(world):
    Tariff.objects.filter(fleet_id=world.a.fleet_id).update(vehicle_type="bike")
    response = client_for(world.customer).post(
        "/api/v1/billing/quotes/",
        {"fleet_id": str(world.a.fleet_id), "vehicle_type": "van", "stops": BERLIN},
        format="json",
    )
    assert (response.status_code, response.json()["code"]) == (404, "billing.no_tariff")


def test_quotes_are_private_to_their_customer_and_fleet(world, make_user):
    quote = (
        client_for(world.customer)
        .post(
            "/api/v1/billing/quotes/",
            {"fleet_id": str(world.a.fleet_id), "vehicle_type": "van", "stops": BERLIN},
            format="json",
        )
        .json()
    )
    other_customer = make_user(is_customer=True)
    assert_hidden(client_for(other_customer), "GET", f"/api/v1/billing/quotes/{quote['id']}/")
    assert_hidden(world.b.client("dispatcher"), "GET", f"/api/v1/billing/quotes/{quote['id']}/")
    assert world.a.client("dispatcher").get(f"/api/v1/billing/quotes/{quote['id']}/").status_code == 200
    staff_other_fleet = world.b.client("dispatcher").post(
        "/api/v1/billing/quotes/",
        {"fleet_id": str(world.a.fleet_id), "vehicle_type": "van", "stops": BERLIN},
        format="json",
    )
    assert staff_other_fleet.status_code == 404


def test_a_driver_sees_earnings_and_is_paid_out_after_approval(world, relay_and_deliver):
    settle_trip(world, relay_and_deliver)
    driver = world.a.client("driver")
    wallet = driver.get("/api/v1/billing/wallet/").json()
    assert wallet["balance_minor"] > 0 and wallet["statement"][0]["kind"] == "settlement"
    assert wallet["statement"][0]["amount_minor"] == wallet["balance_minor"]

    request_id = str(uuid.uuid4())
    first = driver.post("/api/v1/billing/payouts/", {"amount_minor": 1000, "request_id": request_id}, format="json")
    again = driver.post("/api/v1/billing/payouts/", {"amount_minor": 1000, "request_id": request_id}, format="json")
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    too_much = driver.post(
        "/api/v1/billing/payouts/", {"amount_minor": 10_000_000, "request_id": str(uuid.uuid4())}, format="json"
    )
    assert (too_much.status_code, too_much.json()["code"]) == (409, "billing.insufficient_funds")
    assert driver.get("/api/v1/billing/wallet/").json()["held_for_payouts_minor"] == 1000

    payout_id = first.json()["id"]
    assert_hidden(
        world.b.client("fleet_manager"),
        "POST",
        f"/api/v1/billing/payouts/{payout_id}/decide/",
        data={"decision": "approve"},
    )
    assert_never_lists(world.b.client("fleet_manager"), "/api/v1/billing/payouts/", [payout_id])
    manager = world.a.client("fleet_manager")
    approved = manager.post(f"/api/v1/billing/payouts/{payout_id}/decide/", {"decision": "approve"}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    paid = manager.post(f"/api/v1/billing/payouts/{payout_id}/paid/", {"bank_reference": "SEPA-77"}, format="json")
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    twice = manager.post(f"/api/v1/billing/payouts/{payout_id}/paid/", {}, format="json")
    assert (twice.status_code, twice.json()["code"]) == (409, "billing.payout_not_approved")
    after = driver.get("/api/v1/billing/wallet/").json()
    assert (after["balance_minor"], after["held_for_payouts_minor"]) == (wallet["balance_minor"] - 1000, 0)
    assert Payout.objects.count() == 1


def test_customers_top_up_redeem_points_and_see_their_balance(world, relay_and_deliver):
    customer = client_for(world.customer)
    topped = customer.post(
        "/api/v1/billing/topups/",
        {"amount_minor": 5000, "currency": "EUR", "request_id": str(uuid.uuid4())},
        format="json",
    )
    assert topped.status_code == 201 and topped.json()["status"] == "pending"  # asked: no money yet
    confirmed = client_for(world.platform_admin).post(
        f"/api/v1/billing/topups/{topped.json()['id']}/confirm/",
        {"amount_minor": 5000, "currency": "EUR", "reference": "SEPA-5000"},
        format="json",
    )
    assert confirmed.status_code == 200 and customer.get("/api/v1/billing/balance/").json()["prepaid"] == {"EUR": 5000}
    settle_trip(world, relay_and_deliver)
    balance = customer.get("/api/v1/billing/balance/").json()
    assert balance["prepaid"]["EUR"] < 5000 and balance["loyalty_points"] > 0  # paid from prepaid, earned points
    redeemed = customer.post(
        "/api/v1/billing/points/redeem/",
        {"points": balance["loyalty_points"], "currency": "EUR", "request_id": str(uuid.uuid4())},
        format="json",
    )
    assert redeemed.status_code == 201 and redeemed.json()["loyalty_points"] == 0
    greedy = customer.post(
        "/api/v1/billing/points/redeem/",
        {"points": 1, "currency": "EUR", "request_id": str(uuid.uuid4())},
        format="json",
    )
    assert greedy.status_code == 409
    beyond_any_balance = customer.post(
        "/api/v1/billing/points/redeem/",
        {"points": 10**25, "currency": "EUR", "request_id": str(uuid.uuid4())},
        format="json",
    )
    assert (beyond_any_balance.status_code, list(beyond_any_balance.json()["errors"])) == (400, ["points"])
    assert (
        customer.post(
            "/api/v1/billing/topups/",
            {"amount_minor": 0, "currency": "EUR", "request_id": str(uuid.uuid4())},
            format="json",
        ).status_code
        == 400
    )


def test_refunds_are_for_the_trips_fleet_manager_only(world, relay_and_deliver):
    trip_id = settle_trip(world, relay_and_deliver)
    assert_hidden(
        world.b.client("fleet_manager"), "POST", f"/api/v1/billing/trips/{trip_id}/refund/", data={"reason": "x"}
    )
    assert (
        world.a.client("dispatcher")
        .post(f"/api/v1/billing/trips/{trip_id}/refund/", {"reason": "x"}, format="json")
        .status_code
        == 403
    )
    manager = world.a.client("fleet_manager")
    assert manager.post(f"/api/v1/billing/trips/{trip_id}/refund/", {}, format="json").status_code == 400
    refund = manager.post(f"/api/v1/billing/trips/{trip_id}/refund/", {"reason": "late delivery"}, format="json")
    assert refund.status_code == 201
    again = manager.post(f"/api/v1/billing/trips/{trip_id}/refund/", {"reason": "again"}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "billing.already_refunded")


def test_admin_tariffs_and_payouts_are_scoped(world, relay_and_deliver, client):
    settle_trip(world, relay_and_deliver, tenant="b")
    client.force_login(world.a.users["fleet_manager"])
    page = client.get("/admin/billing/tariff/").content.decode()
    own, other = (Tariff.objects.get(fleet_id=f).id for f in (world.a.fleet_id, world.b.fleet_id))
    assert f"/admin/billing/tariff/{own}/change/" in page and str(other) not in page
    assert str(world.b.fleet_id) not in page
    assert (
        client.get(f"/admin/billing/tariff/{Tariff.objects.get(fleet_id=world.a.fleet_id).id}/change/").status_code
        == 200
    )
    accounts = client.get("/admin/billing/account/").content.decode()
    assert str(world.b.fleet_id) not in accounts
