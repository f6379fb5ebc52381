"""The stack under failure, over real processes: a routing worker killed mid-job (its machine dies) and a Redis
restart in the middle of bookings, trip steps and position pings. What was acknowledged must still be there, and
what was started must finish."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from apps.billing.services import ledger
from logitrack.outbox.models import DeadLetter, OutboxMessage
from logitrack.testing.processes import wait_until
from tests.e2e.clients import PASSWORD, Api, DriverApp, Screen, signature_png
from tests.e2e.conftest import build_operator

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]

SPOTS = [
    ((52.5310, 13.3847), (52.5016, 13.4190)),
    ((52.5200, 13.4050), (52.5125, 13.4540)),
    ((52.5250, 13.3690), (52.5390, 13.4240)),
    ((52.5080, 13.3760), (52.4960, 13.3900)),
    ((52.5160, 13.3880), (52.5290, 13.4100)),
    ((52.5350, 13.3970), (52.5000, 13.4400)),
]


def customer_of(stack) -> Api:
    email = f"cust.{uuid.uuid4().hex[:8]}@example.test"
    api = stack.api()
    account = {"email": email, "password": PASSWORD, "display_name": "Customer"}
    api.expect(201, "POST", "/api/v1/identity/register/", json=account)
    return api.login(email)


def booking(fleet_id, pickup, dropoff, weight_kg=100) -> dict:
    return {
        "fleet_id": str(fleet_id),
        "vehicle_type": "van",
        "weight_kg": weight_kg,
        "stops": [
            {"kind": "pickup", "address": "pick", "lat": pickup[0], "lng": pickup[1]},
            {"kind": "dropoff", "address": "drop", "lat": dropoff[0], "lng": dropoff[1]},
        ],
    }


def job_state(api: Api, job_id: str) -> dict:
    return api.get(f"/api/v1/dispatch/routing-jobs/{job_id}/")


def test_a_routing_job_whose_worker_is_killed_still_finishes(stack):
    operator = build_operator(drivers=2, auto_dispatch=False)
    customer = customer_of(stack)
    trips = [
        customer.expect(201, "POST", "/api/v1/trips/trips/", json=booking(operator.fleet_id, p, d))["id"]
        for p, d in SPOTS
    ]
    dispatcher = stack.api().login(operator.dispatcher_email)
    screen = Screen(stack.base, dispatcher, operator.fleet_id)
    job = dispatcher.expect(
        202, "POST", f"/api/v1/dispatch/fleets/{operator.fleet_id}/routing-jobs/", json={"seconds": 5}
    )
    running = wait_until(
        lambda: (j := job_state(dispatcher, job["id"]))["status"] == "running" and j,
        timeout=30,
        what="the job to start",
    )
    assert running["attempts"] == 1
    first_worker = stack.procs.get("routing")

    stack.procs.kill("routing")  # SIGKILL to the worker and its pool: the machine is gone mid-solve
    assert first_worker.returncode == -9
    time.sleep(0.5)  # what the job looks like right after: nobody has noticed yet
    assert job_state(dispatcher, job["id"])["status"] == "running"
    stack.start_routing_worker()  # the supervisor brings a routing worker back

    done = wait_until(
        lambda: (j := job_state(dispatcher, job["id"]))["status"] in ("succeeded", "failed") and j,
        timeout=90,
        what="the killed job to reach a terminal state",
    )
    assert (done["status"], done["attempts"], done["error"]) == ("succeeded", 2, ""), stack.procs.log("beat")[-2000:]
    screen.socket.wait_for(
        lambda m: m["type"] == "job" and m["job"]["id"] == job["id"] and m["job"]["attempts"] == 2,
        what="the second attempt on the screen",
    )
    plan = dispatcher.get(f"/api/v1/dispatch/plans/{done['plan_id']}/")
    assert {s["trip_id"] for r in plan["routes"] for s in r["stops"]} | {u["trip_id"] for u in plan["unserved"]} == set(
        trips
    )
    accepted = dispatcher.expect(200, "POST", f"/api/v1/dispatch/plans/{plan['id']}/accept/")
    assigned = [t for t, o in accepted["outcome"].items() if o["result"] == "assigned"]
    assert assigned and all(customer.get(f"/api/v1/trips/trips/{t}/")["status"] == "assigned" for t in assigned)
    assert not DeadLetter.objects.exists()


def test_a_redis_restart_mid_flow_loses_nothing_acknowledged(stack):
    operator = build_operator(drivers=1, auto_dispatch=True)
    me = operator.drivers[0]
    dispatcher = stack.api().login(operator.dispatcher_email)
    screen = Screen(stack.base, dispatcher, operator.fleet_id)
    driver = stack.api().login(me.email)
    driver.expect(200, "POST", "/api/v1/partner/me/duty/", json={"on_duty": True})
    app = DriverApp(stack.base, driver)
    app.wait_acked(app.ping(52.5350, 13.3847))
    customer = customer_of(stack)

    # before: a trip booked, offered, accepted and started
    first = customer.expect(201, "POST", "/api/v1/trips/trips/", json=booking(operator.fleet_id, *SPOTS[0]))
    offer = app.socket.wait_for(lambda m: m["type"] == "offer", what="the offer")
    driver.expect(200, "POST", f"/api/v1/trips/offers/{offer['offer']['id']}/accept/", json={})
    trip = driver.get(f"/api/v1/trips/trips/{first['id']}/")
    trip = driver.expect(
        200,
        "POST",
        f"/api/v1/trips/trips/{trip['id']}/transitions/",
        json={"action": "start"},
        headers={"If-Match": f'W/"{trip["version"]}"'},
    )

    # during: a customer keeps booking and the driver keeps pinging, as apps do, while Redis restarts
    stop = threading.Event()
    acknowledged: dict[str, str] = {}  # Idempotency-Key -> trip id
    booker = stack.api().login(customer.email)  # the same customer, on a second phone
    errors: list[BaseException] = []

    def book_continuously():
        try:
            n = 0
            while not stop.is_set():
                key = str(uuid.uuid4())
                pickup, dropoff = SPOTS[1 + n % 5]
                response = booker.retry(
                    "POST", "/api/v1/trips/trips/", key=key, json=booking(operator.fleet_id, pickup, dropoff, 10)
                )
                assert response.status_code == 201, response.text
                acknowledged[key] = response.json()["id"]
                n += 1
                time.sleep(0.05)
        except BaseException as exc:
            errors.append(exc)

    def ping_continuously():
        try:
            lat = 52.5300
            while not stop.is_set():
                if app.socket.closed_with is not None:
                    try:
                        app.connect()
                    except Exception:
                        time.sleep(0.2)
                        continue
                    app.resend_unacked()
                lat -= 0.0002
                try:
                    app.ping(lat, 13.3900)
                except Exception:
                    pass
                time.sleep(0.1)
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=f, daemon=True) for f in (book_continuously, ping_continuously)]
    for thread in workers:
        thread.start()
    try:
        wait_until(lambda: len(acknowledged) >= 3, timeout=30, what="bookings before the restart")
        before_restart = len(acknowledged)
        job = dispatcher.expect(
            202, "POST", f"/api/v1/dispatch/fleets/{operator.fleet_id}/routing-jobs/", json={"seconds": 5}
        )
        wait_until(lambda: job_state(dispatcher, job["id"])["status"] == "running", what="the job to start")

        stack.redis.stop()  # a clean shutdown, as `systemctl restart redis` does; the append-only file is flushed
        down_at = time.monotonic()
        arrived = driver.retry(  # the driver reaches the pickup while Redis is down
            "POST",
            f"/api/v1/trips/trips/{trip['id']}/transitions/",
            key=str(uuid.uuid4()),
            json={"action": "arrive_pickup"},
            headers={"If-Match": f'W/"{trip["version"]}"'},
            timeout=3,
        )
        assert arrived.status_code == 200, arrived.text
        time.sleep(max(0.0, down_at + 3 - time.monotonic()))  # Redis stays down for 3 s
        during_outage = len(acknowledged) - before_restart
        stack.redis.start()
        assert during_outage > 0, "nothing was booked while Redis was down"
        wait_until(lambda: len(acknowledged) >= before_restart + during_outage + 3, timeout=60, what="bookings after")
    finally:
        stop.set()
        for thread in workers:
            thread.join(90)
    assert not errors, errors

    for name in ("web", "worker", "routing", "relay", "beat"):
        stack.procs.check_alive(name)  # nothing died of the restart

    # the routing job that was solving during the restart still finishes (the broker took it back)
    done = wait_until(
        lambda: (j := job_state(dispatcher, job["id"]))["status"] in ("succeeded", "failed") and j,
        timeout=60,
        what="the routing job to finish",
    )
    assert done["status"] == "succeeded", done

    # every acknowledged booking is there, once; the trip's steps are all there
    mine = {t["id"] for t in paged(customer, "/api/v1/trips/trips/")}
    assert mine == {first["id"], *acknowledged.values()}, "a booking was lost or duplicated"
    timeline = [e["action"] for e in customer.get(f"/api/v1/trips/trips/{trip['id']}/timeline/")["results"]]
    assert timeline == ["book", "offer", "assign", "start", "arrive_pickup"]

    # every acknowledged booking's event reached auto-dispatch after the recovery
    def all_dispatched():
        snapshot = dispatcher.get(f"/api/v1/dispatch/fleets/{operator.fleet_id}/snapshot/")
        seen = {t["id"]: t["dispatch"] for t in snapshot["trips"]}
        return all(seen.get(t) for t in acknowledged.values())

    wait_until(all_dispatched, timeout=60, what="auto-dispatch to hear of every booking")

    # every ping is stored once (the app resends what was not acked)
    deadline = time.monotonic() + 60
    while app.unacked and time.monotonic() < deadline:
        if app.socket.closed_with is not None:
            app.connect()
        app.resend_unacked()
        time.sleep(0.5)
        app.collect_acks()
    assert not app.unacked, f"{len(app.unacked)} pings never acked"
    trail = dispatcher.get(
        f"/api/v1/dispatch/drivers/{me.driver_id}/trail/", params={"page_size": 200, "count": "true"}
    )
    assert trail["count"] == len(app.acked)

    # live pushes work again: the screen (reconnected if it had to be) sees a new position and a new booking
    if screen.socket.closed_with is not None:
        screen = Screen(stack.base, dispatcher, operator.fleet_id)
    mark = screen.socket.mark()
    app.wait_acked(app.ping(52.5111, 13.3999))
    screen.saw_position(me.driver_id, 52.5111, 13.3999, since=mark)
    late = customer.expect(201, "POST", "/api/v1/trips/trips/", json=booking(operator.fleet_id, *SPOTS[2]))
    screen.saw_trip(late["id"], change="requested")

    # and the started trip still completes and is settled through the recovered broker
    trip = driver.get(f"/api/v1/trips/trips/{trip['id']}/")
    for action in ("pick_up",):
        trip = driver.expect(
            200,
            "POST",
            f"/api/v1/trips/trips/{trip['id']}/transitions/",
            json={"action": action},
            headers={"If-Match": f'W/"{trip["version"]}"'},
        )
    pin = first["pins"]["2"]
    trip = driver.expect(
        200,
        "POST",
        f"/api/v1/trips/trips/{trip['id']}/stops/2/done/",
        data={"recipient_name": "Grace", "pin": pin},
        files={"signature": ("s.png", signature_png(), "image/png")},
        headers={"If-Match": f'W/"{trip["version"]}"'},
    )
    driver.expect(
        200,
        "POST",
        f"/api/v1/trips/trips/{trip['id']}/transitions/",
        json={"action": "complete"},
        headers={"If-Match": f'W/"{trip["version"]}"'},
    )
    wait_until(lambda: driver.get("/api/v1/billing/wallet/")["balance_minor"] > 0, timeout=60, what="the settlement")
    wait_until(
        lambda: not OutboxMessage.objects.filter(published_at__isnull=True).exists(), what="the relay to catch up"
    )
    assert not DeadLetter.objects.exists(), list(DeadLetter.objects.values_list("subscriber", "last_error"))
    assert ledger.verify() == []
    app.close()


def paged(api: Api, path: str) -> list[dict]:
    rows, url = [], path
    while url:
        body = api.get(url, params={"page_size": 200} if url == path else None)
        rows += body["results"]
        url = body["next"] and body["next"].removeprefix(api.base)
    return rows
