from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from logitrack.outbox import catalogue


class Command(BaseCommand):
    help = "Write the events catalogue (docs/events-catalogue.md) from the code, or --check that it is current."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", default=str(Path(settings.BASE_DIR) / "docs" / "events-catalogue.md"))
        parser.add_argument("--check", action="store_true", help="fail if the file differs from the code")

    def handle(self, *args: Any, output: str, check: bool, **options: Any) -> None:
        text, path = catalogue.render(), Path(output)
        if check:
            if not path.exists() or path.read_text() != text:
                raise CommandError(f"{path} is out of date: run `python manage.py outbox_catalogue`")
            self.stdout.write(f"{path} is current")
            return
        path.write_text(text)
        self.stdout.write(f"wrote {path}")
