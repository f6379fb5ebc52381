"""Websocket authentication happens before anything is sent: no principal, no connection. A refused connection
is accepted and closed at once with its code, so clients can tell 4401 (refresh) from 4403 (do not retry)."""

import datetime as dt
import time

import pytest
from asgiref.sync import async_to_sync
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.urls import path
from rest_framework_simplejwt.tokens import AccessToken

from apps.identity.realtime import AuthStack
from apps.identity.tests.factories import UserFactory
from logitrack.principal import Role
from logitrack.realtime import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED, AuthenticatedJsonConsumer
from logitrack.testing.realtime import admitted_or_closed


class WhoAmI(AuthenticatedJsonConsumer):
    async def authorize(self, principal):
        return not self.scope["url_route"]["kwargs"].get("managers_only") or principal.has_role(Role.FLEET_MANAGER)

    async def connected(self):
        await self.send_json({"user_id": str(self.principal.user_id), "roles": sorted(self.principal.roles)})


class Grouped(AuthenticatedJsonConsumer):
    """Joins a group before accept; its layer handlers answer, or fail."""

    async def authorize(self, principal):
        await self.channel_layer.group_add(f"test.user.{principal.user_id}", self.channel_name)
        return True

    async def test_say(self, event):
        await self.send_json({"said": event["text"]})

    async def test_fail(self, event):
        raise RuntimeError("a handler bug")


app = AuthStack(
    URLRouter(
        [
            path("ws/whoami/", WhoAmI.as_asgi()),
            path("ws/managers/", WhoAmI.as_asgi(), {"managers_only": True}),
            path("ws/grouped/", Grouped.as_asgi()),
        ]
    )
)

pytestmark = pytest.mark.django_db(transaction=True)


def run(coro):
    # async_to_sync keeps the middleware's database calls on this thread and its test connection
    async def wrapper():
        return await coro

    return async_to_sync(wrapper)()


async def _connect(url, **kwargs):
    """(communicator, admitted, close code, first message)."""
    communicator = WebsocketCommunicator(app, url, **kwargs)
    return communicator, *(await admitted_or_closed(communicator))


def test_no_token_is_closed_with_4401():
    async def scenario():
        _, connected, code, _ = await _connect("/ws/whoami/")
        assert (connected, code) == (False, CLOSE_UNAUTHENTICATED)

    run(scenario())


def test_a_forged_or_expired_token_is_refused():
    user = UserFactory()
    expired = AccessToken.for_user(user)
    expired.set_exp(lifetime=-dt.timedelta(seconds=1))

    async def scenario():
        for token in ("not.a.jwt", str(expired)):
            _, connected, code, _ = await _connect(f"/ws/whoami/?token={token}")
            assert (connected, code) == (False, CLOSE_UNAUTHENTICATED)

    run(scenario())


def test_a_token_of_a_deactivated_user_is_refused():
    user = UserFactory()
    token = str(AccessToken.for_user(user))
    user.is_active = False
    user.save()

    async def scenario():
        _, connected, code, _ = await _connect(f"/ws/whoami/?token={token}")
        assert (connected, code) == (False, CLOSE_UNAUTHENTICATED)

    run(scenario())


def test_a_valid_token_connects_by_query_string_or_subprotocol(two_fleets):
    manager = two_fleets.a.users["fleet_manager"]
    token = str(AccessToken.for_user(manager))

    async def scenario():
        for kwargs in (
            {"path": f"/ws/whoami/?token={token}"},
            {"path": "/ws/whoami/", "subprotocols": ["bearer", token]},
        ):
            communicator, connected, _, first = await _connect(kwargs.pop("path"), **kwargs)
            assert connected
            assert first == {"user_id": str(manager.id), "roles": ["fleet_manager"]}
            await communicator.disconnect()

    run(scenario())


def test_authorisation_failures_close_with_4403(two_fleets):
    token = str(AccessToken.for_user(two_fleets.a.users["driver"]))

    async def scenario():
        _, connected, code, _ = await _connect(f"/ws/managers/?token={token}")
        assert (connected, code) == (False, CLOSE_FORBIDDEN)

    run(scenario())


def test_the_session_cookie_authenticates_the_dispatch_screen(two_fleets, client):
    user = two_fleets.a.users["dispatcher"]
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"

    async def scenario():
        communicator, connected, _, first = await _connect("/ws/whoami/", headers=[(b"cookie", cookie.encode())])
        assert connected
        assert first["roles"] == ["dispatcher"]
        await communicator.disconnect()

    run(scenario())


def test_an_open_connection_closes_with_4401_when_its_token_expires():
    user = UserFactory()
    token = AccessToken.for_user(user)
    token.set_exp(from_time=dt.datetime.now(dt.UTC), lifetime=dt.timedelta(seconds=2))

    async def scenario():
        communicator, connected, _, first = await _connect(f"/ws/whoami/?token={token}")
        assert connected and first["user_id"] == str(user.id)
        started = time.monotonic()
        assert await communicator.receive_json_from(timeout=5) == {"type": "auth.expired"}
        closed = await communicator.receive_output(timeout=5)
        assert closed == {"type": "websocket.close", "code": CLOSE_UNAUTHENTICATED}
        assert time.monotonic() - started < 4

    run(scenario())


def test_a_refusal_over_the_bearer_subprotocol_echoes_it_then_closes_with_4401():
    """A browser fails a handshake that does not answer its subprotocol, and would never see the close code."""

    async def scenario():
        communicator = WebsocketCommunicator(app, "/ws/whoami/", subprotocols=["bearer", "not.a.jwt"])
        assert await communicator.connect() == (True, "bearer")
        assert await communicator.receive_output(timeout=3) == {
            "type": "websocket.close",
            "code": CLOSE_UNAUTHENTICATED,
        }

    run(scenario())


def test_a_logged_out_token_is_refused_at_connect_and_its_open_socket_closed(settings):
    """Logout ends the login's access tokens through identity's principal cache; websockets ask the same check as
    the REST API, at connect and every REALTIME_AUTH_RECHECK_SECONDS while open."""
    from asgiref.sync import sync_to_async

    from apps.identity.tokens import token_family_revoke, token_pair_issue

    settings.REALTIME_AUTH_RECHECK_SECONDS = 0.3
    pair = token_pair_issue(user=UserFactory())

    async def scenario():
        communicator, connected, _, first = await _connect(f"/ws/whoami/?token={pair.access}")
        assert connected and "user_id" in first
        await sync_to_async(token_family_revoke)(raw_refresh=pair.refresh)
        assert await communicator.receive_json_from(timeout=5) == {"type": "auth.ended"}
        closed = await communicator.receive_output(timeout=5)
        assert closed == {"type": "websocket.close", "code": CLOSE_UNAUTHENTICATED}
        _, connected, code, _ = await _connect(f"/ws/whoami/?token={pair.access}")
        assert (connected, code) == (False, CLOSE_UNAUTHENTICATED)

    run(scenario())


def test_a_socket_whose_token_still_holds_stays_open_across_rechecks(settings):
    from apps.identity.tokens import token_pair_issue

    settings.REALTIME_AUTH_RECHECK_SECONDS = 0.2
    pair = token_pair_issue(user=UserFactory())

    async def scenario():
        communicator, connected, _, _ = await _connect(f"/ws/whoami/?token={pair.access}")
        assert connected
        assert await communicator.receive_nothing(timeout=1.0)  # about five rechecks, each answered "still valid"
        await communicator.disconnect()

    run(scenario())


def test_layer_messages_reach_the_socket_in_order_and_a_failing_handler_closes_it_with_1011():
    """The consumers' own loop (logitrack.realtime: the socket read in place, the layer by one task) delivers group
    messages as Channels' did, one handler at a time, and a handler that raises ends the connection."""
    from channels.layers import get_channel_layer

    user = UserFactory()
    token = str(AccessToken.for_user(user))

    async def scenario():
        communicator = WebsocketCommunicator(app, f"/ws/grouped/?token={token}")
        assert (await communicator.connect(3))[0]
        layer, group = get_channel_layer(), f"test.user.{user.id}"
        for text in ("one", "two", "three"):
            await layer.group_send(group, {"type": "test.say", "text": text})
        assert [await communicator.receive_json_from(timeout=3) for _ in range(3)] == [
            {"said": "one"},
            {"said": "two"},
            {"said": "three"},
        ]
        await layer.group_send(group, {"type": "test.fail"})
        assert await communicator.receive_output(timeout=3) == {"type": "websocket.close", "code": 1011}
        await communicator.disconnect()

    run(scenario())


def test_sockets_take_tokens_of_every_listed_key_and_refuse_secret_key_or_dropped_key_tokens():
    import jwt
    from django.conf import settings
    from django.test import override_settings

    from logitrack import jwks

    user, old, new = UserFactory(), jwks.Key.generate(), jwks.Key.generate()
    with override_settings(JWT_SIGNING_KEY=old.private_pem()):
        by_old = str(AccessToken.for_user(user))
    hs256 = jwt.encode(jwt.decode(by_old, options={"verify_signature": False}), settings.SECRET_KEY, algorithm="HS256")

    async def outcome(token):
        communicator, connected, code, _ = await _connect(f"/ws/whoami/?token={token}")
        if connected:
            await communicator.disconnect()
        return connected, code

    with override_settings(JWT_SIGNING_KEY=new.private_pem(), JWT_VERIFICATION_KEYS=old.public_pem()):
        assert run(outcome(by_old)) == (True, None)
        assert run(outcome(str(AccessToken.for_user(user)))) == (True, None)
        assert run(outcome(hs256)) == (False, CLOSE_UNAUTHENTICATED)
    with override_settings(JWT_SIGNING_KEY=new.private_pem()):
        assert run(outcome(by_old)) == (False, CLOSE_UNAUTHENTICATED)
