"""The subscription registry: which handler reacts to which integration event.

Handlers register with `@subscriber(EventClass, name="<app>.<verb_phrase>")` in their app's
`handlers.py`. The name is stable: it keys the inbox, so renaming a subscription re-delivers history.

A subscription may also name a `batch` handler that applies several events in one go (one look-up of what they
share, bulk writes): the events worker calls it with the new events of a batch, in relay order, inside the batch's
transaction; a single delivery (and every event of a batch that failed) still goes through the plain handler. Both
must leave the same state behind.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from logitrack.events import IntegrationEvent

E = TypeVar("E", bound=IntegrationEvent)
Handler = Callable[[Any], None]
BatchHandler = Callable[[list[Any]], None]


@dataclasses.dataclass(frozen=True)
class Subscription:
    name: str
    event_type: str
    handler: Handler
    queue: str = "events"
    batch_handler: BatchHandler | None = None

    @property
    def handler_path(self) -> str:
        return f"{self.handler.__module__}.{self.handler.__qualname__}"


_SUBSCRIPTIONS: dict[str, Subscription] = {}
_scope: list[Callable[[Subscription], bool]] = [lambda sub: True]  # all of them, until told otherwise


def _in_scope(sub: Subscription) -> bool:
    return _scope[0](sub)


def limit_to(predicate: Callable[[Subscription], bool]) -> None:
    """Make the registry answer only with subscriptions `predicate` keeps, asked at each look-up: a process that
    does not run a context (logitrack/hosting.py) neither delivers nor consumes that context's subscriptions."""
    _scope[0] = predicate


def subscriber(
    event_cls: type[E], *, name: str, queue: str = "events", batch: BatchHandler | None = None
) -> Callable[[Callable[[E], None]], Callable[[E], None]]:
    def register(fn: Callable[[E], None]) -> Callable[[E], None]:
        existing = _SUBSCRIPTIONS.get(name)
        if existing is not None and existing.handler_path != f"{fn.__module__}.{fn.__qualname__}":
            raise RuntimeError(f"subscription {name!r} registered twice")
        _SUBSCRIPTIONS[name] = Subscription(
            name=name, event_type=event_cls.TYPE, handler=fn, queue=queue, batch_handler=batch
        )
        return fn

    return register


def subscriptions_for(event_type: str) -> list[Subscription]:
    return [s for s in _SUBSCRIPTIONS.values() if s.event_type == event_type and _in_scope(s)]


def subscription(name: str) -> Subscription:
    found = _SUBSCRIPTIONS.get(name)
    if found is None or not _in_scope(found):
        raise LookupError(f"no subscription named {name!r}")
    return found


def all_subscriptions() -> list[Subscription]:
    return sorted((s for s in _SUBSCRIPTIONS.values() if _in_scope(s)), key=lambda s: (s.event_type, s.name))


def unsubscribe(name: str) -> None:
    """Remove a subscription (used when a context is extracted, and by tests)."""
    _SUBSCRIPTIONS.pop(name, None)
