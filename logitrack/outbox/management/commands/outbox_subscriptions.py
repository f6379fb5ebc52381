from typing import Any

from django.core.management.base import BaseCommand

from logitrack import bus
from logitrack.events import registered_event_types
from logitrack.outbox import jetstream


class Command(BaseCommand):
    help = "Print every integration event type, who subscribes to it and how it is delivered (Celery queue or NATS)."

    def handle(self, *args: Any, **options: Any) -> None:
        for event_type, cls in registered_event_types().items():
            subs = bus.subscriptions_for(event_type)
            self.stdout.write(f"{event_type}  ({cls.__module__}.{cls.__name__})")
            if not subs:
                self.stdout.write("    (no subscribers)")
            for sub in sorted(subs, key=lambda s: s.name):
                path = (
                    f"nats={jetstream.consumer_name(sub.name)}"
                    if jetstream.carried_by_nats(sub.name)
                    else f"queue={sub.queue}"
                )
                self.stdout.write(f"    -> {sub.name}  [{sub.handler_path}, {path}]")
