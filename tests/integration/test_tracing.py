"""Traces across the event backbone (logitrack/tracing), with spans kept in memory: a trip completion's request,
its settlement (outbox → relay → delivery → handler, and what that handler writes, publishes and enqueues) and
the push to the dispatch screen that shows it are one trace; a batch delivery links every event's trace; an event
over NATS JetStream is delivered in its trace; a query or Redis command outside any trace makes no span; with tracing
off, nothing carries a trace context and no span is made."""

import io
import time
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connection, connections, transaction
from opentelemetry.trace import SpanKind
from rest_framework_simplejwt.tokens import AccessToken

from apps.billing.models import JournalTransaction
from apps.trips.tests.rest import DROPOFF, assign, book, step
from config.asgi import application
from logitrack import tracing
from logitrack.db import contexts
from logitrack.outbox import delivery
from logitrack.outbox.api import publish
from logitrack.outbox.models import OutboxMessage
from logitrack.outbox.relay import relay_pending
from logitrack.outbox.sinks import InlineSink
from logitrack.realtime import group_message
from tests.integration.test_outbox_nats import SUB as NATS_SUB
from tests.integration.test_outbox_nats import nats  # noqa: F401  (a fixture)
from tests.support.isolation import client_for
from tests.support.ping.events import PingSentV1
from tests.support.trip_world import world  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


TRIP_TRACES = """
    SELECT event_type, split_part(envelope->>'traceparent', '-', 2) AS trace_id
    FROM outbox_outboxmessage
    WHERE envelope->'data'->>'trip_id' = %s OR envelope->'data'->'trip'->>'id' = %s
    ORDER BY id
"""


def trace_of(span) -> str:
    return format(span.context.trace_id, "032x")


def named(exporter, prefix):
    return [s for s in exporter.get_finished_spans() if s.name.startswith(prefix)]


@pytest.mark.django_db(transaction=True)  # the screen's socket reads the database from its own thread
def test_a_trip_completions_settlement_and_screen_push_are_in_its_requests_trace(world, relay_and_deliver, spans):  # noqa: F811
    two_fleets, fleet, _van, _driver, shift = world
    booked = book(client_for(two_fleets.customer), fleet.id)
    assert booked.status_code == 201, booked.json()
    trip_id = booked.json()["id"]
    assigned = assign(two_fleets.a.client("dispatcher"), trip_id, shift.id, 1)
    assert assigned.status_code == 200, assigned.json()
    driver_app = two_fleets.a.client("driver")
    version = assigned.json()["version"]
    for action in ("start", "arrive_pickup", "pick_up"):
        moved = step(driver_app, trip_id, action, version)
        assert moved.status_code == 200, moved.json()
        version = moved.json()["version"]
    relay_and_deliver()
    spans.clear()

    async def scenario():
        token = AccessToken.for_user(two_fleets.a.users["dispatcher"])
        screen = WebsocketCommunicator(application, f"/ws/dispatch/fleets/{fleet.id}/?token={token}")
        assert (await screen.connect())[0]
        while (await screen.receive_json_from(timeout=5))["type"] != "snapshot":
            pass
        completed = await database_sync_to_async(step)(
            driver_app, trip_id, "complete", version, distance_m=4200, lat=DROPOFF["lat"], lng=DROPOFF["lng"]
        )
        assert completed.status_code == 200, completed.json()
        await database_sync_to_async(relay_and_deliver)()
        await database_sync_to_async(relay_and_deliver)()  # what the handlers published (the fare finalised)
        while True:  # the card of the completed trip
            pushed = await screen.receive_json_from(timeout=5)
            if pushed["type"] == "trip" and pushed["trip"]["status"] == "completed":
                break
        await screen.disconnect()
        return pushed

    pushed = async_to_sync(scenario)()
    assert pushed["trip"]["id"] == trip_id
    assert JournalTransaction.objects.filter(kind="settlement", reference_id=trip_id).count() == 1

    (request,) = [
        s
        for s in spans.get_finished_spans()
        if s.kind == SpanKind.SERVER and "transitions" in s.attributes.get("http.route", "")
    ]
    trace_id = trace_of(request)
    envelope = (
        OutboxMessage.objects.using(contexts.alias("trips"))
        .get(event_type="logitrack.trips.trip.completed.v1")
        .envelope
    )
    assert tracing.trace_id_of(envelope) == trace_id  # the outbox row carries the request's trace
    (published,) = [s for s in named(spans, "outbox publish logitrack.trips.trip.completed.v1")]
    assert trace_of(published) == trace_id and published.parent is not None

    (settlement,) = named(spans, "outbox deliver billing.settle_trip")
    assert trace_of(settlement) == trace_id
    relayed = {s.context.span_id: s for s in named(spans, "outbox relay logitrack.trips.trip.completed.v1")}
    assert settlement.parent.span_id in relayed  # request → publish → relay → delivery
    assert relayed[settlement.parent.span_id].parent.span_id == published.context.span_id
    # the settlement's own event and job join the trace
    (fare,) = named(spans, "outbox publish logitrack.billing.fare.finalised.v1")
    assert trace_of(fare) == trace_id
    assert any(trace_of(s) == trace_id for s in named(spans, "apply_async/billing.issue_receipt"))
    # the customer's "delivered" message is sent by a job in the trace; integrators' webhooks are queued in it
    (told,) = named(spans, "outbox deliver notifications.tell_delivered")
    (send,) = named(spans, "apply_async/notifications.send")
    assert trace_of(told) == trace_of(send) == trace_id and send.parent.span_id == told.context.span_id
    assert trace_of(named(spans, "outbox deliver notifications.queue_webhooks_trip_completed")[0]) == trace_id

    # docs/production.md, "Finding a trip's trace": the trip's outbox rows name the completion's trace
    traces = {}
    for using in contexts.aliases():  # split, each context's rows are on its own database
        with connections[using].cursor() as cursor:
            cursor.execute(TRIP_TRACES, [trip_id, trip_id])
            traces.update(cursor.fetchall())
    assert traces["logitrack.trips.trip.completed.v1"] == trace_id
    assert traces["logitrack.trips.trip.status_changed.v2"] == trace_id  # the last status change: completed
    assert request.name == "POST api/v1/trips/trips/<uuid:trip_id>/transitions/"

    (shown,) = [
        s
        for s in named(spans, "outbox deliver dispatch.show_trip_status")
        if trace_of(s) == trace_id  # the status change the completion published
    ]
    pushes = [s for s in named(spans, "ws push feed.message") if trace_of(s) == trace_id]
    assert pushes and all(s.kind == SpanKind.CONSUMER for s in pushes)
    assert any(s.parent.span_id == shown.context.span_id for s in pushes)  # the screen's push of the handler's card
    assert {s.resource.attributes["logitrack.process"] for s in pushes} == {"test"}


def test_a_batch_delivery_links_each_events_trace(spans):
    from tests.support.pong.models import Receipt

    envelopes = []
    for label in ("batch-a", "batch-b"):
        with tracing.span(f"request {label}"), transaction.atomic():
            envelopes.append(publish(PingSentV1(ping_id=uuid.uuid4(), label=label)).envelope)
    traces = {tracing.trace_id_of(e) for e in envelopes}
    assert len(traces) == 2 and None not in traces

    applied, alone = delivery.deliver_many(subscription_name="pong.record_ping", envelopes=envelopes)
    assert (applied, alone) == (2, [])
    assert Receipt.objects.filter(label__startswith="batch-").count() == 2
    (batch,) = named(spans, "outbox deliver_batch pong.record_ping")
    assert batch.parent is None  # two traces: it picks neither as its parent ...
    assert {format(link.context.trace_id, "032x") for link in batch.links} == traces  # ... and links both
    # without a batch handler, each event's handler runs in a span of its own trace
    assert {trace_of(s) for s in named(spans, "outbox deliver pong.record_ping")} == traces


def test_a_batch_from_one_trace_is_a_child_of_it(spans):
    with tracing.span("one request") as root, transaction.atomic():
        envelopes = [publish(PingSentV1(ping_id=uuid.uuid4(), label=f"one-{i}")).envelope for i in range(2)]
    delivery.deliver_many(subscription_name="pong.record_ping", envelopes=envelopes)
    (batch,) = named(spans, "outbox deliver_batch pong.record_ping")
    assert trace_of(batch) == format(root.get_span_context().trace_id, "032x") and len(batch.links) == 2


def test_with_tracing_off_nothing_carries_a_trace():
    assert not tracing.enabled()
    with tracing.span("nothing") as span, transaction.atomic():
        message = publish(PingSentV1(ping_id=uuid.uuid4(), label="untraced"))
    assert span is None
    assert "traceparent" not in message.envelope and tracing.context_of(message.envelope) is None
    assert "traceparent" not in group_message({"type": "probe"}, "rid")
    with tracing.relaying([message.envelope]) as sent:
        assert sent == [message.envelope]


@pytest.mark.django_db(transaction=True)
def test_an_event_over_nats_is_delivered_in_its_trace(nats, spans):  # noqa: F811  (the fixture)
    from django.core.management import call_command

    from logitrack import bus
    from logitrack.outbox.consumer import SubscriptionConsumer
    from logitrack.outbox.relay import relay_pending
    from logitrack.outbox.sinks import NatsSink
    from tests.support.ping.services import ping_send

    call_command("outbox_nats_setup", stdout=io.StringIO())
    with tracing.span("request") as root:
        ping_send(label=nats.label())
    assert relay_pending(sinks=[NatsSink()]) == 1
    consumer = SubscriptionConsumer(bus.subscription(NATS_SUB), fetch_timeout=0.5)
    deadline = time.monotonic() + 15
    consumer.run(lambda: consumer.applied >= 1 or time.monotonic() > deadline)
    assert consumer.applied == 1

    (delivered,) = named(spans, f"outbox deliver {NATS_SUB}")
    (relayed,) = named(spans, "outbox relay logitrack.ping.ping.sent.v1")
    assert trace_of(delivered) == format(root.get_span_context().trace_id, "032x")
    assert delivered.parent.span_id == relayed.context.span_id  # the envelope on the stream carried the relay's span


def test_a_query_or_redis_command_of_no_trace_makes_no_span(spans):
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)  # made after tracing was turned on: instrumented
    client.get("tracing:probe")  # a poll loop's command: no parent, no span
    assert spans.get_finished_spans() == ()
    with tracing.span("work") as work:
        client.get("tracing:probe")
    (command,) = named(spans, "GET")
    assert command.parent.span_id == work.get_span_context().span_id
    assert tracing.process_role(["/x/celery/__main__.py", "-A", "config", "worker", "-Q", "events"]) == "worker"
    assert tracing.process_role(["manage.py", "outbox_relay", "--poll", "0.05"]) == "relay"
    assert tracing.process_role(["/x/uvicorn", "config.asgi:application"]) == "web"


@pytest.mark.urls("tests.support.urls")
@pytest.mark.django_db(transaction=True)  # real commits: the handler's job is sent on commit
def test_a_request_whose_trace_is_not_sampled_runs_quiet_and_still_carries_its_trace(spans, make_user):
    """A request in a trace that is not kept (here its caller's traceparent says so, flags 00): the psycopg and Redis
    instrumentations are suppressed for it, yet its outbox envelope, the relayed copy, the handler's event and the
    Celery headers of the handler's job carry its trace id with flags 00, so the relay and the worker do not start
    sampled traces of their own; nothing is recorded anywhere."""
    from celery import signals
    from opentelemetry.instrumentation.utils import is_instrumentation_enabled
    from rest_framework.test import APIClient

    from tests.support.pong.models import Receipt

    trace_id = uuid.uuid4().hex
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(make_user())}")
    instrumented: list[bool] = []
    receipts: list[bool] = []  # the handler's queries

    def probe(execute, sql, params, many, context):
        (receipts if "pong_receipt" in sql else instrumented).append(is_instrumentation_enabled())
        return execute(sql, params, many, context)

    with connection.execute_wrapper(probe):
        answer = client.post(
            "/api/v1/ping/pings/",
            {"label": "echo:quiet"},
            format="json",
            HTTP_TRACEPARENT=f"00-{trace_id}-{uuid.uuid4().hex[:16]}-00",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        )
    assert answer.status_code == 201, answer.content
    assert instrumented and not any(instrumented)  # every query of the request ran with the instrumentations quiet

    (message,) = OutboxMessage.objects.filter(event_type="logitrack.ping.ping.sent.v1")
    _version, carried_trace, _span, flags = message.envelope["traceparent"].split("-")
    assert (carried_trace, flags) == (trace_id, "00")

    headers: list[dict] = []
    delivered: list[dict] = []

    class Recording(InlineSink):  # delivers in this process, keeping what the relay sent
        def send(self, envelope):
            delivered.append(envelope)
            super().send(envelope)

    def sent(headers=None, **kwargs):
        headers_seen.append(dict(headers or {}))

    headers_seen = headers
    signals.before_task_publish.connect(sent, weak=False)
    instrumented.clear()
    try:
        with connection.execute_wrapper(probe):
            relay_pending(sinks=[Recording()])
    finally:
        signals.before_task_publish.disconnect(sent)
    assert Receipt.objects.filter(label="echo:quiet").exists()
    assert receipts and not any(receipts)  # the delivery's handler ran quiet too (not the relay's own polling)
    assert [tracing.trace_id_of(e) for e in delivered] == [trace_id]
    assert delivered[0]["traceparent"].endswith("-00")  # the relay made no span: the envelope went as it was
    echo = [h for h in headers if h.get("task") == "pong.echo"]
    assert echo and echo[0]["traceparent"].split("-")[1::2] == [trace_id, "00"]
    assert spans.get_finished_spans() == ()  # not one span recorded, in any part


def test_a_relayed_batch_of_several_traces_links_each_kept_one(spans):
    """The relay sends events of several requests to a subscriber as one batch task: the task's producer span is
    a child of a relay batch span linked to each event's trace, not a fresh trace nothing points to."""
    from logitrack.outbox.sinks import CelerySink

    envelopes = []
    for label in ("relayed-a", "relayed-b"):
        with tracing.span(f"request {label}"), transaction.atomic():
            envelopes.append(publish(PingSentV1(ping_id=uuid.uuid4(), label=label)).envelope)
    with transaction.atomic():  # and one whose trace is not kept (flags 00): not linked
        unsampled = {"traceparent": f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-00"}
        with tracing.attached(tracing.context_of(unsampled)):
            envelopes.append(publish(PingSentV1(ping_id=uuid.uuid4(), label="relayed-c")).envelope)
    spans.clear()
    CelerySink().send_many(envelopes)
    (batch,) = named(spans, "outbox relay batch pong.record_ping")
    assert batch.parent is None
    kept = {tracing.trace_id_of(e) for e in envelopes[:2]}
    assert {format(link.context.trace_id, "032x") for link in batch.links} == kept
    (sent,) = named(spans, "apply_async/outbox.deliver_batch")
    assert sent.parent.span_id == batch.context.span_id
