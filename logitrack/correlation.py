"""One request id across processes, so `grep <id>` over web, relay and worker logs follows what a request caused.

The id of the HTTP request (logitrack.http.middleware) or websocket message (logitrack.realtime) being handled lives
in `logs.request_id_var`, which every log line reads. It travels:

- in the outbox envelope, as the optional attribute `requestid` beside `specversion`, `id`, `type` (a CloudEvents
  extension attribute, as W3C `traceparent` / `tracestate` are): stamped by `publish`, bound by the worker while it
  applies that event, so what a handler logs, publishes and enqueues carries it on. It is not payload: event schemas
  (and their snapshots) describe `data` only, and readers ignore attributes they do not know;
- in the `request_id` header of every Celery task sent while an id is bound (`before_task_publish`), bound again
  in the worker around the task (`task_prerun` / `task_postrun`);
- in channel-layer group messages (`request_id`), bound while a socket's consumer handles the push.

The trace context (logitrack/tracing) travels the same ways, as `traceparent`; `carry` takes both along into work
that runs later in this process (on commit, on another thread).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from logitrack import tracing
from logitrack.logs import request_id_var

ENVELOPE_ATTRIBUTE = "requestid"
TASK_HEADER = "request_id"
_TOKEN = "_request_id_token"  # where task_prerun leaves the token task_postrun resets


def current() -> str | None:
    return request_id_var.get()


@contextlib.contextmanager
def bound(request_id: str | None) -> Iterator[None]:
    """`request_id` (None: none) for what runs inside, then whatever was bound before."""
    token = request_id_var.set(request_id)
    try:
        yield
    finally:
        request_id_var.reset(token)


def carry(fn: Callable[[], None]) -> Callable[[], None]:
    """`fn`, to run later (on commit, on another thread) under the request id and trace context current now: at
    commit time they may be another's (a batch's) or none."""
    request_id, context = current(), tracing.current()

    def carried() -> None:
        with bound(request_id), tracing.attached(context):
            fn()

    return carried


def stamp(envelope: dict[str, Any]) -> dict[str, Any]:
    """The envelope with the bound request id, if there is one."""
    if request_id := current():
        envelope[ENVELOPE_ATTRIBUTE] = request_id
    return envelope


def of(envelope: dict[str, Any]) -> str | None:
    value = envelope.get(ENVELOPE_ATTRIBUTE)
    return value if isinstance(value, str) else None


def common(envelopes: Iterable[dict[str, Any]]) -> str | None:
    """The one request id all these envelopes share, else None (a batch of events from several requests)."""
    ids = {of(e) for e in envelopes}
    return ids.pop() if len(ids) == 1 else None


def distinct(envelopes: Iterable[dict[str, Any]]) -> list[str]:
    """The request ids of these envelopes, once each, for a log line about all of them."""
    return sorted({rid for e in envelopes if (rid := of(e))})


# ---- Celery -------------------------------------------------------------------------------------------------------


def _on_publish(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    request_id = current()
    if request_id and headers is not None:
        headers.setdefault(TASK_HEADER, request_id)


def _on_prerun(task: Any = None, **kwargs: Any) -> None:
    request = task.request
    if request.is_eager:  # run in the caller's own process and context: its id is already bound
        return
    setattr(request, _TOKEN, request_id_var.set(getattr(request, TASK_HEADER, None)))


def _on_postrun(task: Any = None, **kwargs: Any) -> None:
    token = getattr(task.request, _TOKEN, None)
    if token is not None:
        request_id_var.reset(token)
        setattr(task.request, _TOKEN, None)


def connect_celery() -> None:
    """Carry the request id in task headers (config/celery.py calls this once)."""
    from celery import signals

    signals.before_task_publish.connect(_on_publish, weak=False)
    signals.task_prerun.connect(_on_prerun, weak=False)
    signals.task_postrun.connect(_on_postrun, weak=False)
