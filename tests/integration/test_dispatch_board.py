"""The dispatcher's board computed on the server: timings on trips (snapshot and `trip` messages), driver states,
alerts (late, at risk, offer unanswered, unassignable, driver offline, papers expiring), the periodic `board`
message to a connected screen, and suggested drivers in the matcher's own order with the reasons of the others.
Real PostgreSQL and Redis; the snapshot's queries do not grow with the fleet."""

import datetime as dt

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from apps.dispatch import matching, tasks
from apps.dispatch.models import DispatchAttempt
from apps.dispatch.tests.factories import PositionPingFactory
from apps.fleet.models import Fleet, VehicleDocument
from apps.fleet.tests.factories import vehicle
from apps.partner.models import DrivingLicence
from apps.partner.services import duty as partner_duty
from apps.trips import api as trips_api
from apps.trips.models import Shift, Stop
from apps.trips.services import assignment as trips_assignment
from apps.trips.services import lifecycle as trips_lifecycle
from config.asgi import application
from logitrack.testing.queries import CaptureEveryDatabase
from tests.support.dispatch_world import book_van, place
from tests.support.isolation import client_for

pytestmark = pytest.mark.django_db
PLACES = [(52.5400, 13.3847), (52.5490, 13.3847), (52.5580, 13.3847)]  # ~1, 2 and 3 km north of the pickup
FAR = (52.40, 13.60)  # ~20 km away: a van needs most of an hour


def snapshot(world):
    response = world.fleets.a.client("dispatcher").get(f"/api/v1/dispatch/fleets/{world.fleet_id}/snapshot/")
    assert response.status_code == 200, response.json()
    return response.json()


def by_id(rows, key="id"):
    return {r[key]: r for r in rows}


@pytest.fixture
def manual(dispatch_world):
    """Fleet A without auto-dispatch: trips wait for a dispatcher (no offers in the way)."""
    Fleet.objects.filter(id=dispatch_world.fleet_id).update(auto_dispatch=False)
    return dispatch_world


def test_a_late_trip_has_a_late_timing_and_raises_an_alert(manual, relay_and_deliver):
    world = manual
    crew = world.crews[0]
    trip_id = book_van(world)
    Stop.objects.filter(trip_id=trip_id, sequence=1).update(window_end=timezone.now() + dt.timedelta(minutes=5))
    trips_assignment.trip_assign(trip_id=trip_id, shift_id=crew.shift_id, actor_id=None)
    relay_and_deliver()
    place(crew, *FAR)

    trip = by_id(snapshot(world)["trips"])[trip_id]
    timing = trip["timing"]
    assert (timing["next_stop"], timing["state"]) == (1, "late")
    assert timing["late_by_s"] > 20 * 60  # ~20 km at 25 km/h × 1.3 detour, against 5 minutes
    assert dt.datetime.fromisoformat(timing["eta"]) > dt.datetime.fromisoformat(timing["window_end"])
    assert (trip["driver_name"], trip["registration"]) == (crew.driver.display_name, "BDS1")
    alerts = by_id(snapshot(world)["alerts"])
    late = alerts[f"late:{trip_id}"]
    assert (late["kind"], late["severity"], late["trip_id"]) == ("late", "high", trip_id)
    assert "Invalidenstraße 1" in late["title"] and "min late at stop 1" in late["detail"]
    assert crew.driver.display_name in late["detail"]

    # the same trip nearer in time: at risk (a few minutes of slack), then on time
    place(crew, 52.5320, 13.3847)  # ~100 m from the pickup
    Stop.objects.filter(trip_id=trip_id, sequence=1).update(window_end=timezone.now() + dt.timedelta(minutes=8))
    assert by_id(snapshot(world)["trips"])[trip_id]["timing"]["state"] == "at_risk"
    assert f"at_risk:{trip_id}" in by_id(snapshot(world)["alerts"])
    Stop.objects.filter(trip_id=trip_id, sequence=1).update(window_end=timezone.now() + dt.timedelta(hours=2))
    assert by_id(snapshot(world)["trips"])[trip_id]["timing"]["state"] == "on_time"
    assert not {a["id"] for a in snapshot(world)["alerts"]} & {f"late:{trip_id}", f"at_risk:{trip_id}"}


def test_a_requested_trip_past_its_pickup_window_is_late_without_a_driver(manual):
    trip_id = book_van(manual)
    closed = timezone.now() - dt.timedelta(minutes=12)
    Stop.objects.filter(trip_id=trip_id, sequence=1).update(window_end=closed)
    timing = by_id(snapshot(manual)["trips"])[trip_id]["timing"]
    assert (timing["eta"], timing["state"]) == (None, "late")
    assert 12 * 60 <= timing["late_by_s"] < 13 * 60
    alert = by_id(snapshot(manual)["alerts"])[f"late:{trip_id}"]
    assert "no driver yet" in alert["detail"]
    assert dt.datetime.fromisoformat(alert["since"]) == closed  # stable from one push to the next


def test_driver_states_and_a_driver_offline_mid_trip(manual, relay_and_deliver):
    world = manual
    idle, busy, silent = world.crews
    place(idle, *PLACES[0])
    place(busy, *PLACES[1])
    held = book_van(world)
    trips_assignment.trip_assign(trip_id=held, shift_id=busy.shift_id, actor_id=None)
    lost = book_van(world)
    trips_assignment.trip_assign(trip_id=lost, shift_id=silent.shift_id, actor_id=None)
    relay_and_deliver()

    data = snapshot(world)
    drivers = by_id(data["drivers"], "driver_id")
    assert drivers[str(idle.driver.id)]["state"] == "idle"
    assert (drivers[str(busy.driver.id)]["state"], drivers[str(busy.driver.id)]["trip_ids"]) == ("on_trip", [held])
    quiet = drivers[str(silent.driver.id)]  # on shift, never pinged: listed without a position
    assert (quiet["lat"], quiet["state"], quiet["stale"], quiet["trip_ids"]) == (None, "stale", True, [lost])
    assert (quiet["shift_id"], quiet["vehicle_type"], quiet["registration"]) == (str(silent.shift_id), "van", "BDS3")
    offline = by_id(data["alerts"])[f"driver_offline:{silent.driver.id}"]
    assert offline["severity"] == "high" and offline["title"] == f"{silent.driver.display_name} is offline mid-trip"
    assert offline["detail"] == "no position on record; holds 1 open trip"
    assert by_id(data["trips"])[lost]["timing"]["state"] == "unknown"
    assert f"driver_offline:{idle.driver.id}" not in by_id(data["alerts"])  # stale without a trip is no alert

    # a ping ten minutes old (the live map forgot it): stale, with its age
    PositionPingFactory(
        driver_id=silent.driver.id, fleet_id=world.fleet_id, recorded_at=timezone.now() - dt.timedelta(minutes=10)
    )
    offline = by_id(snapshot(world)["alerts"])[f"driver_offline:{silent.driver.id}"]
    assert offline["detail"] == "last ping 10 min ago; holds 1 open trip"


def test_offers_unanswered_and_trips_nobody_can_take_are_alerts(dispatch_world, relay_and_deliver):
    world = dispatch_world  # auto-dispatch on
    lonely = book_van(world)
    relay_and_deliver()
    flagged = by_id(snapshot(world)["alerts"])[f"unassignable:{lonely}"]
    assert (flagged["severity"], flagged["detail"]) == ("high", "no eligible driver nearby")
    assert flagged["title"].startswith("No driver can take")

    crew = world.crews[0]
    place(crew, *PLACES[0])
    offered = book_van(world)
    relay_and_deliver()
    data = snapshot(world)
    assert by_id(data["drivers"], "driver_id")[str(crew.driver.id)]["state"] == "offered"
    assert f"offer_unanswered:{offered}" not in by_id(data["alerts"])  # just made
    DispatchAttempt.objects.filter(trip_id=offered).update(updated_at=timezone.now() - dt.timedelta(seconds=95))
    alert = by_id(snapshot(world)["alerts"])[f"offer_unanswered:{offered}"]
    assert (alert["driver_id"], alert["severity"]) == (str(crew.driver.id), "medium")
    assert alert["detail"].startswith(f"offered to {crew.driver.display_name} 1 min ago")


def test_papers_expiring_on_a_driver_on_shift_raise_an_alert(manual):
    world = manual
    crew = world.crews[0]
    today = timezone.localdate()
    DrivingLicence.objects.filter(driver_id=crew.driver.id).update(expires_on=today + dt.timedelta(days=3))
    VehicleDocument.objects.filter(vehicle_id=crew.van_id, kind="insurance").update(
        expires_on=today + dt.timedelta(days=5)
    )
    alerts = by_id(snapshot(world)["alerts"])
    papers = alerts[f"papers_expiring:{crew.driver.id}"]
    assert papers["severity"] == "medium" and papers["title"] == f"{crew.driver.display_name}: papers expiring"
    assert papers["detail"] == (
        f"driving licence expires on {today + dt.timedelta(days=3)}; BDS1 insurance expires on "
        f"{today + dt.timedelta(days=5)}"
    )
    assert not [a for a in alerts.values() if a["kind"] == "papers_expiring" and a["driver_id"] != str(crew.driver.id)]


def test_the_snapshot_makes_the_same_queries_for_two_trips_or_eight(manual, relay_and_deliver):
    world = manual
    for crew, where in zip(world.crews, PLACES, strict=True):
        place(crew, *where)

    def counted():
        with CaptureEveryDatabase() as queries:
            data = snapshot(world)
        return len(queries), data

    for crew in world.crews[:2]:
        trips_assignment.trip_assign(trip_id=book_van(world), shift_id=crew.shift_id, actor_id=None)
    relay_and_deliver()
    counted()  # the dispatcher's principal is cached from here on
    few, data = counted()
    assert len(data["trips"]) == 2
    Shift.objects.filter(fleet_id=world.fleet_id).update(pooling=True)
    for n in range(6):
        trips_assignment.trip_assign(trip_id=book_van(world), shift_id=world.crews[n % 3].shift_id, actor_id=None)
    relay_and_deliver()
    many, data = counted()
    assert len(data["trips"]) == 8 and all(t["driver_name"] for t in data["trips"])
    assert {t["customer_name"] for t in data["trips"]} == {world.fleets.customer.display_name}  # names, not ids
    assert many == few


@pytest.mark.django_db(transaction=True)
def test_trip_messages_carry_timing_and_names(manual, relay_and_deliver, live_store):
    world = manual
    crew = world.crews[0]
    place(crew, *PLACES[0])
    trip_id = book_van(world)
    relay_and_deliver()

    async def scenario():
        url = f"/ws/dispatch/fleets/{world.fleet_id}/?token={AccessToken.for_user(world.fleets.a.users['dispatcher'])}"
        screen = WebsocketCommunicator(application, url)
        assert (await screen.connect())[0]
        assert (await screen.receive_json_from(timeout=3))["type"] == "snapshot"
        await database_sync_to_async(trips_assignment.trip_assign)(
            trip_id=trip_id, shift_id=crew.shift_id, actor_id=None
        )
        await database_sync_to_async(relay_and_deliver)()
        while (message := await screen.receive_json_from(timeout=3))["type"] != "trip":
            pass
        await screen.disconnect()
        return message

    message = async_to_sync(scenario)()
    trip = message["trip"]
    assert message["change"] == "assigned"
    assert (trip["customer_name"], trip["driver_name"], trip["registration"]) == (
        world.fleets.customer.display_name,
        crew.driver.display_name,
        "BDS1",
    )
    assert trip["timing"]["next_stop"] == 1 and trip["timing"]["state"] == "on_time"
    assert trip["timing"]["eta"] is not None


@pytest.mark.django_db(transaction=True)
def test_the_beat_task_sends_the_board_to_a_connected_screen(dispatch_world, relay_and_deliver, live_store):
    world = dispatch_world
    Fleet.objects.filter(id=world.fleet_id).update(auto_dispatch=False)
    crew = world.crews[0]
    place(crew, *PLACES[0])
    trip_id = book_van(world)
    Stop.objects.filter(trip_id=trip_id, sequence=1).update(window_end=timezone.now() - dt.timedelta(minutes=3))
    relay_and_deliver()

    async def scenario():
        url = f"/ws/dispatch/fleets/{world.fleet_id}/?token={AccessToken.for_user(world.fleets.a.users['dispatcher'])}"
        screen = WebsocketCommunicator(application, url)
        assert (await screen.connect())[0]
        snap = await screen.receive_json_from(timeout=3)
        assert await database_sync_to_async(tasks.push_boards.apply)() is not None
        while (message := await screen.receive_json_from(timeout=3))["type"] != "board":
            pass
        await screen.disconnect()
        return snap, message

    snap, board = async_to_sync(scenario)()
    assert board["seq"] == snap["seq"]  # not advanced
    assert board["timings"][trip_id]["state"] == "late"
    assert board["drivers"][str(crew.driver.id)]["state"] == "idle"
    assert {"state", "trip_ids", "stale", "last_ping_at", "shift_id"} <= set(board["drivers"][str(crew.driver.id)])
    assert f"late:{trip_id}" in {a["id"] for a in board["alerts"]}
    assert live_store.fleets_watched() == set()  # the screen left: no more boards for this fleet


def test_candidates_come_in_the_matchers_order_then_the_others_with_reasons(manual, relay_and_deliver):
    world = manual
    near, middle, far = world.crews
    for crew, where in zip(world.crews, [2, 0, 1], strict=True):
        place(crew, *PLACES[where])
    trip_id = book_van(world)
    dispatcher = world.fleets.a.client("dispatcher")

    def candidates():
        response = dispatcher.get(f"/api/v1/dispatch/trips/{trip_id}/candidates/")
        assert response.status_code == 200, response.json()
        return response.json()["candidates"]

    ranked = candidates()
    expected = matching.NearestEligibleDriver().candidates(trips_api.trip_get(trip_id=trip_id), exclude=set())
    assert [c["driver_id"] for c in ranked] == [str(c.driver_id) for c in expected]
    assert [c["rank"] for c in ranked] == [1, 2, 3]
    # and, independently of the matcher's code both share: nearest first (1, 2 then 3 km from the pickup)
    assert [c["driver_id"] for c in ranked] == [str(c.driver.id) for c in (middle, far, near)]
    first = ranked[0]
    assert (first["driver_name"], first["registration"], first["vehicle_type"]) == (
        middle.driver.display_name,
        "BDS2",
        "van",
    )
    assert first["eligible"] and first["reasons"] == [] and first["travel_s"] > 0
    assert (first["spare_weight_kg"], first["current"]) == (800, False)

    # off duty, busy without pooling, a bike: no longer eligible, each says why
    partner_duty.duty_set(driver_id=middle.driver.id, on_duty=False)
    trips_assignment.trip_assign(trip_id=book_van(world), shift_id=far.shift_id, actor_id=None)
    bike = vehicle(Fleet.objects.get(id=world.fleet_id), vehicle_type="bike", registration="B-BIKE 1")
    Shift.objects.filter(id=near.shift_id).update(vehicle_id=bike.id)
    relay_and_deliver()
    ranked = by_id(candidates(), "driver_id")
    assert [c for c in ranked.values() if c["eligible"]] == []
    assert "off duty" in ranked[str(middle.driver.id)]["reasons"]
    assert ranked[str(far.driver.id)]["reasons"] == ["busy with another trip and the shift does not pool"]
    assert ranked[str(near.driver.id)]["reasons"] == ["a bike: the trip is booked for a van"]
    assert all(c["rank"] is None for c in ranked.values())
    assert matching.NearestEligibleDriver().candidates(trips_api.trip_get(trip_id=trip_id), exclude=set()) == []


def test_candidates_leave_out_the_drivers_already_offered_the_trip_as_auto_dispatch_does(manual):
    world = manual
    near, middle, far = world.crews
    for crew, where in zip(world.crews, [0, 1, 2], strict=True):
        place(crew, *PLACES[where])
    trip_id = book_van(world)
    DispatchAttempt.objects.create(  # auto-dispatch offered it to the nearest, who declined, then gave up
        trip_id=trip_id,
        fleet_id=world.fleet_id,
        status=DispatchAttempt.Status.FLAGGED,
        offers_made=1,
        tried_driver_ids=[str(near.driver.id)],
    )
    response = world.fleets.a.client("dispatcher").get(f"/api/v1/dispatch/trips/{trip_id}/candidates/")
    assert response.status_code == 200, response.json()
    found = response.json()["candidates"]
    assert [(c["driver_id"], c["rank"]) for c in found if c["eligible"]] == [
        (str(middle.driver.id), 1),
        (str(far.driver.id), 2),
    ]
    declined = by_id(found, "driver_id")[str(near.driver.id)]
    assert (declined["eligible"], declined["rank"], declined["reasons"]) == (False, None, ["already offered it"])
    assert declined["assignable"]  # not suggested again, but a dispatcher who phoned them may still assign them
    assert all(c["assignable"] for c in found if c["eligible"])


def test_candidates_show_the_current_shift_too_heavy_and_no_position(manual):
    world = manual
    crew, other, _ = world.crews
    place(crew, *PLACES[0])
    trip_id = book_van(world, weight_kg=500)
    trips_assignment.trip_assign(trip_id=trip_id, shift_id=crew.shift_id, actor_id=None)
    response = world.fleets.a.client("dispatcher").get(f"/api/v1/dispatch/trips/{trip_id}/candidates/")
    found = by_id(response.json()["candidates"], "driver_id")
    mine = found[str(crew.driver.id)]
    assert (mine["current"], mine["eligible"], mine["rank"], mine["spare_weight_kg"]) == (True, True, 1, 800)
    assert found[str(other.driver.id)]["reasons"] == ["no live position"]
    assert found[str(other.driver.id)]["assignable"]  # on shift with a van that fits: the app is just silent
    heavy = book_van(world, weight_kg=500)
    trips_assignment.trip_assign(trip_id=heavy, shift_id=other.shift_id, actor_id=None)
    Shift.objects.filter(id=other.shift_id).update(pooling=True)
    found = by_id(
        world.fleets.a.client("dispatcher").get(f"/api/v1/dispatch/trips/{trip_id}/candidates/").json()["candidates"],
        "driver_id",
    )
    assert found[str(other.driver.id)]["reasons"] == [
        "the load does not fit: 300 kg and 2 seats spare, the trip needs 500 kg and 0 seats",
        "no live position",
    ]
    assert not found[str(other.driver.id)]["assignable"]  # a rule trips enforces: not even by hand


def test_candidates_are_for_the_trips_own_fleet_and_open_trips_only(manual):
    world = manual
    trip_id = book_van(world)
    url = f"/api/v1/dispatch/trips/{trip_id}/candidates/"
    assert world.fleets.b.client("dispatcher").get(url).status_code == 404
    assert world.fleets.a.client("driver").get(url).status_code == 403
    assert client_for(world.fleets.customer).get(url).status_code == 403
    missing = world.fleets.a.client("dispatcher").get(
        "/api/v1/dispatch/trips/00000000-0000-0000-0000-000000000000/candidates/"
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "dispatch.trip_not_found")
    trips_lifecycle.trip_transition(trip_id=trip_id, action="cancel", actor_id=None, role="dispatcher", reason="test")
    ended = world.fleets.a.client("dispatcher").get(url)
    assert (ended.status_code, ended.json()["code"]) == (409, "dispatch.trip_ended")
    assert ended["Content-Type"].startswith("application/problem+json")
