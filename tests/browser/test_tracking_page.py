"""The customer's tracking page in Chromium at 390×844 against a real ASGI server, while the trip is driven through
the real services and REST (dispatcher assigns, the driver's app moves it and sends its position): the status text,
the timeline and the driver's marker on the map change as it happens, pushed over /ws/track/<token>/. Then the
delivered page, the same page at 1366×768, and an expired link's page. Screenshots go to the artifacts folder
(docs/images keeps tracking-390.png, tracking-390-delivered.png, tracking-1366.png, tracking-expired-390.png)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apps.fleet.models import Fleet
from apps.fleet.services import branding
from apps.partner.models import DriverProfile
from apps.trips.models import TrackingLink, Trip
from config.demo.plans import FLEETS
from config.demo.seeding.fleets import logo_png
from tests.browser.conftest import ARTIFACTS, CHROMIUM
from tests.support.dispatch_world import book_van, ping
from tests.support.isolation import client_for

pytestmark = [pytest.mark.browser, pytest.mark.processes, pytest.mark.django_db(transaction=True)]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# where the driver's app says the van is: on the way to the pickup, then across Mitte to the drop-off
ON_THE_WAY = [(52.5262, 13.3702), (52.5148, 13.3991), (52.5071, 13.4117)]


def _brand(fleet_id) -> None:
    """The fleet as the demo's Berlin courier: its orange and its logo, in English for the screenshots."""
    plan = FLEETS[0]
    Fleet.objects.filter(id=fleet_id).update(name=plan.name, brand_colour=plan.brand_colour, language="en")
    DriverProfile.objects.filter(fleet_id=fleet_id).update(display_name="Anna Schmidt")  # the page says "Anna"
    branding.fleet_logo_set(fleet_id=fleet_id, upload=SimpleUploadedFile("logo.png", logo_png(plan)))


def _token(world, trip_id) -> str:
    url = client_for(world.fleets.customer).get(f"/api/v1/trips/trips/{trip_id}/").json()["tracking_url"]
    return url.rstrip("/").rsplit("/", 1)[-1]


def _version(trip_id) -> int:
    return Trip.objects.get(id=trip_id).version


def _assign(world, trip_id) -> None:
    response = client_for(world.fleets.a.users["dispatcher"]).post(
        f"/api/v1/trips/trips/{trip_id}/assign/",
        {"shift_id": str(world.crews[0].shift_id)},
        format="json",
        HTTP_IF_MATCH=f'W/"{_version(trip_id)}"',
    )
    assert response.status_code == 200, response.json()


def _driver_does(world, trip_id, action) -> None:
    response = (
        world.crews[0]
        .client()
        .post(
            f"/api/v1/trips/trips/{trip_id}/transitions/",
            {"action": action},
            format="json",
            HTTP_IF_MATCH=f'W/"{_version(trip_id)}"',
        )
    )
    assert response.status_code == 200, response.json()


def _driver_stop(world, trip_id, sequence, step) -> None:
    response = (
        world.crews[0]
        .client()
        .post(
            f"/api/v1/trips/trips/{trip_id}/stops/{sequence}/{step}/",
            {},
            format="json",
            HTTP_IF_MATCH=f'W/"{_version(trip_id)}"',
        )
    )
    assert response.status_code == 200, response.json()


def _driver_at(world, lat, lng) -> None:
    time.sleep(1.1)  # dispatch refreshes a trip's estimate at most every DISPATCH_TRACKING_EVERY_SECONDS (1 here)
    response = world.crews[0].client().post("/api/v1/dispatch/positions/", {"pings": [ping(lat, lng)]}, format="json")
    assert response.status_code == 200, response.json()


def _text(page, selector) -> str:
    return page.inner_text(selector).strip()


def _marker(page) -> str:
    return page.get_attribute("#map", "data-driver") or ""


def test_a_customer_watches_the_trip_move_on_a_phone(
    dispatch_world, settings, tmp_path, processes, browser, django_side
):
    if not shutil.which(CHROMIUM):
        pytest.fail("Chromium is missing: scripts/test.sh installs the Debian package 'chromium'")
    settings.MEDIA_ROOT = str(tmp_path / "media")  # the logo, where the server process reads it too
    settings.DISPATCH_TRACKING_EVERY_SECONDS = 1
    processes.env["LOGITRACK_MEDIA_ROOT"] = settings.MEDIA_ROOT
    server = processes.web()
    world = dispatch_world
    django_side(_brand, world.fleet_id)
    trip_id = django_side(book_van, world)
    token = django_side(_token, world, trip_id)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    page = browser.new_context(**PHONE).new_page()
    page.goto(f"{server}/track/{token}/")
    page.wait_for_selector("#map[data-state=drawn]")
    page.wait_for_selector("#link-state[data-state=live]")  # the socket is open
    assert _text(page, "#status-text") == "Booked — we're finding a driver"
    assert page.get_attribute("#map", "data-tiles") == "off"  # no MAP_TILES_URL here: a plain grid, still a map
    assert page.locator("#map .stop-pin").count() == 2 and _marker(page) == ""
    assert page.evaluate("() => getComputedStyle(document.documentElement).getPropertyValue('--accent')") == "#d9480f"
    page.wait_for_function("() => { const i = document.querySelector('.logo'); return i && i.naturalWidth > 0; }")

    # the dispatcher assigns a driver: the page hears of it without a reload
    django_side(_assign, world, trip_id)
    page.wait_for_function("() => document.querySelector('#status-text').textContent.startsWith('Anna will collect')")
    assert _text(page, "#driver-name") == "Anna"  # the first name only
    assert page.get_attribute(".step-assigned", "data-state") == "done"
    assert page.locator("#vehicle .plate").count() == 1 and " · van · " in _text(page, "#vehicle")

    # the driver sets off and the app reports where the van is: a rough position appears on the map
    django_side(_driver_does, world, trip_id, "start")
    page.wait_for_function(
        "() => document.querySelector('#status-text').textContent.includes('on the way to the pickup')"
    )
    django_side(_driver_at, world, *ON_THE_WAY[0])
    page.wait_for_function("() => document.querySelector('#map').dataset.driver")
    first = _marker(page)
    assert page.locator("#map .driver-dot").count() == 1
    assert str(ON_THE_WAY[0][0]) not in page.content()  # only the rough cell, never the fix
    assert _text(page, "#eta").startswith("At the pickup around")

    # picked up, and on the way across town: the marker moves, the ETA is for the drop-off now
    django_side(_driver_does, world, trip_id, "arrive_pickup")
    django_side(_driver_stop, world, trip_id, 1, "arrive")
    django_side(_driver_stop, world, trip_id, 1, "done")
    django_side(_driver_does, world, trip_id, "pick_up")
    page.wait_for_function("() => document.querySelector('#status-text').textContent === 'On the way to you'")
    django_side(_driver_at, world, *ON_THE_WAY[1])
    page.wait_for_function(f"() => (document.querySelector('#map').dataset.driver || '') !== '{first}'")
    second = _marker(page)
    django_side(_driver_at, world, *ON_THE_WAY[2])
    page.wait_for_function(f"() => (document.querySelector('#map').dataset.driver || '') !== '{second}'")
    page.wait_for_function("() => document.querySelector('#eta').textContent.startsWith('Arriving around')")
    assert page.get_attribute(".step-on_the_way", "data-state") == "current"
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the tracking page is {overflow}px wider than a phone"
    assert not UUID.search(page.content()), "an id on the tracking page"
    page.wait_for_timeout(300)  # the map settles after refitting
    page.screenshot(path=str(ARTIFACTS / "tracking-390.png"), full_page=True)

    wide = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    wide.goto(f"{server}/track/{token}/")
    wide.wait_for_selector("#map[data-state=drawn]")
    wide.wait_for_selector("#map .driver-dot")
    wide.wait_for_function("() => { const i = document.querySelector('.logo'); return i && i.naturalWidth > 0; }")
    wide.wait_for_timeout(300)
    wide.screenshot(path=str(ARTIFACTS / "tracking-1366.png"))

    # delivered: the last step done, nothing live any more
    django_side(_driver_stop, world, trip_id, 2, "arrive")
    django_side(_driver_stop, world, trip_id, 2, "done")
    django_side(_driver_does, world, trip_id, "complete")
    page.wait_for_function("() => document.querySelector('#status-text').textContent === 'Delivered'")
    assert page.get_attribute(".step-delivered", "data-state") == "done"
    assert page.locator("#eta").is_hidden() and page.locator("#map .driver-dot").count() == 0
    page.wait_for_selector("#link-state", state="hidden")  # nothing live once it ended
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "tracking-390-delivered.png"), full_page=True)

    # the link runs out: the page explains, in the fleet's colours, whom to ask
    django_side(
        lambda: TrackingLink.objects.filter(trip_id=trip_id).update(expires_at=timezone.now() - dt.timedelta(minutes=5))
    )
    expired = browser.new_context(**PHONE).new_page()
    answer = expired.goto(f"{server}/track/{token}/")
    assert answer.status == 410
    assert "This link expired on" in _text(expired, ".gone-body") and "Spree Kurier" in _text(expired, ".gone-body")
    expired.screenshot(path=str(ARTIFACTS / "tracking-expired-390.png"), full_page=True)
    unknown = expired.goto(f"{server}/track/{token[:-3]}abc/")
    assert unknown.status == 404 and "can't find this tracking link" in _text(expired, "h1")


def test_the_map_draws_the_configured_tiles_and_without_leaflet_the_page_still_tells_everything(
    dispatch_world, processes, browser, django_side
):
    from tests.browser.test_dispatch_map import TileServer

    tiles = TileServer()
    try:
        processes.env.update(MAP_TILES_URL=tiles.url, MAP_TILES_ATTRIBUTION="© Test Tiles")
        server = processes.web()
        world = dispatch_world
        trip_id = django_side(book_van, world)
        token = django_side(_token, world, trip_id)

        page = browser.new_context(**PHONE).new_page()
        page.goto(f"{server}/track/{token}/")
        page.wait_for_selector("#map[data-state=drawn][data-tiles=on]")
        page.wait_for_function("() => [...document.querySelectorAll('#map .leaflet-tile')].some(t => t.naturalWidth)")
        assert tiles.requests and "© Test Tiles" in _text(page, "#map .leaflet-control-attribution")

        bare = browser.new_context(**PHONE)
        bare.route("**/leaflet.js", lambda route: route.abort())  # the map's library does not load
        page = bare.new_page()
        page.goto(f"{server}/track/{token}/")
        page.wait_for_selector("#map[data-state=missing]")
        assert "die Adressen stehen unten" in _text(page, "#map")  # Alpha is German and chose no language
        assert page.locator("#stops li").count() == 2 and _text(page, "#status-text").startswith("Gebucht")
        page.wait_for_selector("#link-state[data-state=live]")  # still live without the map
    finally:
        tiles.close()
