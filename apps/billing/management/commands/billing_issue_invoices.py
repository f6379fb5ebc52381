import time

from django.core.management.base import BaseCommand, CommandError

from apps.billing.services import invoices
from logitrack import jobs
from logitrack.csvimport import progress
from logitrack.exceptions import ApplicationError


class Command(BaseCommand):
    help = (
        "Issue the period's invoices (one per customer and fleet) as Celery jobs and follow their progress. "
        "Safe to re-run: an invoice already issued is not issued again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="YYYY-MM, in each fleet's time zone")
        parser.add_argument("--timeout", type=int, default=600, help="seconds to wait for the jobs (default 600)")

    def handle(self, *args, period, timeout, **options):
        from apps.billing.models import Invoice

        try:
            pairs = invoices.period_customers(period=period)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if not pairs:
            self.stdout.write(f"nothing to invoice for {period}")
            return
        for fleet_id, customer_id in pairs:
            jobs.enqueue("billing.issue_period_invoice", args=(str(fleet_id), str(customer_id), period))
        deadline = time.monotonic() + timeout
        while True:
            done = Invoice.objects.filter(kind="invoice", period=period, customer_id__in=[c for _, c in pairs]).count()
            progress(done, len(pairs), self.stderr._out)
            if done >= len(pairs):
                break
            if time.monotonic() > deadline:
                raise CommandError(
                    f"only {done} of {len(pairs)} invoices were issued in {timeout}s; is a worker running?"
                )
            time.sleep(0.5)
        self.stdout.write(f"{len(pairs)} invoice(s) for {period} issued")
