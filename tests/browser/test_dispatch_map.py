"""The dispatch screen's map (Leaflet) in Chromium against a real ASGI server: base tiles from a local tile server
(MAP_TILES_URL) and, without one, a neutral map with the scale, service area and zones and no broken image; markers
that move with pings and show state by shape; routes of a plan; clustering of a big fleet; selection that
highlights a driver's trips and route. Screenshots at 1366x768 go to the artifacts folder."""

from __future__ import annotations

import re
import struct
import uuid
import zlib

import pytest

from apps.fleet.models import Fleet
from logitrack.testing.http import Answer, LocalServer, Received
from tests.browser.conftest import ARTIFACTS
from tests.support.dispatch_world import BERLIN, ping
from tests.support.isolation import client_for

pytestmark = [pytest.mark.browser, pytest.mark.processes, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"  # what the isolation kit gives every user
VIEWPORT = {"width": 1366, "height": 768}
TRIP_A = [
    {"kind": "pickup", "address": "Invalidenstraße 1", "lat": 52.5310, "lng": 13.3847},
    {"kind": "dropoff", "address": "Oranienstraße 25", "lat": 52.5016, "lng": 13.4190},
]
TRIP_B = [
    {"kind": "pickup", "address": "Karl-Marx-Allee 90", "lat": 52.5170, "lng": 13.4390},
    {"kind": "dropoff", "address": "Kantstraße 10", "lat": 52.5060, "lng": 13.3220},
]


def png(size: int = 256, rgb: tuple[int, int, int] = (225, 232, 220)) -> bytes:
    """A plain square PNG, as a raster tile server answers."""
    row = b"\x00" + bytes(rgb) * size
    chunk = lambda kind, data: (  # noqa: E731
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(row * size)) + chunk(b"IEND", b"")
    )


class TileServer(LocalServer):
    """A tiny XYZ tile server on a free port: every /{z}/{x}/{y}.png is the same tile; requests are recorded."""

    def __init__(self) -> None:
        tile = png()

        def respond(seen: Received) -> Answer:
            if not re.fullmatch(r"/\d+/\d+/\d+\.png", seen.path):
                return Answer(404, b"not a tile")
            return Answer(200, tile, headers={"Content-Type": "image/png"})

        super().__init__(respond)
        self.start()

    @property
    def requests(self) -> list[str]:
        return [r.path for r in self.received]

    @property
    def url(self) -> str:
        return f"{self.base_url}/{{z}}/{{x}}/{{y}}.png"


@pytest.fixture
def tiles():
    server = TileServer()
    yield server
    server.close()


def sign_in(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login/?next=/dispatch/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#link[data-state=live]")


def send(client, *pings) -> None:
    response = client.post("/api/v1/dispatch/positions/", {"pings": list(pings)}, format="json")
    assert response.status_code == 200, response.json()


# no zoom animation under way (mid-way, the vector layers are scaled and markers drawn where they were)
SETTLED = "() => !window.logitrackMap.map._animatingZoom"


def shot(page, name: str) -> None:
    page.wait_for_function(SETTLED)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"map-{name}.png"))


# the marker's centre is where the map puts its position (within 2 px), once any zoom animation is over
DRAWN_AT = """([sel, lat, lng]) => {
  const map = window.logitrackMap.map, box = document.querySelector(sel).getBoundingClientRect();
  const origin = map.getContainer().getBoundingClientRect(), p = map.latLngToContainerPoint([lat, lng]);
  const x = box.left + box.width / 2 - origin.left, y = box.top + box.height / 2 - origin.top;
  return !map._animatingZoom && Math.abs(x - p.x) <= 2 && Math.abs(y - p.y) <= 2;
}"""
BROKEN_IMAGES = "() => [...document.querySelectorAll('#map img')].filter(i => i.complete && !i.naturalWidth).length"


def test_the_map_draws_base_tiles_from_the_configured_tile_server(
    dispatch_world, processes, tiles, browser, django_side
):
    processes.env.update(MAP_TILES_URL=tiles.url, MAP_TILES_ATTRIBUTION="© Test Tiles", MAP_TILES_MAX_ZOOM="18")
    server = processes.web()  # the page, its CSP (img-src) and the map follow MAP_TILES_URL
    django_side(send, client_for(dispatch_world.crews[0].user), ping(52.52, 13.40))

    page = browser.new_page(viewport=VIEWPORT)
    sign_in(page, server, dispatch_world.fleets.a.users["dispatcher"].email)
    page.wait_for_selector("#map[data-tiles=on]")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#map .leaflet-tile-container img')]"
        ".filter(i => i.complete && i.naturalWidth > 0).length >= 4"
    )
    assert page.evaluate(BROKEN_IMAGES) == 0
    assert len([p for p in tiles.requests if re.fullmatch(r"/\d+/\d+/\d+\.png", p)]) >= 4
    assert "© Test Tiles" in page.inner_text("#map .leaflet-control-attribution")
    marker = f'#map .driver[data-driver-id="{dispatch_world.crews[0].driver.id}"]'
    page.wait_for_selector(marker, state="attached")  # drawn from the snapshot, which may come after the tiles
    assert page.locator(marker).count() == 1
    shot(page, "tiles")


def test_without_tiles_the_map_is_neutral_with_scale_service_area_and_zones(
    dispatch_world, server, browser, django_side
):
    django_side(surcharge_zone, dispatch_world.fleet_id)
    failed: list[str] = []
    page = browser.new_page(viewport=VIEWPORT)
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 and "favicon" not in r.url else None)
    sign_in(page, server, dispatch_world.fleets.a.users["dispatcher"].email)

    assert page.get_attribute("#map", "data-tiles") == "off"
    assert re.fullmatch(r"\d+ k?m", page.inner_text("#map .leaflet-control-scale-line").strip())
    page.wait_for_selector("#map path.service-area", state="attached")
    page.wait_for_selector("#map path.zone", state="attached")
    assert page.inner_text("#map .zone-label") == "Airport BER"
    page.wait_for_selector("#map path.km-grid", state="attached")  # the 1 km grid in place of streets
    assert page.locator("#map img").count() == 0 and page.evaluate(BROKEN_IMAGES) == 0
    assert failed == []
    # zoom and fit: the controls work without tiles too
    zoom = page.evaluate("window.logitrackMap.map.getZoom()")
    for step in (1, 2):
        page.click("#map .leaflet-control-zoom-in")
        page.wait_for_function(  # this step taken and its animation over, before the next click
            "(z) => window.logitrackMap.map.getZoom() >= z && !window.logitrackMap.map._animatingZoom",
            arg=zoom + step,
        )
    page.wait_for_function("(z) => window.logitrackMap.map.getZoom() >= z + 2", arg=zoom)
    page.click("#map .map-fit button")  # back to the whole service area (no drivers, no trips)
    page.wait_for_function("(z) => window.logitrackMap.map.getZoom() < z + 2", arg=zoom)
    shot(page, "no-tiles")


def surcharge_zone(fleet_id) -> None:
    from apps.billing.models import ZoneSurcharge
    from apps.billing.tests.factories import TariffFactory

    tariff = TariffFactory(fleet_id=fleet_id)
    ZoneSurcharge.objects.create(
        tariff=tariff, label="Airport BER", amount_minor=500, center_lat=52.3667, center_lng=13.5033, radius_m=3000
    )


def test_markers_move_show_state_and_selection_highlights_a_drivers_trips_and_route(
    dispatch_world, relay_and_deliver, server, browser, django_side
):
    world = dispatch_world
    crew_a, crew_b, crew_c = world.crews
    # no auto-dispatch: trip B waits for a dispatcher, so driver B stays idle (not offered it)
    django_side(Fleet.objects.filter(id=world.fleet_id).update, auto_dispatch=False)
    django_side(send, client_for(crew_a.user), ping(52.52, 13.40, heading=90))
    django_side(send, client_for(crew_b.user), ping(52.51, 13.43))
    django_side(send, client_for(crew_c.user), ping(52.50, 13.37, seconds_ago=90))  # silent for 90 s
    trip_a = django_side(book, world, TRIP_A)
    trip_b = django_side(book, world, TRIP_B)
    django_side(relay_and_deliver)
    django_side(assign, trip_a, crew_a.shift_id)
    django_side(relay_and_deliver)

    page = browser.new_page(viewport=VIEWPORT)
    sign_in(page, server, world.fleets.a.users["dispatcher"].email)
    marker_a = f'#map .driver[data-driver-id="{crew_a.driver.id}"]'
    page.wait_for_selector(f'{marker_a}[data-state="on_trip"]', state="attached")  # holds trip A
    assert page.get_attribute(f'#map .driver[data-driver-id="{crew_c.driver.id}"]', "data-state") == "stale"
    assert page.get_attribute(f'#map .driver[data-driver-id="{crew_b.driver.id}"]', "data-state") == "idle"
    assert "rotate(90deg)" in page.get_attribute(f"{marker_a} .heading", "style")
    for trip in (trip_a, trip_b):  # both open trips: a pickup and a drop-off each
        page.wait_for_selector(f'#map path.stop[data-trip-id="{trip}"][data-kind="pickup"]', state="attached")
        page.wait_for_selector(f'#map path.stop[data-trip-id="{trip}"][data-kind="dropoff"]', state="attached")
    assert page.locator(f'#map path.trip-link[data-trip-id="{trip_a}"]').count() == 1

    # a ping moves the marker in place: the same element, drawn where the new position is on the map
    page.evaluate(f"window.__marker = document.querySelector('{marker_a}')")
    django_side(send, client_for(crew_a.user), ping(52.525, 13.41, heading=180))
    page.wait_for_function(f"() => document.querySelector('{marker_a}').dataset.lat === '52.525'")
    page.wait_for_function(DRAWN_AT, arg=[marker_a, 52.525, 13.41])
    assert page.evaluate(f"window.__marker === document.querySelector('{marker_a}')")  # not redrawn

    # a plan arrives on the feed: crew A's route, from where the van is, in stop order
    django_side(plan_pushed, world.fleet_id, crew_a, trip_a)
    route = f'#map path.route[data-shift-id="{crew_a.shift_id}"]'
    page.wait_for_selector(route, state="attached")

    # selecting driver A highlights their trip's stops and their route, and dims the others
    page.click(marker_a)
    page.wait_for_selector("#map.has-focus")
    assert page.locator(f'#map path.stop.is-focus[data-trip-id="{trip_a}"]').count() == 2
    assert page.locator(f'#map path.stop.is-focus[data-trip-id="{trip_b}"]').count() == 0
    assert page.locator(f"{route}.is-focus").count() == 1
    assert page.locator(f"{marker_a}.is-focus").count() == 1
    shot(page, "selected-driver")
    # clicking a stop selects its trip instead
    page.click(f'#map path.stop[data-trip-id="{trip_b}"][data-kind="pickup"]', force=True)
    page.wait_for_selector(f'#map path.stop.is-focus[data-trip-id="{trip_b}"]', state="attached")
    assert page.locator(f'#map path.stop.is-focus[data-trip-id="{trip_a}"]').count() == 0
    # the empty map clears the selection
    box = page.locator("#map").bounding_box()
    page.locator("#map").click(position={"x": box["width"] - 20, "y": 20})  # top right: no control, no marker
    page.wait_for_selector("#map.has-focus", state="detached")


def book(world, stops) -> str:
    response = client_for(world.fleets.customer).post(
        "/api/v1/trips/trips/",
        {"fleet_id": str(world.fleet_id), "vehicle_type": "van", "stops": stops, "weight_kg": 20},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def assign(trip_id: str, shift_id) -> None:
    from apps.trips import api as trips_api

    trips_api.trip_assign(trip_id=uuid.UUID(trip_id), shift_id=shift_id, actor_id=None)


def plan_pushed(fleet_id, crew, trip_id: str) -> None:
    from apps.dispatch import feed
    from apps.dispatch.services import plans
    from apps.dispatch.tests.factories import RoutePlanFactory

    stops = [
        {
            "trip_id": trip_id,
            "sequence": n,
            "kind": s["kind"],
            "address": s["address"],
            "lat": s["lat"],
            "lng": s["lng"],
            "eta": None,
            "window_end": None,
        }
        for n, s in enumerate(TRIP_A)
    ]
    route = {
        "shift_id": str(crew.shift_id),
        "driver_id": str(crew.driver.id),
        "vehicle_id": str(crew.van_id),
        "registration": "B-DS 1",
        "distance_m": 5000,
        "ends_at": None,
        "stops": stops,
    }
    plan = RoutePlanFactory(fleet_id=fleet_id, routes=[route], distance_m=5000)
    feed.to_fleet(fleet_id, "plan", {"plan": plans.plan_json(plan)})


def test_a_big_fleet_clusters_when_zoomed_out_and_spreads_when_zoomed_in(dispatch_world, server, browser, django_side):
    """Sixty drivers (more than the screen shows one by one) arrive in one positions batch on the feed."""
    page = browser.new_page(viewport=VIEWPORT)
    sign_in(page, server, dispatch_world.fleets.a.users["dispatcher"].email)
    django_side(positions_pushed, dispatch_world.fleet_id, 60)
    page.wait_for_selector("#map[data-clustering=on]")
    page.evaluate("window.logitrackMap.fitFleet()")
    page.wait_for_selector("#map .driver-cluster")
    shown = page.locator("#map .driver[data-driver-id]").count()
    assert shown < 60  # the rest are counted in clusters
    counted = page.eval_on_selector_all("#map .driver-cluster", "cs => cs.reduce((n, c) => n + +c.innerText, 0)")
    assert shown + counted == 60
    shot(page, "clusters")
    page.evaluate(f"window.logitrackMap.map.setView([{BERLIN[0]}, {BERLIN[1]}], 16, {{animate: false}})")
    page.wait_for_selector("#map .driver-cluster", state="detached")  # zoomed in: every driver on its own


def positions_pushed(fleet_id, count: int) -> None:
    """A positions batch as the feed sends it (apps/dispatch/feed.py), for drivers only the screen knows of."""
    import datetime as dt

    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from apps.dispatch import feed

    now = dt.datetime.now(dt.UTC).isoformat()
    positions = [
        {
            "driver_id": str(uuid.uuid4()),
            "lat": BERLIN[0] + (n % 8 - 4) * 0.01,
            "lng": BERLIN[1] + (n // 8 - 4) * 0.015,
            "heading": None,
            "speed_mps": None,
            "recorded_at": now,
        }
        for n in range(count)
    ]
    message = {"type": "positions", "seq": 0, "positions": positions}
    async_to_sync(get_channel_layer().group_send)(feed.fleet_group(fleet_id), feed._event(message))


def test_a_driver_on_shift_without_a_position_is_listed_not_placed(dispatch_world, server, browser, django_side):
    """The snapshot lists every driver on shift, those not pinging yet with no position: the map places the others
    and carries on (a marker at (null, null) would throw and stop the map)."""
    world = dispatch_world
    crew_a, crew_b, _ = world.crews
    django_side(send, client_for(crew_a.user), ping(52.52, 13.40))
    page = browser.new_page(viewport=VIEWPORT)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, server, world.fleets.a.users["dispatcher"].email)
    page.wait_for_selector(f'#map .driver[data-driver-id="{crew_a.driver.id}"]', state="attached")
    page.click(".side .tabs [data-side=drivers]")
    page.wait_for_selector(f'#driver-list [data-driver-id="{crew_b.driver.id}"]')  # listed, as stale
    assert page.locator(f'#map .driver[data-driver-id="{crew_b.driver.id}"]').count() == 0
    django_side(send, client_for(crew_b.user), ping(52.51, 13.43))  # its first ping places it
    page.wait_for_selector(f'#map .driver[data-driver-id="{crew_b.driver.id}"]', state="attached")
    assert errors == []


def open_trips_in_bulk(fleet_id, booker_id, count: int) -> list[str]:
    """Many open trips written straight to trips' tables (booking each over the API would take minutes)."""
    from apps.trips.models import Stop, Trip

    trips = [
        Trip(fleet_id=fleet_id, booked_by_id=booker_id, vehicle_type="van", status="requested", weight_kg=10)
        for _ in range(count)
    ]
    Trip.objects.bulk_create(trips)
    Stop.objects.bulk_create(
        Stop(
            trip=trip,
            sequence=seq,
            kind=kind,
            address=f"Teststraße {n}",
            lat=BERLIN[0] + (n % 20 - 10) * 0.004 + seq * 0.002,
            lng=BERLIN[1] + (n // 20 - 10) * 0.006,
        )
        for n, trip in enumerate(trips)
        for seq, kind in enumerate(("pickup", "dropoff"))
    )
    return [str(t.id) for t in trips]


def test_a_big_board_draws_its_stops_on_a_canvas_and_a_click_still_selects_a_trip(
    dispatch_world, server, browser, django_side
):
    """From 300 open trips the stops go on a canvas (thousands of SVG paths stall every zoom step for seconds);
    a click on a stop still selects its trip and opens it."""
    world = dispatch_world
    trip_ids = django_side(open_trips_in_bulk, world.fleet_id, world.fleets.a.users["dispatcher"].id, 320)
    page = browser.new_page(viewport=VIEWPORT)
    sign_in(page, server, world.fleets.a.users["dispatcher"].email)
    page.wait_for_selector("#map[data-stops=canvas]")
    assert page.locator("#map path.stop").count() == 0 and page.locator("#map canvas").count() >= 1
    first_pickup = [BERLIN[0] - 10 * 0.004, BERLIN[1] - 10 * 0.006]  # trip 0's pickup (open_trips_in_bulk)
    page.evaluate("(at) => { window.logitrackMap.map.setView(at, 17, { animate: false }); }", first_pickup)
    point = page.evaluate(
        """(at) => {
            const p = window.logitrackMap.map.latLngToContainerPoint(at);
            const box = document.querySelector('#map').getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }""",
        first_pickup,
    )
    page.mouse.click(*point)
    page.wait_for_selector(f'#detail .trip-detail[data-trip-id="{trip_ids[0]}"]', state="attached")


def test_a_stops_tooltip_shows_a_booked_address_as_text_never_as_markup(
    dispatch_world, relay_and_deliver, server, browser, django_side
):
    """Leaflet renders a string tooltip as HTML; an address is whatever the customer typed."""
    world = dispatch_world
    django_side(Fleet.objects.filter(id=world.fleet_id).update, auto_dispatch=False)
    address = '<b class="injected">Hauptstraße 1</b>'
    trip_id = django_side(book, world, [{**TRIP_A[0], "address": address}, TRIP_A[1]])
    django_side(relay_and_deliver)
    page = browser.new_page(viewport=VIEWPORT)
    sign_in(page, server, world.fleets.a.users["dispatcher"].email)
    stop = f'#map path.stop[data-trip-id="{trip_id}"][data-kind="pickup"]'
    page.wait_for_selector(stop, state="attached")
    page.hover(stop, force=True)
    tooltip = page.wait_for_selector(".leaflet-tooltip")
    assert address in tooltip.inner_text()
    assert page.locator(".leaflet-tooltip b.injected").count() == 0
