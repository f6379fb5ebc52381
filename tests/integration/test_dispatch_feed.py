"""Driver and dispatch-screen websockets over the real ASGI app and the Redis channel layer: authentication and
tenant checks before anything is sent (a refusal closes with 4401 or 4403), pings acked and fanned out, numbered
screen messages and REST resync."""

import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from apps.dispatch.models import PositionPing
from apps.partner.services import duty as partner_duty
from config.asgi import application
from logitrack.db import contexts
from logitrack.realtime import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED
from logitrack.testing.realtime import admitted_or_closed
from tests.support.dispatch_world import ping
from tests.support.isolation import client_for

pytestmark = pytest.mark.django_db(transaction=True)
PICKUP = {"kind": "pickup", "address": "Invalidenstraße 1, Berlin", "lat": 52.5310, "lng": 13.3847}
DROPOFF = {"kind": "dropoff", "address": "Oranienstraße 25, Berlin", "lat": 52.5016, "lng": 13.4190}


def run(coro):
    async def wrapper():
        return await coro

    return async_to_sync(wrapper)()


async def connect(path, user=None, **kwargs):
    joiner = "&" if "?" in path else "?"
    url = f"{path}{joiner}token={AccessToken.for_user(user)}" if user is not None else path
    communicator = WebsocketCommunicator(application, url, **kwargs)
    connected, code = await communicator.connect()
    return communicator, connected, code


async def next_of(communicator, kind, timeout=3):
    """The next message of this type (others, e.g. position batches, are skipped)."""
    while True:
        message = await communicator.receive_json_from(timeout=timeout)
        if message["type"] == kind:
            return message


def test_sockets_close_on_strangers_with_their_code(dispatch_world):
    world = dispatch_world
    feed = f"/ws/dispatch/fleets/{world.fleet_id}/"

    async def scenario():
        for path, user, expected in [
            ("/ws/driver/", None, CLOSE_UNAUTHENTICATED),
            ("/ws/driver/", world.fleets.a.users["dispatcher"], CLOSE_FORBIDDEN),  # not a driver
            ("/ws/driver/", world.fleets.customer, CLOSE_FORBIDDEN),
            (f"/ws/driver/?fleet_id={world.fleets.b.fleet_id}", world.crews[0].user, CLOSE_FORBIDDEN),  # not theirs
            (feed, None, CLOSE_UNAUTHENTICATED),
            (feed, world.fleets.b.users["dispatcher"], CLOSE_FORBIDDEN),  # another fleet's screen
            (feed, world.fleets.a.users["driver"], CLOSE_FORBIDDEN),
            (feed, world.fleets.customer, CLOSE_FORBIDDEN),
            ("/ws/dispatch/fleets/not-a-uuid/", world.fleets.a.users["dispatcher"], CLOSE_FORBIDDEN),
        ]:
            joiner = "&" if "?" in path else "?"
            url = f"{path}{joiner}token={AccessToken.for_user(user)}" if user is not None else path
            connected, code, _ = await admitted_or_closed(WebsocketCommunicator(application, url))
            assert (connected, code) == (False, expected), path
        evil = WebsocketCommunicator(
            application,
            f"{feed}?token={AccessToken.for_user(world.fleets.a.users['dispatcher'])}",
            headers=[(b"origin", b"https://evil.example")],
        )
        connected, _ = await evil.connect()
        assert connected is False  # a page on another site cannot ride on a dispatcher's session

    run(scenario())


def test_pings_are_acked_stored_once_and_reach_only_the_own_fleets_screens(dispatch_world, live_store):
    world = dispatch_world
    crew = world.crews[0]

    async def scenario():
        screen, connected, _ = await connect(
            f"/ws/dispatch/fleets/{world.fleet_id}/", world.fleets.a.users["dispatcher"]
        )
        assert connected
        snapshot = await next_of(screen, "snapshot")
        assert snapshot["seq"] == 0  # nobody has shared a position: the drivers on shift are listed, without one
        assert {(d["lat"], d["state"]) for d in snapshot["drivers"]} == {(None, "stale")}
        other_screen, _, _ = await connect(
            f"/ws/dispatch/fleets/{world.fleets.b.fleet_id}/", world.fleets.b.users["dispatcher"]
        )
        await next_of(other_screen, "snapshot")

        driver, connected, _ = await connect("/ws/driver/", crew.user)
        assert connected
        assert (await next_of(driver, "hello"))["driver_id"] == str(crew.driver.id)
        first = ping(52.51, 13.40, seconds_ago=2, heading=90.0, speed_mps=8.0)
        await driver.send_json_to({"type": "ping", **first})
        assert (await next_of(driver, "ack"))["ping_ids"] == [first["ping_id"]]
        seen = await next_of(screen, "positions")
        assert seen["positions"][0]["driver_id"] == str(crew.driver.id)
        assert (seen["positions"][0]["lat"], seen["positions"][0]["heading"]) == (52.51, 90.0)

        # a resend (lost ack) and an older buffered fix: both acked, neither moves the driver back
        older = ping(52.40, 13.30, seconds_ago=30)
        await driver.send_json_to({"type": "pings", "pings": [first, older]})
        assert sorted((await next_of(driver, "ack"))["ping_ids"]) == sorted([first["ping_id"], older["ping_id"]])
        newer = ping(52.52, 13.41, seconds_ago=1)
        await driver.send_json_to({"type": "ping", **newer})
        await next_of(driver, "ack")
        assert (await next_of(screen, "positions"))["positions"][0]["lat"] == 52.52  # not the older 52.40
        assert await other_screen.receive_nothing(timeout=0.3)

        # someone else's driver id, and nonsense, are refused with a reason; nothing else happens
        await driver.send_json_to({"type": "ping", **ping(52.5, 13.4, driver_id=str(world.crews[1].driver.id))})
        assert (await next_of(driver, "error"))["code"] == "dispatch.not_your_driver"
        await driver.send_json_to({"type": "ping", **ping(95, 13.4)})
        bad = await next_of(driver, "error")
        assert bad["code"] == "dispatch.invalid_ping" and "lat" in bad["errors"]
        await driver.send_to(text_data="{not json")
        assert (await next_of(driver, "error"))["code"] == "dispatch.bad_json"
        await driver.send_json_to({"type": "selfie"})
        assert (await next_of(driver, "error"))["code"] == "dispatch.unknown_message"
        for communicator in (driver, screen, other_screen):
            await communicator.disconnect()

    run(scenario())
    assert PositionPing.objects.filter(driver_id=crew.driver.id).count() == 3
    held = live_store.get(world.fleet_id, [crew.driver.id])[crew.driver.id]
    assert (held.lat, held.lng) == (52.52, 13.41)


def test_a_driver_off_duty_cannot_place_themselves_on_the_map(dispatch_world, live_store, relay_and_deliver):
    crew = dispatch_world.crews[1]
    partner_duty.duty_set(driver_id=crew.driver.id, on_duty=False)
    relay_and_deliver()

    async def scenario():
        driver, connected, _ = await connect("/ws/driver/", crew.user)
        assert connected  # offers and assignments can still reach them
        await driver.send_json_to({"type": "ping", **ping(52.5, 13.4)})
        assert (await next_of(driver, "error"))["code"] == "dispatch.not_on_duty"
        # going on duty reaches the open socket at once (partner's event), no reconnect or wait needed
        await database_sync_to_async(partner_duty.duty_set)(driver_id=crew.driver.id, on_duty=True)
        await database_sync_to_async(relay_and_deliver)()
        assert (await next_of(driver, "duty"))["on_duty"] is True
        await driver.send_json_to({"type": "ping", **ping(52.5, 13.4)})
        assert (await next_of(driver, "ack"))["type"] == "ack"
        await driver.disconnect()

    run(scenario())
    assert PositionPing.objects.filter(driver_id=crew.driver.id).count() == 1
    assert [p.driver_id for p in live_store.fleet(dispatch_world.fleet_id)] == [crew.driver.id]


def test_screen_messages_are_numbered_and_the_snapshot_says_where_it_stands(dispatch_world, relay_and_deliver):
    world = dispatch_world
    customer = client_for(world.fleets.customer)
    dispatcher = world.fleets.a.client("dispatcher")
    crew = world.crews[0]

    async def scenario():
        screen, _, _ = await connect(f"/ws/dispatch/fleets/{world.fleet_id}/", world.fleets.a.users["dispatcher"])
        start = (await next_of(screen, "snapshot"))["seq"]
        booked = await database_sync_to_async(customer.post)(
            "/api/v1/trips/trips/",
            {"fleet_id": str(world.fleet_id), "vehicle_type": "van", "stops": [PICKUP, DROPOFF], "weight_kg": 50},
            format="json",
        )
        trip_id = booked.json()["id"]
        await database_sync_to_async(relay_and_deliver)()
        requested = await next_of(screen, "trip")
        assert (requested["seq"], requested["change"], requested["trip"]["id"]) == (start + 1, "requested", trip_id)
        assert requested["trip"]["dispatch"]["status"] == "flagged"  # auto-dispatch: nobody on the live map yet

        assigned = await database_sync_to_async(dispatcher.post)(
            f"/api/v1/trips/trips/{trip_id}/assign/",
            {"shift_id": str(crew.shift_id)},
            format="json",
            HTTP_IF_MATCH='W/"1"',
        )
        assert assigned.status_code == 200
        await database_sync_to_async(relay_and_deliver)()
        numbered = [await next_of(screen, "trip") for _ in range(2)]
        assert sorted(m["seq"] for m in numbered) == [start + 2, start + 3]
        assert {m["change"] for m in numbered} == {"assigned", "status_changed"}
        assert all(m["trip"]["status"] == "assigned" for m in numbered)

        # a screen that lost its connection reloads the snapshot: it reflects everything numbered so far
        snapshot = await database_sync_to_async(dispatcher.get)(f"/api/v1/dispatch/fleets/{world.fleet_id}/snapshot/")
        body = snapshot.json()
        assert body["seq"] == start + 3
        assert {t["id"]: t["status"] for t in body["trips"]} == {trip_id: "assigned"}
        assert {s["id"] for s in body["shifts"]} == {str(c.shift_id) for c in world.crews}
        await screen.send_json_to({"type": "resync"})
        assert (await next_of(screen, "snapshot"))["seq"] == start + 3
        await screen.disconnect()

    run(scenario())
    hidden = world.fleets.b.client("dispatcher").get(f"/api/v1/dispatch/fleets/{world.fleet_id}/snapshot/")
    assert hidden.status_code == 404
    missing = dispatcher.get(f"/api/v1/dispatch/fleets/{uuid.uuid4()}/snapshot/")
    assert missing.status_code == 404


def test_offers_and_assignments_reach_the_driver_app_live(dispatch_world, relay_and_deliver):
    world = dispatch_world
    crew = world.crews[0]
    customer = client_for(world.fleets.customer)

    async def scenario():
        driver, _, _ = await connect("/ws/driver/", crew.user)
        await next_of(driver, "hello")
        await driver.send_json_to({"type": "ping", **ping(52.535, 13.385)})
        await next_of(driver, "ack")
        booked = await database_sync_to_async(customer.post)(
            "/api/v1/trips/trips/",
            {"fleet_id": str(world.fleet_id), "vehicle_type": "van", "stops": [PICKUP, DROPOFF], "weight_kg": 50},
            format="json",
        )
        await database_sync_to_async(relay_and_deliver)()  # auto-dispatch offers it to the only driver around
        await database_sync_to_async(relay_and_deliver)()  # the offer event reaches dispatch
        offer = await next_of(driver, "offer")
        assert offer["trip"]["id"] == booked.json()["id"] and offer["trip"]["stops"][0]["lat"] == PICKUP["lat"]
        accepted = await database_sync_to_async(client_for(crew.user).post)(
            f"/api/v1/trips/offers/{offer['offer']['id']}/accept/", {}, format="json"
        )
        assert accepted.status_code == 200
        await database_sync_to_async(relay_and_deliver)()
        assignment = await next_of(driver, "assignment")
        assert (assignment["trip"]["id"], assignment["trip"]["status"]) == (booked.json()["id"], "assigned")
        await driver.disconnect()

    run(scenario())


def test_an_idle_socket_outlives_the_channel_layers_blocking_read(dispatch_world):
    """redis-py's default 5 s socket timeout used to race channels-redis' 5 s blocking read and kill idle
    consumers; a driver app that says nothing for a while must still be connected afterwards."""
    crew = dispatch_world.crews[0]

    async def scenario():
        driver, _, _ = await connect("/ws/driver/", crew.user)
        await next_of(driver, "hello")
        assert await driver.receive_nothing(timeout=7, interval=0.5)
        await driver.send_json_to({"type": "ping", **ping(52.5, 13.4)})
        assert (await next_of(driver, "ack"))["type"] == "ack"
        await driver.disconnect()

    run(scenario())


def test_a_frame_sent_right_after_a_refusal_reads_nothing_of_the_other_fleet(dispatch_world, monkeypatch):
    """A refused connection is accepted, then closed: a resync the client sends before it reads the close must not
    compute (nor try to send) a snapshot of the fleet it was refused."""
    from apps.dispatch import consumers

    snapshots = []
    real_snapshot = consumers._snapshot
    monkeypatch.setattr(consumers, "_snapshot", lambda fleet_id: snapshots.append(fleet_id) or real_snapshot(fleet_id))
    world = dispatch_world
    stranger = world.fleets.b.users["dispatcher"]

    async def scenario():
        url = f"/ws/dispatch/fleets/{world.fleet_id}/?token={AccessToken.for_user(stranger)}"
        communicator = WebsocketCommunicator(application, url)
        accepted, _ = await communicator.connect()
        assert accepted  # refusals are accepted, then closed with their code
        await communicator.send_json_to({"type": "resync"})
        closed = await communicator.receive_output(3)
        assert (closed["type"], closed.get("code")) == ("websocket.close", CLOSE_FORBIDDEN)
        assert await communicator.receive_nothing(1)  # no snapshot, no error after the close
        await communicator.disconnect()

    run(scenario())
    assert snapshots == []


def test_a_late_older_trip_event_does_not_bring_back_what_the_trip_moved_on_from(dispatch_world, relay_and_deliver):
    """The assignment's event is retried after the cancellation's was delivered: screens keep the cancelled card
    and the driver's app hears of no assignment, because the late event's trip is older than the one shown."""
    from apps.trips.services import assignment, lifecycle
    from logitrack.outbox import delivery
    from logitrack.outbox.models import OutboxMessage

    world = dispatch_world
    crew = world.crews[0]
    customer = client_for(world.fleets.customer)

    def v2(event_type, trip_id):
        rows = OutboxMessage.objects.using(contexts.alias("trips")).filter(
            event_type=f"logitrack.trips.trip.{event_type}.v2"
        )
        return next(m.envelope for m in rows if m.envelope["data"]["trip"]["id"] == trip_id)

    async def scenario():
        screen, _, _ = await connect(f"/ws/dispatch/fleets/{world.fleet_id}/", world.fleets.a.users["dispatcher"])
        driver, _, _ = await connect("/ws/driver/", crew.user)
        await next_of(screen, "snapshot")
        await next_of(driver, "hello")
        booked = await database_sync_to_async(customer.post)(
            "/api/v1/trips/trips/",
            {"fleet_id": str(world.fleet_id), "vehicle_type": "van", "stops": [PICKUP, DROPOFF], "weight_kg": 50},
            format="json",
        )
        trip_id = booked.json()["id"]
        await database_sync_to_async(relay_and_deliver)()
        assert (await next_of(screen, "trip"))["change"] == "requested"

        def assign_then_cancel():
            assignment.trip_assign(trip_id=uuid.UUID(trip_id), shift_id=crew.shift_id, actor_id=None)
            lifecycle.trip_transition(
                trip_id=uuid.UUID(trip_id), action="cancel", actor_id=None, role="dispatcher", reason="duplicate"
            )
            # the cancellation is delivered first; the assignment's delivery failed once and comes back later
            delivery.deliver(subscription_name="dispatch.show_cancellation", envelope=v2("cancelled", trip_id))
            delivery.deliver(subscription_name="dispatch.show_assignment", envelope=v2("assigned", trip_id))

        await database_sync_to_async(assign_then_cancel)()
        shown = await next_of(screen, "trip")
        assert (shown["change"], shown["trip"]["status"], shown["trip"]["version"]) == ("cancelled", "cancelled", 3)
        assert await screen.receive_nothing(timeout=0.5)  # no "assigned" card after it
        assert await driver.receive_nothing(timeout=0.5)  # and no assignment for a cancelled trip
        await screen.disconnect()
        await driver.disconnect()

    run(scenario())
