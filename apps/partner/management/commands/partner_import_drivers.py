import uuid

from django.core.management.base import BaseCommand, CommandError
from rest_framework import serializers

from apps.partner.services import imports
from logitrack.csvimport import print_report, read_rows, run_import

COLUMNS = ("email", "display_name")


class Row(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    display_name = serializers.CharField(max_length=150)
    phone = serializers.RegexField(r"^\+[1-9]\d{6,14}$", required=False, allow_blank=True, default="")
    licence_classes = serializers.RegexField(r"^[A-Za-z0-9]{1,3}(,[A-Za-z0-9]{1,3})*$", required=False, default="")
    emergency_contact_name = serializers.CharField(max_length=150, required=False, default="")
    emergency_contact_phone = serializers.RegexField(r"^\+[1-9]\d{6,14}$", required=False, default="")


class Command(BaseCommand):
    help = (
        "Import drivers from a CSV file into one fleet: creates their accounts (emailing a link to set a "
        "password), grants the driver role and fills the profile. Each row imports whole or not at all."
    )

    def add_arguments(self, parser):
        parser.add_argument("csv_path")
        parser.add_argument("--fleet", type=uuid.UUID, required=True)
        parser.add_argument("--dry-run", action="store_true", help="check every row, import nothing")

    def handle(self, *args, csv_path, fleet, dry_run, **options):
        try:
            with open(csv_path, newline="", encoding="utf-8-sig") as handle:
                rows = read_rows(handle, required=COLUMNS)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise CommandError(str(exc)) from exc
        seen: set[str] = set()

        def apply_row(row):
            values = Row(data={k: v for k, v in row.items() if v != ""})
            values.is_valid(raise_exception=True)
            data = dict(values.validated_data)
            if data["email"].lower() in seen:
                raise serializers.ValidationError({"email": ["appears twice in this file"]})
            imports.driver_import(fleet_id=fleet, **data)
            seen.add(data["email"].lower())

        report = run_import(rows, apply_row, dry_run=dry_run, progress_out=self.stderr._out)
        print_report(report, dry_run=dry_run, out=self.stdout._out)
        if report.failed:
            raise CommandError(f"{report.failed} row(s) were not imported")
