from django.core.management.base import BaseCommand, CommandError

from apps.billing.services import ledger


class Command(BaseCommand):
    help = (
        "Check every ledger invariant: postings sum to zero per currency, balances equal their postings, "
        "no account below its floor, no transaction without postings. Exits non-zero naming the offenders. The result "
        "is recorded as the latest check, which /metrics reports (logitrack_ledger_check_*)."
    )

    def handle(self, *args, **options):
        problems = ledger.ledger_check()
        for problem in problems:
            self.stdout.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} ledger invariant violation(s)")
        self.stdout.write("ledger verified: every invariant holds")
