"""Copy one context's data to another database, check it, or roll it back (docs/extraction.md).

    manage.py context_copy billing --target postgres://…/logitrack_billing --migrate --dry-run
    manage.py context_copy billing --target postgres://…/logitrack_billing --migrate
    manage.py context_copy billing --target postgres://…/logitrack_billing --verify
    manage.py context_copy billing --source billing --target default --replace     # rollback after the switch

--source and --target take a database alias (default, billing, …) or a PostgreSQL URL.
"""

from __future__ import annotations

from typing import Any

import environ
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.test import override_settings

from logitrack.db import contexts
from logitrack.db.copying import CopyRefused, copy, plan, verify


def _alias(value: str, name: str) -> str:
    if "://" not in value:
        if value not in connections.settings:
            raise CommandError(f"no database alias {value!r}: give one of {', '.join(connections.settings)} or a URL")
        return value
    config = environ.Env.db_url_config(value)
    if "postgres" not in config["ENGINE"]:
        raise CommandError("copying a context needs PostgreSQL on both sides")
    base = dict(connections.settings[DEFAULT_DB_ALIAS])
    options = {k: v for k, v in base.get("OPTIONS", {}).items() if k != "pool"}
    connections.settings[name] = {**base, **config, "OPTIONS": options, "CONN_MAX_AGE": 0, "TEST": {}}
    return name


class Command(BaseCommand):
    help = "Copy one context's rows (its tables and its kernel rows) to another PostgreSQL database, or verify a copy."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("context", choices=[c for c in contexts.CONTEXTS if c != "identity"])
        parser.add_argument("--target", required=True, help="alias or PostgreSQL URL to copy to")
        parser.add_argument("--source", default=DEFAULT_DB_ALIAS, help="alias or URL to copy from (default: default)")
        parser.add_argument("--migrate", action="store_true", help="create the context's tables on the target first")
        parser.add_argument("--dry-run", action="store_true", help="say what would be copied; write nothing")
        parser.add_argument("--verify", action="store_true", help="only compare counts and digests on both sides")
        parser.add_argument("--replace", action="store_true", help="delete the context's rows on the target first")

    def handle(self, *args: Any, **options: Any) -> None:
        context = options["context"]
        source = _alias(options["source"], "context_copy_source")
        target = _alias(options["target"], "context_copy_target")
        if source == target:
            raise CommandError("source and target are the same database alias")
        try:
            if options["migrate"] and not options["verify"]:
                self._migrate(context, target, dry_run=options["dry_run"])
            if options["verify"]:
                self._verify(context, source, target)
            elif options["dry_run"]:
                self._plan(context, source, target, replace=options["replace"], migrate=options["migrate"])
            else:
                for table, rows in copy(context, source=source, target=target, replace=options["replace"]):
                    self.stdout.write(f"{table}: {rows} rows")
                self._verify(context, source, target)
        except CopyRefused as exc:
            raise CommandError(str(exc)) from exc

    def _migrate(self, context: str, target: str, *, dry_run: bool) -> None:
        routed = {**getattr(settings, "CONTEXT_DATABASES", {}), context: target}
        with override_settings(CONTEXT_DATABASES=routed):  # the router lets only this context's tables in
            call_command("migrate", database=target, plan=dry_run, verbosity=1 if dry_run else 0, stdout=self.stdout)

    def _plan(self, context: str, source: str, target: str, *, replace: bool, migrate: bool) -> None:
        missing = []
        for table, there, already in plan(context, source=source, target=target):
            if already is None:
                missing.append(table.name)
                note = " (table made by --migrate)" if migrate else " (no such table in the target)"
            elif already:
                note = " (deleted first)" if replace else " (target not empty: refused)"
            else:
                note = ""
            self.stdout.write(f"{table.name}: {there} rows to copy, {already or 0} in the target{note}")
        self.stdout.write("dry run: nothing written")
        if missing and not migrate:
            raise CommandError(f"the target has no table {', '.join(missing)}: migrate it first (--migrate)")

    def _verify(self, context: str, source: str, target: str) -> None:
        differ = []
        for report in verify(context, source=source, target=target):
            mark = "ok" if report.same else "DIFFERS"
            self.stdout.write(f"{report.table}: {report.source_rows} / {report.target_rows} rows {mark}")
            if not report.same:
                differ.append(report.table)
        if differ:
            raise CommandError(f"the copy differs from the source in {', '.join(differ)}")
        self.stdout.write(f"verified: {context}'s rows are the same on both sides")
