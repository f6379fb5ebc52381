from django.core.management.base import BaseCommand

from apps.partner.services import expiry


class Command(BaseCommand):
    help = "Expire lapsed driver documents (updating compliance) and warn drivers ahead of expiry. Beat runs it daily."

    def add_arguments(self, parser):
        parser.add_argument(
            "--threshold",
            type=int,
            action="append",
            default=None,
            help="warn when this many days or fewer are left, once each (repeatable; default: settings)",
        )

    def handle(self, *args, threshold, **options):
        expired, warned = expiry.documents_expire(thresholds=threshold)
        self.stdout.write(f"{expired} document(s) expired, {warned} warning(s) published")
