"""GDPR erasure beyond identity: trips and dispatch react to UserErasedV1. A raw-SQL scan of their tables finds
nothing that names the erased customer's contacts or places, and the erased driver's position trail is gone."""

import json

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections

from apps.dispatch.models import PositionPing
from apps.identity.services import erasure as identity_erasure
from apps.partner.services import duty as partner_duty
from apps.trips.models import ProofOfDelivery, Trip, TripLogEntry
from apps.trips.tests.rest import DROPOFF, PICKUP, PNG, assign, book, step
from logitrack import files
from logitrack.db import contexts
from logitrack.outbox.models import OutboxMessage
from logitrack.testing import databases
from tests.support.dispatch_world import ping
from tests.support.isolation import client_for
from tests.support.trip_world import world  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db
NAME, PHONE, NOTE, RECIPIENT = "Hedda Gabler", "+4915200001111", "ring twice, Hedda's flat", "Ejlert Lovborg"
HOME = "Chausseestraße 131, Berlin"
PII = (NAME, PHONE, NOTE, RECIPIENT, HOME)


def rows_containing(prefixes, *needles):
    """Every text column of every table of these contexts, as raw SQL sees it, on every context's database."""
    found = []
    for using in contexts.aliases():
        with connections[using].cursor() as cursor:
            for table in connections[using].introspection.table_names(cursor):
                if table.startswith(prefixes):
                    cursor.execute(f'SELECT * FROM "{table}"')
                    for row in cursor.fetchall():
                        text = " ".join(str(v) for v in row)
                        found += [(table, n) for n in needles if n.lower() in text.lower()]
    return found


def test_an_erased_customer_and_driver_leave_no_personal_data_in_trips_or_dispatch(
    world,  # noqa: F811
    relay_and_deliver,
    live_store,
):
    two_fleets, fleet, _van, driver, shift = world
    customer_user, driver_user = two_fleets.customer, two_fleets.a.users["driver"]
    customer, dispatcher, driver_app = (
        client_for(customer_user),
        two_fleets.a.client("dispatcher"),
        client_for(driver_user),
    )
    stops = [
        {**PICKUP, "address": HOME, "contact_name": NAME, "contact_phone": PHONE, "notes": NOTE},
        {**DROPOFF, "contact_name": NAME, "contact_phone": PHONE},
    ]

    delivered = book(customer, fleet.id, stops=stops).json()["id"]
    assign(dispatcher, delivered, shift.id, 1)
    for version, action in ((2, "start"), (3, "arrive_pickup"), (4, "pick_up")):
        assert step(driver_app, delivered, action, version).status_code == 200
    done = driver_app.post(
        f"/api/v1/trips/trips/{delivered}/stops/2/done/",
        {"recipient_name": RECIPIENT, "signature": SimpleUploadedFile("s.png", PNG)},
        format="multipart",
        HTTP_IF_MATCH='W/"5"',
    )
    assert done.status_code == 200, done.json()
    assert step(driver_app, delivered, "complete", 6).status_code == 200
    signature = ProofOfDelivery.objects.get(stop__trip_id=delivered).signature_path
    assert files.open_private(signature).read() == PNG

    on_board = book(customer, fleet.id, stops=stops).json()["id"]  # goods on board when the erasure comes
    assign(dispatcher, on_board, shift.id, 1)
    for version, action in ((2, "start"), (3, "arrive_pickup"), (4, "pick_up")):
        assert step(driver_app, on_board, action, version, lat=52.5310, lng=13.3847).status_code == 200
    waiting = book(customer, fleet.id, stops=stops).json()["id"]  # nobody has it yet

    partner_duty.duty_set(driver_id=driver.id, on_duty=True)
    uploaded = driver_app.post("/api/v1/dispatch/positions/", {"pings": [ping(52.52, 13.40)]}, format="json")
    assert uploaded.status_code == 200, uploaded.json()
    relay_and_deliver()
    assert PositionPing.objects.filter(driver_id=driver.id).exists() and live_store.fleet(fleet.id)
    assert rows_containing(("trips_",), *PII)  # the scan sees them while they are there

    last_before = databases.last_ids(OutboxMessage)  # on every context's database
    identity_erasure.user_erase(user_id=customer_user.id)
    identity_erasure.user_erase(user_id=driver_user.id)
    relay_and_deliver()

    assert Trip.objects.get(id=waiting).status == "cancelled"
    assert Trip.objects.get(id=on_board).status == "in_progress"  # it finishes first
    failed = step(dispatcher, on_board, "fail", 5, reason=f"{RECIPIENT} was not at home")
    assert failed.status_code == 200, failed.json()
    relay_and_deliver()

    assert rows_containing(("trips_", "dispatch_"), *PII) == []
    # nor do the events published since: the trip events carry the stops, built after the scrub
    since = databases.rows_since(OutboxMessage, last_before)
    assert {"logitrack.trips.trip.cancelled.v2", "logitrack.trips.trip.failed.v2"} <= {m.event_type for m in since}
    assert [(m.event_type, n) for m in since for n in PII if n.lower() in json.dumps(m.envelope).lower()] == []
    assert not PositionPing.objects.filter(driver_id=driver.id).exists()
    assert live_store.fleet(fleet.id) == []
    assert not default_storage.exists(signature)
    assert not TripLogEntry.objects.filter(actor_id=driver_user.id, lat__isnull=False).exists()
    # what the trips were stays: status, timeline, loads and the stops' rough whereabouts
    trip = Trip.objects.get(id=delivered)
    assert trip.status == "completed" and trip.timeline.count() >= 5
    first = trip.stops.get(sequence=1)
    assert (first.address, first.lat, first.lng) == ("erased", 52.53, 13.38)
