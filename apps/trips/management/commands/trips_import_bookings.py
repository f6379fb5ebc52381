import uuid

from django.core.management.base import BaseCommand, CommandError

from apps.trips.services import booking_import
from logitrack.csvimport import print_report
from logitrack.exceptions import ApplicationError


class Command(BaseCommand):
    help = (
        "Book trips from a CSV file for one fleet, each row through the booking rules (stops, windows, area, load, "
        "quote) as the given member of its staff; bad rows are reported by line. Columns: "
        + "; ".join(f"{name} ({'required' if req else 'optional'})" for name, req, _ in booking_import.COLUMNS)
    )

    def add_arguments(self, parser):
        parser.add_argument("csv_path")
        parser.add_argument("--fleet", type=uuid.UUID, required=True)
        parser.add_argument("--booked-by", type=uuid.UUID, required=True, help="user id of the fleet's staff member")
        parser.add_argument("--dry-run", action="store_true", help="check every row, book nothing")

    def handle(self, *args, csv_path, fleet, booked_by, dry_run, **options):
        try:
            with open(csv_path, "rb") as handle:
                rows = booking_import.parse(handle.read(booking_import.MAX_BYTES + 1))
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        except booking_import.FileRefused as exc:
            raise CommandError(str(exc)) from exc
        try:
            report = booking_import.import_bookings(
                rows, fleet_id=fleet, booked_by_id=booked_by, dry_run=dry_run, progress_out=self.stderr._out
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        print_report(report, dry_run=dry_run, out=self.stdout._out)
        if report.failed:
            raise CommandError(f"{report.failed} row(s) were not booked")
