import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.dispatch.services import positions


class Command(BaseCommand):
    help = "Delete GPS history older than the retention window (DISPATCH_HISTORY_DAYS unless --days is given)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None)

    def handle(self, *args, days, **options):
        days = settings.DISPATCH_HISTORY_DAYS if days is None else days
        if days < 1:
            raise CommandError("--days must be at least 1")
        deleted = positions.positions_prune(older_than=dt.timedelta(days=days))
        self.stdout.write(f"deleted {deleted} pings recorded more than {days} days ago")
