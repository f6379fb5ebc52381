"""Proof of delivery: PIN, signature and photo at a drop-off, and who may see them."""

from __future__ import annotations

import pytest

from apps.trips.tests.rest import JPEG, PNG, assign, book, step
from logitrack.testing.downloads import assert_honours_accept
from tests.support.isolation import assert_hidden, client_for

pytestmark = pytest.mark.django_db


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


def test_a_driver_cannot_guess_a_drop_off_pin(world, settings):
    """Five wrong PINs, then the stop takes none, not even the right one, until the window has passed. The count
    survives the refusals' rollbacks, also under an Idempotency-Key (whose wrapper holds its own transaction)."""
    import uuid

    from django.core.cache import cache

    from apps.trips.services.stops import _pin_keys

    settings.TRIP_PIN_MAX_FAILURES, settings.TRIP_PIN_LOCK_MINUTES = 5, 15
    two_fleets, fleet, _van, _driver, shift = world
    booked = book(client_for(two_fleets.customer), fleet.id, require_pin=True).json()
    pin = booked["pins"]["2"]
    wrong = [f"{n:04d}" for n in range(10_000) if f"{n:04d}" != pin][:5]
    dispatcher, driver_app = two_fleets.a.client("dispatcher"), two_fleets.a.client("driver")
    assign(dispatcher, booked["id"], shift.id, 1)
    for version, action in ((2, "start"), (3, "arrive_pickup"), (4, "pick_up")):
        step(driver_app, booked["id"], action, version)
    done = f"/api/v1/trips/trips/{booked['id']}/stops/2/done/"

    def attempt(value):
        return driver_app.post(
            done, {"pin": value}, format="multipart", HTTP_IF_MATCH='W/"5"', HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
        )

    answers = [attempt(value) for value in wrong]
    assert [(a.status_code, a.json()["code"], a.json()["attempts_left"]) for a in answers] == [
        (409, "trips.pin_mismatch", left) for left in (4, 3, 2, 1, 0)
    ]
    locked = attempt(pin)  # the right one too: otherwise the lock would only slow the guessing down
    assert (locked.status_code, locked.json()["code"]) == (429, "trips.pin_locked")
    assert 0 < int(locked["Retry-After"]) <= 15 * 60
    assert step(driver_app, booked["id"], "complete", 5).json()["code"] == "trips.proof_missing"  # nothing moved

    cache.delete_many(list(_pin_keys(uuid.UUID(booked["id"]), 2)))  # the window has passed
    assert attempt(pin).status_code == 200
    assert cache.get(_pin_keys(uuid.UUID(booked["id"]), 2)[0]) is None  # the right PIN clears the count
