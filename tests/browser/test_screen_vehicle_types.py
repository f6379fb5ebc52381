"""The dispatch screen lets a trip be assigned only to shifts whose vehicle is of the type the trip was booked for."""

import pytest

from tests.browser.test_dispatch_screen import DROPOFF, PASSWORD, PICKUP
from tests.integration.test_vehicle_type_rule import crew_with
from tests.support.dispatch_world import ping
from tests.support.isolation import client_for

pytestmark = [pytest.mark.browser, pytest.mark.processes, pytest.mark.django_db(transaction=True)]


def test_the_screen_offers_only_shifts_with_the_booked_vehicle_type(
    dispatch_world, relay_and_deliver, server, browser, django_side
):
    from apps.fleet.contracts import VehicleType
    from apps.fleet.models import Fleet

    world = dispatch_world

    def set_up():  # Django calls run beside Playwright's event loop, on django_side's thread
        Fleet.objects.filter(id=world.fleet_id).update(auto_dispatch=False)
        cabbie = crew_with(world, relay_and_deliver, VehicleType.CAR, "cabbie")
        for n, crew in enumerate([*world.crews, cabbie]):  # the matcher weighs drivers on the live map only
            moved = client_for(crew.user).post(
                "/api/v1/dispatch/positions/", {"pings": [ping(52.52 + n * 0.002, 13.40)]}, format="json"
            )
            assert moved.status_code == 200, moved.json()
        customer = client_for(world.fleets.customer)
        goods = customer.post(
            "/api/v1/trips/trips/",
            {"fleet_id": str(world.fleet_id), "vehicle_type": "van", "stops": [PICKUP, DROPOFF], "weight_kg": 60},
            format="json",
        ).json()
        ride = customer.post(
            "/api/v1/trips/trips/",
            {"fleet_id": str(world.fleet_id), "vehicle_type": "car", "service": "ride", "stops": [PICKUP, DROPOFF]},
            format="json",
        ).json()
        relay_and_deliver()
        return cabbie, goods, ride

    cabbie, goods, ride = django_side(set_up)

    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(f"{server}/login/?next=/dispatch/")
    page.fill("input[name=email]", world.fleets.a.users["dispatcher"].email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/dispatch/")

    def offered(trip_id):  # the drivers the trip's detail panel lets the dispatcher assign it to
        card = f'.trip[data-trip-id="{trip_id}"]'
        page.wait_for_selector(f'[data-column="requested"] {card}')
        page.click(f"{card} .open")
        page.click(f'.trip-detail[data-trip-id="{trip_id}"] .d-actions [data-action="assign"]')
        page.wait_for_selector(f'.trip-detail[data-trip-id="{trip_id}"] .candidate')
        return page.eval_on_selector_all(
            '.candidate[data-eligible="true"]:has(.assign-to)', "rows => rows.map(r => r.dataset.shiftId)"
        )

    assert sorted(offered(goods["id"])) == sorted(str(c.shift_id) for c in world.crews)  # the vans, not the car
    assert offered(ride["id"]) == [str(cabbie.shift_id)]
