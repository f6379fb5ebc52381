"""Driver presence (`api.drivers_connected`): a driver counts as connected while a /ws/driver/ socket of theirs is
open and its app keeps talking; closing the socket, or going silent past the lease (a process that died never
closes its sockets), makes them absent. Over the real ASGI application and the Redis live store."""

import asyncio
import time
import uuid

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from apps.dispatch import api
from apps.dispatch.live import MemoryLiveStore, RedisLiveStore
from config.asgi import application
from tests.support.dispatch_world import ping

pytestmark = pytest.mark.django_db(transaction=True)


def run(scenario):
    async_to_sync(scenario)()


async def driver_socket(crew) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, f"/ws/driver/?token={AccessToken.for_user(crew.user)}")
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from(timeout=3))["type"] == "hello"
    return communicator


connected = sync_to_async(lambda ids: api.drivers_connected(driver_ids=ids), thread_sensitive=False)


def test_a_driver_is_connected_while_their_socket_is_open(dispatch_world, live_store):
    me, other = dispatch_world.crews[0], dispatch_world.crews[1]
    everyone = [me.driver.id, other.driver.id, uuid.uuid4()]

    async def scenario():
        assert await connected(everyone) == frozenset()
        socket = await driver_socket(me)
        assert await connected(everyone) == {me.driver.id}
        await socket.disconnect()
        assert await connected(everyone) == frozenset()

    run(scenario)


def test_a_second_device_keeps_the_driver_connected_until_both_close(dispatch_world, live_store):
    me = dispatch_world.crews[0]

    async def scenario():
        phone, tablet = await driver_socket(me), await driver_socket(me)
        await phone.disconnect()  # e.g. the app reconnected and the old socket closed after the new one opened
        assert await connected([me.driver.id]) == {me.driver.id}
        await tablet.disconnect()
        assert await connected([me.driver.id]) == frozenset()

    run(scenario)


def test_a_silent_socket_lapses_and_a_heartbeat_or_ping_renews_it(dispatch_world, live_store, settings):
    settings.DISPATCH_PRESENCE_TTL_SECONDS = 0.9
    me = dispatch_world.crews[0]

    async def scenario():
        socket = await driver_socket(me)
        assert await connected([me.driver.id]) == {me.driver.id}
        await asyncio.sleep(1.2)  # never closed (as if its server process died), but silent past the lease
        assert await connected([me.driver.id]) == frozenset()

        await socket.send_json_to({"type": "heartbeat"})
        assert (await socket.receive_json_from(timeout=3)) == {"type": "heartbeat"}
        for _ in range(20):  # renewals ride on the next ping batch (DISPATCH_FLUSH_MS), not before the answer
            if await connected([me.driver.id]):
                break
            await asyncio.sleep(0.02)
        assert await connected([me.driver.id]) == {me.driver.id}
        await asyncio.sleep(1.2)
        assert await connected([me.driver.id]) == frozenset()

        await socket.send_json_to({"type": "ping", **ping(52.5, 13.4)})  # position pings renew it too
        assert (await socket.receive_json_from(timeout=3))["type"] == "ack"
        assert await connected([me.driver.id]) == {me.driver.id}
        await socket.disconnect()

    run(scenario)


def test_the_redis_key_of_a_dead_process_expires_on_its_own(live_store, settings):
    if not isinstance(live_store, RedisLiveStore):
        pytest.skip("the full stack's store")
    driver = uuid.uuid4()
    live_store.presence_mark(driver, "gone-process!abc", seconds=0.5)
    key = live_store._presence_key(driver)
    assert 0 < live_store.redis.pttl(key) <= 1500
    time.sleep(1.6)
    assert live_store.redis.exists(key) == 0  # nothing is left behind in Redis either
    assert live_store.presence_of([driver]) == set()


def test_the_embedded_store_keeps_presence_by_the_same_rules():
    store = MemoryLiveStore(ttl_s=120)
    a, b = uuid.uuid4(), uuid.uuid4()
    store.presence_mark(a, "one", seconds=30)
    store.presence_mark(a, "two", seconds=30)
    store.presence_mark(b, "three", seconds=0.2)
    assert store.presence_of([a, b, uuid.uuid4()]) == {a, b}
    store.presence_drop(a, "one")
    time.sleep(0.3)
    assert store.presence_of([a, b]) == {a}  # a's second socket is open; b's lease ran out
    store.presence_drop(a, "two")
    assert store.presence_of([a, b]) == set()
