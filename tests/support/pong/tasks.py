"""A job a handler enqueues, to follow a request id from an event's handler into a Celery task's log lines."""

import structlog
from celery import shared_task

log = structlog.get_logger(__name__)


@shared_task(name="pong.echo", ignore_result=True)
def echo(label: str) -> None:
    log.info("pong.echoed", label=label)
