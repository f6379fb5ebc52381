"""The platform end to end over real processes, as its clients use it: a customer registers, quotes and books;
auto-dispatch offers the trip to the nearest driver, who accepts, drives it (position pings over the driver
socket, seen live on a dispatch screen) and delivers it with proof; billing settles the fare in the ledger, the
driver's wallet shows the earning and the customer downloads the receipt as a PDF. Then a dispatcher plans the
afternoon's trips with a route optimisation job and accepts the plan.

The same flow runs twice: on the one platform, and with billing cut out as its own service (its own database,
processes and broker, trips' events reaching it over NATS JetStream: tests/e2e/billing_apart.py). Nothing the
clients see differs."""

from __future__ import annotations

import shutil
import subprocess
import uuid

import pytest

from logitrack.testing.processes import wait_until
from tests.e2e.clients import PASSWORD, Api, DriverApp, Screen, signature_png
from tests.e2e.conftest import Operator, Stack, build_operator

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]

PICKUP = {"kind": "pickup", "address": "Invalidenstraße 1, Berlin", "lat": 52.5310, "lng": 13.3847}
DROPOFF = {"kind": "dropoff", "address": "Oranienstraße 25, Berlin", "lat": 52.5016, "lng": 13.4190}
NEAR_PICKUP = (52.5350, 13.3847)  # about 450 m north of the pickup
# the afternoon's deliveries, planned by the optimiser: (pickup, drop-off)
AFTERNOON = [
    ((52.5200, 13.4050), (52.5125, 13.4540)),
    ((52.5250, 13.3690), (52.5390, 13.4240)),
    ((52.5080, 13.3760), (52.4960, 13.3900)),
]


def step(api: Api, trip: dict, path: str, **kwargs) -> dict:
    """A driver's step on a trip: sends the version it holds (If-Match) and keeps the new one."""
    moved = api.expect(200, "POST", f"/api/v1/trips/trips/{trip['id']}/{path}", headers=if_match(trip), **kwargs)
    assert moved["version"] > trip["version"]
    return moved


def if_match(trip: dict) -> dict:
    return {"If-Match": f'W/"{trip["version"]}"'}


@pytest.fixture(params=["one platform", "billing as its own service"])
def platform(request) -> tuple[Stack, Operator]:
    if request.param == "one platform":
        return request.getfixturevalue("stack"), build_operator()
    stack, operator, _ = request.getfixturevalue("billing_apart")
    return stack, operator


def test_a_delivery_from_registration_to_receipt_then_a_planned_afternoon(platform):
    stack, operator = platform
    base = stack.base
    me, other = operator.drivers
    dispatcher = stack.api().login(operator.dispatcher_email)
    screen = Screen(base, dispatcher, operator.fleet_id)
    # nobody has shared a position yet: the drivers on shift are listed without one, stale
    assert {(d["lat"], d["state"]) for d in screen.snapshot["drivers"]} <= {(None, "stale")}
    assert {s["id"] for s in screen.snapshot["shifts"]} == {str(me.shift_id), str(other.shift_id)}

    # --- the driver goes on duty and shares positions over the driver socket; the screen follows
    driver = stack.api().login(me.email)
    duty = driver.expect(200, "POST", "/api/v1/partner/me/duty/", json={"on_duty": True})
    assert duty["duty_status"] == "on_duty"
    app = DriverApp(base, driver)
    hello = app.socket.messages[0]
    assert hello == {"type": "hello", "driver_id": str(me.driver_id), "fleet_id": str(operator.fleet_id)}
    first = app.ping(*NEAR_PICKUP, accuracy_m=8)
    app.wait_acked(first)
    screen.saw_position(me.driver_id, *NEAR_PICKUP)

    # --- a customer registers, asks for a quote and books with it (a retried booking is one booking)
    customer = stack.api()
    email = f"ada.{uuid.uuid4().hex[:6]}@example.test"
    registered = customer.expect(
        201, "POST", "/api/v1/identity/register/", json={"email": email, "password": PASSWORD, "display_name": "Ada"}
    )
    customer.login(email)
    assert customer.get("/api/v1/identity/me/")["id"] == registered["id"]
    quote = customer.expect(
        201,
        "POST",
        "/api/v1/billing/quotes/",
        json={
            "fleet_id": str(operator.fleet_id),
            "vehicle_type": "van",
            "stops": [[PICKUP["lat"], PICKUP["lng"]], [DROPOFF["lat"], DROPOFF["lng"]]],
        },
    )
    assert quote["currency"] == "EUR" and quote["total_minor"] >= 800  # at least the minimum fare
    booking = {"fleet_id": str(operator.fleet_id), "vehicle_type": "van", "stops": [PICKUP, DROPOFF], "weight_kg": 40}
    booking["quote_id"] = quote["id"]
    key = str(uuid.uuid4())
    trip = customer.expect(201, "POST", "/api/v1/trips/trips/", json=booking, headers={"Idempotency-Key": key})
    again = customer.call("POST", "/api/v1/trips/trips/", json=booking, headers={"Idempotency-Key": key})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == trip["id"]
    assert customer.get("/api/v1/trips/trips/", params={"count": "true"})["count"] == 1
    assert (trip["status"], trip["quote_id"], list(trip["pins"])) == ("requested", quote["id"], ["2"])
    pin = trip["pins"]["2"]
    token = trip["tracking_url"].rstrip("/").rsplit("/", 1)[-1]
    tracking = Api(base).get(f"/api/v1/trips/track/{token}/")  # no login: anyone with the link (the page's JSON)
    assert tracking["status"] == "requested"

    # --- auto-dispatch offers it to the nearest driver on duty: the app hears of it, the screen too
    screen.saw_trip(trip["id"], change="requested")
    offer = app.socket.wait_for(lambda m: m["type"] == "offer", what="the offer", timeout=30)
    assert offer["trip"]["id"] == trip["id"] and offer["offer"]["trip_id"] == trip["id"]
    assert [o["id"] for o in driver.get("/api/v1/trips/offers/")["results"]] == [offer["offer"]["id"]]
    accepted = driver.expect(200, "POST", f"/api/v1/trips/offers/{offer['offer']['id']}/accept/", json={})
    assert accepted["status"] == "accepted" and accepted["shift_id"] == str(me.shift_id)
    assignment = app.socket.wait_for(lambda m: m["type"] == "assignment", what="the assignment")
    assert assignment["trip"]["id"] == trip["id"] and assignment["trip"]["status"] == "assigned"
    screen.saw_trip(trip["id"], status="assigned")
    trip = driver.get(f"/api/v1/trips/trips/{trip['id']}/")
    assert (trip["status"], trip["driver_id"]) == ("assigned", str(me.driver_id))
    assert trip["vehicle_id"] == str(me.vehicle_id)
    other_driver = stack.api().login(other.email)
    assert other_driver.call("GET", f"/api/v1/trips/trips/{trip['id']}/").status_code == 404  # not theirs

    # --- the driver drives it, pinging on the way; the screen sees every move
    trip = step(driver, trip, "transitions/", json={"action": "start"})
    mark = screen.socket.mark()
    for lat, lng in [(52.5330, 13.3850), (PICKUP["lat"], PICKUP["lng"])]:
        app.wait_acked(app.ping(lat, lng, speed_mps=6.5, heading=180))
        screen.saw_position(me.driver_id, lat, lng, since=mark)
    trip = step(driver, trip, "transitions/", json={"action": "arrive_pickup"})
    trip = step(driver, trip, "stops/1/arrive/")
    trip = step(driver, trip, "stops/1/done/", json={})
    trip = step(driver, trip, "transitions/", json={"action": "pick_up"})
    assert trip["status"] == "in_progress"
    for lat, lng in [(52.5160, 13.4000), (DROPOFF["lat"], DROPOFF["lng"])]:
        app.wait_acked(app.ping(lat, lng, speed_mps=8.0))
        screen.saw_position(me.driver_id, lat, lng, since=mark)
    trip = step(driver, trip, "stops/2/arrive/")

    # --- proof of delivery: this fleet needs the recipient's name, a signature and the customer's PIN
    early = driver.call(
        "POST", f"/api/v1/trips/trips/{trip['id']}/transitions/", json={"action": "complete"}, headers=if_match(trip)
    )
    assert (early.status_code, early.json()["code"]) == (409, "trips.proof_missing")
    wrong = "0000" if pin != "0000" else "1111"
    refused = driver.call(
        "POST",
        f"/api/v1/trips/trips/{trip['id']}/stops/2/done/",
        data={"recipient_name": "Grace", "pin": wrong},
        files={"signature": ("signature.png", signature_png(), "image/png")},
        headers=if_match(trip),
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "trips.pin_mismatch")
    trip = step(
        driver,
        trip,
        "stops/2/done/",
        data={"recipient_name": "Grace", "pin": pin},
        files={"signature": ("signature.png", signature_png(), "image/png")},
    )
    proof = customer.get(f"/api/v1/trips/trips/{trip['id']}/stops/2/proof/")
    assert (proof["recipient_name"], proof["pin_verified"], proof["has_signature"]) == ("Grace", True, True)
    trip = step(
        driver,
        trip,
        "transitions/",
        json={"action": "complete", "distance_m": 4200, "lat": DROPOFF["lat"], "lng": DROPOFF["lng"]},
    )
    assert trip["status"] == "completed"
    screen.saw_trip(trip["id"], status="completed")
    timeline = customer.get(f"/api/v1/trips/trips/{trip['id']}/timeline/")["results"]
    assert [e["action"] for e in timeline if not e["action"].startswith("stop_")] == [
        "book",
        "offer",
        "assign",
        "start",
        "arrive_pickup",
        "pick_up",
        "complete",
    ]
    trail = dispatcher.get(f"/api/v1/dispatch/drivers/{me.driver_id}/trail/")
    assert len(trail["results"]) == 5  # every ping the app sent, stored once

    # --- billing settles the fare: the customer owes it, the driver's wallet holds the earning, a receipt is issued
    receipts = wait_until(
        lambda: customer.get("/api/v1/billing/invoices/", params={"kind": "receipt"})["results"],
        timeout=60,
        what="the receipt (settlement and receipt jobs on the worker)",
    )
    assert len(receipts) == 1
    receipt = receipts[0]
    assert receipt["trip_id"] == trip["id"] and receipt["currency"] == "EUR"
    assert receipt["total_minor"] <= quote["total_minor"] * 11 // 10  # the quote's guarantee (+10% at most)
    assert receipt["number"].startswith("RCT-")
    assert receipt["net_minor"] + receipt["tax_minor"] == receipt["total_minor"]
    assert customer.get("/api/v1/billing/balance/")["owed"] == {"EUR": receipt["total_minor"]}
    wallet = driver.get("/api/v1/billing/wallet/")
    net = receipt["net_minor"]
    earning = net - net * 200 // 10_000 - net * operator.commission_bps // 10_000  # platform 2%, fleet 15%
    assert (wallet["currency"], wallet["balance_minor"]) == ("EUR", earning)
    assert [(line["kind"], line["reference_id"], line["amount_minor"]) for line in wallet["statement"]] == [
        ("settlement", trip["id"], earning)
    ]

    # --- the receipt's PDF, rendered by the worker, downloads
    wait_until(lambda: stack.underneath.receipt_rendered(receipt["id"]), timeout=60, what="the receipt rendered")
    pdf = customer.call("GET", f"/api/v1/billing/invoices/{receipt['id']}/pdf/")
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and b"%%EOF" in pdf.content[-1024:]
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True).stdout
        assert receipt["number"].encode() in text and b"Alpha Logistics GmbH" in text

    # --- the afternoon: three more bookings, planned by the optimiser over both vans, the plan accepted
    other_driver.expect(200, "POST", "/api/v1/partner/me/duty/", json={"on_duty": True})
    booked = []
    for pickup, dropoff in AFTERNOON:
        stops = [
            {"kind": "pickup", "address": "pick", "lat": pickup[0], "lng": pickup[1]},
            {"kind": "dropoff", "address": "drop", "lat": dropoff[0], "lng": dropoff[1]},
        ]
        afternoon = {"fleet_id": str(operator.fleet_id), "vehicle_type": "van", "stops": stops, "weight_kg": 200}
        booked.append(customer.expect(201, "POST", "/api/v1/trips/trips/", json=afternoon)["id"])
    for trip_id in booked:  # auto-dispatch offers each to the only driver on the map, who lets them wait
        app.socket.wait_for(lambda m, t=trip_id: m["type"] == "offer" and m["trip"]["id"] == t, what="an offer")
    mark = screen.socket.mark()
    job = dispatcher.expect(
        202, "POST", f"/api/v1/dispatch/fleets/{operator.fleet_id}/routing-jobs/", json={"seconds": 2}
    )
    # the job as it is once committed: a routing worker may already have taken it when the answer is written
    assert job["status"] in ("queued", "running") and job["seconds"] == 2
    done = wait_until(
        lambda: (
            (j := dispatcher.get(f"/api/v1/dispatch/routing-jobs/{job['id']}/"))["status"] in ("succeeded", "failed")
            and j
        ),
        timeout=60,
        what="the routing job",
    )
    assert (done["status"], done["attempts"], done["error"]) == ("succeeded", 1, "")
    assert done["worker"].startswith("routing-")
    screen.socket.wait_for(
        lambda m: m["type"] == "job" and m["job"]["id"] == job["id"] and m["job"]["status"] == "succeeded",
        since=mark,
        what="the job's success on the screen",
    )
    plan = dispatcher.get(f"/api/v1/dispatch/plans/{done['plan_id']}/")
    assert plan["status"] == "proposed" and plan["unserved"] == []
    planned = {s["trip_id"] for r in plan["routes"] for s in r["stops"]}
    assert planned == set(booked)
    accepted = dispatcher.expect(200, "POST", f"/api/v1/dispatch/plans/{plan['id']}/accept/")
    assert accepted["status"] == "accepted"
    assert {t: o["result"] for t, o in accepted["outcome"].items()} == dict.fromkeys(booked, "assigned")
    shift_of = {s["trip_id"]: r["shift_id"] for r in plan["routes"] for s in r["stops"]}
    for trip_id in booked:
        assigned = customer.get(f"/api/v1/trips/trips/{trip_id}/")
        assert assigned["status"] == "assigned"
        assert {str(me.driver_id): str(me.shift_id), str(other.driver_id): str(other.shift_id)}[
            assigned["driver_id"]
        ] == shift_of[trip_id]
    screen.socket.wait_for(
        lambda m: m["type"] == "plan" and m["plan"]["id"] == plan["id"] and m["plan"]["status"] == "accepted",
        since=mark,
        what="the accepted plan on the screen",
    )
    mine = [t for t in booked if shift_of[t] == str(me.shift_id)]
    for trip_id in mine:  # the driver's app hears of each trip the plan gave them
        app.socket.wait_for(
            lambda m, t=trip_id: m["type"] == "assignment" and m["trip"]["id"] == t, what="a planned assignment"
        )

    # --- and underneath: every event delivered, nothing dead-lettered, the ledger balanced, no screen gap
    wait_until(lambda: stack.underneath.undelivered() == 0, what="the relays to catch up")
    assert stack.underneath.dead_letters() == []
    assert stack.underneath.ledger_problems() == []

    def no_gap() -> bool:
        numbers = sorted(screen.numbers())
        return numbers == list(range(numbers[0], numbers[0] + len(numbers)))

    # Two worker processes push at once: a change numbered first can reach the socket a moment after the next one
    # (the screen waits for it before resyncing). What must hold is that none is lost: the gap closes.
    wait_until(no_gap, timeout=10, what="every numbered change on the screen, none lost")
    app.close()
    screen.socket.close()
