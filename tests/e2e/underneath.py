"""What an end-to-end test checks below the API (events delivered, nothing dead-lettered, the ledger balanced, a
receipt rendered), asked where the platform's shape keeps it: `Underneath` for the one platform (this test's
databases); tests/e2e/billing_apart.py answers the same on billing's own database."""

from __future__ import annotations

from logitrack.outbox.models import DeadLetter, OutboxMessage
from logitrack.testing.databases import count_everywhere, rows_everywhere


class Underneath:
    """What a test checks below the API, where the one platform keeps it: billing's rows in this test's database."""

    def receipt_rendered(self, invoice_id: str) -> bool:
        from apps.billing.models import Invoice

        return Invoice.objects.filter(id=invoice_id).exclude(pdf_path="").exists()

    def undelivered(self) -> int:
        return count_everywhere(OutboxMessage, published_at__isnull=True)

    def dead_letters(self) -> list[tuple[str, str]]:
        return [(d.subscriber, d.last_error) for d in rows_everywhere(DeadLetter)]

    def ledger_problems(self) -> list[str]:
        from apps.billing.services import ledger

        return ledger.verify()
