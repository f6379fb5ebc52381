"""The dispatch screen in a real browser (Debian's Chromium driven by Playwright) against a real ASGI server
process, PostgreSQL and the Redis channel layer: a dispatcher signs in, drivers ping, markers move, a trip is
assigned from the screen and changes column live, and the screen recovers from a dropped connection."""

import uuid

import pytest

from logitrack.testing.processes import wait_until
from tests.browser.conftest import ARTIFACTS
from tests.support.dispatch_world import ping
from tests.support.isolation import client_for

pytestmark = [pytest.mark.browser, pytest.mark.processes, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"  # what the isolation kit gives every user
PICKUP = {"kind": "pickup", "address": "Invalidenstraße 1", "lat": 52.5310, "lng": 13.3847}
DROPOFF = {"kind": "dropoff", "address": "Oranienstraße 25", "lat": 52.5016, "lng": 13.4190}


def test_the_dispatch_screen_follows_drivers_and_trips_live(
    dispatch_world, relay_and_deliver, server, browser, django_side
):
    world = dispatch_world
    crew_a, crew_b = world.crews[0], world.crews[1]
    dispatcher = world.fleets.a.users["dispatcher"]
    driver_a, driver_b = client_for(crew_a.user), client_for(crew_b.user)

    def send(client, lat, lng, seconds_ago=0):
        response = client.post(
            "/api/v1/dispatch/positions/", {"pings": [ping(lat, lng, seconds_ago=seconds_ago)]}, format="json"
        )
        assert response.status_code == 200, response.json()

    django_side(send, driver_a, 52.520, 13.400, 5)
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(f"{server}/dispatch/")
    assert "/login/" in page.url  # the screen needs a session
    page.fill("input[name=email]", dispatcher.email)
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit]")
    assert "wrong" in page.text_content(".error")
    page.fill("input[name=email]", dispatcher.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/dispatch/")
    page.wait_for_selector("#link[data-state=live]")

    marker = f'#map .driver[data-driver-id="{crew_a.driver.id}"]'
    page.wait_for_selector(marker, state="attached")  # from the snapshot
    before = page.get_attribute(marker, "style")  # Leaflet places a marker with a CSS transform
    django_side(send, driver_a, 52.530, 13.420)
    page.wait_for_function(
        "([sel, old]) => document.querySelector(sel).getAttribute('style') !== old", arg=[marker, before]
    )
    assert page.get_attribute(marker, "data-lat") == "52.53"
    django_side(send, driver_b, 52.510, 13.390)  # a second driver appears live
    page.wait_for_selector(f'#map .driver[data-driver-id="{crew_b.driver.id}"]', state="attached")

    booked = django_side(
        client_for(world.fleets.customer).post,
        "/api/v1/trips/trips/",
        {"fleet_id": str(world.fleet_id), "vehicle_type": "van", "stops": [PICKUP, DROPOFF], "weight_kg": 60},
        format="json",
    ).json()
    django_side(relay_and_deliver)  # auto-dispatch offers it to the nearest driver; the screen hears of it
    card = f'.trip[data-trip-id="{booked["id"]}"]'
    page.wait_for_selector(f'[data-column="requested"] {card}')
    assert page.locator(f"{card} .note").first.inner_text().endswith("60 kg · van")  # what it carries, in what

    page.click(f"{card} .open")  # the trip's detail panel
    page.click('.d-actions [data-action="assign"]')
    page.click(f'.candidate[data-shift-id="{crew_b.shift_id}"] .assign-to')  # Assign, from the screen
    wait_until(lambda: django_side(trip_status, booked["id"]) == "assigned", what="the assignment")
    django_side(relay_and_deliver)
    page.wait_for_selector(f'[data-column="assigned"] {card}')  # moved column without a reload

    # a dropped connection: the screen reconnects and catches up on what happened meanwhile
    page.evaluate("window.logitrackDispatch.dropConnection()")
    page.wait_for_selector("#link[data-state=reconnecting]")
    moved = django_side(
        client_for(crew_b.user).post,
        f"/api/v1/trips/trips/{booked['id']}/transitions/",
        {"action": "start"},
        format="json",
        HTTP_IF_MATCH='W/"2"',
    )
    assert moved.status_code == 200, moved.json()
    django_side(relay_and_deliver)
    page.wait_for_selector("#link[data-state=live]")
    page.wait_for_selector(f'[data-column="en_route"] {card}')

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dispatch-screen.png"), full_page=True)
    assert (ARTIFACTS / "dispatch-screen.png").stat().st_size > 10_000


def trip_status(trip_id: str) -> str:
    from apps.trips.models import Trip

    return Trip.objects.get(id=uuid.UUID(trip_id)).status


def test_the_screen_puts_changes_that_arrive_out_of_order_back_in_order_and_resyncs_only_on_a_lost_one(
    dispatch_world, server, browser, django_side
):
    """Two workers push at once, so change n+2 can reach the socket just before n+1: the screen holds it and
    applies both in order, without reloading the board. A number that never comes means a change was lost: after
    a moment the screen reloads the board from the snapshot."""
    world = dispatch_world
    crew_a, crew_b = world.crews[0], world.crews[1]
    for crew, lat in ((crew_a, 52.520), (crew_b, 52.510)):
        response = django_side(
            client_for(crew.user).post, "/api/v1/dispatch/positions/", {"pings": [ping(lat, 13.40)]}, format="json"
        )
        assert response.status_code == 200, response.json()

    page = browser.new_page(viewport={"width": 1366, "height": 768})
    snapshots: list[str] = []
    page.on("request", lambda r: snapshots.append(r.url) if r.url.endswith("/snapshot/") else None)
    page.goto(f"{server}/login/?next=/dispatch/")
    page.fill("input[name=email]", world.fleets.a.users["dispatcher"].email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#link[data-state=live]")
    marker_a = f'#map .driver[data-driver-id="{crew_a.driver.id}"]'
    marker_b = f'#map .driver[data-driver-id="{crew_b.driver.id}"]'
    page.wait_for_selector(marker_a, state="attached")
    page.wait_for_selector(marker_b, state="attached")

    first, second = django_side(numbers, world.fleet_id, 2)
    django_side(push, world.fleet_id, second, crew_b.driver.id)  # n+2 first
    page.wait_for_timeout(300)
    assert page.locator(marker_b).count() == 1  # held: n+1 has not come yet
    django_side(push, world.fleet_id, first, crew_a.driver.id)  # then n+1: both apply, in order
    page.wait_for_selector(marker_a, state="detached")
    page.wait_for_selector(marker_b, state="detached")
    page.wait_for_timeout(2000)  # longer than the screen waits for a missing number
    assert snapshots == []  # nothing was reloaded
    assert page.locator(marker_a).count() == 0 and page.locator(marker_b).count() == 0

    _lost, after = django_side(numbers, world.fleet_id, 2)
    with page.expect_request(lambda r: r.url.endswith("/snapshot/"), timeout=10_000):  # the board reloads
        django_side(push, world.fleet_id, after, crew_a.driver.id)  # `_lost` never arrives
    page.wait_for_selector(marker_a, state="attached")  # both drivers are still live: the snapshot shows them
    page.wait_for_selector(marker_b, state="attached")


def numbers(fleet_id, count: int) -> list[int]:
    from apps.dispatch import live

    return [live.store().next_sequence(fleet_id) for _ in range(count)]


def push(fleet_id, seq: int, driver_id) -> None:
    """A numbered change as the feed sends it (apps/dispatch/feed.py), here a driver leaving the map."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from apps.dispatch import feed

    message = {"type": "driver_off", "seq": seq, "driver_id": str(driver_id)}
    async_to_sync(get_channel_layer().group_send)(feed.fleet_group(fleet_id), feed._event(message))
