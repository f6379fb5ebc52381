"""Send dead (or other) deliveries again, once each, with the message they were rendered with."""

import datetime as dt
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_datetime

from apps.notifications.contracts import Channel, DeliveryStatus
from apps.notifications.services import deliveries


def _moment(value: str) -> dt.datetime:
    moment = parse_datetime(value)
    if moment is None or moment.tzinfo is None:
        raise CommandError(f"{value!r}: give an ISO 8601 time with its offset, e.g. 2026-12-06T08:00:00+00:00")
    return moment


class Command(BaseCommand):
    help = "Re-queue deliveries (dead ones by default) by id, time range (made at), kind or channel."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--id", dest="ids", action="append", type=uuid.UUID, default=[], help="a delivery id")
        parser.add_argument("--since", type=_moment, help="made at or after (ISO 8601 with offset)")
        parser.add_argument("--until", type=_moment, help="made before (ISO 8601 with offset)")
        parser.add_argument("--kind", default="", help="e.g. trip.confirmed")
        parser.add_argument("--channel", default="", choices=["", *[c.value for c in Channel]])
        parser.add_argument(
            "--status",
            dest="statuses",
            action="append",
            choices=[s.value for s in DeliveryStatus if s != DeliveryStatus.PENDING],
            help="replay deliveries in this status (default: dead); repeatable",
        )
        parser.add_argument("--inline", action="store_true", help="send in this process now instead of via the worker")

    def handle(self, *args: Any, **options: Any) -> None:
        if not (options["ids"] or options["since"] or options["until"] or options["kind"] or options["channel"]):
            raise CommandError("say what to replay: --id, --since/--until, --kind or --channel")
        rows = deliveries.deliveries_replay(
            ids=options["ids"],
            since=options["since"],
            until=options["until"],
            kind=options["kind"],
            channel=options["channel"],
            statuses=options["statuses"] or [DeliveryStatus.DEAD],
        )
        if not rows:
            self.stdout.write("no deliveries match")
            return
        for row in rows:
            self.stdout.write(f"re-queued {row.id} {row.kind} {row.channel} (replay {row.replay_count})")
            if options["inline"]:
                outcome = deliveries.delivery_send(delivery_id=row.id)
                self.stdout.write(f"  {outcome or 'not due'}")
        self.stdout.write(f"{len(rows)} delivery(ies) re-queued")
