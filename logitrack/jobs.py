"""How services schedule background work without importing task modules (which would invert layers).

Tasks are addressed by their registered name, the message contract. `enqueue_on_commit` defers the
send until the surrounding transaction commits, so a rolled-back write never starts a job. In the
embedded default (CELERY_TASK_ALWAYS_EAGER) the task runs in-process at that point, except a task routed to one of
EMBEDDED_BACKGROUND_QUEUES (the long `routing` jobs): that one runs on a background thread of this process, one
after another, so the request that queued it answers at once, as on the full stack. The thread is joined at exit:
a command that queued a job ends after it (a solve it hands to logitrack.offload then runs in this process, the
process pool having already refused new work by then).
"""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import structlog
from celery import current_app
from django.conf import settings
from django.db import connections, transaction
from kombu.exceptions import OperationalError

from logitrack import correlation
from logitrack.db import contexts

log = structlog.get_logger(__name__)


class QueueUnavailable(Exception):
    """The broker could not be reached (after Celery's own publish retries): the job was not sent."""


def enqueue(
    task_name: str, /, *, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None, **options: Any
) -> None:
    task = current_app.tasks.get(task_name)
    if task is None:
        # Outside a worker, Celery imports the apps' task modules only when asked to.
        current_app.loader.import_default_modules()
        task = current_app.tasks.get(task_name)
    if task is None:
        raise LookupError(f"no Celery task registered as {task_name!r}")
    if task.app.conf.task_always_eager and _in_background(task, options, args, kwargs):
        # the request id and trace context only, not the caller's whole context (its database connections are per
        # context)
        _background().submit(correlation.carry(functools.partial(_run_in_background, task, args, kwargs or {})))
        return
    try:
        task.apply_async(args=args, kwargs=kwargs or {}, **options)
    except OperationalError as exc:
        raise QueueUnavailable(f"{task_name}: {exc}") from exc


def enqueue_on_commit(task_name: str, /, **kwargs: Any) -> None:
    """Only for jobs that something sends again if this send is lost (billing.catch_up_documents does for
    billing's): a broker that cannot be reached is logged, not raised, because the commit already stands and the
    caller (an API request, an event handler) must not fail after it."""

    def send() -> None:
        try:
            enqueue(task_name, kwargs=kwargs)
        except QueueUnavailable:
            log.warning("jobs.not_sent", task=task_name, job_kwargs=kwargs, exc_info=True)

    # the request id and trace bound now: the commit may come after they were unbound (a batch's handlers); on the
    # commit of the context's transaction the caller is in (its own database when split)
    transaction.on_commit(correlation.carry(send), using=contexts.current_alias())


def _in_background(task: Any, options: dict[str, Any], args: tuple[Any, ...], kwargs: dict[str, Any] | None) -> bool:
    queue = task.app.amqp.router.route(dict(options), task.name, args, kwargs or {})["queue"]
    return getattr(queue, "name", queue) in settings.EMBEDDED_BACKGROUND_QUEUES


@functools.cache  # started on first use
def _background() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedded-jobs")


def _run_in_background(task: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    try:
        result = task.apply(args=args, kwargs=kwargs)  # under the request id that queued it (`carry`)
        if result.failed():
            log.error("jobs.failed", task=task.name, error=repr(result.result))
    except Exception:
        log.exception("jobs.failed", task=task.name)
    finally:
        connections.close_all()  # this thread's connections only: not held between jobs
