from django.core.management.base import BaseCommand

from apps.billing import selectors
from apps.billing.services import topups


class Command(BaseCommand):
    help = (
        "List the prepaid credits customers gave themselves through the top-up endpoint before top-ups needed a "
        "confirmed payment (customer, amount, when, balance now). With --reverse, take each back with a reversing "
        "transaction, never below a zero balance: what was already spent is reported as a shortfall. Safe to re-run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--reverse", action="store_true", help="post the reversals (default: only list)")

    def handle(self, *args, reverse, **options):
        found = selectors.legacy_topups()
        if not found:
            self.stdout.write("no unconfirmed top-ups: every top-up credit has a confirmed payment")
            return
        shortfalls = 0
        for row in found:
            line = (
                f"{row.transaction.posted_at:%Y-%m-%d %H:%M} customer {row.customer_id}: "
                f"{row.credited_minor} {row.currency} self-credited (transaction {row.transaction.id}), "
                f"balance now {row.balance_minor}"
            )
            if reverse and row.reversed_minor is None:
                taken, short = topups.legacy_topup_reverse(transaction_id=row.transaction.id)
                line += f"; reversed {taken}" + (f", could not reverse {short} (already spent)" if short else "")
                shortfalls += bool(short)
            elif row.reversed_minor is not None:
                short = row.credited_minor - row.reversed_minor
                line += f"; reversed {row.reversed_minor} before" + (f", {short} was already spent" if short else "")
                shortfalls += bool(short)
            self.stdout.write(line)
        summary = f"{len(found)} unconfirmed top-up(s)"
        if shortfalls:
            summary += f", {shortfalls} not fully reversible: the customer spent that credit"
        self.stdout.write(summary + ("" if reverse else "; run with --reverse to take them back"))
