import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from logitrack import bus
from logitrack.outbox import services


class Command(BaseCommand):
    help = "Re-deliver parked (dead-lettered) events once the fault that parked them is fixed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--subscriber", help="only this subscription, e.g. billing.settle_trip")
        parser.add_argument("--event-id", type=uuid.UUID, help="only this event")
        parser.add_argument("--all", action="store_true", help="replay every pending dead letter")
        parser.add_argument("--inline", action="store_true", help="deliver in this process instead of via the worker")
        parser.add_argument("--dry-run", action="store_true", help="list what would be replayed")

    def handle(
        self,
        *args: Any,
        subscriber: str | None,
        event_id: uuid.UUID | None,
        all: bool,
        inline: bool,
        dry_run: bool,
        **options: Any,
    ) -> None:
        if not (subscriber or event_id or all):
            raise CommandError("say what to replay: --subscriber, --event-id, or --all")
        letters = services.dead_letters_pending(subscriber=subscriber, event_id=event_id)
        known = sorted(s.name for s in bus.all_subscriptions())
        if subscriber and not letters and subscriber not in known:  # a typo must not look like "nothing to do"
            raise CommandError(f"no subscriber is called {subscriber!r}; the subscribers are: {', '.join(known)}")
        if not letters:
            self.stdout.write("no pending dead letters match")
            return
        for letter in letters:
            if dry_run:
                self.stdout.write(f"would replay {letter.subscriber} {letter.event_type} {letter.event_id}")
                continue
            result = services.dead_letter_replay(letter=letter, inline=inline)
            self.stdout.write(f"{result.outcome}: {result.subscriber} {letter.event_type} {result.event_id}")
        failed = services.dead_letters_pending(subscriber=subscriber, event_id=event_id)
        if inline and failed:
            raise CommandError(f"{len(failed)} delivery(ies) failed again and stay parked")
