"""Which adapter serves a channel: NOTIFICATIONS_ADAPTERS maps a channel to an adapter's dotted path, so a
deployment chooses providers (or adds the SMS and push adapters) by settings alone."""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from apps.notifications.channels.base import Adapter


def adapter_for(channel: str, *, batch: bool = False) -> Adapter | None:
    """The configured adapter for `channel`, or None when none is (its deliveries are suppressed, not failed).
    `batch`: it will send many messages in a row; an adapter that can keep its connection open between them (the
    email adapter's `keep_open`) does, until its `close()`."""
    path = (getattr(settings, "NOTIFICATIONS_ADAPTERS", {}) or {}).get(str(channel))
    if not path:
        return None
    cls = import_string(path)  # a wrong path is a deployment error: loud, not suppressed
    adapter: Adapter = cls(keep_open=True) if batch and _takes_keep_open(cls) else cls()
    return adapter


def close(adapter: Adapter | None) -> None:
    closer = getattr(adapter, "close", None)
    if callable(closer):
        closer()


def _takes_keep_open(cls: type) -> bool:
    import inspect

    try:
        return "keep_open" in inspect.signature(cls).parameters
    except (TypeError, ValueError):
        return False
