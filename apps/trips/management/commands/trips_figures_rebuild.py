import uuid

from django.core.management.base import BaseCommand, CommandError

from apps.trips.services import figures


class Command(BaseCommand):
    help = (
        "Recompute the overview's daily trip figures (TripDay, DriverDay) from trips, stops and shifts, replacing "
        "what was kept. Once after upgrading to them, or after rows were changed outside the services."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fleet", action="append", default=[], help="a fleet id (repeatable; default: all)")

    def handle(self, *args, fleet, **options):
        try:
            fleet_ids = [uuid.UUID(value) for value in fleet] or None
        except ValueError as exc:
            raise CommandError(f"--fleet takes a fleet id: {exc}") from exc
        trip_days, driver_days = figures.figures_rebuild(fleet_ids=fleet_ids)
        self.stdout.write(f"rebuilt {trip_days} trip day(s) and {driver_days} driver day(s)")
