import logging

from django.core.management.base import BaseCommand, CommandError

from config.demo import history, operator, plans
from logitrack.exceptions import ApplicationError


class Command(BaseCommand):
    help = (
        "Build the demo operator: two fleets (Berlin, EUR; London, GBP) with managers, dispatchers, drivers in every "
        "compliance state, vehicles of every type, tariffs, shifts, a day of trips in every state, live positions, "
        "a settled ledger and issued receipts. Deterministic with --seed; a fleet that exists is left as it is."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1, help="random seed: the same seed, the same operator")
        parser.add_argument("--drivers", type=int, default=50, help="drivers across both fleets (default 50)")
        parser.add_argument("--trips", type=int, default=120, help="trips today across both fleets (default 120)")
        parser.add_argument("--password", default=plans.DEFAULT_PASSWORD, help="every demo user's password")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")
        parser.add_argument(
            "--history-days",
            type=int,
            default=0,
            help="also that many days before today of each fleet, for the overview's charts (PostgreSQL only)",
        )

    def handle(self, *args, seed, drivers, trips, password, quiet, history_days, **options):
        if drivers < 2 or trips < 2:
            raise CommandError("--drivers and --trips must be at least 2 (one per fleet)")
        if not 0 <= history_days <= 400:
            raise CommandError("--history-days must be between 0 and 400")
        if history_days and not history.copy_available():
            raise CommandError("--history-days needs PostgreSQL (the history is written with COPY)")
        logging.disable(logging.INFO)  # per-event log lines would bury the progress bar
        try:
            report = operator.seed(
                seed=seed,
                drivers=drivers,
                trips=trips,
                password=password,
                out=None if quiet else self.stderr._out,
                history_days=history_days,
            )
        except ApplicationError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        finally:
            logging.disable(logging.NOTSET)
        for name, fleet_id, created in report.fleets:
            self.stdout.write(f"fleet {name} ({fleet_id}): {'created' if created else 'exists, left as it is'}")
        for what, count in sorted(report.counts.items()):
            self.stdout.write(f"  {what}: {count}")
        if report.tracking:
            self.stdout.write("customer tracking pages (no login; open them on a phone, after the server's address):")
            for fleet, status, path in report.tracking:
                self.stdout.write(f"  {fleet:<16} {status:<12} {path}")
        self.stdout.write(f"demo logins (password {password!r}):")
        for who, address in report.logins:
            self.stdout.write(f"  {who:<40} {address}")
