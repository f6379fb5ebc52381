import uuid

from django.core.management.base import BaseCommand, CommandError
from rest_framework import serializers

from apps.fleet.contracts import VehicleType
from apps.fleet.models import Fleet
from apps.fleet.services import vehicles
from logitrack.csvimport import print_report, read_rows, run_import

COLUMNS = ("type", "registration", "make", "model", "year")
NUMBERS = ("year", "capacity_kg", "seats", "parcels", "axles", "gross_weight_kg")
FLAGS = ("electric", "cargo_box", "wheelchair_accessible", "tail_lift", "refrigerated")


class Row(serializers.Serializer):
    type = serializers.ChoiceField(choices=[t.value for t in VehicleType])
    registration = serializers.CharField(max_length=20)
    registration_country = serializers.RegexField(r"^[A-Z]{2}$", required=False)
    make = serializers.CharField(max_length=60)
    model = serializers.CharField(max_length=60)
    year = serializers.IntegerField(min_value=1950, max_value=2100)
    capacity_kg = serializers.IntegerField(min_value=0, required=False)
    capacity_volume_m3 = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=0, required=False)
    seats = serializers.IntegerField(min_value=0, max_value=60, required=False)
    parcels = serializers.IntegerField(min_value=0, required=False)
    electric = serializers.BooleanField(required=False)
    cargo_box = serializers.BooleanField(required=False)
    body = serializers.ChoiceField(choices=["sedan", "estate", "suv", "mpv"], required=False)
    wheelchair_accessible = serializers.BooleanField(required=False)
    tail_lift = serializers.BooleanField(required=False)
    refrigerated = serializers.BooleanField(required=False)
    axles = serializers.IntegerField(min_value=2, max_value=9, required=False)
    gross_weight_kg = serializers.IntegerField(min_value=1, required=False)
    licence_class = serializers.CharField(max_length=5, required=False)


class Command(BaseCommand):
    help = "Import vehicles from a CSV file into one fleet. Each row imports whole or not at all."

    def add_arguments(self, parser):
        parser.add_argument("csv_path")
        parser.add_argument("--fleet", type=uuid.UUID, required=True, help="the fleet id the vehicles belong to")
        parser.add_argument("--dry-run", action="store_true", help="check every row, import nothing")

    def handle(self, *args, csv_path, fleet, dry_run, **options):
        if not Fleet.objects.filter(id=fleet).exists():
            raise CommandError(f"no fleet {fleet}")
        try:
            with open(csv_path, newline="", encoding="utf-8-sig") as handle:
                rows = read_rows(handle, required=COLUMNS)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise CommandError(str(exc)) from exc
        seen: dict[str, int] = {}

        def apply_row(row):
            values = Row(data={k: v for k, v in row.items() if v != ""})
            values.is_valid(raise_exception=True)
            data = dict(values.validated_data)
            vehicle_type = VehicleType(data.pop("type"))
            key = vehicles.normalise_registration(data["registration"])
            if key in seen:
                raise serializers.ValidationError({"registration": [f"repeats line {seen[key]} of this file"]})
            allowed = (
                set(vehicles.VEHICLE_FIELDS)
                | {"registration", "registration_country"}
                | set(vehicles.TYPE_FIELDS[vehicle_type])
            )
            wrong = sorted(set(data) - allowed)
            if wrong:
                raise serializers.ValidationError({f: [f"does not apply to a {vehicle_type}"] for f in wrong})
            vehicles.vehicle_add(fleet_id=fleet, vehicle_type=vehicle_type, data=data)
            seen[key] = line_of[id(row)]

        line_of = {id(row): line for line, row in rows}
        report = run_import(rows, apply_row, dry_run=dry_run, progress_out=self.stderr._out)
        print_report(report, dry_run=dry_run, out=self.stdout._out)
        if report.failed:
            raise CommandError(f"{report.failed} row(s) were not imported")
