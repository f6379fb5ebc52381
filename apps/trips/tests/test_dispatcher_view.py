"""What the fleet's dispatchers see of a trip in their detail panel: the tracking link, names instead of ids, the
vehicle, the stops' contact phones, the fare; the timeline and the proof of delivery. The customer and the driver
see what they saw before; another fleet sees nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.trips.tests.rest import DROPOFF, PICKUP, PNG, assign, detail, step
from tests.support.isolation import client_for

pytestmark = pytest.mark.django_db
CALL_AT_PICKUP = {**PICKUP, "contact_name": "Ada", "contact_phone": "+493012345678"}
CALL_AT_DROPOFF = {**DROPOFF, "contact_name": "Kai", "contact_phone": "+493087654321"}


def booked(world):
    two_fleets, fleet, _van, _driver, _shift = world
    response = client_for(two_fleets.customer).post(
        "/api/v1/trips/trips/",
        {
            "fleet_id": str(fleet.id),
            "vehicle_type": "van",
            "stops": [CALL_AT_PICKUP, CALL_AT_DROPOFF],
            "weight_kg": 120,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def test_the_fleets_staff_see_names_vehicle_phones_and_the_tracking_link(world):
    two_fleets, _fleet, van, driver, shift = world
    trip = booked(world)
    dispatcher = two_fleets.a.client("dispatcher")
    before = detail(dispatcher, trip["id"])
    assert (before["customer_name"], before["driver_name"], before["vehicle"]) == ("A customer", None, None)
    assert before["tracking_url"] == trip["tracking_url"]
    assert [s["contact_phone"] for s in before["stops"]] == ["+493012345678", "+493087654321"]
    assert "fare" in before  # billing's quoted and settled totals, already on every trip body

    assert assign(dispatcher, trip["id"], shift.id, 1).status_code == 200
    for role in ("dispatcher", "fleet_manager"):
        seen = detail(two_fleets.a.client(role), trip["id"])
        assert (seen["customer_name"], seen["driver_name"]) == ("A customer", driver.display_name)
        assert seen["vehicle"] == {
            "id": str(van.id),
            "type": "van",
            "registration": van.registration,
            "make": van.make,
            "model": van.model,
        }
        assert [s["contact_name"] for s in seen["stops"]] == ["Ada", "Kai"]
        assert seen["pins"] is None


def test_the_customer_and_driver_see_no_staff_details(world):
    two_fleets, _fleet, _van, _driver, shift = world
    trip = booked(world)
    assert assign(two_fleets.a.client("dispatcher"), trip["id"], shift.id, 1).status_code == 200
    for who in (client_for(two_fleets.customer), two_fleets.a.client("driver")):
        seen = detail(who, trip["id"])
        assert (seen["customer_name"], seen["driver_name"], seen["vehicle"]) == (None, None, None)
        assert [s["contact_phone"] for s in seen["stops"]] == [None, None]
        assert [s["contact_name"] for s in seen["stops"]] == ["Ada", "Kai"]  # as before
    assert detail(client_for(two_fleets.customer), trip["id"])["tracking_url"] == trip["tracking_url"]
    assert detail(two_fleets.a.client("driver"), trip["id"])["tracking_url"] is None
    hidden = two_fleets.b.client("dispatcher").get(f"/api/v1/trips/trips/{trip['id']}/")
    assert (hidden.status_code, hidden.json()["code"]) == (404, "trips.not_found")


def test_the_fleets_staff_read_the_timeline_and_the_proof_of_delivery(world):
    two_fleets, _fleet, _van, _driver, shift = world
    trip = booked(world)["id"]
    dispatcher, driver_app = two_fleets.a.client("dispatcher"), two_fleets.a.client("driver")
    assert assign(dispatcher, trip, shift.id, 1).status_code == 200
    for action, version in (("start", 2), ("arrive_pickup", 3)):
        assert step(driver_app, trip, action, version).status_code == 200
    base = f"/api/v1/trips/trips/{trip}/stops"
    assert driver_app.post(f"{base}/1/done/", {}, format="json", HTTP_IF_MATCH='W/"4"').status_code == 200
    assert step(driver_app, trip, "pick_up", 5).status_code == 200
    done = driver_app.post(
        f"{base}/2/done/",
        {"recipient_name": "Kai", "signature": SimpleUploadedFile("s.png", PNG)},
        format="multipart",
        HTTP_IF_MATCH='W/"6"',
    )
    assert done.status_code == 200, done.json()

    for role in ("dispatcher", "fleet_manager"):
        staff = two_fleets.a.client(role)
        timeline = staff.get(f"/api/v1/trips/trips/{trip}/timeline/")
        assert timeline.status_code == 200
        actions = [e["action"] for e in timeline.json()["results"]]
        assert actions[:3] == ["book", "assign", "start"] and actions[-1] == "stop_2_done"
        proof = staff.get(f"{base}/2/proof/")
        assert (proof.status_code, proof.json()["recipient_name"], proof.json()["has_signature"]) == (200, "Kai", True)
        signature = staff.get(f"{base}/2/proof/signature/")
        assert (signature.status_code, signature["Content-Type"]) == (200, "image/png")

    other = two_fleets.b.client("dispatcher")
    assert other.get(f"/api/v1/trips/trips/{trip}/timeline/").status_code == 404
    assert other.get(f"{base}/2/proof/").status_code == 404
    assert other.get(f"{base}/2/proof/signature/").status_code == 404
