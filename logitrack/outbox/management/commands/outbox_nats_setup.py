from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from logitrack import bus
from logitrack.outbox import jetstream


class Command(BaseCommand):
    help = (
        "Create or update the NATS JetStream stream of integration events and the durable consumer of every "
        "subscription in OUTBOX_NATS_SUBSCRIPTIONS that this process knows (limits from the OUTBOX_NATS_* settings)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--from-now",
            action="store_true",
            help="consumers created now skip what the stream already holds (a new subscription that must not "
            "receive the retained history); by default they start at its oldest message and the inbox skips what "
            "the subscription applied already",
        )

    def handle(self, *args: Any, from_now: bool, **options: Any) -> None:
        try:
            outcome = jetstream.ensure_stream()
        except Exception as exc:
            raise CommandError(f"NATS at {settings.OUTBOX_NATS_URL}: {exc}") from exc
        cfg = jetstream.stream_config()
        self.stdout.write(
            f"stream {cfg.name} {outcome}: subjects {', '.join(cfg.subjects or [])}, limits retention, "
            f"max age {settings.OUTBOX_NATS_MAX_AGE_SECONDS} s, duplicate window "
            f"{settings.OUTBOX_NATS_DUPLICATE_WINDOW_SECONDS} s, {cfg.num_replicas} replica(s)"
        )
        known = {sub.name: sub for sub in bus.all_subscriptions()}
        for name in settings.OUTBOX_NATS_SUBSCRIPTIONS:
            sub = known.get(name)
            if sub is None:  # its code runs in another service, which sets up its own consumer
                self.stdout.write(f"consumer for {name}: skipped (no such subscription in this process)")
                continue
            outcome = jetstream.ensure_consumer(sub.name, sub.event_type, from_now=from_now)
            self.stdout.write(
                f"consumer {jetstream.consumer_name(name)} {outcome}: {jetstream.subject_for(sub.event_type)}, "
                f"ack wait {settings.OUTBOX_NATS_ACK_WAIT_SECONDS} s, max deliver {settings.OUTBOX_NATS_MAX_DELIVER}"
            )
        jetstream.close()
