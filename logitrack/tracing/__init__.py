"""Distributed traces (OpenTelemetry) across web, relay, workers and websockets.

Off unless `TRACING_OTLP_ENDPOINT` (env `OTEL_EXPORTER_OTLP_ENDPOINT`) is set: no tracer provider is made and
nothing is instrumented, and every helper here returns at its first line (`enabled()` is a module-global
check), so the disabled path costs a function call. On (`apps.TracingConfig.ready`, every process runs it), spans
are exported over OTLP/HTTP in batches, sampled by a parent-based ratio sampler (TRACING_SAMPLE_RATIO), and the
psycopg, Redis and Celery instrumentations are installed against this module's provider, and the server span
middleware (logitrack/tracing/middleware.py) goes first in MIDDLEWARE.

The trace context travels as W3C `traceparent` / `tracestate`, where the request id already does
(logitrack/correlation.py):
- in the outbox envelope, beside `requestid` (CloudEvents' distributed-tracing extension attributes): stamped by
  `publish` from its own producer span, replaced on the copy the relay sends by the relay's span, read by every
  delivery (Celery task or NATS message) as the parent of its span. A batch delivery links every event's context
  and takes one as parent only when they all belong to one trace;
- in Celery task headers (the Celery instrumentation), so a job a handler enqueues joins its trace;
- in channel-layer group messages (`realtime.group_message`), read by the socket's consumer around the push.
"""

from __future__ import annotations

import contextlib
import os
import random
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY, Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import Attributes

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
_PROPAGATOR = TraceContextTextMapPropagator()
_TRACER_NAME = "logitrack"
Span = trace.Span  # for callers that hold a span (`started`) without importing OpenTelemetry

_provider: TracerProvider | None = None
_tracer: trace.Tracer | None = None
_ratio = [1.0]  # TRACING_SAMPLE_RATIO, for `started`'s decision before any span is made
_instrumentors: list[Any] = []
# in the context `started` gives the SDK: the trace was chosen (at the ratio) already, keep it
_CHOSEN = otel_context.create_key("logitrack.tracing.chosen")
_CHOSEN_CONTEXT = otel_context.set_value(_CHOSEN, True, Context())


def enabled() -> bool:
    return _tracer is not None


# ---- setting up ---------------------------------------------------------------------------------------------------


class _NoOrphanClients(Sampler):
    """The parent-based ratio sampler, except that a client span with no parent (a query or Redis command run by
    no traced work: a poll loop, a heartbeat) is dropped rather than becoming a one-span trace of its own."""

    def __init__(self, ratio: float) -> None:
        self._ratio = ratio
        self._inner = ParentBased(TraceIdRatioBased(ratio))

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: trace.TraceState | None = None,
    ) -> SamplingResult:
        if parent_context is not None and parent_context.get(_CHOSEN):
            return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes)
        if kind == SpanKind.CLIENT and not trace.get_current_span(parent_context).get_span_context().is_valid:
            return SamplingResult(Decision.DROP)
        return self._inner.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)

    def get_description(self) -> str:
        return f"NoOrphanClients(ParentBased(TraceIdRatioBased({self._ratio})))"


def process_role(argv: Sequence[str] | None = None) -> str:
    """What this process is, for `service.name`: web, worker, beat, or the management command it runs (outbox_relay,
    outbox_consume, ...)."""
    argv = list(sys.argv if argv is None else argv)
    joined = " ".join(argv)
    if "celery" in joined:
        return "beat" if "beat" in argv else "worker"
    if argv and argv[0].endswith("manage.py") and len(argv) > 1:
        return "relay" if argv[1] == "outbox_relay" else argv[1]
    if "pytest" in joined:
        return "test"
    return "web"


def enable(
    exporter: SpanExporter,
    *,
    ratio: float = 1.0,
    service_name: str = "logitrack",
    role: str | None = None,
    batch: bool = True,
) -> TracerProvider:
    """Start tracing in this process: spans to `exporter` (in batches, or one by one when `batch` is False, as a
    test's in-memory exporter wants), the instrumentations installed. Called once per process."""
    global _provider, _tracer
    if _provider is not None:
        raise RuntimeError("tracing is already enabled in this process")
    _ratio[0] = ratio
    role = role or process_role()
    resource = Resource.create(
        {
            "service.name": f"{service_name}-{role}",
            "service.namespace": service_name,
            "service.instance.id": f"{os.uname().nodename}:{os.getpid()}",
            "logitrack.process": role,
        }
    )
    provider = TracerProvider(resource=resource, sampler=_NoOrphanClients(ratio))
    provider.add_span_processor(BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter))
    _provider, _tracer = provider, provider.get_tracer(_TRACER_NAME)
    _instrument(provider)
    return provider


def disable() -> None:
    """Stop tracing: uninstrument, flush and shut the provider down (tests that enabled it)."""
    global _provider, _tracer
    _uninstrument()
    if _provider is not None:
        _provider.shutdown()
    _provider, _tracer = None, None


def flush(timeout_millis: int = 5000) -> bool:
    return _provider.force_flush(timeout_millis) if _provider is not None else True


MIDDLEWARE = "logitrack.tracing.middleware.ServerSpanMiddleware"


def _instrument(provider: TracerProvider) -> None:
    from django.conf import settings
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    # the server span of every request, first in the chain (logitrack/tracing/middleware.py: not the contrib Django
    # instrumentation, which is sync-only); a handler built from here on has it
    settings.MIDDLEWARE = [MIDDLEWARE, *settings.MIDDLEWARE]
    celery = CeleryInstrumentor()  # type: ignore[no-untyped-call]  # its __init__ is unannotated
    for instrumentor in (PsycopgInstrumentor(), RedisInstrumentor(), celery):
        instrumentor.instrument(tracer_provider=provider)
        _instrumentors.append(instrumentor)


def _uninstrument() -> None:
    from django.conf import settings

    for instrumentor in reversed(_instrumentors):
        instrumentor.uninstrument()
    _instrumentors.clear()
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE]


# ---- not sampled: quiet ------------------------------------------------------------------------------------------
#
# Most traces are not kept (TRACING_SAMPLE_RATIO 0.1 keeps one in ten), yet the instrumentations would still make a
# span for every query and Redis command of such a request, each asking the sampler only to be dropped: that was most
# of what tracing cost at 0.1. Work in a trace that is not sampled runs with OpenTelemetry's suppress-instrumentation
# key set, which the psycopg and Redis instrumentations check first. Propagation is untouched: the context stays the
# trace's (its trace id, flags 00), so envelopes, task headers (the Celery instrumentation does not check the key) and
# group messages still carry it and downstream processes do not start traces of their own.


def _sampled(span_context: trace.SpanContext) -> bool:
    return bool(span_context.trace_flags.sampled)


def _quiet(context: Context | None = None) -> Context:
    return otel_context.set_value(_SUPPRESS_INSTRUMENTATION_KEY, True, context)


def configure(*, endpoint: str, ratio: float, service_name: str) -> bool:
    """From settings (TracingConfig.ready): OTLP/HTTP to `endpoint` (its base URL; spans go to /v1/traces) when it
    is set, else nothing at all. True if tracing is now on."""
    if not endpoint or enabled():
        return enabled()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    base = endpoint.rstrip("/")
    enable(OTLPSpanExporter(endpoint=base if base.endswith("/v1/traces") else f"{base}/v1/traces"), ratio=ratio)
    import atexit

    atexit.register(flush)  # a management command's last spans
    return True


# ---- carrying the context -----------------------------------------------------------------------------------------


def carrier() -> dict[str, str]:
    """`traceparent` (and `tracestate`) of the span current here; empty when tracing is off or no span is."""
    if _tracer is None:
        return {}
    headers: dict[str, str] = {}
    _PROPAGATOR.inject(headers)
    return headers


def stamp(envelope: dict[str, Any]) -> dict[str, Any]:
    """The envelope (or group message) with the current trace context, if there is one."""
    if _tracer is not None:
        envelope.update(carrier())
    return envelope


def context_of(carried: Mapping[str, Any]) -> Context | None:
    """The remote context a carrier (envelope, group message) holds; None when it holds none or tracing is off."""
    if _tracer is None or not isinstance(carried.get(TRACEPARENT), str):
        return None
    headers = {key: carried[key] for key in (TRACEPARENT, TRACESTATE) if isinstance(carried.get(key), str)}
    context = _PROPAGATOR.extract(headers)
    return context if trace.get_current_span(context).get_span_context().is_valid else None


def trace_id_of(carried: Mapping[str, Any]) -> str | None:
    """The trace id (32 hex digits) in a carrier's `traceparent`, read without tracing being on (logs, tests)."""
    value = carried.get(TRACEPARENT)
    parts = value.split("-") if isinstance(value, str) else []
    return parts[1] if len(parts) == 4 and len(parts[1]) == 32 else None


def trace_ids(carriers: Iterable[Mapping[str, Any]]) -> list[str]:
    """The trace ids of these carriers, once each, for a log line about all of them (a relayed batch)."""
    return sorted({trace_id for c in carriers if (trace_id := trace_id_of(c))})


def common(carriers: Iterable[Mapping[str, Any]]) -> Context | None:
    """The context of the first carrier when they all belong to one trace, else None."""
    if _tracer is None:
        return None
    contexts = [context_of(c) for c in carriers]
    if not contexts or any(c is None for c in contexts):
        return None
    ids = {trace.get_current_span(c).get_span_context().trace_id for c in contexts}
    return contexts[0] if len(ids) == 1 else None


def current() -> Context | None:
    """The context to carry into work that runs later or elsewhere (on commit, on another thread); None when off."""
    return otel_context.get_current() if _tracer is not None else None


@contextlib.contextmanager
def attached(context: Context | None) -> Iterator[None]:
    """Run the block in `context` (from `current` or `context_of`); None leaves the current one."""
    if context is None:
        yield
        return
    token = otel_context.attach(context)
    try:
        yield
    finally:
        otel_context.detach(token)


# ---- spans --------------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def span(
    name: str,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    parent: Context | None = None,
    links: Sequence[Context] = (),
    attributes: Attributes = None,
) -> Iterator[trace.Span | None]:
    """A span current for the block (child of `parent`, else of the current span), linked to `links`. Nothing at
    all when tracing is off. In a trace that is not sampled there is no new span (it would record nothing): the
    block runs in the parent's context, quiet, and what it carries on names the parent."""
    if _tracer is None:
        yield None
        return
    base = parent if parent is not None else otel_context.get_current()
    parent_span = trace.get_current_span(base)
    if parent_span.get_span_context().is_valid and not _sampled(parent_span.get_span_context()):
        token = otel_context.attach(_quiet(base))
        try:
            yield parent_span
        finally:
            otel_context.detach(token)
        return
    span_links = [Link(trace.get_current_span(c).get_span_context()) for c in links]
    with _tracer.start_as_current_span(name, context=parent, kind=kind, links=span_links, attributes=attributes) as s:
        if s.is_recording():
            yield s
            return
        token = otel_context.attach(_quiet())  # a new trace the sampler did not keep
        try:
            yield s
        finally:
            otel_context.detach(token)


def _span_context(context: Context | None) -> trace.SpanContext:
    return trace.get_current_span(context).get_span_context()


@contextlib.contextmanager
def consuming(name: str, carried: Mapping[str, Any], *, attributes: Attributes = None) -> Iterator[None]:
    """The span of applying one carried thing (an event, a push) in the trace it carries: a child of the span
    current here when that is in this trace already (the Celery task that brought it), else of the carried context,
    linked to the current span of the other trace (the task of a batch, a replay)."""
    if _tracer is None:
        yield
        return
    carried_context, here = context_of(carried), otel_context.get_current()
    parent, links = carried_context, []
    if carried_context is None or _span_context(here).trace_id == _span_context(carried_context).trace_id:
        parent = None  # the current span: it is in this trace, or nothing was carried
    elif _span_context(here).is_valid:
        links.append(here)
    with span(name, kind=SpanKind.CONSUMER, parent=parent, links=links, attributes=attributes):
        yield


@contextlib.contextmanager
def consuming_batch(
    name: str, carriers: Sequence[Mapping[str, Any]], *, attributes: Attributes = None
) -> Iterator[None]:
    """The span of applying a batch: linked to each carrier's context, a child of theirs when they all belong to one
    trace, else of the span current here."""
    if _tracer is None:
        yield
        return
    contexts = [c for c in (context_of(carried) for carried in carriers) if c is not None]
    with span(name, kind=SpanKind.CONSUMER, parent=common(carriers), links=contexts, attributes=attributes):
        yield


@contextlib.contextmanager
def resuming(carriers: Sequence[Mapping[str, Any]], name: str) -> Iterator[None]:
    """Work picked up for several carried things at once (the relay sending events of many requests as one batch
    task): in their trace when they share one. Else a span of its own, `name`, linked to each of their traces that
    is kept and recorded when any is (so every kept trace leads to the batch), rather than a fresh trace sampled
    by chance with nothing pointing to it; when none is kept, in the first one's trace (not sampled), quiet. With
    nothing carried, the current context (what the block starts is a new trace)."""
    if _tracer is None:
        yield
        return
    contexts = [c for c in (context_of(carried) for carried in carriers) if c is not None]
    if not contexts or len({_span_context(c).trace_id for c in contexts}) == 1:
        with attached(contexts[0] if contexts else None):
            yield
        return
    kept = [Link(_span_context(c)) for c in contexts if _sampled(_span_context(c))]
    if not kept:
        with attached(_quiet(contexts[0])):
            yield
        return
    with _tracer.start_as_current_span(name, context=_CHOSEN_CONTEXT, kind=SpanKind.PRODUCER, links=kept):
        yield


@contextlib.contextmanager
def rejoin(traceparent: str) -> Iterator[None]:
    """Work resumed later for one stored cause (a sweep sending a delivery its own job did not): in the cause's
    trace, whose `traceparent` the row kept, unless the block already runs in it. Nothing stored, or tracing off:
    the current context."""
    if _tracer is None or not traceparent:
        yield
        return
    cause = context_of({TRACEPARENT: traceparent})
    here = trace.get_current_span().get_span_context()
    if cause is None or (here.is_valid and here.trace_id == _span_context(cause).trace_id):
        yield
        return
    with attached(cause if _sampled(_span_context(cause)) else _quiet(cause)):
        yield


@contextlib.contextmanager
def relaying(envelopes: list[dict[str, Any]], *, name: str = "outbox relay") -> Iterator[list[dict[str, Any]]]:
    """One producer span per envelope, each a child of the context the envelope carries, open while the block sends
    them; yields copies of the envelopes carrying their relay span instead (what the deliveries will be children
    of). Envelopes without a context are yielded as they are."""
    if _tracer is None:
        yield envelopes
        return
    spans: list[trace.Span] = []
    sent: list[dict[str, Any]] = []
    for envelope in envelopes:
        parent = context_of(envelope)
        if parent is None or not _sampled(_span_context(parent)):  # none, or not kept: sent as it is
            sent.append(envelope)
            continue
        relay_span = _tracer.start_span(
            f"{name} {envelope.get('type')}",
            context=parent,
            kind=SpanKind.PRODUCER,
            attributes={
                "messaging.message.id": str(envelope.get("id")),
                "logitrack.event.type": str(envelope.get("type")),
            },
        )
        spans.append(relay_span)
        headers: dict[str, str] = {}
        _PROPAGATOR.inject(headers, context=trace.set_span_in_context(relay_span))
        copy = {key: value for key, value in envelope.items() if key not in (TRACEPARENT, TRACESTATE)}
        sent.append({**copy, **headers})
    try:
        yield sent
    except BaseException as exc:
        for relay_span in spans:
            relay_span.record_exception(exc)
            relay_span.set_status(Status(StatusCode.ERROR, repr(exc)[:200]))
        raise
    finally:
        for relay_span in spans:
            relay_span.end()


# ---- work that outlives its message: driver pings -----------------------------------------------------------------


def started(
    name: str,
    carried: Mapping[str, Any],
    *,
    kind: SpanKind = SpanKind.CONSUMER,
    attributes: Attributes = None,
    ratio: float | None = None,
) -> trace.Span | None:
    """A span begun now and ended by the caller (`finish`) once the work it stands for, which goes on elsewhere
    (gathered into a batch, on another task), is done. A child of the context `carried` holds (a `traceparent` an app
    sent) when that trace is sampled; with none, a new trace kept at `ratio` (default TRACING_SAMPLE_RATIO). None
    when not kept or tracing is off, decided before any span is made: on the hottest path (a driver's ping) a trace
    not kept costs a dictionary look-up and a random number."""
    if _tracer is None:
        return None
    if isinstance(carried.get(TRACEPARENT), str):
        parent = context_of(carried)
        if parent is not None:
            if not _sampled(_span_context(parent)):
                return None
            return _tracer.start_span(name, context=parent, kind=kind, attributes=attributes)
    if _random() >= (_ratio[0] if ratio is None else ratio):
        return None
    return _tracer.start_span(name, context=_CHOSEN_CONTEXT, kind=kind, attributes=attributes)


def _random() -> float:
    return random.random()


@contextlib.contextmanager
def within(spans: Sequence[trace.Span], name: str, *, attributes: Attributes = None) -> Iterator[None]:
    """A step of batched work for the `started` spans among the batch's: a child span in the first one's trace,
    linked to the others (what the block pushes to a screen carries that trace). With none, the block runs quiet:
    its queries and Redis commands belong to no sampled trace and make no spans."""
    if _tracer is None:
        yield
        return
    if not spans:
        token = otel_context.attach(_quiet())
        try:
            yield
        finally:
            otel_context.detach(token)
        return
    first, *others = _distinct(spans)
    links = [trace.set_span_in_context(other) for other in others]
    with span(name, parent=trace.set_span_in_context(first), links=links, attributes=attributes):
        yield


def finish(spans: Iterable[trace.Span], error: BaseException | None = None) -> None:
    """End each of these `started` spans once (a message's pings share one), marked failed with `error`."""
    for one in _distinct(spans):
        if error is not None:
            one.set_status(Status(StatusCode.ERROR, repr(error)[:200]))
        one.end()


def _distinct(spans: Iterable[trace.Span]) -> list[trace.Span]:
    return list({id(s): s for s in spans}.values())
