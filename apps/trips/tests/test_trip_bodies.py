"""A trip's body is written out by hand (TripOutput.to_representation), not by DRF's walk over its fields, and a
list loads only what it shows (selectors.trips_listed, stops_listed): the JSON must be what DRF's generic
rendering of the declared fields gives (the OpenAPI schema is made from those), and a list's trip what its detail
shows, less what only the detail shows."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest
from django.db import connections
from django.utils import timezone
from rest_framework import serializers

from apps.billing.contracts import TripFare
from apps.trips.contracts import StopKind, StopStatus, TripStatus
from apps.trips.models import Stop, Trip
from apps.trips.rest_api.v1.serializers.trips import FareOutput, TripDetailOutput, TripOutput
from apps.trips.selectors import LISTED_STOP_COLUMNS
from apps.trips.tests.factories import StopFactory, TripFactory
from logitrack.db.rows import RowsByKey
from logitrack.testing.queries import CaptureEveryDatabase
from tests.support.isolation import client_for

pytestmark = pytest.mark.django_db
TRIPS = "/api/v1/trips/trips/"
DETAIL_ONLY = ("tracking_url", "pins", "customer_name", "driver_name", "vehicle")


def a_trip(**fields) -> Trip:
    """Every kind of value a body holds: set and unset ids and times, windows, microseconds, contact details."""
    values = {
        "status": TripStatus.ASSIGNED,
        "version": 3,
        "quote_id": uuid.uuid4(),
        "requested_for": timezone.now().replace(microsecond=123456) + dt.timedelta(hours=2),
        "weight_kg": 12,
        "seats": 1,
        "parcels": 4,
        "driver_id": uuid.uuid4(),
        "vehicle_id": uuid.uuid4(),
    }
    trip = TripFactory(stops=0, **{**values, **fields})
    start = timezone.now().replace(microsecond=0) + dt.timedelta(hours=3)
    StopFactory(
        trip=trip,
        sequence=1,
        kind=StopKind.PICKUP,
        contact_name="Ada",
        contact_phone="+4915112345678",
        window_start=start,
        window_end=start + dt.timedelta(minutes=30),
        service_minutes=5,
        notes="ring twice",
        status=StopStatus.ARRIVED,
    )
    StopFactory(  # a drop-off with its declared share of the load (Stop.unload)
        trip=trip,
        sequence=2,
        lat=51.5074,
        lng=-0.1278,
        unload_weight_kg=12,
        unload_volume_m3=Decimal("0.50"),
        unload_parcels=4,
        unload_seats=0,
    )
    return Trip.objects.prefetch_related("stops").get(id=trip.id)


def as_drf_renders(serializer: serializers.Serializer, trip: Trip) -> str:
    """DRF's own rendering of the serializer's declared fields, as before the body was written out."""
    return json.dumps(serializers.Serializer.to_representation(serializer, trip))


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin"])
def test_trip_bodies_render_as_drf_would(zone):
    trip = a_trip()
    fare = TripFare(trip_id=trip.id, currency="EUR", quoted_total_minor=1250, final_total_minor=None, final_kind=None)
    settled = TripFare(
        trip_id=trip.id, currency="GBP", quoted_total_minor=None, final_total_minor=900, final_kind="cancellation"
    )
    with timezone.override(zone):
        for fares in ({trip.id: fare}, {trip.id: settled}, {}):
            serializer = TripOutput(trip, context={"fares": fares})
            assert json.dumps(serializer.data) == as_drf_renders(serializer, trip)
        for known in (fare, settled):
            assert TripOutput(trip, context={"fares": {trip.id: known}}).data["fare"] == FareOutput(known).data

        trip.tracking_url = "https://logitrack.example/track/abc/"
        trip.pins = {2: "0427"}
        trip.customer_name, trip.driver_name = "Ada Lovelace", "Bo Driver"
        trip.vehicle = {"id": uuid.uuid4(), "type": "van", "registration": "B-LT 1", "make": "VW", "model": "ID.Buzz"}
        for staff in (True, False):
            serializer = TripDetailOutput(trip, context={"fares": {trip.id: fare}, "staff": staff})
            assert json.dumps(serializer.data) == as_drf_renders(serializer, trip)
        trip.tracking_url = trip.pins = trip.customer_name = trip.driver_name = trip.vehicle = None
        serializer = TripDetailOutput(trip, context={"fares": {}})
        assert json.dumps(serializer.data) == as_drf_renders(serializer, trip)


def test_a_lists_trip_is_its_detail_less_what_only_the_detail_shows(two_fleets):
    customer = client_for(two_fleets.customer)
    a_trip(fleet_id=two_fleets.a.fleet_id, customer_id=two_fleets.customer.id)
    a_trip(fleet_id=two_fleets.a.fleet_id, customer_id=two_fleets.customer.id, quote_id=None, requested_for=None)
    listed = customer.get(TRIPS).json()["results"]
    assert len(listed) == 2
    for body in listed:
        detail = customer.get(f"{TRIPS}{body['id']}/").json()
        for name in DETAIL_ONLY:
            detail.pop(name)
        for stop in detail["stops"]:
            assert stop.pop("contact_phone") is None  # a customer's detail shows no phones
        assert json.dumps(body) == json.dumps(detail)


def test_a_list_page_reads_only_the_columns_its_bodies_show(two_fleets):
    customer = client_for(two_fleets.customer)
    a_trip(fleet_id=two_fleets.a.fleet_id, customer_id=two_fleets.customer.id)
    customer.get(TRIPS)  # the caller's first request fills identity's principal cache
    with CaptureEveryDatabase() as ran:
        assert customer.get(TRIPS).status_code == 200
    trip_reads = [q["sql"] for q in ran.captured_queries if 'FROM "trips_trip"' in q["sql"]]
    stop_reads = [q["sql"] for q in ran.captured_queries if 'FROM "trips_stop"' in q["sql"]]
    assert trip_reads and stop_reads
    for sql in trip_reads:
        for unshown in ("tracking_lat", "eta_at", "end_reason", "started_at", "volume_m3"):
            assert f'"trips_trip"."{unshown}"' not in sql, sql
    for sql in stop_reads:
        for unshown in ("contact_phone", "pin_hash", "failure_reason", "arrived_at"):
            assert f'"trips_stop"."{unshown}"' not in sql, sql


def test_rows_by_key_read_what_the_queryset_reads(two_fleets):
    """A page's stops come from SQL written once (logitrack.db.rows.RowsByKey): the same rows, values and order as
    the queryset it replaces, whatever the number of ids; no ids, no query."""
    trips = [a_trip(fleet_id=two_fleets.a.fleet_id), a_trip(fleet_id=two_fleets.b.fleet_id)]
    ids = [trips[1].id, trips[0].id, uuid.uuid4()]
    read = RowsByKey(Stop, "trip_id", LISTED_STOP_COLUMNS, order_by=("-trip_id", "sequence"))
    expected = Stop.objects.filter(trip_id__in=ids).order_by("-trip_id", "sequence")
    rows = read(ids)
    assert len(rows) == 4
    assert rows == list(expected.values_list(*LISTED_STOP_COLUMNS))
    assert [row._asdict() for row in rows] == list(expected.values(*LISTED_STOP_COLUMNS))
    assert read(ids[:1]) == list(expected.filter(trip_id=ids[0]).values_list(*LISTED_STOP_COLUMNS))
    with CaptureEveryDatabase() as ran:
        assert read([]) == []
    assert not ran.captured_queries


def test_a_list_page_reads_its_trips_stops_and_fares_by_arrays_of_ids(two_fleets):
    """Once the page's ids are known its trips, their stops and fares are read by statements written once (no
    queryset built and compiled per request): `= ANY(<ids>)`, not `IN (…)`."""
    customer = client_for(two_fleets.customer)
    a_trip(fleet_id=two_fleets.a.fleet_id, customer_id=two_fleets.customer.id)
    customer.get(TRIPS)  # the caller's first request fills identity's principal cache
    with CaptureEveryDatabase() as ran:
        assert len(customer.get(TRIPS).json()["results"]) == 1
    by_ids = [q["sql"] for q in ran.captured_queries if "= ANY(" in q["sql"]]
    for table in ('"trips_trip"', '"trips_stop"', '"billing_quote"', '"billing_farerecord"'):
        assert any(f"FROM {table} WHERE" in sql for sql in by_ids), (table, ran.captured_queries)


def test_rows_by_key_send_uuid_and_integer_keys_as_one_array_literal(two_fleets):
    """UUID and integer keys go as one text array cast in the statement (parsed by PostgreSQL in C, not dumped by
    psycopg one element at a time in Python); other keys as a list. The rows are the queryset's either way."""
    trip = a_trip(fleet_id=two_fleets.a.fleet_id)
    by_trip = RowsByKey(Stop, "trip_id", LISTED_STOP_COLUMNS, order_by=("sequence",))
    by_id = RowsByKey(Stop, "id", ("id", "sequence"), order_by=("id",))
    by_status = RowsByKey(Trip, "status", ("id",))
    stops = Stop.objects.filter(trip_id=trip.id).order_by("sequence")
    stop_ids = [s.id for s in stops]
    expected = [list(stops.values_list(*LISTED_STOP_COLUMNS)), list(stops.order_by("id").values_list("id", "sequence"))]
    with CaptureEveryDatabase() as ran:
        read = [by_trip([trip.id, uuid.uuid4()]), by_id([*stop_ids, -1]), by_status([trip.status])]
    assert read[:2] == expected
    assert [row.id for row in read[2]] == list(Trip.objects.filter(status=trip.status).values_list("id", flat=True))
    if connections[Stop.objects.db].vendor == "postgresql":
        sql = [q["sql"] for q in ran.captured_queries]
        assert "= ANY('{" in sql[0] and "}'::uuid[])" in sql[0], sql[0]
        assert "= ANY('{" in sql[1] and ",-1}'::bigint[])" in sql[1], sql[1]
        assert "}'::" not in sql[2], sql[2]  # a string key: psycopg's list, no cast


def test_rows_by_key_take_keys_that_are_not_uuid_objects_as_before(two_fleets):
    """Only UUIDs and ints are written into the array literal: a UUID as text, a None, a string with array syntax
    in it go as psycopg's list (matching what they match, or nothing), never parsed as array syntax."""
    trip = a_trip(fleet_id=two_fleets.a.fleet_id)
    by_trip = RowsByKey(Stop, "trip_id", ("trip_id", "sequence"), order_by=("sequence",))
    expected = list(Stop.objects.filter(trip_id=trip.id).order_by("sequence").values_list("trip_id", "sequence"))
    assert by_trip([str(trip.id).upper(), None]) == expected
    assert by_trip([str(uuid.uuid4()), str(trip.id)]) == expected
    by_id = RowsByKey(Stop, "id", ("id",))
    assert by_id([None]) == []
