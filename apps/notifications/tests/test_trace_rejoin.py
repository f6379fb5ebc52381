"""A message or webhook that a sweep sends (its own job was lost) is sent in the trace of what caused it: the row
keeps the cause's `traceparent`, so the send is found from the trip's trace, not in a sweep's trace of its own."""

from __future__ import annotations

import pytest

from apps.notifications.models import WebhookDelivery
from apps.notifications.services import deliveries
from apps.notifications.tests.support import make_delivery
from apps.notifications.tests.test_webhook_delivery import endpoint_for, send
from apps.notifications.webhooks import services
from logitrack import tracing
from logitrack.events import to_envelope
from tests.support.webhook_world import fleets, vehicle_event  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


def trace_of(span) -> str:
    return format(span.get_span_context().trace_id, "032x")


def sent_in(exporter, name: str) -> set[str]:
    return {trace_of(s) for s in exporter.get_finished_spans() if s.name == name}


def test_a_message_the_sweep_sends_is_in_the_trace_of_its_cause(spans, django_capture_on_commit_callbacks):
    with tracing.span("trip completed handler") as cause, django_capture_on_commit_callbacks(execute=False):
        delivery = make_delivery()  # its own job never runs: the worker died
    assert delivery.traceparent.split("-")[1] == trace_of(cause)

    with tracing.span("sweep") as sweep:  # beat's sweep: a trace of its own
        assert deliveries.deliveries_send_due() == 1
    assert sent_in(spans, "notification send") == {trace_of(cause)} != {trace_of(sweep)}


def test_a_webhook_the_sweep_sends_is_in_the_trace_of_its_event(spans, fleets, receiver):  # noqa: F811
    _, a, _ = fleets
    endpoint_for(a, receiver.url)
    with tracing.span("vehicle status request") as cause:
        envelope = tracing.stamp(to_envelope(vehicle_event(a.id)))  # as publish stamps it: the request's trace
    (delivery,) = WebhookDelivery.objects.filter(id__in=services.deliveries_create(event_envelope=envelope))
    assert delivery.traceparent.split("-")[1] == trace_of(cause)

    with tracing.span("sweep") as sweep:
        assert send(delivery) == "sent"
    assert sent_in(spans, "webhook send") == {trace_of(cause)} != {trace_of(sweep)}


def test_without_a_stored_cause_the_send_stays_where_it_runs(spans):
    delivery = make_delivery()  # made outside any trace: nothing to rejoin
    assert delivery.traceparent == ""
    with tracing.span("sweep") as sweep:
        deliveries.delivery_send(delivery_id=delivery.id)
    assert sent_in(spans, "notification send") == {trace_of(sweep)}
