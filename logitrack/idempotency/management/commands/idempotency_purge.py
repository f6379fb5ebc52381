from typing import Any

from django.core.management.base import BaseCommand

from logitrack.idempotency import services


class Command(BaseCommand):
    help = "Delete idempotency keys older than the retention window (IDEMPOTENCY_RETENTION_HOURS)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"deleted {services.idempotency_purge()} expired idempotency key(s)")
