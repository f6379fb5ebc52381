"""Helpers of the dispatcher's workspace browser tests: a fleet with open trips a dispatcher handles by hand
(auto-dispatch off), signing in, and a "board" feed message pushed to the screen as the server's beat sends it."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tests.support.isolation import client_for

PASSWORD = "correct horse battery staple"  # what the isolation kit gives every user

PLACES = [
    ("Invalidenstraße 1", 52.5310, 13.3847),
    ("Oranienstraße 25", 52.5016, 13.4190),
    ("Kastanienallee 77", 52.5380, 13.4100),
    ("Bergmannstraße 12", 52.4890, 13.3950),
    ("Torstraße 140", 52.5290, 13.4010),
    ("Karl-Marx-Allee 90", 52.5170, 13.4390),
    ("Schönhauser Allee 36", 52.5400, 13.4120),
    ("Sonnenallee 55", 52.4840, 13.4350),
]


def hand_dispatched(world) -> None:
    """Auto-dispatch off: trips stay requested until the dispatcher (the test) assigns them."""
    from apps.fleet.models import Fleet

    Fleet.objects.filter(id=world.fleet_id).update(auto_dispatch=False)


def by_hand(world, relay_and_deliver, make):
    """Auto-dispatch off, then what `make()` books, its feed messages delivered: trips waiting for the dispatcher."""
    hand_dispatched(world)
    made = make()
    relay_and_deliver()
    return made


def dispatcher_page(browser, server: str, world, width: int = 1366, height: int = 768):
    """A laptop's page signed in as fleet A's dispatcher, on the workspace."""
    page = browser.new_page(viewport={"width": width, "height": height})
    sign_in(page, server, world.fleets.a.users["dispatcher"])
    return page


def book(world, pickup: int, dropoff: int, *, minutes: int = 60, weight_kg: int = 40, quoted=False, **extra) -> dict:
    """A van delivery from PLACES[pickup] to PLACES[dropoff], its drop-off due within `minutes` from now; `quoted`:
    priced by billing first (the fleet needs a tariff), so the trip has a fare."""
    now = timezone.now()
    (a, alat, alng), (b, blat, blng) = PLACES[pickup], PLACES[dropoff]
    stops = [
        {"kind": "pickup", "address": a, "lat": alat, "lng": alng, "contact_name": "Front desk"},
        {
            "kind": "dropoff",
            "address": b,
            "lat": blat,
            "lng": blng,
            "contact_name": "Ada Recipient",
            "window_start": (now + dt.timedelta(minutes=minutes - 30)).isoformat(),
            "window_end": (now + dt.timedelta(minutes=minutes)).isoformat(),
        },
    ]
    customer = client_for(world.fleets.customer)
    if quoted:
        quote = customer.post(
            "/api/v1/billing/quotes/",
            {"fleet_id": str(world.fleet_id), "vehicle_type": "van", "stops": [[alat, alng], [blat, blng]]},
            format="json",
        )
        assert quote.status_code == 201, quote.json()
        extra["quote_id"] = quote.json()["id"]
    response = customer.post(
        "/api/v1/trips/trips/",
        {"fleet_id": str(world.fleet_id), "vehicle_type": "van", "stops": stops, "weight_kg": weight_kg, **extra},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def sign_in(page, server, user) -> None:
    page.goto(f"{server}/login/?next=/dispatch/")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/dispatch/")
    page.wait_for_selector("#link[data-state=live]")


def push_board(fleet_id, message: dict) -> None:
    """A "board" message on the fleet's feed, as dispatch's beat sends it (unnumbered)."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from apps.dispatch import feed

    async_to_sync(get_channel_layer().group_send)(feed.fleet_group(fleet_id), feed._event({"type": "board", **message}))


def late_timing(trip: dict, late_by_s: int = 720) -> dict:
    now = timezone.now()
    return {
        "next_stop": 2,  # the drop-off (stops count from 1)
        "eta": (now + dt.timedelta(minutes=20)).isoformat(),
        "window_start": trip["stops"][1]["window_start"],
        "window_end": trip["stops"][1]["window_end"],
        "late_by_s": late_by_s,
        "state": "late" if late_by_s > 0 else "on_time",
        "as_of": now.isoformat(),
    }


def assign(world, trip: dict, crew) -> dict:
    """The fleet's dispatcher assigns `trip` (as booked, version 1) to `crew`'s shift over the API."""
    response = client_for(world.fleets.a.users["dispatcher"]).post(
        f"/api/v1/trips/trips/{trip['id']}/assign/",
        {"shift_id": str(crew.shift_id)},
        format="json",
        HTTP_IF_MATCH=f'W/"{trip["version"]}"',
    )
    assert response.status_code == 200, response.json()
    return response.json()


def trip_row(trip_id: str):
    from apps.trips.models import Trip

    return Trip.objects.get(id=trip_id)
