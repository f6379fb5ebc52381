"""The customer's tracking page (`/track/<token>/`): the status in words and a timeline on the fleet's clock, the ETA,
the driver's first name and vehicle, the booked addresses, the fleet's branding; expired and unknown links get a
page that explains; nothing the link may not see (no phones, emails, ids, exact positions)."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.trips import domain
from apps.trips.contracts import ActorRole
from apps.trips.models import TrackingLink, Trip
from apps.trips.services import lifecycle, tracking
from apps.trips.tests.rest import DROPOFF, PICKUP, assign, book
from tests.support.isolation import client_for

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PHONE = "+493012345678"
# the driver's exact fix: nowhere on the page, only its cell of the rough grid
EXACT = (52.51234, 13.40198)
# the booked stops, as precisely as a phone's geocoder gives them: the page places them to about 100 m
HOUSE = {"pickup": (52.53104, 13.38472), "dropoff": (52.50163, 13.41897)}


def _booked(world, *, language: str = "") -> tuple[dict, str]:
    two_fleets, fleet, _van, _driver, _shift = world
    if language:
        type(fleet).objects.filter(id=fleet.id).update(language=language)
    stops_ = [
        {
            **PICKUP,
            "lat": HOUSE["pickup"][0],
            "lng": HOUSE["pickup"][1],
            "contact_name": "Petra P",
            "contact_phone": PHONE,
        },
        {
            **DROPOFF,
            "lat": HOUSE["dropoff"][0],
            "lng": HOUSE["dropoff"][1],
            "contact_name": "Rita Recipient",
            "contact_phone": PHONE,
            "notes": "ring twice",
        },
    ]
    booked = book(client_for(two_fleets.customer), fleet.id, stops=stops_).json()
    return booked, booked["tracking_url"].removeprefix("http://testserver")


def _under_way(world, booked) -> Trip:
    two_fleets, _fleet, _van, driver, shift = world
    assert assign(two_fleets.a.client("dispatcher"), booked["id"], shift.id, 1).status_code == 200
    lifecycle.trip_transition(trip_id=booked["id"], action="start", actor_id=driver.user_id, role=ActorRole.DRIVER)
    now = timezone.now()
    tracking.tracking_update(
        trip_id=booked["id"], at=now, eta=now + dt.timedelta(minutes=17), lat=EXACT[0], lng=EXACT[1]
    )
    return Trip.objects.get(id=booked["id"])


def _leaks(text: str, world, trip: Trip) -> list[str]:
    two_fleets, fleet, _van, driver, _shift = world
    found = [s for s in (PHONE, "Petra", "Rita", "ring twice", two_fleets.customer.email) if s in text]
    found += [
        f"id {i}" for i in (trip.id, fleet.id, two_fleets.customer.id, driver.id, trip.vehicle_id) if str(i) in text
    ]
    found += [f"exact {v}" for v in (*EXACT, *HOUSE["pickup"], *HOUSE["dropoff"]) if str(v) in text]
    return found


def test_the_page_under_way_tells_status_eta_driver_vehicle_and_addresses_in_the_fleets_words(world):
    booked, path = _booked(world, language="en")
    assert path.startswith("/track/") and path.count("/") == 3  # the link opens the page now, not the JSON
    trip = _under_way(world, booked)

    page = APIClient().get(path)
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert page["Cache-Control"] == "no-store" and page["Referrer-Policy"] == "no-referrer"
    html = page.content.decode()
    assert "driver is on the way to the pickup" in html  # "driver of alpha" → the first word
    eta = (trip.eta_at.astimezone(BERLIN)).strftime("%H:%M")
    assert f"At the pickup around {eta}" in html  # the next stop is the pickup; on the fleet's clock
    assert "Alpha Logistics" in html and 'data-colour="#0b7a75"' in html
    assert world[2].registration in html and PICKUP["address"] in html and DROPOFF["address"] in html
    assert re.search(r'data-step="assigned" data-state="done"', html)
    assert re.search(r'data-step="picked_up" data-state="current"', html)
    assert not _leaks(html, world, trip), _leaks(html, world, trip)
    assert not UUID.search(html)
    cell = domain.rough_position(*EXACT)
    assert f'"lat": {cell[0]}' in html  # the rough cell is what the map gets

    body = APIClient().get(f"/api/v1/trips/track/{path.split('/')[2]}/").json()
    assert body["driver_position"] == {"lat": cell[0], "lng": cell[1]}
    assert abs(cell[0] - EXACT[0]) <= domain.ROUGH_GRID_DEG / 2 and cell != (round(EXACT[0], 3), round(EXACT[1], 3))
    assert body["eta_text"] == f"At the pickup around {eta}" and body["status_text"].startswith("driver is on")
    assert [s["step"] for s in body["timeline"]] == ["booked", "assigned", "picked_up", "on_the_way", "delivered"]
    assert [s["address"] for s in body["stops"]] == [PICKUP["address"], DROPOFF["address"]]
    assert not _leaks(str(body), world, trip), _leaks(str(body), world, trip)


def test_the_timeline_follows_the_trip_to_delivered_on_the_fleets_clock_in_german(world):
    booked, path = _booked(world)  # Alpha is in Germany and chose no language: German
    trip = _under_way(world, booked)
    _two_fleets, _fleet, _van, driver, _shift = world
    lifecycle.trip_transition(trip_id=trip.id, action="arrive_pickup", actor_id=driver.user_id, role=ActorRole.DRIVER)
    lifecycle.trip_transition(trip_id=trip.id, action="pick_up", actor_id=driver.user_id, role=ActorRole.DRIVER)
    html = APIClient().get(path).content.decode()
    assert "Unterwegs zu Ihnen" in html and 'lang="de"' in html
    assert re.search(r'data-step="on_the_way" data-state="current"', html)

    lifecycle.trip_transition(trip_id=trip.id, action="complete", actor_id=driver.user_id, role=ActorRole.DRIVER)
    trip.refresh_from_db()
    html = APIClient().get(path).content.decode()
    assert '<h1 id="status-text" class="status-text">Zugestellt</h1>' in html
    assert all(f'data-step="{s}" data-state="done"' in html for s in domain.TRACKING_STEPS)
    assert trip.ended_at.astimezone(BERLIN).strftime("%H:%M") in html  # delivered at, local
    assert '<p id="eta" class="eta" hidden>' in html and '"driver_position": null' in html  # nothing live now


def test_a_cancelled_trip_says_so_and_shows_the_steps_it_reached(world):
    booked, path = _booked(world, language="en")
    lifecycle.trip_transition(trip_id=booked["id"], action="cancel", actor_id=None, role=ActorRole.SYSTEM, reason="x")
    body = APIClient().get(f"/api/v1/trips/track/{path.split('/')[2]}/").json()
    assert body["status_text"] == "This order was cancelled"
    assert [(s["step"], s["state"]) for s in body["timeline"]] == [("booked", "done"), ("cancelled", "ended")]
    assert "This order was cancelled" in APIClient().get(path).content.decode()


def test_an_expired_link_explains_when_it_expired_and_whom_to_ask_an_unknown_one_is_a_404_page(world):
    booked, path = _booked(world, language="en")
    expired_at = timezone.now() - dt.timedelta(minutes=1)
    TrackingLink.objects.filter(trip_id=booked["id"]).update(expires_at=expired_at)
    page = APIClient().get(path)
    assert page.status_code == 410 and page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    local = expired_at.astimezone(BERLIN).strftime("%H:%M")
    assert "This link expired on" in html and local in html and "contact Alpha Logistics" in html
    assert PICKUP["address"] not in html and not UUID.search(html)
    token = path.split("/")[2]
    api = APIClient().get(f"/api/v1/trips/track/{token}/")  # the JSON keeps its answer for apps
    assert (api.status_code, api.json()["code"]) == (404, "trips.tracking_expired")

    for unknown in (f"/track/{token[:-2]}xx/", "/track/not-a-token/", "/track/%20/"):
        missing = APIClient().get(unknown, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
        assert missing.status_code == 404 and missing["Content-Type"].startswith("text/html")
        assert "Diesen Sendungslink gibt es nicht" in missing.content.decode()


def test_the_link_lookup_is_by_hash_and_honours_expires_at(world):
    from apps.trips import selectors

    booked, path = _booked(world)
    token = path.split("/")[2]
    link = TrackingLink.objects.get(trip_id=booked["id"])
    assert link.token_hash == domain.secret_hash(token) and token not in str(link.__dict__)
    assert selectors.tracking_for(token=token).id == link.trip_id
    TrackingLink.objects.filter(id=link.id).update(expires_at=timezone.now() + dt.timedelta(seconds=1))
    assert selectors.tracking_for(token=token) is not None
    TrackingLink.objects.filter(id=link.id).update(expires_at=timezone.now())
    assert selectors.tracking_for(token=token) is None and selectors.tracking_link(token=token) is not None
    assert selectors.tracking_link(token="x" * 500) is None  # refused before the database


def test_the_json_stays_compatible_for_apps(world):
    booked, path = _booked(world)
    _under_way(world, booked)
    body = APIClient().get(f"/api/v1/trips/track/{path.split('/')[2]}/").json()
    before = {"status", "stops", "driver_first_name", "vehicle", "eta", "driver_position"}  # what apps read so far
    assert before <= set(body)
    assert {"sequence", "kind", "status"} <= set(body["stops"][0])
    assert {"type", "make", "model", "registration"} <= set(body["vehicle"])
    assert body["fleet"]["logo_url"] is None  # no logo yet


def test_the_page_costs_the_same_queries_whatever_the_trip_holds(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    two_fleets, fleet, _van, _driver, _shift = world
    short, _ = _booked(world)
    drops = [{**DROPOFF, "address": f"Oranienstraße {n}, Berlin"} for n in range(20, 25)]
    long = book(client_for(two_fleets.customer), fleet.id, stops=[PICKUP, *drops]).json()
    counts = []
    for booked in (short, long):
        _under_way(world, booked)  # a driver and a vehicle to name: the most a page reads
        path = booked["tracking_url"].removeprefix("http://testserver")
        with CaptureQueriesContext(connection) as queries:
            assert APIClient().get(path).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 8, counts  # link, stops, timeline, fleet, driver, vehicle: one query each


def test_the_trip_admin_page_links_the_customers_tracking_page_while_it_works(groups_as_migrated, world, client):
    two_fleets, *_ = world
    booked, path = _booked(world)
    client.force_login(two_fleets.a.users["fleet_manager"])
    page = client.get(f"/admin/trips/trip/{booked['id']}/change/").content.decode()
    assert f'href="{path}"' in page and "tracking page" in page
    TrackingLink.objects.filter(trip_id=booked["id"]).update(expires_at=timezone.now())
    assert f'href="{path}"' not in client.get(f"/admin/trips/trip/{booked['id']}/change/").content.decode()
