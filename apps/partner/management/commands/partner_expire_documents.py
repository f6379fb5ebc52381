from django.core.management.base import BaseCommand

from apps.partner.services import expiry


class Command(BaseCommand):
    help = "Expire lapsed driver documents (updating compliance) and warn drivers ahead of expiry. Beat runs it daily."

    def add_arguments(self, parser):
        parser.add_argument("--warn-days", type=int, default=None, help="warn this many days ahead (default: settings)")

    def handle(self, *args, warn_days, **options):
        expired, warned = expiry.documents_expire(warn_days=warn_days)
        self.stdout.write(f"{expired} document(s) expired, {warned} driver(s) warned")
