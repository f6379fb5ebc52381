"""A trip end to end over REST as the apps use it, and the lifecycle's rules at its edges."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from apps.billing.models import FareRecord, JournalTransaction
from apps.billing.tests.factories import tariff
from apps.fleet.tests.factories import active_fleet, vehicle
from apps.partner.models import DriverProfile
from apps.partner.tests.factories import make_compliant
from apps.trips.models import Trip
from apps.trips.services import offers as trips_offers
from apps.trips.tests.factories import shift_under_way
from logitrack.outbox.models import OutboxMessage
from logitrack.testing import images as testing_images
from logitrack.testing.downloads import assert_honours_accept
from tests.support.isolation import assert_hidden, assert_never_lists, client_for

pytestmark = pytest.mark.django_db
PICKUP = {"kind": "pickup", "address": "Invalidenstraße 1, Berlin", "lat": 52.5310, "lng": 13.3847}
DROPOFF = {"kind": "dropoff", "address": "Oranienstraße 25, Berlin", "lat": 52.5016, "lng": 13.4190}


@pytest.fixture
def world(two_fleets, relay_and_deliver):
    fleet = active_fleet(
        fleet_id=two_fleets.a.fleet_id, service_center_lat=52.52, service_center_lng=13.405, service_radius_m=25_000
    )
    active_fleet(fleet_id=two_fleets.b.fleet_id, name="Bravo")
    tariff(fleet_id=fleet.id)
    van = vehicle(fleet, registration="B-TR 1", capacity_kg=800)
    relay_and_deliver()  # driver profiles
    driver = make_compliant(DriverProfile.objects.get(user_id=two_fleets.a.users["driver"].id))
    shift = shift_under_way(fleet_id=fleet.id, driver_id=driver.id, vehicle_id=van.id)
    return two_fleets, fleet, van, driver, shift


def book(client, fleet_id, **extra):
    return client.post(
        "/api/v1/trips/trips/",
        {"fleet_id": str(fleet_id), "vehicle_type": "van", "stops": [PICKUP, DROPOFF], "weight_kg": 120, **extra},
        format="json",
    )


def step(client, trip, action, version, **extra):
    return client.post(
        f"/api/v1/trips/trips/{trip}/transitions/",
        {"action": action, **extra},
        format="json",
        HTTP_IF_MATCH=f'W/"{version}"',
    )


def test_a_trip_from_quote_to_settlement(world, relay_and_deliver):
    two_fleets, fleet, _van, driver, shift = world
    customer = client_for(two_fleets.customer)
    quote = customer.post(
        "/api/v1/billing/quotes/",
        {
            "fleet_id": str(fleet.id),
            "vehicle_type": "van",
            "stops": [[PICKUP["lat"], PICKUP["lng"]], [DROPOFF["lat"], DROPOFF["lng"]]],
        },
        format="json",
    ).json()
    booked = book(customer, fleet.id, quote_id=quote["id"])
    assert booked.status_code == 201, booked.json()
    trip = booked.json()
    assert (trip["status"], trip["version"], booked["ETag"]) == ("requested", 1, 'W/"1"')

    dispatcher = two_fleets.a.client("dispatcher")
    assert trip["id"] in {
        t["id"] for t in dispatcher.get("/api/v1/trips/trips/", {"status": "requested"}).json()["results"]
    }
    assigned = dispatcher.post(
        f"/api/v1/trips/trips/{trip['id']}/assign/",
        {"shift_id": str(shift.id)},
        format="json",
        HTTP_IF_MATCH='W/"1"',
    )
    assert assigned.status_code == 200, assigned.json()

    driver_app = two_fleets.a.client("driver")
    assert trip["id"] in {t["id"] for t in driver_app.get("/api/v1/trips/trips/").json()["results"]}  # my trips
    version = assigned.json()["version"]
    for action in ("start", "arrive_pickup", "pick_up", "complete"):
        extra = {"distance_m": 4200, "lat": DROPOFF["lat"], "lng": DROPOFF["lng"]} if action == "complete" else {}
        moved = step(driver_app, trip["id"], action, version, **extra)
        assert moved.status_code == 200, (action, moved.json())
        version = moved.json()["version"]
    assert moved.json()["status"] == "completed"
    assert {s["status"] for s in moved.json()["stops"]} == {"done"}

    timeline = customer.get(f"/api/v1/trips/trips/{trip['id']}/timeline/").json()["results"]
    assert [e["action"] for e in timeline] == ["book", "assign", "start", "arrive_pickup", "pick_up", "complete"]
    assert timeline[-1]["lat"] == DROPOFF["lat"] and timeline[-1]["actor_role"] == "driver"

    relay_and_deliver()
    relay_and_deliver()
    record = FareRecord.objects.get(trip_id=trip["id"])
    assert record.quote_id == uuid.UUID(quote["id"]) and record.driver_id == driver.id
    assert JournalTransaction.objects.filter(kind="settlement", reference_id=trip["id"]).count() == 1
    assert OutboxMessage.objects.filter(event_type="logitrack.trips.trip.completed.v1").count() == 1


def test_illegal_steps_stale_versions_and_missing_preconditions(world):
    two_fleets, fleet, _van, _driver, shift = world
    trip = book(client_for(two_fleets.customer), fleet.id).json()
    driver_app = two_fleets.a.client("driver")
    dispatcher = two_fleets.a.client("dispatcher")

    not_assigned = step(dispatcher, trip["id"], "start", 1)
    assert (not_assigned.status_code, not_assigned.json()["code"]) == (409, "trips.illegal_transition")
    no_match = dispatcher.post(f"/api/v1/trips/trips/{trip['id']}/transitions/", {"action": "cancel"}, format="json")
    assert (no_match.status_code, no_match.json()["code"]) == (428, "trips.version_required")

    dispatcher.post(
        f"/api/v1/trips/trips/{trip['id']}/assign/",
        {"shift_id": str(shift.id)},
        format="json",
        HTTP_IF_MATCH='W/"1"',
    )
    stale = step(driver_app, trip["id"], "start", 1)  # the client still holds version 1
    assert (stale.status_code, stale.json()["code"]) == (409, "trips.stale_version")
    assert stale.json()["current_version"] == 2
    skip = step(driver_app, trip["id"], "complete", 2)
    assert skip.status_code == 409
    assert Trip.objects.get(id=trip["id"]).status == "assigned"
    fail_without_reason = step(dispatcher, trip["id"], "fail", 2)
    assert fail_without_reason.status_code == 409  # a dispatcher cannot fail an assigned, not yet started trip


def test_customers_cancel_before_pickup_and_dispatchers_can_override(world, relay_and_deliver):
    two_fleets, fleet, _van, _driver, shift = world
    customer = client_for(two_fleets.customer)
    early = book(customer, fleet.id).json()
    cancelled = step(customer, early["id"], "cancel", 1, reason="plans changed")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert step(customer, early["id"], "cancel", 2).status_code == 409

    late = book(customer, fleet.id).json()
    dispatcher = two_fleets.a.client("dispatcher")
    dispatcher.post(
        f"/api/v1/trips/trips/{late['id']}/assign/",
        {"shift_id": str(shift.id)},
        format="json",
        HTTP_IF_MATCH='W/"1"',
    )
    driver_app = two_fleets.a.client("driver")
    step(driver_app, late["id"], "start", 2)
    step(driver_app, late["id"], "arrive_pickup", 3)
    refused = step(customer, late["id"], "cancel", 4)
    assert refused.status_code == 409
    override = step(dispatcher, late["id"], "cancel", 4, reason="customer unreachable")
    assert override.status_code == 200
    relay_and_deliver()
    assert OutboxMessage.objects.filter(event_type="logitrack.trips.trip.cancelled.v1").count() == 2


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"stops": [PICKUP, {**DROPOFF, "lat": 48.137, "lng": 11.575}]}, "trips.outside_service_area"),  # Munich
        ({"weight_kg": 5000}, "trips.load_too_large"),
        ({"stops": [DROPOFF, PICKUP]}, "trips.invalid"),
        (
            {
                "stops": [
                    PICKUP,
                    {**DROPOFF, "window_start": "2030-01-01T12:00:00Z", "window_end": "2030-01-01T11:00:00Z"},
                ]
            },
            "trips.invalid",
        ),
        ({"quote_id": str(uuid.uuid4())}, "billing.quote_not_found"),
        ({"stops": [PICKUP]}, "validation_failed"),
        ({"stops": [PICKUP, {**DROPOFF, "lat": 123}]}, "validation_failed"),
        ({"helicopter": True}, "validation_failed"),
    ],
)
def test_bad_bookings_are_4xx_and_create_nothing(world, change, code):
    two_fleets, fleet, *_ = world
    response = book(client_for(two_fleets.customer), fleet.id, **change)
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == code
    assert Trip.objects.count() == 0


def test_booking_retried_with_the_same_key_creates_one_trip(world):
    two_fleets, fleet, *_ = world
    customer = client_for(two_fleets.customer)
    first = customer.post(
        "/api/v1/trips/trips/",
        {"fleet_id": str(fleet.id), "vehicle_type": "van", "stops": [PICKUP, DROPOFF]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="book-1",
    )
    again = customer.post(
        "/api/v1/trips/trips/",
        {"fleet_id": str(fleet.id), "vehicle_type": "van", "stops": [PICKUP, DROPOFF]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="book-1",
    )
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"] and Trip.objects.count() == 1


def assign(client, trip_id, shift_id, version, **extra):
    return client.post(
        f"/api/v1/trips/trips/{trip_id}/assign/",
        {"shift_id": str(shift_id), **extra},
        format="json",
        HTTP_IF_MATCH=f'W/"{version}"',
    )


def test_shifts_refuse_ineligible_drivers_overlaps_and_over_capacity(world):
    two_fleets, fleet, van, driver, shift = world
    dispatcher = two_fleets.a.client("dispatcher")
    now = timezone.now()
    plan = {
        "fleet_id": str(fleet.id),
        "driver_id": str(driver.id),
        "vehicle_id": str(van.id),
        "starts_at": (now + dt.timedelta(hours=2)).isoformat(),
        "ends_at": (now + dt.timedelta(hours=9)).isoformat(),
    }
    overlap = dispatcher.post("/api/v1/trips/shifts/", plan, format="json")
    assert (overlap.status_code, overlap.json()["code"]) == (409, "trips.shift_overlap")
    driver_b = DriverProfile.objects.get(user_id=two_fleets.b.users["driver"].id)
    other = dispatcher.post(
        "/api/v1/trips/shifts/",
        {
            **plan,
            "driver_id": str(driver_b.id),
            "starts_at": (now + dt.timedelta(hours=10)).isoformat(),
            "ends_at": (now + dt.timedelta(hours=12)).isoformat(),
        },
        format="json",
    )
    assert (other.status_code, other.json()["code"]) == (409, "trips.shift_not_possible")
    assert "driver_unknown" in other.json()["reasons"]

    customer = client_for(two_fleets.customer)
    heavy = [book(customer, fleet.id, weight_kg=500).json() for _ in range(2)]  # the van carries 800 kg
    assert assign(dispatcher, heavy[0]["id"], shift.id, 1).status_code == 200
    over = assign(dispatcher, heavy[1]["id"], shift.id, 1)
    assert (over.status_code, over.json()["code"]) == (409, "trips.over_capacity")
    assert (over.json()["weight_kg"], over.json()["capacity_kg"]) == (1000, 800)
    reassign_without_reason = assign(dispatcher, heavy[0]["id"], shift.id, 2)
    assert reassign_without_reason.status_code == 400


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_overlapping_shifts_even_when_the_check_is_skipped(world):
    from django.db import IntegrityError, connection, transaction

    from apps.trips.models import Shift

    if connection.vendor != "postgresql":
        pytest.skip("the exclusion constraint is PostgreSQL's")
    _, fleet, van, driver, shift = world
    with pytest.raises(IntegrityError, match=r"shift_(driver|vehicle)_no_overlap"), transaction.atomic():
        Shift.objects.create(
            fleet_id=fleet.id,
            driver_id=driver.id,
            vehicle_id=uuid.uuid4(),
            starts_at=shift.starts_at + dt.timedelta(hours=1),
            ends_at=shift.ends_at + dt.timedelta(hours=1),
        )
    with pytest.raises(IntegrityError, match="shift_vehicle_no_overlap"), transaction.atomic():
        Shift.objects.create(
            fleet_id=fleet.id,
            driver_id=uuid.uuid4(),
            vehicle_id=van.id,
            starts_at=shift.starts_at,
            ends_at=shift.ends_at,
        )
    Shift.objects.filter(id=shift.id).update(status="cancelled")  # a cancelled shift frees the window
    Shift.objects.create(
        fleet_id=fleet.id, driver_id=driver.id, vehicle_id=van.id, starts_at=shift.starts_at, ends_at=shift.ends_at
    )


def test_a_driver_starts_and_ends_the_shift_with_odometer_readings(world):
    two_fleets, _fleet, _van, _driver, shift = world
    driver_app = two_fleets.a.client("driver")
    started = driver_app.post(f"/api/v1/trips/shifts/{shift.id}/start/", {"odometer_km": "12000.5"}, format="json")
    assert started.status_code == 200 and started.json()["status"] == "started"
    backwards = driver_app.post(f"/api/v1/trips/shifts/{shift.id}/end/", {"odometer_km": "11000"}, format="json")
    assert backwards.status_code == 400
    ended = driver_app.post(f"/api/v1/trips/shifts/{shift.id}/end/", {"odometer_km": "12080"}, format="json")
    assert ended.status_code == 200 and ended.json()["odometer_end_km"] == "12080.0"
    assert (
        two_fleets.b.client("driver")
        .post(f"/api/v1/trips/shifts/{shift.id}/start/", {"odometer_km": "1"}, format="json")
        .status_code
        == 404
    )


def test_without_pooling_a_driver_has_one_trip_in_progress(world):
    two_fleets, fleet, _van, _driver, shift = world
    customer, dispatcher, driver_app = (
        client_for(two_fleets.customer),
        two_fleets.a.client("dispatcher"),
        two_fleets.a.client("driver"),
    )
    first, second = book(customer, fleet.id).json(), book(customer, fleet.id).json()
    for trip in (first, second):
        assign(dispatcher, trip["id"], shift.id, 1)
        for version, action in ((2, "start"), (3, "arrive_pickup")):
            step(driver_app, trip["id"], action, version)
    assert step(driver_app, first["id"], "pick_up", 4).status_code == 200
    busy = step(driver_app, second["id"], "pick_up", 4)
    assert (busy.status_code, busy.json()["code"]) == (409, "trips.driver_busy")


def test_trips_of_fleet_a_are_invisible_to_fleet_b_and_to_other_customers(world, make_user):
    two_fleets, fleet, *_ = world
    trip = book(client_for(two_fleets.customer), fleet.id).json()
    outsiders = [("b." + r, two_fleets.b.client(r)) for r in ("fleet_manager", "dispatcher", "driver")]
    outsiders.append(("other customer", client_for(make_user(is_customer=True))))
    for _, client in outsiders:
        assert_never_lists(client, "/api/v1/trips/trips/", [trip["id"]])
        assert_hidden(client, "GET", f"/api/v1/trips/trips/{trip['id']}/")
        assert_hidden(client, "GET", f"/api/v1/trips/trips/{trip['id']}/timeline/")
        assert_hidden(
            client,
            "POST",
            f"/api/v1/trips/trips/{trip['id']}/transitions/",
            data={"action": "cancel"},
            HTTP_IF_MATCH='W/"1"',
        )
    assert Trip.objects.get(id=trip["id"]).status == "requested"


PNG = testing_images.png()  # real files: uploads are decoded and re-encoded
JPEG = testing_images.jpeg()


def test_drop_off_with_pin_signature_and_photo_and_the_proof_is_visible_to_the_right_people(world, make_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    two_fleets, fleet, _van, _driver, shift = world
    customer = client_for(two_fleets.customer)
    booked = book(customer, fleet.id, require_pin=True).json()
    pin = booked["pins"]["2"]
    dispatcher, driver_app = two_fleets.a.client("dispatcher"), two_fleets.a.client("driver")
    assign(dispatcher, booked["id"], shift.id, 1)
    for version, action in ((2, "start"), (3, "arrive_pickup"), (4, "pick_up")):
        step(driver_app, booked["id"], action, version)
    base = f"/api/v1/trips/trips/{booked['id']}/stops/2"
    early = step(driver_app, booked["id"], "complete", 5)
    assert (early.status_code, early.json()["code"]) == (409, "trips.proof_missing")

    arrived = driver_app.post(f"{base}/arrive/", {}, format="json", HTTP_IF_MATCH='W/"5"')
    assert arrived.status_code == 200 and arrived.json()["stops"][1]["status"] == "arrived"
    wrong_pin = driver_app.post(
        f"{base}/done/", {"pin": "0000" if pin != "0000" else "1111"}, format="multipart", HTTP_IF_MATCH='W/"6"'
    )
    assert (wrong_pin.status_code, wrong_pin.json()["code"]) == (409, "trips.pin_mismatch")
    done = driver_app.post(
        f"{base}/done/",
        {
            "pin": pin,
            "recipient_name": "Mo",
            "signature": SimpleUploadedFile("s.png", PNG),
            "photo": SimpleUploadedFile("p.jpg", JPEG),
        },
        format="multipart",
        HTTP_IF_MATCH='W/"6"',
    )
    assert done.status_code == 200, done.json()
    assert step(driver_app, booked["id"], "complete", 7).status_code == 200

    proof = customer.get(f"{base}/proof/").json()
    assert proof == {**proof, "recipient_name": "Mo", "pin_verified": True, "has_signature": True, "has_photo": True}
    signature = customer.get(f"{base}/proof/signature/")
    assert signature.status_code == 200 and b"".join(signature.streaming_content) == PNG
    assert two_fleets.a.client("fleet_manager").get(f"{base}/proof/photo/").status_code == 200
    for which in ("signature", "photo"):
        assert_honours_accept(customer, f"{base}/proof/{which}/", documented=("image/png", "image/jpeg"))
    assert_hidden(client_for(make_user(is_customer=True)), "GET", f"{base}/proof/")
    assert_hidden(two_fleets.b.client("fleet_manager"), "GET", f"{base}/proof/signature/")


def test_a_tracking_link_shows_progress_without_login_or_personal_data_and_expires(world):
    from apps.trips.models import TrackingLink

    two_fleets, fleet, van, _driver, shift = world
    booked = book(client_for(two_fleets.customer), fleet.id).json()
    assign(two_fleets.a.client("dispatcher"), booked["id"], shift.id, 1)
    path = booked["tracking_url"].split("testserver", 1)[-1]
    from rest_framework.test import APIClient

    anonymous = APIClient()
    page = anonymous.get(path)
    assert page.status_code == 200
    body = page.json()
    assert body["status"] == "assigned" and body["vehicle"]["registration"] == van.registration
    assert body["driver_first_name"] == "driver"  # "driver of alpha" → first word only
    assert "customer" not in str(body).lower() and PICKUP["address"] not in str(body)
    TrackingLink.objects.filter(trip_id=booked["id"]).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    expired = anonymous.get(path)
    assert (expired.status_code, expired.json()["code"]) == (404, "trips.tracking_expired")
    assert anonymous.get("/api/v1/trips/track/not-a-real-token/").status_code == 404


def test_offers_are_accepted_rejected_or_run_out(world, captured_events):
    from apps.trips.models import Offer

    two_fleets, fleet, _van, _driver, shift = world
    customer, dispatcher, driver_app = (
        client_for(two_fleets.customer),
        two_fleets.a.client("dispatcher"),
        two_fleets.a.client("driver"),
    )
    first, second, third = (book(customer, fleet.id).json() for _ in range(3))

    made = dispatcher.post(f"/api/v1/trips/trips/{first['id']}/offers/", {"shift_id": str(shift.id)}, format="json")
    assert made.status_code == 201 and made.json()["status"] == "pending"
    again = dispatcher.post(f"/api/v1/trips/trips/{first['id']}/offers/", {"shift_id": str(shift.id)}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "trips.offer_open")
    assert [o["id"] for o in driver_app.get("/api/v1/trips/offers/").json()["results"]] == [made.json()["id"]]
    assert (
        two_fleets.b.client("driver")
        .post(f"/api/v1/trips/offers/{made.json()['id']}/accept/", {}, format="json")
        .status_code
        == 404
    )
    accepted = driver_app.post(f"/api/v1/trips/offers/{made.json()['id']}/accept/", {}, format="json")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert Trip.objects.get(id=first["id"]).status == "assigned"
    taken = Trip.objects.get(id=first["id"]).timeline.get(action="assign")
    assert (taken.actor_role, taken.actor_id) == ("driver", two_fleets.a.users["driver"].id)  # who took it

    offer_b = dispatcher.post(
        f"/api/v1/trips/trips/{second['id']}/offers/", {"shift_id": str(shift.id)}, format="json"
    ).json()
    with captured_events() as events:
        rejected = driver_app.post(
            f"/api/v1/trips/offers/{offer_b['id']}/reject/", {"reason": "too far"}, format="json"
        )
    assert rejected.json()["status"] == "rejected"
    assert [(e.TYPE, e.expired) for e in events if hasattr(e, "expired")] == [
        ("logitrack.trips.offer.declined.v1", False),
        ("logitrack.trips.offer.declined.v2", False),  # the same fact, with the trip in it
    ]

    offer_c = dispatcher.post(
        f"/api/v1/trips/trips/{third['id']}/offers/", {"shift_id": str(shift.id), "timeout_seconds": 10}, format="json"
    ).json()
    Offer.objects.filter(id=offer_c["id"]).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    late = driver_app.post(f"/api/v1/trips/offers/{offer_c['id']}/accept/", {}, format="json")
    assert (late.status_code, late.json()["code"]) == (409, "trips.offer_expired")
    assert Trip.objects.get(id=third["id"]).status == "requested"
    offer_d = dispatcher.post(
        f"/api/v1/trips/trips/{third['id']}/offers/", {"shift_id": str(shift.id)}, format="json"
    ).json()
    Offer.objects.filter(id=offer_d["id"]).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with captured_events() as events:
        assert trips_offers.offers_expire() == 1  # what beat runs every 15 seconds
    assert Offer.objects.get(id=offer_d["id"]).status == "expired"
    assert any(getattr(e, "expired", False) for e in events)


def test_stale_unassigned_trips_are_cancelled_without_a_fee(world, capsys):
    from django.core.management import call_command

    two_fleets, fleet, *_ = world
    old, fresh = (
        book(client_for(two_fleets.customer), fleet.id).json(),
        book(client_for(two_fleets.customer), fleet.id).json(),
    )
    Trip.objects.filter(id=old["id"]).update(created_at=timezone.now() - dt.timedelta(hours=2))
    call_command("trips_cancel_stale", "--minutes", "60")
    assert "cancelled 1 stale trip(s)" in capsys.readouterr().out
    old_trip = Trip.objects.get(id=old["id"])
    assert old_trip.status == "cancelled" and old_trip.end_reason == "no driver found in time"
    assert Trip.objects.get(id=fresh["id"]).status == "requested"
    assert old_trip.timeline.last().actor_role == "system"


def test_admin_and_shift_lists_stay_within_the_fleet(world, client):
    two_fleets, fleet, _van, _driver, shift = world
    trip = book(client_for(two_fleets.customer), fleet.id).json()
    assert_never_lists(two_fleets.b.client("dispatcher"), "/api/v1/trips/shifts/", [shift.id])
    assert str(shift.id) in {
        s["id"] for s in two_fleets.a.client("driver").get("/api/v1/trips/shifts/").json()["results"]
    }
    client.force_login(two_fleets.b.users["fleet_manager"])
    assert trip["id"] not in client.get("/admin/trips/trip/").content.decode()
    client.force_login(two_fleets.a.users["fleet_manager"])
    page = client.get("/admin/trips/trip/").content.decode()
    assert trip["id"] in page
    client.post("/admin/trips/trip/", {"action": "cancel", "_selected_action": [trip["id"]]})
    assert Trip.objects.get(id=trip["id"]).status == "cancelled"


def test_a_fleet_that_requires_proof_gets_it_for_every_drop_off(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    two_fleets, fleet, _van, _driver, shift = world
    manager = two_fleets.a.client("fleet_manager")
    bad = manager.patch(f"/api/v1/fleet/fleets/{fleet.id}/", {"proof_of_delivery": ["dna"]}, format="json")
    assert bad.status_code == 400
    ok = manager.patch(
        f"/api/v1/fleet/fleets/{fleet.id}/", {"proof_of_delivery": ["recipient", "signature", "pin"]}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["proof_of_delivery"] == ["recipient", "signature", "pin"]

    booked = book(
        client_for(two_fleets.customer), fleet.id
    ).json()  # the customer did not ask for a PIN: the fleet does
    assert set(booked["pins"]) == {"2"}
    dispatcher, driver_app = two_fleets.a.client("dispatcher"), two_fleets.a.client("driver")
    assign(dispatcher, booked["id"], shift.id, 1)
    for version, action in ((2, "start"), (3, "arrive_pickup"), (4, "pick_up")):
        step(driver_app, booked["id"], action, version)
    base = f"/api/v1/trips/trips/{booked['id']}/stops/2"
    missing = driver_app.post(f"{base}/done/", {"pin": booked["pins"]["2"]}, format="multipart", HTTP_IF_MATCH='W/"5"')
    # one status wherever proof is missing: 409, as completing before a PIN drop-off is (well-formed, too early)
    assert (missing.status_code, missing.json()["code"]) == (409, "trips.proof_missing")
    assert set(missing.json()["errors"]) == {"recipient", "signature"}
    done = driver_app.post(
        f"{base}/done/",
        {"pin": booked["pins"]["2"], "recipient_name": "Kai", "signature": SimpleUploadedFile("s.png", PNG)},
        format="multipart",
        HTTP_IF_MATCH='W/"5"',
    )
    assert done.status_code == 200, done.json()


@pytest.mark.parametrize("if_match", ['W/"²"', 'W/"٣"', "", "W/", 'W/"1.5"', "*"])
def test_an_if_match_that_is_no_version_is_428_not_a_server_error(world, if_match):
    two_fleets, fleet, *_ = world
    trip = book(client_for(two_fleets.customer), fleet.id).json()
    answer = two_fleets.a.client("dispatcher").post(
        f"/api/v1/trips/trips/{trip['id']}/transitions/", {"action": "cancel"}, format="json", HTTP_IF_MATCH=if_match
    )
    assert (answer.status_code, answer.json()["code"]) == (428, "trips.version_required")
