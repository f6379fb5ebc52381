from django.core.management.base import BaseCommand

from apps.fleet.services import vehicle_documents


class Command(BaseCommand):
    help = "Publish vehicle-document expiry warnings and expirations (beat runs this daily)."

    def add_arguments(self, parser):
        parser.add_argument("--warn-days", type=int, default=None, help="warn this many days ahead (default: settings)")

    def handle(self, *args, warn_days, **options):
        warned, expired = vehicle_documents.vehicle_documents_check(warn_days=warn_days)
        self.stdout.write(f"{warned} document(s) expiring soon, {expired} newly expired")
