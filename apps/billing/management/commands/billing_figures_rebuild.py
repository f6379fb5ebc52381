import uuid

from django.core.management.base import BaseCommand, CommandError

from apps.billing.services import figures


class Command(BaseCommand):
    help = (
        "Recompute the overview's revenue per fleet, local day and currency (RevenueDay) from the ledger's fare "
        "transactions, replacing what was kept. Once after upgrading to it, or after a repair of the ledger."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fleet", action="append", default=[], help="a fleet id (repeatable; default: all)")

    def handle(self, *args, fleet, **options):
        try:
            fleet_ids = [uuid.UUID(value) for value in fleet] or None
        except ValueError as exc:
            raise CommandError(f"--fleet takes a fleet id: {exc}") from exc
        self.stdout.write(f"rebuilt {figures.revenue_rebuild(fleet_ids=fleet_ids)} revenue day(s)")
