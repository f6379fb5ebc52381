"""The Celery worker's consumer, made to survive a broker (Redis) restart without losing or stranding tasks.

Wired in settings as CELERY_WORKER_CONSUMER. Two faults of Celery 5.7 / Kombu 5.7 with the Redis transport,
both seen in the end-to-end suite (tests/e2e/test_resilience.py) when Redis restarts under load:

1. The worker dies. On a lost connection Celery first collects the connection (its transport forgets the broker
   URL), then closes it; closing the task channel tries to put the unacknowledged messages back on their
   queues, needs the forgotten URL and raises AttributeError, which Celery treats as unrecoverable. A task that
   was running then finishes after the reconnect and acks through that dead channel: AttributeError again.
2. Even where it does not die, those messages (tasks running, prefetched, or waiting for their countdown) stay
   in Redis' `unacked` set, invisible until the visibility timeout (an hour) has passed: an outbox delivery
   acknowledged by nobody, an hour late.

So when the connection is lost, this consumer notes which messages its channel held unacknowledged and retires
the dead channel (it no longer requeues, acks or rejects anything); once it has connected again, it puts exactly
those messages back on their queues. Tasks are at-least-once anyway (acks_late): one that finished during the
outage but whose ack was lost runs again, and the inbox or the job's state makes that a no-op.
"""

from __future__ import annotations

from typing import Any

import structlog
from celery.worker.consumer import Consumer as CeleryConsumer

log = structlog.get_logger(__name__)


class Consumer(CeleryConsumer):  # type: ignore[misc]  # celery ships no types
    _stranded: list[str]

    def on_connection_error_after_connected(self, exc: BaseException) -> None:
        channel = getattr(self.connection, "_default_channel", None)
        qos = getattr(channel, "_qos", None)
        held = list(getattr(qos, "_delivered", None) or ())
        self._stranded = [*getattr(self, "_stranded", []), *held]
        if channel is not None:
            _retire(channel)
        super().on_connection_error_after_connected(exc)

    def connect(self) -> Any:
        connection = super().connect()
        stranded, self._stranded = getattr(self, "_stranded", []), []
        if stranded and connection.transport.driver_type == "redis":
            self._requeue(connection, stranded)
        return connection

    @staticmethod
    def _requeue(connection: Any, tags: list[str]) -> None:
        channel = connection.channel()
        try:
            for tag in tags:
                channel.qos.restore_by_tag(tag)  # a tag already acked or restored is simply not found
            log.warning("worker.requeued_after_reconnect", messages=len(tags))
        except Exception:  # the broker went away again: they come back after the visibility timeout instead
            log.exception("worker.requeue_failed", messages=len(tags))
        finally:
            channel.close()


def _retire(channel: Any) -> None:
    """A channel of a lost connection cannot reach the broker and would crash the worker trying: it no longer
    requeues its unacked messages on close, nor acks or rejects late. Its messages are requeued after the
    reconnect instead."""

    def forget(*args: Any, **kwargs: Any) -> None:
        return None

    channel.do_restore = False
    channel.basic_ack = forget
    channel.basic_reject = forget
