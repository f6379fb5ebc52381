"""Matching and auto-dispatch: nearest eligible driver first, the offer chain on refusal and timeout, a
dispatcher asked when nobody is left; and the tracking page's live ETA and approximate position."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.dispatch import matching
from apps.dispatch.models import DispatchAttempt
from apps.fleet.models import Fleet
from apps.partner.services import duty as partner_duty
from apps.trips import api as trips_api
from apps.trips import domain as trips_domain
from apps.trips.models import Offer, Shift, Trip
from apps.trips.services import assignment as trips_assignment
from apps.trips.services import lifecycle as trips_lifecycle
from apps.trips.services import offers as trips_offers
from tests.support.dispatch_world import DROPOFF, PICKUP, book_van, ping
from tests.support.dispatch_world import place as place_at
from tests.support.isolation import client_for

pytestmark = pytest.mark.django_db
# north of the pickup by about 1, 2 and 3 km
PLACES = [(52.5400, 13.3847), (52.5490, 13.3847), (52.5580, 13.3847)]


def place(crews, order):
    """Put crews on the live map: order[i] is the index in PLACES of crews[i]."""
    for crew, where in zip(crews, order, strict=True):
        place_at(crew, *PLACES[where])


def pending_offer(trip_id):
    return Offer.objects.filter(trip_id=trip_id, status="pending").first()


def test_the_nearest_eligible_available_driver_comes_first(dispatch_world, relay_and_deliver, settings):
    settings.DISPATCH_MAX_OFFERS = 0  # only look, do not offer
    world = dispatch_world
    near, middle, far = world.crews
    place(world.crews, [2, 0, 1])  # crews[1] nearest, then crews[2], then crews[0]
    trip_id = book_van(world)
    ranked = matching.NearestEligibleDriver().candidates(trips_api.trip_get(trip_id=trip_id), exclude=set())
    assert [c.driver_id for c in ranked] == [middle.driver.id, far.driver.id, near.driver.id]
    assert ranked[0].distance_m < ranked[1].distance_m and ranked[0].travel_s < ranked[1].travel_s

    partner_duty.duty_set(driver_id=middle.driver.id, on_duty=False)  # off duty: not eligible
    busy = book_van(world)
    trips_assignment.trip_assign(trip_id=busy, shift_id=far.shift_id, actor_id=None)  # no pooling: busy
    relay_and_deliver()
    ranked = matching.NearestEligibleDriver().candidates(trips_api.trip_get(trip_id=trip_id), exclude=set())
    assert [c.driver_id for c in ranked] == [near.driver.id]
    assert (
        matching.NearestEligibleDriver().candidates(trips_api.trip_get(trip_id=trip_id), exclude={near.driver.id}) == []
    )
    Shift.objects.filter(id=near.shift_id).update(pooling=True)  # a pooling van takes more while it has room
    heavy = book_van(world, weight_kg=790)
    trips_assignment.trip_assign(trip_id=heavy, shift_id=near.shift_id, actor_id=None)
    light, too_heavy = book_van(world, weight_kg=10), book_van(world, weight_kg=11)  # the van carries 800 kg
    assert [
        c.driver_id
        for c in matching.NearestEligibleDriver().candidates(trips_api.trip_get(trip_id=light), exclude=set())
    ] == [near.driver.id]
    assert matching.NearestEligibleDriver().candidates(trips_api.trip_get(trip_id=too_heavy), exclude=set()) == []


def test_auto_dispatch_offers_down_the_list_and_then_asks_a_dispatcher(dispatch_world, relay_and_deliver):
    world = dispatch_world
    first, second, third = world.crews
    place(world.crews, [0, 1, 2])
    trip_id = book_van(world)
    relay_and_deliver()
    offer = pending_offer(trip_id)
    assert offer.driver_id == first.driver.id
    attempt = DispatchAttempt.objects.get(trip_id=trip_id)
    assert (attempt.status, attempt.offers_made) == ("offered", 1)

    refused = first.client().post(f"/api/v1/trips/offers/{offer.id}/reject/", {"reason": "on a break"}, format="json")
    assert refused.status_code == 200
    relay_and_deliver()
    offer = pending_offer(trip_id)
    assert offer.driver_id == second.driver.id

    Offer.objects.filter(id=offer.id).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert trips_offers.offers_expire() == 1  # beat does this every 15 s
    relay_and_deliver()
    offer = pending_offer(trip_id)
    assert offer.driver_id == third.driver.id

    third.client().post(f"/api/v1/trips/offers/{offer.id}/reject/", {}, format="json")
    relay_and_deliver()
    attempt.refresh_from_db()
    assert pending_offer(trip_id) is None
    assert (attempt.status, attempt.offers_made) == ("flagged", 3)
    assert attempt.flag_reason == "no driver took it after 3 offers"
    assert Trip.objects.get(id=trip_id).status == "requested"  # waiting for a dispatcher, not lost

    # the dispatcher steps in: manual assignment closes the attempt
    dispatcher = world.fleets.a.client("dispatcher")
    assigned = dispatcher.post(
        f"/api/v1/trips/trips/{trip_id}/assign/",
        {"shift_id": str(second.shift_id)},
        format="json",
        HTTP_IF_MATCH='W/"1"',
    )
    assert assigned.status_code == 200, assigned.json()
    relay_and_deliver()
    attempt.refresh_from_db()
    assert attempt.status == "assigned"


def test_no_candidate_flags_the_trip_at_once_and_an_accept_assigns_it(dispatch_world, relay_and_deliver):
    world = dispatch_world
    lonely = book_van(world)
    relay_and_deliver()
    attempt = DispatchAttempt.objects.get(trip_id=lonely)
    assert (attempt.status, attempt.flag_reason) == ("flagged", "no eligible driver nearby")

    place(world.crews[:1], [1])
    trip_id = book_van(world)
    relay_and_deliver()
    offer = pending_offer(trip_id)
    accepted = world.crews[0].client().post(f"/api/v1/trips/offers/{offer.id}/accept/", {}, format="json")
    assert accepted.status_code == 200, accepted.json()
    relay_and_deliver()
    assert DispatchAttempt.objects.get(trip_id=trip_id).status == "assigned"
    assert Trip.objects.get(id=trip_id).driver_id == world.crews[0].driver.id


def test_fleets_without_auto_dispatch_are_left_to_their_dispatchers(dispatch_world, relay_and_deliver):
    Fleet.objects.filter(id=dispatch_world.fleet_id).update(auto_dispatch=False)
    place(dispatch_world.crews, [0, 1, 2])
    trip_id = book_van(dispatch_world)
    relay_and_deliver()
    assert not DispatchAttempt.objects.filter(trip_id=trip_id).exists()
    assert pending_offer(trip_id) is None


def test_the_tracking_page_shows_a_live_eta_and_a_rough_position_while_the_trip_moves(
    dispatch_world, relay_and_deliver, settings
):
    settings.DISPATCH_TRACKING_EVERY_SECONDS = 1
    world = dispatch_world
    crew = world.crews[0]
    customer = client_for(world.fleets.customer)
    booked = customer.post(
        "/api/v1/trips/trips/",
        {"fleet_id": str(world.fleet_id), "vehicle_type": "van", "stops": [PICKUP, DROPOFF], "weight_kg": 50},
        format="json",
    ).json()
    track = "/api/v1/trips/track/" + booked["tracking_url"].rstrip("/").rsplit("/", 1)[-1] + "/"  # the page's JSON
    trips_assignment.trip_assign(trip_id=booked["id"], shift_id=crew.shift_id, actor_id=None)
    assert customer.get(track).json()["eta"] is None  # nobody has reported a position yet

    trips_lifecycle.trip_transition(trip_id=booked["id"], action="start", actor_id=crew.user.id, role="driver")
    lat, lng = PLACES[2]  # ~3 km north of the pickup
    crew.client().post("/api/v1/dispatch/positions/", {"pings": [ping(lat, lng, seconds_ago=1)]}, format="json")
    page = client_for(world.fleets.customer).get(track).json()
    rough = trips_domain.rough_position(lat, lng)  # a few hundred metres: the part of town, not the street
    assert page["driver_position"] == {"lat": rough[0], "lng": rough[1]}
    eta = dt.datetime.fromisoformat(page["eta"])
    # 3 km x detour 1.3 at 25 km/h is about 9.4 minutes
    assert dt.timedelta(minutes=8) < eta - timezone.now() < dt.timedelta(minutes=11)
    assert {"status", "stops", "driver_first_name", "vehicle", "eta", "driver_position", "eta_text"} <= set(page)
    assert "contact_phone" not in str(page) and "customer_id" not in page
