import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from apps.trips.services import lifecycle


class Command(BaseCommand):
    help = "Cancel trips nobody took: still unassigned N minutes after they were wanted (no fee for the customer)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--minutes", type=int, default=60, help="how long a trip may wait for a driver (default 60)"
        )

    def handle(self, *args, minutes, **options):
        if minutes < 1:
            raise CommandError("--minutes must be at least 1")
        cancelled = lifecycle.trips_cancel_stale(older_than=dt.timedelta(minutes=minutes))
        self.stdout.write(f"cancelled {cancelled} stale trip(s)")
