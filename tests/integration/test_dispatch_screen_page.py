"""The dispatch screen's page hands the map what it draws: the base layer settings, the fleet's service area
(circle and polygon) and billing's surcharge zones."""

import datetime as dt
import json
import re

import pytest

from apps.billing.models import ZoneSurcharge
from apps.billing.tests.factories import TariffFactory
from apps.fleet.tests.factories import active_fleet

pytestmark = pytest.mark.django_db
POLYGON = [[52.6, 13.2], [52.6, 13.6], [52.4, 13.6], [52.4, 13.2]]


def script(html: str, name: str):
    return json.loads(re.search(rf'<script id="{name}" type="application/json">(.*?)</script>', html, re.S).group(1))


def page(client, user) -> str:
    client.force_login(user)
    response = client.get("/dispatch/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_carries_the_service_area_zones_and_no_tiles_by_default(client, two_fleets):
    active_fleet(
        fleet_id=two_fleets.a.fleet_id,
        service_center_lat=52.52,
        service_center_lng=13.405,
        service_radius_m=20_000,
        service_polygon=POLYGON,
    )
    tariff = TariffFactory(fleet_id=two_fleets.a.fleet_id)
    ZoneSurcharge.objects.create(
        tariff=tariff, label="Airport", amount_minor=500, center_lat=52.36, center_lng=13.5, radius_m=3000
    )
    expired = TariffFactory(
        fleet_id=two_fleets.a.fleet_id,
        valid_from=tariff.valid_from - dt.timedelta(days=365),
        valid_until=tariff.valid_from,
    )
    ZoneSurcharge.objects.create(
        tariff=expired, label="Old zone", amount_minor=100, center_lat=52.5, center_lng=13.3, radius_m=1000
    )

    html = page(client, two_fleets.a.users["dispatcher"])
    fleet = script(html, "fleet-config")
    assert fleet["center"] == [52.52, 13.405] and fleet["area_radius_m"] == 20_000
    assert fleet["polygon"] == POLYGON
    assert fleet["zones"] == [{"label": "Airport", "center": [52.36, 13.5], "radius_m": 3000}]  # in force only
    assert script(html, "map-config") == {"tiles_url": None, "attribution": "", "max_zoom": 19, "stale_after_s": 60}
    assert "/static/vendor/leaflet/leaflet.js" in html
    # every script and stylesheet from our own static files: nothing from a CDN or any other host
    urls = re.findall(r'<(?:script|link)[^>]* (?:src|href)="([^"]+)"', html)
    assert len(urls) >= 7 and all(url.startswith("/static/") for url in urls), urls


def test_the_tile_settings_reach_the_page(client, two_fleets, settings):
    active_fleet(fleet_id=two_fleets.a.fleet_id)
    settings.MAP_TILES_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    settings.MAP_TILES_ATTRIBUTION = "© OpenStreetMap contributors"
    settings.MAP_TILES_MAX_ZOOM = 17
    config = script(page(client, two_fleets.a.users["dispatcher"]), "map-config")
    assert config["tiles_url"] == "https://tiles.example.org/{z}/{x}/{y}.png"
    assert config["attribution"] == "© OpenStreetMap contributors" and config["max_zoom"] == 17


def test_the_vehicle_filter_offers_the_fleet_contexts_vehicle_types(client, two_fleets):
    from apps.fleet.contracts import VehicleType

    active_fleet(fleet_id=two_fleets.a.fleet_id)
    html = page(client, two_fleets.a.users["dispatcher"])
    select = re.search(r'<select id="filter-vehicle">(.*?)</select>', html, re.S).group(1)
    assert re.findall(r'<option value="([^"]*)">', select) == ["", *(t.value for t in VehicleType)]
