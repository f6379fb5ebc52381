"""Driver pings in traces (logitrack/tracing `started` / `within` / `finish`, apps/dispatch ingestion): a sampled
ping's message is one trace from the driver's socket through the live map, the push to the fleet's screens (whose
socket's span is a child of it) and the history write, ended once the ack is sent; a `traceparent` the app sends
is continued; a ping whose trace is not kept makes no span, and its batch runs with the instrumentations quiet."""

import uuid

import pytest
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from logitrack import tracing
from tests.integration.test_dispatch_feed import connect, next_of, run
from tests.support.dispatch_world import ping

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def traced(request, settings):
    settings.TRACING_PING_SAMPLE_RATIO = request.param  # the pings' own ratio, read by the driver's socket
    exporter = InMemorySpanExporter()
    tracing.enable(exporter, ratio=request.param, batch=False, role="test")
    try:
        yield exporter
    finally:
        tracing.disable()


def trace_of(span) -> str:
    return format(span.context.trace_id, "032x")


async def screen_and_driver(world):
    screen, connected, _ = await connect(f"/ws/dispatch/fleets/{world.fleet_id}/", world.fleets.a.users["dispatcher"])
    assert connected
    await next_of(screen, "snapshot")
    driver, connected, _ = await connect("/ws/driver/", world.crews[0].user)
    assert connected
    await next_of(driver, "hello")
    return screen, driver


@pytest.mark.parametrize("traced", [1.0], indirect=True)
def test_a_sampled_ping_is_one_trace_from_the_driver_to_the_screen(dispatch_world, live_store, traced):
    app_trace = uuid.uuid4().hex

    async def scenario():
        screen, driver = await screen_and_driver(dispatch_world)
        first = ping(52.51, 13.40, seconds_ago=2)
        await driver.send_json_to({"type": "ping", **first})
        assert (await next_of(driver, "ack"))["ping_ids"] == [first["ping_id"]]
        await next_of(screen, "positions")
        # an app that traces sends its context with the message: continued
        second = ping(52.52, 13.41, seconds_ago=1)
        await driver.send_json_to(
            {"type": "ping", **second, "traceparent": f"00-{app_trace}-{uuid.uuid4().hex[:16]}-01"}
        )
        await next_of(driver, "ack")
        await next_of(screen, "positions")
        await screen.disconnect()
        await driver.disconnect()

    run(scenario())
    spans = traced.get_finished_spans()
    received = [s for s in spans if s.name == "ws receive pings"]
    assert len(received) == 2 and all(s.kind == SpanKind.CONSUMER for s in received)
    own, continued = received
    assert own.parent is None and trace_of(continued) == app_trace  # a new trace, and the app's
    assert own.attributes["logitrack.pings"] == 1
    for message in received:
        steps = {s.name: s for s in spans if s.parent is not None and s.parent.span_id == message.context.span_id}
        assert {"dispatch move positions", "dispatch push positions", "dispatch store pings"} <= set(steps)
        assert message.end_time >= steps["dispatch store pings"].end_time  # ended once stored and acked
        # the fleet's screen pushes the batch in the ping's trace, a child of the push
        pushes = [
            s
            for s in spans
            if s.name == "ws push feed.message"
            and s.parent is not None
            and s.parent.span_id == steps["dispatch push positions"].context.span_id
        ]
        assert pushes and {trace_of(p) for p in pushes} == {trace_of(message)}
        # the live map's Redis commands are children of the move
        moved = steps["dispatch move positions"].context.span_id
        assert any(s.parent is not None and s.parent.span_id == moved and s.kind == SpanKind.CLIENT for s in spans)


@pytest.mark.parametrize("traced", [0.0], indirect=True)
def test_a_ping_whose_trace_is_not_kept_makes_no_span_and_runs_quiet(dispatch_world, live_store, traced):
    async def scenario():
        screen, driver = await screen_and_driver(dispatch_world)
        for traceparent in (None, f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-00"):
            one = ping(52.51, 13.40, seconds_ago=1) | ({"traceparent": traceparent} if traceparent else {})
            await driver.send_json_to({"type": "ping", **one})
            await next_of(driver, "ack")
            await next_of(screen, "positions")
        await screen.disconnect()
        await driver.disconnect()

    run(scenario())
    assert traced.get_finished_spans() == ()
    # a batch with no sampled ping runs its steps quiet: the live map's and the history's commands make no spans
    assert tracing.started("ws receive pings", {}) is None
    with tracing.within([], "dispatch store pings"):
        assert not is_instrumentation_enabled()
    assert is_instrumentation_enabled()
