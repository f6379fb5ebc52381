import signal
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from logitrack.outbox import relay


class Command(BaseCommand):
    help = "Relay committed outbox events to their subscribers. Loops until SIGTERM/SIGINT; safe to run several."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="drain what is pending now, then exit")
        parser.add_argument("--batch", type=int, default=100, help="rows claimed per transaction (default 100)")
        parser.add_argument("--poll", type=float, default=None, help="idle sleep in seconds (default: settings)")

    def handle(self, *args: Any, once: bool, batch: int, poll: float | None, **options: Any) -> None:
        if batch < 1:
            self.stderr.write("--batch must be at least 1")
            raise SystemExit(2)
        if once:
            count = relay.relay_pending(limit=batch)
            self.stdout.write(f"relayed {count} event(s)")
            return
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write("outbox relay running (Ctrl-C to stop)")
        total = relay.run_forever(should_stop=lambda: stopping, poll_seconds=poll, limit=batch)
        self.stdout.write(f"outbox relay stopped after relaying {total} event(s)")
