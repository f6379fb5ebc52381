"""Which adapter serves a channel: NOTIFICATIONS_ADAPTERS maps a channel to an adapter's dotted path, so a
deployment chooses providers (or adds the SMS and push adapters) by settings alone."""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from apps.notifications.channels.base import Adapter


def adapter_for(channel: str) -> Adapter | None:
    """The configured adapter for `channel`, or None when none is (its deliveries are suppressed, not failed)."""
    path = (getattr(settings, "NOTIFICATIONS_ADAPTERS", {}) or {}).get(str(channel))
    if not path:
        return None
    adapter: Adapter = import_string(path)()  # a wrong path is a deployment error: loud, not suppressed
    return adapter
