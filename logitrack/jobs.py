"""How services schedule background work without importing task modules (which would invert layers).

Tasks are addressed by their registered name, the message contract. `enqueue_on_commit` defers the
send until the surrounding transaction commits, so a rolled-back write never starts a job. In the
embedded default (CELERY_TASK_ALWAYS_EAGER) the task runs in-process at that point.
"""

from __future__ import annotations

from typing import Any

from celery import current_app
from django.db import transaction


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
    task.apply_async(args=args, kwargs=kwargs or {}, **options)


def enqueue_on_commit(task_name: str, /, **kwargs: Any) -> None:
    transaction.on_commit(lambda: enqueue(task_name, kwargs=kwargs))
