"""Websocket edges over the real ASGI application: hostile messages get an error message and the socket stays
usable; unknown paths are refused as not found."""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from config.asgi import application
from logitrack.realtime import CLOSE_FORBIDDEN, CLOSE_NOT_FOUND
from logitrack.testing.metrics import scraped
from tests.support.dispatch_world import ping

pytestmark = pytest.mark.django_db(transaction=True)
DEEP_LISTS = "[" * 5000 + "]" * 5000  # about 10 KB: Python's json decoder raised RecursionError on it
DEEP_OBJECTS = '{"type": ' * 65 + '"ping"' + "}" * 65


def run(coro):
    async def wrapper():
        return await coro

    return async_to_sync(wrapper)()


async def opened(path, user):
    communicator = WebsocketCommunicator(application, f"{path}?token={AccessToken.for_user(user)}")
    connected, _ = await communicator.connect()
    assert connected, path
    return communicator


async def next_of(communicator, kind, timeout=3):
    while True:
        message = await communicator.receive_json_from(timeout=timeout)
        if message["type"] == kind:
            return message


def test_deeply_nested_json_gets_an_error_and_the_sockets_stay_usable(dispatch_world, live_store):
    world = dispatch_world
    crew = world.crews[0]

    async def scenario():
        driver = await opened("/ws/driver/", crew.user)
        await next_of(driver, "hello")
        screen = await opened(f"/ws/dispatch/fleets/{world.fleet_id}/", world.fleets.a.users["dispatcher"])
        await next_of(screen, "snapshot")
        for communicator in (driver, screen):
            for hostile in (DEEP_LISTS, DEEP_OBJECTS, DEEP_LISTS.encode()):
                if isinstance(hostile, bytes):
                    await communicator.send_to(bytes_data=hostile)
                else:
                    await communicator.send_to(text_data=hostile)
                error = await next_of(communicator, "error")
                assert error["code"] == "dispatch.bad_json"
                assert "nested deeper than 64 levels" in error["message"]
        # both still work
        fix = ping(52.51, 13.40, seconds_ago=1)
        await driver.send_json_to({"type": "ping", **fix})
        assert (await next_of(driver, "ack"))["ping_ids"] == [fix["ping_id"]]
        await screen.send_json_to({"type": "resync"})
        await next_of(screen, "snapshot")
        for communicator in (driver, screen):
            await communicator.disconnect()

    run(scenario())


def test_open_sockets_are_counted_per_kind_until_they_close_and_refused_ones_never(dispatch_world, live_store):
    world = dispatch_world
    series = 'logitrack_websocket_connections{{kind="{}"}}'.format
    read = sync_to_async(lambda: {kind: scraped(series(kind)) for kind in ("driver", "screen")})

    async def scenario():
        before = await read()
        driver = await opened("/ws/driver/", world.crews[0].user)
        screen = await opened(f"/ws/dispatch/fleets/{world.fleet_id}/", world.fleets.a.users["dispatcher"])
        stranger = WebsocketCommunicator(
            application,
            f"/ws/dispatch/fleets/{world.fleet_id}/?token={AccessToken.for_user(world.fleets.b.users['dispatcher'])}",
        )
        assert (await stranger.connect())[0] and (await stranger.receive_output())["code"] == CLOSE_FORBIDDEN
        assert await read() == {"driver": before["driver"] + 1, "screen": before["screen"] + 1}
        await driver.disconnect()
        assert await read() == {"driver": before["driver"], "screen": before["screen"] + 1}
        await screen.disconnect()
        assert await read() == before

    run(scenario())


@pytest.mark.parametrize("path", ["/ws/nowhere/", "/ws/dispatch/", "/ws/driver/extra/", "/", "/admin/"])
def test_a_websocket_to_an_unknown_path_is_refused_as_not_found(path, dispatch_world):
    """The ASGI test client has no denial-response extension: closed before accept with 4404 (a real server
    answers 404: tests/integration/test_websocket_server.py)."""
    user = dispatch_world.fleets.a.users["dispatcher"]

    async def scenario():
        communicator = WebsocketCommunicator(application, f"{path}?token={AccessToken.for_user(user)}")
        assert await communicator.connect() == (False, CLOSE_NOT_FOUND)

    run(scenario())
