"""Finding trips (`GET trips/?search=`) by id prefix, stop address, customer name/email or driver name, within what
the caller may see; and the customers a fleet's dispatcher may book for (`GET fleets/<id>/customers/?q=`), by the
rule booking applies."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.trips.models import Trip
from apps.trips.tests.rest import DROPOFF, PICKUP, assign, book
from tests.support.isolation import assert_never_lists, client_for, listed_ids

pytestmark = pytest.mark.django_db
URL = "/api/v1/trips/trips/"


def booked(client, fleet_id, address=None):
    stops = [PICKUP, {**DROPOFF, "address": address}] if address else [PICKUP, DROPOFF]
    response = client.post(
        URL, {"fleet_id": str(fleet_id), "vehicle_type": "van", "stops": stops, "weight_kg": 10}, format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def found(client, text):
    return listed_ids(client, URL, params={"search": text})


def test_search_by_id_prefix_address_and_customer(world, make_user):
    two_fleets, fleet, _van, _driver, _shift = world
    dispatcher = two_fleets.a.client("dispatcher")
    customer = client_for(two_fleets.customer)  # "A customer", customer.<suffix>@example.test
    to_kreuzberg = booked(customer, fleet.id, address="Bergmannstraße 12, Berlin")
    other = client_for(make_user(email="zed@example.test", display_name="Zed Zimmer", is_customer=True))
    to_mitte = booked(other, fleet.id)

    assert found(dispatcher, to_kreuzberg[:8]) == {to_kreuzberg}
    assert found(dispatcher, to_kreuzberg[:13].upper()) == {to_kreuzberg}  # with a dash, any case
    assert found(dispatcher, to_kreuzberg.replace("-", "")[:12]) == {to_kreuzberg}  # without dashes
    assert found(dispatcher, "bergmann") == {to_kreuzberg}
    assert found(dispatcher, "oranienstr") == {to_mitte}
    assert found(dispatcher, "zimmer") == {to_mitte}  # the customer's name
    assert found(dispatcher, "ZED@EXAMPLE") == {to_mitte}  # or email
    assert found(dispatcher, "invalidenstr") == {to_kreuzberg, to_mitte}  # every trip's pickup
    assert found(dispatcher, "nowhere at all") == set()
    assert found(customer, "invalidenstr") == {to_kreuzberg}  # a customer searches their own trips only
    both = listed_ids(dispatcher, URL, params={"search": "invalidenstr", "status": "cancelled"})
    assert both == set()  # with the other filters


def test_only_fleet_staff_find_trips_by_the_customers_name_or_email(world):
    two_fleets, fleet, _van, _driver, shift = world
    customer = two_fleets.customer
    trip = booked(client_for(customer), fleet.id)
    dispatcher = two_fleets.a.client("dispatcher")
    assert assign(dispatcher, trip, shift.id, 1).status_code == 200
    driver = two_fleets.a.client("driver")
    email_prefix = customer.email.split("@")[0]

    assert found(driver, "invalidenstr") == {trip}  # the driver sees the trip, and finds it by address
    assert found(driver, email_prefix) == set()  # but not by who the customer is
    assert found(driver, "a customer") == set()
    assert found(dispatcher, email_prefix) == {trip}
    assert found(two_fleets.a.client("fleet_manager"), email_prefix) == {trip}


def test_fleet_staff_find_a_trip_by_its_drivers_name(world):
    two_fleets, fleet, _van, driver, shift = world
    name = driver.display_name  # as partner copied it from the driver's account
    assert name and name.lower() not in "invalidenstraße oranienstraße a customer"  # nothing else matches it
    held = booked(client_for(two_fleets.customer), fleet.id)
    booked(client_for(two_fleets.customer), fleet.id)  # waiting: nobody drives it
    dispatcher = two_fleets.a.client("dispatcher")
    assert assign(dispatcher, held, shift.id, 1).status_code == 200

    assert found(dispatcher, name.upper()) == {held}  # not the waiting one
    assert found(two_fleets.b.client("dispatcher"), name) == set()  # not another fleet's
    assert found(client_for(two_fleets.customer), name) == set()  # a customer does not search by driver


def test_a_search_never_sends_the_fleets_whole_customer_list_to_identity(world, make_user):
    two_fleets, fleet, _van, _driver, _shift = world
    others = [make_user(email=f"other{n}@example.test", display_name=f"Other {n}", is_customer=True) for n in range(4)]
    for other in others:
        booked(client_for(other), fleet.id)
    zed = make_user(email="zed@example.test", display_name="Zed Zimmer", is_customer=True)
    to_zed = booked(client_for(zed), fleet.id)
    dispatcher = two_fleets.a.client("dispatcher")

    with CaptureQueriesContext(connection) as queries:
        assert found(dispatcher, "zimmer") == {to_zed}
        assert [c["id"] for c in customers(dispatcher, fleet.id, "zimmer").json()] == [str(zed.id)]
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert str(zed.id) in sql or zed.id.hex in sql  # ids do show up in the SQL, as either form
    assert [o.display_name for o in others if str(o.id) in sql or o.id.hex in sql] == []  # but not theirs


def test_search_never_returns_another_fleets_trips(world):
    two_fleets, fleet, _van, _driver, _shift = world
    trip = booked(client_for(two_fleets.customer), fleet.id, address="Bergmannstraße 12, Berlin")
    for _role, client in ((r, two_fleets.b.client(r)) for r in ("dispatcher", "fleet_manager", "driver")):
        for text in (trip[:8], "bergmann", "a customer", "invalidenstr"):
            assert_never_lists(client, URL, [trip], params={"search": text})


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("search=a", "Ensure this value has at least 2 characters (it has 1)."),
        ("search=%20a%20", "Ensure this value has at least 2 characters (it has 1)."),
        ("search=", "This field may not be blank."),
        ("search=%20%20", "This field may not be blank."),
    ],
)
def test_a_search_too_short_is_a_400(two_fleets, query, message):
    response = two_fleets.a.client("dispatcher").get(f"{URL}?{query}")
    assert (response.status_code, response.json()["code"]) == (400, "validation_failed")
    assert response.json()["errors"] == {"search": [message]}


def customers(client, fleet_id, q):
    return client.get(f"/api/v1/trips/fleets/{fleet_id}/customers/", {"q": q})


def test_a_dispatcher_finds_the_fleets_customers_to_book_for(world, make_user):
    two_fleets, fleet, _van, _driver, _shift = world
    regular = two_fleets.customer
    booked(client_for(regular), fleet.id)
    stranger = make_user(email="newcomer@example.test", display_name="A newcomer", is_customer=True)
    make_user(email="not.a.customer@example.test", display_name="A staffer")  # no customer account
    dispatcher = two_fleets.a.client("dispatcher")

    found_ = customers(dispatcher, fleet.id, "customer")
    assert found_.status_code == 200, found_.json()
    assert found_.json() == [{"id": str(regular.id), "name": "A customer", "email": regular.email}]
    assert customers(dispatcher, fleet.id, "newcomer").json() == []  # not this fleet's customer: not browsable
    by_email = customers(two_fleets.a.client("fleet_manager"), fleet.id, "NEWCOMER@example.test").json()
    assert by_email == [{"id": str(stranger.id), "name": "", "email": "NEWCOMER@example.test"}]  # name withheld
    mixed_case = regular.email.upper()  # this fleet's own customer by exact email: named as before
    assert customers(dispatcher, fleet.id, mixed_case).json() == [
        {"id": str(regular.id), "name": "A customer", "email": regular.email}
    ]
    assert customers(dispatcher, fleet.id, "not.a.customer@example.test").json() == []

    # booking accepts whom the search offers, and refuses what is not a customer account
    for_newcomer = book(dispatcher, fleet.id, customer_id=by_email[0]["id"])
    assert (for_newcomer.status_code, for_newcomer.json()["customer_id"]) == (201, str(stranger.id))
    booking = Trip.objects.get(id=for_newcomer.json()["id"]).timeline.get(action="book")
    assert (booking.actor_role, booking.actor_id) == ("dispatcher", two_fleets.a.users["dispatcher"].id)
    # now a customer of this fleet: named from here on
    assert customers(dispatcher, fleet.id, "newcomer").json()[0]["name"] == "A newcomer"
    staff_id = str(two_fleets.a.users["driver"].id)
    refused = book(dispatcher, fleet.id, customer_id=staff_id)
    assert (refused.status_code, refused.json()["code"]) == (400, "trips.customer_not_found")
    assert refused.json()["errors"] == {"customer_id": ["Not a customer."]}


def test_at_most_ten_customers_by_name(world, make_user):
    two_fleets, fleet, _van, _driver, _shift = world
    for n in range(12):
        booked(
            client_for(make_user(email=f"many{n:02}@example.test", display_name=f"Many {n:02}", is_customer=True)),
            fleet.id,
        )
    names = [c["name"] for c in customers(two_fleets.a.client("dispatcher"), fleet.id, "many").json()]
    assert names == [f"Many {n:02}" for n in range(10)]


def test_only_the_fleets_staff_look_customers_up(world):
    two_fleets, fleet, _van, _driver, _shift = world
    booked(client_for(two_fleets.customer), fleet.id)
    hidden = customers(two_fleets.b.client("dispatcher"), fleet.id, "customer")
    assert (hidden.status_code, hidden.json()["code"]) == (404, "fleet.not_found")
    assert customers(two_fleets.a.client("driver"), fleet.id, "customer").status_code == 403
    assert customers(client_for(two_fleets.customer), fleet.id, "customer").status_code == 403
    short = customers(two_fleets.a.client("dispatcher"), fleet.id, "c")
    assert (short.status_code, short.json()["code"]) == (400, "validation_failed") and "q" in short.json()["errors"]
    missing = two_fleets.a.client("dispatcher").get(f"/api/v1/trips/fleets/{fleet.id}/customers/")
    assert missing.status_code == 400 and "q" in missing.json()["errors"]
