"""The board's cards of a batch of status changes (dispatch.show_trip_status's batch handler): the same cards as one
by one, in one numbered `trips` message per fleet, with one look-up of each kind whatever the batch's size."""

import asyncio
import json
import threading
import time
import uuid

import pytest
from channels.layers import get_channel_layer

from apps.dispatch import feed
from apps.trips.services import assignment
from logitrack.db import contexts
from logitrack.outbox import delivery
from logitrack.outbox.models import InboxRecord, OutboxMessage
from tests.support.dispatch_world import book_van, place

pytestmark = pytest.mark.django_db
SHOW = "dispatch.show_trip_status"


@pytest.fixture
def screen(dispatch_world):
    """A listener in fleet A's screen group on its own thread and event loop (the channel layer's are per loop), as
    a screen's socket is; returns a reader of what it heard since the last read."""
    heard, joined, stop = [], threading.Event(), threading.Event()

    async def listen():
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(feed.fleet_group(dispatch_world.fleet_id), channel)
        joined.set()
        while not stop.is_set():
            try:
                message = await asyncio.wait_for(layer.receive(channel), timeout=0.1)
            except TimeoutError:
                continue
            heard.append(json.loads(message["text"]))
        await layer.group_discard(feed.fleet_group(dispatch_world.fleet_id), channel)

    listener = threading.Thread(target=asyncio.run, args=(listen(),), daemon=True)
    listener.start()
    assert joined.wait(5)

    def read():
        time.sleep(0.3)  # what was sent has arrived
        out = list(heard)
        heard.clear()
        return out

    yield read
    stop.set()
    listener.join(5)


def assigned(world, n):
    """`n` trips booked and assigned to the world's crews (one placed on the map): their status changes' envelopes."""
    place(world.crews[0], 52.52, 13.40)
    trip_ids = []
    for i in range(n):
        trip_id = book_van(world)
        assignment.trip_assign(trip_id=uuid.UUID(trip_id), shift_id=world.crews[i % 3].shift_id, actor_id=None)
        trip_ids.append(trip_id)
    rows = (
        OutboxMessage.objects.using(contexts.alias("trips"))
        .filter(event_type="logitrack.trips.trip.status_changed.v2")
        .order_by("id")
    )
    return [r.envelope for r in rows if r.envelope["data"]["trip"]["id"] in trip_ids]


def cards(messages):
    out = []
    for m in messages:
        for card in [m["trip"]] if m["type"] == "trip" else m["trips"]:
            # the clock moved between the two passes: an ETA is now + the travel time, so only whether there is one
            out.append({**card, "timing": {**card["timing"], "as_of": None, "eta": card["timing"]["eta"] is not None}})
    return out


def test_a_batch_shows_the_same_cards_as_one_by_one_in_one_message(
    dispatch_world, screen, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    sent = assigned(dispatch_world, 4)
    screen()

    with django_capture_on_commit_callbacks(execute=True):
        for envelope in sent:
            assert delivery.deliver(subscription_name=SHOW, envelope=envelope)
    alone = screen()
    InboxRecord.objects.using(contexts.alias("dispatch")).filter(
        subscriber=SHOW
    ).delete()  # the handler keeps nothing else: deliver them again

    # savepoint, inbox claim, attempts, vehicles (two: polymorphic), drivers' and customers' names, release
    with django_capture_on_commit_callbacks(execute=True), django_assert_max_num_queries(8):
        assert delivery.deliver_many(subscription_name=SHOW, envelopes=sent) == (4, [])
    batched = screen()

    assert [m["type"] for m in alone] == ["trip"] * 4
    assert [(m["type"], m["change"], len(m["trips"])) for m in batched] == [("trips", "status_changed", 4)]
    assert batched[0]["seq"] == alone[-1]["seq"] + 1  # one number for the batch
    for one, many in zip(cards(alone), cards(batched), strict=True):
        assert {k: v for k, v in many.items() if v != one.get(k)} == {}
    assert {c["driver_name"] for c in cards(batched)} >= {"Driver 2", "Driver 3"}
    assert any(c["timing"]["eta"] for c in cards(batched))  # the placed driver's trips: from their fix
    assert delivery.deliver_many(subscription_name=SHOW, envelopes=sent) == (0, [])  # redelivered: nothing again
