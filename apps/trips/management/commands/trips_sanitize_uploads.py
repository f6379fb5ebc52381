from django.core.management.base import BaseCommand

from apps.trips.services import uploads


class Command(BaseCommand):
    help = (
        "Re-encode proof-of-delivery signatures and photos stored before uploads were re-encoded (drops EXIF "
        "and GPS) and quarantine images that cannot be made safe. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="report what would change, change nothing")

    def handle(self, *args, dry_run, **options):
        report = uploads.uploads_sanitize(dry_run=dry_run)
        self.stdout.write("\n".join(report.lines(dry_run=dry_run)))
