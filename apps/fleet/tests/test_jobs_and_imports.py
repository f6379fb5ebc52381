"""The periodic vehicle-document check and the CSV bulk import."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from apps.fleet.contracts import VehicleDocumentKind
from apps.fleet.events import VehicleDocumentExpiredV1, VehicleDocumentExpiringV1
from apps.fleet.models import Vehicle
from apps.fleet.services import vehicle_documents
from apps.fleet.tests.factories import FleetFactory, VehicleFactory

pytestmark = pytest.mark.django_db


def test_expiry_check_warns_once_ahead_and_reports_expiry_once(captured_events):
    fleet = FleetFactory()
    van = VehicleFactory(fleet=fleet, papers=False)
    today = timezone.localdate()
    soon = vehicle_documents.vehicle_document_add(
        vehicle_id=van.id, kind=VehicleDocumentKind.INSURANCE, expires_on=today + dt.timedelta(days=10)
    )
    gone = vehicle_documents.vehicle_document_add(
        vehicle_id=van.id, kind=VehicleDocumentKind.INSPECTION, expires_on=today - dt.timedelta(days=1)
    )
    vehicle_documents.vehicle_document_add(
        vehicle_id=van.id, kind=VehicleDocumentKind.REGISTRATION, expires_on=today + dt.timedelta(days=200)
    )

    with captured_events() as first:
        call_command("fleet_check_documents", "--warn-days", "30")
    with captured_events() as second:
        call_command("fleet_check_documents", "--warn-days", "30")

    assert {(type(e), e.document_id) for e in first} == {
        (VehicleDocumentExpiringV1, soon.id),
        (VehicleDocumentExpiredV1, gone.id),
    }
    assert second == []
    later = today + dt.timedelta(days=11)
    with captured_events() as after_lapse:
        vehicle_documents.vehicle_documents_check(today=later, warn_days=30)
    assert [(type(e), e.document_id) for e in after_lapse] == [(VehicleDocumentExpiredV1, soon.id)]


CSV_HEADER = "type,registration,make,model,year,capacity_kg,gross_weight_kg,tail_lift\n"


def write(tmp_path, body):
    path = tmp_path / "vehicles.csv"
    path.write_text(CSV_HEADER + body)
    return str(path)


def test_csv_import_reports_bad_rows_by_line_and_imports_the_good_ones(tmp_path, capsys):
    fleet = FleetFactory()
    path = write(
        tmp_path,
        "van,B-IM 1,Ford,Transit,2022,1200,,true\n"
        "truck,B-IM 2,MAN,TGL,2020,5000,,\n"  # line 3: a truck needs its gross weight
        "boat,B-IM 3,Sea,Ray,2020,100,,\n"  # line 4: not a vehicle type
        "bike,B-IM 4,Urban,Arrow,2023,80,,true\n"  # line 5: a bike has no tail lift
        "van,b im 1,Ford,Transit,2022,1200,,\n"  # line 6: same plate as line 2
        "car,B-IM 6,Toyota,Prius,twenty,0,,\n"  # line 7: year is not a number
        "truck,B-IM 7,MAN,TGX,2021,18000,26000,\n",
    )

    with pytest.raises(CommandError, match="5 row"):
        call_command("fleet_import_vehicles", path, "--fleet", str(fleet.id))

    out = capsys.readouterr()
    assert "imported 2 of 7 row(s); 5 row(s) with errors" in out.out
    for line, words in [(3, "gross_weight_kg"), (4, "type"), (5, "tail_lift"), (6, "repeats line 2"), (7, "year")]:
        assert any(f"line {line}:" in row and words in row for row in out.out.splitlines()), (line, out.out)
    assert "7/7" in out.err  # the progress bar reached the end
    assert sorted(Vehicle.objects.values_list("registration", flat=True)) == ["BIM1", "BIM7"]


def test_csv_dry_run_checks_everything_and_imports_nothing(tmp_path, capsys):
    fleet = FleetFactory()
    path = write(tmp_path, "van,B-DR 1,Ford,Transit,2022,1200,,\nvan,B-DR 1,Ford,Transit,2022,1200,,\n")
    with pytest.raises(CommandError):
        call_command("fleet_import_vehicles", path, "--fleet", str(fleet.id), "--dry-run")
    assert "would import 1 of 2" in capsys.readouterr().out
    assert Vehicle.objects.count() == 0


def test_csv_import_refuses_a_file_without_the_needed_columns(tmp_path):
    fleet = FleetFactory()
    path = tmp_path / "bad.csv"
    path.write_text("registration,make\nX,Y\n")
    with pytest.raises(CommandError, match="lacks column"):
        call_command("fleet_import_vehicles", str(path), "--fleet", str(fleet.id))
