import datetime as dt
import uuid

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps.notifications.models import WebhookDelivery
from apps.notifications.webhooks import catalogue, services
from logitrack.exceptions import ApplicationError


def _moment(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not an ISO time (2026-12-01T09:00+01:00)") from None
    return moment if moment.tzinfo else timezone.make_aware(moment, dt.UTC)


class Command(BaseCommand):
    help = (
        "Send webhook deliveries again: one (--delivery) or every one made in a time range (--since/--until, "
        "optionally --fleet, --endpoint, --type, --status). Same event id and body, signed anew; with --now they are "
        "sent in this process, otherwise the workers send them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--delivery", type=uuid.UUID)
        parser.add_argument("--since", type=_moment, help="ISO time; UTC when it has no offset")
        parser.add_argument("--until", type=_moment, help="ISO time, exclusive")
        parser.add_argument("--fleet", type=uuid.UUID)
        parser.add_argument("--endpoint", type=uuid.UUID)
        parser.add_argument("--type", choices=catalogue.PUBLIC_NAMES)
        parser.add_argument("--status", choices=["pending", "sent", "dead"])
        parser.add_argument("--now", action="store_true", help="send in this process instead of queueing")

    def handle(self, *args, delivery, since, until, fleet, endpoint, type, status, now, **options):
        try:
            if delivery is not None:
                if not WebhookDelivery.objects.filter(id=delivery).exists():
                    raise CommandError(f"no webhook delivery {delivery}")
                replayed = services.delivery_replay(delivery_id=delivery)
                reopened = [(replayed.id, replayed.claim)]
            else:
                if since is None or until is None:
                    raise CommandError("give --delivery, or --since and --until")
                rows = WebhookDelivery.objects.all()
                if fleet is not None:
                    rows = rows.filter(fleet_id=fleet)
                ids = services.deliveries_replay_range(
                    deliveries=rows, since=since, until=until, endpoint_id=endpoint, event_type=type, status=status
                )
                reopened = [(i, None) for i in ids]
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if now:
            outcomes = [services.delivery_send(delivery_id=i, claim=claim) for i, claim in reopened]
            self.stdout.write(f"{len(reopened)} sent again: {outcomes.count('sent')} delivered")
        else:
            self.stdout.write(f"{len(reopened)} queued to send again")
