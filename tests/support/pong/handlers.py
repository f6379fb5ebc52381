"""The subscriber under test. Faults are steered through Redis so they survive the handler's rollback
and reach a separate worker process: `pong:fail:<label>` = how many attempts should fail (-1: all);
`pong:hold:<label>` set = once the handler's transaction committed, the process stops there (`pong:holding:<label>`
tells which process has) until the key is deleted, so a test can kill it between the commit and the acknowledgement."""

import os
import time

import redis
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, transaction

from logitrack import jobs
from logitrack.bus import subscriber
from tests.support.ping.events import PingSentV1
from tests.support.pong.models import Receipt


class InjectedFault(RuntimeError):
    pass


def _redis():
    return redis.Redis.from_url(settings.REDIS_URL)


def attempts_key(label: str) -> str:
    return f"pong:attempts:{label}"


def fail_key(label: str) -> str:
    return f"pong:fail:{label}"


def hold_key(label: str) -> str:
    return f"pong:hold:{label}"


def holding_key(label: str) -> str:
    return f"pong:holding:{label}"


def _hold_after_commit(label: str) -> None:
    r = _redis()
    r.set(holding_key(label), os.getpid())
    deadline = time.monotonic() + 60
    while r.exists(hold_key(label)) and time.monotonic() < deadline:
        time.sleep(0.05)


@subscriber(PingSentV1, name="pong.record_ping")
def record_ping(event: PingSentV1) -> None:
    if settings.REDIS_URL:
        r = _redis()
        attempt = r.incr(attempts_key(event.label))
        fail = int(r.get(fail_key(event.label)) or 0)
        if fail == -1 or attempt <= fail:
            raise InjectedFault(f"injected failure on attempt {attempt} for {event.label}")
        if r.exists(hold_key(event.label)):
            # no context's handler: its transaction is default's (contexts.alias_of(None))
            transaction.on_commit(lambda: _hold_after_commit(event.label), using=DEFAULT_DB_ALIAS)
    Receipt.objects.create(ping_id=event.ping_id, event_id=event.event_id, label=event.label)
    if event.label.startswith("echo:"):  # a job of the handler's, on the default queue (test_request_ids.py)
        jobs.enqueue_on_commit("pong.echo", label=event.label)
