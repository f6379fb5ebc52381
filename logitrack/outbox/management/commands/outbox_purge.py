import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from logitrack.outbox import services


class Command(BaseCommand):
    help = "Delete relayed outbox rows and old inbox records."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=7, help="keep relayed events this many days (default 7)")
        parser.add_argument("--inbox-days", type=int, default=30, help="keep inbox records this many days (default 30)")

    def handle(self, *args: Any, days: int, inbox_days: int, **options: Any) -> None:
        if days < 1 or inbox_days < 1:
            raise CommandError("--days and --inbox-days must be at least 1")
        outbox, inbox = services.outbox_purge(
            published_older_than=dt.timedelta(days=days), inbox_older_than=dt.timedelta(days=inbox_days)
        )
        self.stdout.write(f"deleted {outbox} outbox row(s) and {inbox} inbox record(s)")
