from typing import Any

from django.core.management.base import BaseCommand

from logitrack import bus
from logitrack.events import registered_event_types


class Command(BaseCommand):
    help = "Print every integration event type and who subscribes to it."

    def handle(self, *args: Any, **options: Any) -> None:
        for event_type, cls in registered_event_types().items():
            subs = bus.subscriptions_for(event_type)
            self.stdout.write(f"{event_type}  ({cls.__module__}.{cls.__name__})")
            if not subs:
                self.stdout.write("    (no subscribers)")
            for sub in sorted(subs, key=lambda s: s.name):
                self.stdout.write(f"    -> {sub.name}  [{sub.handler_path}, queue={sub.queue}]")
