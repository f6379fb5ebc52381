"""A NATS subscription the relay would never publish for: its events would be marked relayed after Celery alone
took them, and never reach its consumer."""

from typing import Any

from django.conf import settings
from django.core import checks

NATS_SINK = "logitrack.outbox.sinks.NatsSink"


@checks.register()
def nats_sink_configured(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if settings.OUTBOX_NATS_SUBSCRIPTIONS and NATS_SINK not in settings.OUTBOX_SINKS:
        return [
            checks.Error(
                f"OUTBOX_NATS_SUBSCRIPTIONS names {', '.join(settings.OUTBOX_NATS_SUBSCRIPTIONS)} but OUTBOX_SINKS "
                f"has no {NATS_SINK}: their events would never reach NATS",
                hint=f"add {NATS_SINK} to OUTBOX_SINKS (or leave OUTBOX_SINKS unset: it then includes it)",
                id="outbox.E001",
            )
        ]
    return []
