"""How services schedule background work without importing task modules (which would invert layers).

Tasks are addressed by their registered name, the message contract. `enqueue_on_commit` defers the
send until the surrounding transaction commits, so a rolled-back write never starts a job. In the
embedded default (CELERY_TASK_ALWAYS_EAGER) the task runs in-process at that point.
"""

from __future__ import annotations

from typing import Any

import structlog
from celery import current_app
from django.db import transaction
from kombu.exceptions import OperationalError

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

    transaction.on_commit(send)
