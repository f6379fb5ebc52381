"""The request id travels with events (the envelope's `requestid`), Celery tasks (a header) and websocket handling."""

import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from logitrack import correlation
from logitrack.events import from_envelope
from logitrack.outbox.models import OutboxMessage
from logitrack.principal import Principal
from logitrack.realtime import AuthenticatedJsonConsumer, group_message
from tests.support.ping.events import PingSentV1
from tests.support.ping.services import ping_send


@pytest.mark.django_db
def test_an_event_published_while_a_request_id_is_bound_carries_it_beside_the_payload():
    with correlation.bound("req-0123456789"):
        ping = ping_send(label="with-id")
    untraced = ping_send(label="without")

    envelope = OutboxMessage.objects.get(envelope__data__label="with-id").envelope
    assert envelope["requestid"] == "req-0123456789"
    assert "requestid" not in envelope["data"]  # not payload: the event's schema (and snapshot) is unchanged
    event = from_envelope(envelope)  # readers ignore the attribute
    assert (type(event), event.ping_id, event.label, event.event_id) == (
        PingSentV1,
        ping.id,
        "with-id",
        ping_event_id(ping),
    )
    assert "requestid" not in OutboxMessage.objects.get(envelope__data__label="without").envelope
    assert untraced.label == "without"


def test_a_batch_names_its_request_id_only_when_its_events_share_one():
    a, b, none = {"requestid": "req-a"}, {"requestid": "req-b"}, {}
    assert correlation.common([a, dict(a)]) == "req-a"
    assert correlation.common([a, b]) is None and correlation.common([a, none]) is None
    assert correlation.distinct([b, a, none, a]) == ["req-a", "req-b"]


def test_a_task_sent_while_a_request_id_is_bound_carries_it_in_its_headers():
    headers: dict = {}
    with correlation.bound("req-0123456789"):
        correlation._on_publish(headers=headers)
    assert headers == {"request_id": "req-0123456789"}
    correlation._on_publish(headers=(unbound := {}))
    assert unbound == {}


def ping_event_id(ping):
    return OutboxMessage.objects.get(envelope__data__ping_id=str(ping.id)).event_id


class _Probe(AuthenticatedJsonConsumer):
    """Answers every message with the request id bound while it was handled."""

    async def connected(self) -> None:
        await self.channel_layer.group_add("tests.correlation", self.channel_name)
        await self.send_json({"type": "hello", "request_id": correlation.current()})

    async def receive_json(self, content, **kwargs) -> None:
        await self.send_json({"type": "echo", "request_id": correlation.current()})

    async def probe_push(self, message) -> None:
        await self.send_json({"type": "push", "request_id": correlation.current()})


@pytest.mark.django_db  # channels closes old database connections when the socket closes
def test_a_websocket_message_is_handled_under_its_own_id_and_a_push_under_its_cause():
    async_to_sync(_websocket_story)()


async def _websocket_story() -> None:
    communicator = WebsocketCommunicator(_Probe.as_asgi(), "/ws/probe/")
    communicator.scope["principal"] = Principal(user_id=uuid.uuid4())
    connected, _ = await communicator.connect()
    assert connected
    try:
        hello = await communicator.receive_json_from()
        await communicator.send_json_to({"type": "anything"})
        first = await communicator.receive_json_from()
        await communicator.send_json_to({"type": "anything"})
        second = await communicator.receive_json_from()
        # each message from the client is its own request, as an HTTP request is
        assert len({hello["request_id"], first["request_id"], second["request_id"]}) == 3
        assert all(len(m["request_id"]) == 32 for m in (hello, first, second))

        with correlation.bound("req-caused-it"):  # as an event handler in a worker pushes to the screens
            await get_channel_layer().group_send("tests.correlation", group_message({"type": "probe.push"}))
        push = await communicator.receive_json_from(timeout=5)
        assert push == {"type": "push", "request_id": "req-caused-it"}
    finally:
        await communicator.disconnect()
