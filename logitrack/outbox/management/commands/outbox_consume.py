import signal
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from logitrack import bus
from logitrack.outbox import consumer


class Command(BaseCommand):
    help = (
        "Deliver events from NATS JetStream to the subscriptions in OUTBOX_NATS_SUBSCRIPTIONS (one durable pull "
        "consumer each, a thread each). Loops until SIGTERM/SIGINT; safe to run several."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--subscription",
            action="append",
            dest="names",
            default=[],
            help="only this subscription (repeatable); default: every NATS subscription this process knows",
        )
        parser.add_argument("--batch", type=int, default=None, help="messages fetched and applied together")
        parser.add_argument(
            "--idle-when-none",
            action="store_true",
            help="with no NATS subscriptions configured, wait for a stop signal instead of failing (a process "
            "manager that stops everything when one process exits: the Procfile)",
        )

    def handle(self, *args: Any, names: list[str], batch: int | None, idle_when_none: bool, **options: Any) -> None:
        carried = set(settings.OUTBOX_NATS_SUBSCRIPTIONS)
        known = {sub.name: sub for sub in bus.all_subscriptions()}
        for name in names:
            if name not in carried:
                raise CommandError(f"{name!r} is not in OUTBOX_NATS_SUBSCRIPTIONS ({', '.join(sorted(carried))})")
            if name not in known:
                raise CommandError(f"no subscription {name!r} in this process")
        subs = [known[n] for n in (names or sorted(carried)) if n in known]
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        if not subs:
            if not idle_when_none:
                raise CommandError("no NATS subscriptions to consume here: set OUTBOX_NATS_SUBSCRIPTIONS")
            self.stdout.write("no NATS subscriptions configured here (OUTBOX_NATS_SUBSCRIPTIONS): idle")
            while not stopping:
                time.sleep(0.5)
            return
        self.stdout.write(f"consuming {', '.join(s.name for s in subs)} from NATS (Ctrl-C to stop)")
        total = consumer.run(subs, should_stop=lambda: stopping, batch=batch)
        self.stdout.write(f"stopped after applying {total} event(s)")
