"""Vehicle inventory over the API: types, registration rules, status changes, documents, maintenance."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apps.fleet import api
from apps.fleet.contracts import VehicleDocumentKind, VehicleStatus, VehicleType
from apps.fleet.events import VehicleAddedV1, VehicleStatusChangedV1
from apps.fleet.models import Truck, Vehicle, VehicleDocument
from apps.fleet.services import maintenance, onboarding, vehicle_documents, vehicles
from apps.fleet.tests.factories import FleetFactory, VehicleFactory
from logitrack.testing import images as testing_images
from logitrack.testing.downloads import assert_honours_accept

pytestmark = pytest.mark.django_db
VEHICLES = "/api/v1/fleet/vehicles/"
PDF = testing_images.pdf()  # a real PDF: uploads are parsed
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def fleet_a(two_fleets):
    return FleetFactory(id=two_fleets.a.fleet_id)


@pytest.fixture
def manager(two_fleets, fleet_a):
    return two_fleets.a.client("fleet_manager")


def test_a_manager_adds_each_type_with_its_own_fields(manager, fleet_a, captured_events):
    payloads = [
        {
            "type": "bike",
            "registration": "bk 1",
            "make": "Urban Arrow",
            "model": "Cargo",
            "year": 2023,
            "capacity_kg": 100,
            "electric": True,
        },
        {
            "type": "car",
            "registration": "b-cd 123",
            "make": "Toyota",
            "model": "Prius",
            "year": 2021,
            "seats": 4,
            "body": "estate",
        },
        {
            "type": "van",
            "registration": "B VN 9",
            "make": "Ford",
            "model": "Transit",
            "year": 2022,
            "capacity_kg": 1200,
            "capacity_volume_m3": "11.50",
            "tail_lift": True,
        },
        {
            "type": "truck",
            "registration": "B TR 7",
            "make": "MAN",
            "model": "TGL",
            "year": 2020,
            "capacity_kg": 5000,
            "gross_weight_kg": 7490,
            "licence_class": "C1",
        },
    ]
    with captured_events() as events:
        for payload in payloads:
            response = manager.post(VEHICLES, {"fleet_id": str(fleet_a.id), **payload}, format="json")
            assert response.status_code == 201, response.json()
    assert [type(e) for e in events] == [VehicleAddedV1] * 4
    listed = manager.get(VEHICLES).json()["results"]
    assert {(v["type"], v["registration"]) for v in listed} == {
        ("bike", "BK1"),
        ("car", "BCD123"),
        ("van", "BVN9"),
        ("truck", "BTR7"),
    }
    truck = next(v for v in listed if v["type"] == "truck")
    assert truck["details"] == {"axles": 2, "gross_weight_kg": 7490, "licence_class": "C1"}
    assert api.vehicle_get(vehicle_id=truck["id"]).required_licence_class == "C1"
    assert manager.get(VEHICLES, {"type": "van"}).json()["count"] == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"type": "bike", "tail_lift": True}, "tail_lift"),
        ({"type": "truck"}, "gross_weight_kg"),
        ({"type": "boat"}, "type"),
        ({"type": "van", "year": 1850}, "year"),
        ({"type": "van", "capacity_kg": -1}, "capacity_kg"),
        ({"type": "van", "colour": "red"}, "colour"),
        ({"type": "van", "registration_country": "Deutschland"}, "registration_country"),
    ],
)
def test_bad_vehicles_are_400_and_create_nothing(manager, fleet_a, payload, field):
    base = {"fleet_id": str(fleet_a.id), "registration": "B XX 1", "make": "Ford", "model": "Transit", "year": 2022}
    response = manager.post(VEHICLES, {**base, **payload}, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert Vehicle.objects.count() == 0


def test_registration_is_unique_per_country_whatever_its_spelling(manager, fleet_a):
    base = {"fleet_id": str(fleet_a.id), "type": "van", "make": "Ford", "model": "Transit", "year": 2022}
    assert manager.post(VEHICLES, {**base, "registration": "B-AB 123"}, format="json").status_code == 201
    again = manager.post(VEHICLES, {**base, "registration": "b ab-123"}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "fleet.registration_taken")
    elsewhere = manager.post(VEHICLES, {**base, "registration": "BAB123", "registration_country": "PL"}, format="json")
    assert elsewhere.status_code == 201


def test_status_changes_follow_the_rules(manager, fleet_a, captured_events):
    van = VehicleFactory(fleet=fleet_a)
    url = f"{VEHICLES}{van.id}/status/"
    with captured_events() as events:
        assert manager.post(url, {"status": "in_maintenance"}, format="json").json()["status"] == "in_maintenance"
        assert manager.post(url, {"status": "retired"}, format="json").json()["status"] == "retired"
    assert [(e.old_status, e.new_status) for e in events if isinstance(e, VehicleStatusChangedV1)] == [
        (VehicleStatus.ACTIVE, VehicleStatus.IN_MAINTENANCE),
        (VehicleStatus.IN_MAINTENANCE, VehicleStatus.RETIRED),
    ]
    back = manager.post(url, {"status": "active"}, format="json")
    assert (back.status_code, back.json()["code"]) == (409, "fleet.vehicle_illegal_transition")
    edit = manager.patch(f"{VEHICLES}{van.id}/", {"make": "VW"}, format="json")
    assert edit.status_code == 409
    assert manager.post(url, {"status": "scrapped"}, format="json").status_code == 400


def test_dispatchers_see_vehicles_but_cannot_change_them(two_fleets, fleet_a):
    van = VehicleFactory(fleet=fleet_a)
    dispatcher = two_fleets.a.client("dispatcher")
    assert dispatcher.get(f"{VEHICLES}{van.id}/").status_code == 200
    assert dispatcher.patch(f"{VEHICLES}{van.id}/", {"make": "VW"}, format="json").status_code == 404
    assert dispatcher.post(f"{VEHICLES}{van.id}/status/", {"status": "retired"}, format="json").status_code == 403
    assert two_fleets.a.client("driver").get(VEHICLES).status_code == 403


def upload(manager, van, content, name, **fields):
    data = {"kind": "insurance", "expires_on": "2030-01-31", "file": SimpleUploadedFile(name, content), **fields}
    return manager.post(f"{VEHICLES}{van.id}/documents/", data, format="multipart")


def test_documents_are_uploaded_privately_and_downloaded_by_managers(manager, fleet_a, two_fleets, settings):
    van = VehicleFactory(fleet=fleet_a, papers=False)
    response = upload(manager, van, PDF, "policy.pdf", number="POL-1")
    assert response.status_code == 201, response.json()
    doc = VehicleDocument.objects.get(id=response.json()["id"])
    assert doc.file_path.startswith("private/vehicle-documents/") and doc.content_type == "application/pdf"
    assert not settings.MEDIA_URL or "private" not in settings.STATIC_URL

    download = manager.get(f"{VEHICLES}{van.id}/documents/{doc.id}/file/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    scan = f"{VEHICLES}{van.id}/documents/{doc.id}/file/"
    assert_honours_accept(manager, scan, documented=("application/pdf", "image/jpeg", "image/png"))
    dispatcher = two_fleets.a.client("dispatcher")
    assert dispatcher.get(f"{VEHICLES}{van.id}/documents/{doc.id}/file/").status_code == 403


@pytest.mark.parametrize(
    ("content", "name", "code"),
    [
        (b"MZ\x90\x00" + b"\x00" * 100, "insurance.pdf", "upload.forbidden_type"),  # a renamed Windows executable
        (b"\x7fELF\x02\x01" + b"\x00" * 100, "scan.png", "upload.forbidden_type"),
        (b"#!/bin/sh\nrm -rf /\n", "policy.pdf", "upload.forbidden_type"),
        (b"GIF89a" + b"\x00" * 50, "photo.gif", "upload.unsupported_type"),
        (b"just some text", "notes.pdf", "upload.unsupported_type"),
        (PNG, "policy.pdf", "upload.type_mismatch"),
        (b"", "empty.pdf", "upload.empty"),
        (testing_images.pdf(javascript=True), "policy.pdf", "upload.active_content"),
        (testing_images.png_bomb(), "scan.png", "upload.image_too_large"),
    ],
)
def test_uploads_are_checked_by_content_not_by_name(manager, fleet_a, content, name, code):
    van = VehicleFactory(fleet=fleet_a, papers=False)
    response = upload(manager, van, content, name)
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == code
    assert VehicleDocument.objects.count() == 0


def test_too_large_uploads_are_refused(manager, fleet_a, monkeypatch):
    monkeypatch.setattr(vehicle_documents, "DOCUMENT_MAX_BYTES", 1000)
    van = VehicleFactory(fleet=fleet_a, papers=False)
    response = upload(manager, van, PDF + b"0" * 2000, "big.pdf")
    assert (response.status_code, response.json()["code"]) == (400, "upload.too_large")


def test_a_document_that_expires_before_issue_is_refused(manager, fleet_a):
    van = VehicleFactory(fleet=fleet_a, papers=False)
    response = manager.post(
        f"{VEHICLES}{van.id}/documents/",
        {"kind": "inspection", "issued_on": "2026-05-01", "expires_on": "2026-01-01"},
        format="json",
    )
    assert response.status_code == 400


def test_maintenance_windows_cannot_overlap(manager, fleet_a):
    van = VehicleFactory(fleet=fleet_a)
    url = f"{VEHICLES}{van.id}/maintenance/"
    first = {"starts_at": "2030-03-01T08:00:00Z", "ends_at": "2030-03-01T12:00:00Z", "reason": "brakes"}
    assert manager.post(url, first, format="json").status_code == 201
    overlap = manager.post(url, {"starts_at": "2030-03-01T11:00:00Z", "ends_at": "2030-03-01T13:00:00Z"}, format="json")
    assert (overlap.status_code, overlap.json()["code"]) == (409, "fleet.maintenance_overlap")
    backwards = manager.post(
        url, {"starts_at": "2030-03-02T11:00:00Z", "ends_at": "2030-03-02T10:00:00Z"}, format="json"
    )
    assert backwards.status_code == 400
    assert manager.get(url).json()["count"] == 1


def test_assignable_vehicles_exclude_maintenance_expired_papers_and_inactive(fleet_a):
    start = timezone.now() + dt.timedelta(days=1)
    end = start + dt.timedelta(hours=8)
    ok = VehicleFactory(fleet=fleet_a, registration="OK1")
    in_shop = VehicleFactory(fleet=fleet_a, registration="SHOP1")
    maintenance.maintenance_schedule(
        vehicle_id=in_shop.id, starts_at=start + dt.timedelta(hours=2), ends_at=end + dt.timedelta(hours=1)
    )
    no_papers = VehicleFactory(fleet=fleet_a, registration="NOPAP", papers=False)
    lapsing = VehicleFactory(fleet=fleet_a, registration="LAPS1", papers=False)
    vehicle_documents.vehicle_document_add(
        vehicle_id=lapsing.id, kind=VehicleDocumentKind.REGISTRATION, expires_on=start.date() + dt.timedelta(days=30)
    )
    vehicle_documents.vehicle_document_add(
        vehicle_id=lapsing.id, kind=VehicleDocumentKind.INSURANCE, expires_on=timezone.localdate()
    )
    retired = VehicleFactory(fleet=fleet_a, registration="OLD1")
    vehicles.vehicle_status_change(vehicle_id=retired.id, status=VehicleStatus.RETIRED)

    found = api.vehicles_assignable(fleet_id=fleet_a.id, starts_at=start, ends_at=end)

    assert [v.registration for v in found] == ["OK1"]
    assert found[0].capacity.weight_kg == 1200 and found[0].type is VehicleType.VAN
    assert {ok.id, in_shop.id, no_papers.id} >= {found[0].id}


def test_a_suspended_fleet_has_nothing_assignable(fleet_a):
    VehicleFactory(fleet=fleet_a)
    onboarding.fleet_transition(fleet_id=fleet_a.id, action="suspend", actor_id=None)
    now = timezone.now()
    assert api.vehicles_assignable(fleet_id=fleet_a.id, starts_at=now, ends_at=now + dt.timedelta(hours=1)) == []


def test_public_api_returns_contracts(fleet_a):
    truck = VehicleFactory(fleet=fleet_a, vehicle_type=VehicleType.TRUCK, registration="TRK1", licence_class="CE")
    ref = api.vehicles_get(vehicle_ids=[truck.id])[0]
    assert ref.type is VehicleType.TRUCK and ref.required_licence_class == "CE"
    assert isinstance(Truck.objects.get(id=truck.id), Truck)
    fleet = api.fleet_get(fleet_id=fleet_a.id)
    assert (fleet.currency, fleet.time_zone, fleet.commission_bps) == ("EUR", "Europe/Berlin", 1500)


def test_a_platform_admin_adding_to_a_fleet_that_does_not_exist_gets_404(two_fleets):
    from tests.support.isolation import client_for

    response = client_for(two_fleets.platform_admin).post(
        VEHICLES,
        {
            "fleet_id": "00000000-0000-4000-8000-000000000000",
            "type": "bike",
            "registration": "X 1",
            "make": "M",
            "model": "M",
            "year": 2020,
        },
        format="json",
    )
    assert (response.status_code, response.json()["code"]) == (404, "fleet.not_found")


def test_the_vehicle_list_filters_by_its_parameters(manager, fleet_a):
    VehicleFactory(fleet=fleet_a, registration="B-VAN 1")
    truck = VehicleFactory(
        fleet=fleet_a, vehicle_type=VehicleType.TRUCK, registration="B-TRK 1", papers=False, make="MAN"
    )
    vehicles.vehicle_status_change(vehicle_id=truck.id, status=VehicleStatus.IN_MAINTENANCE)

    def registrations(**params):
        response = manager.get(VEHICLES, params)
        assert response.status_code == 200, response.json()
        return sorted(v["registration"] for v in response.json()["results"])

    assert registrations() == registrations(fleet_id=str(fleet_a.id)) == ["BTRK1", "BVAN1"]
    assert registrations(type="truck") == registrations(status="in_maintenance") == ["BTRK1"]
    assert registrations(search="man") == ["BTRK1"]
    assert registrations(search="VAN 1") == registrations(search="ford") == ["BVAN1"]
    assert registrations(documents_expiring_within=400) == ["BVAN1"]
    assert registrations(documents_expiring_within=30) == []


@pytest.mark.parametrize(
    ("params", "bad"),
    [
        ({"fleet_id": "not-a-uuid"}, "fleet_id"),
        ({"status": ""}, "status"),
        ({"type": "boat"}, "type"),
        ({"documents_expiring_within": "-1"}, "documents_expiring_within"),
        ({"documents_expiring_within": "1.5"}, "documents_expiring_within"),
        ({"documents_expiring_within": "3651"}, "documents_expiring_within"),
        ({"documents_expiring_within": ""}, "documents_expiring_within"),
    ],
)
def test_vehicle_list_filters_refuse_bad_values_naming_the_parameter(manager, params, bad):
    wrong = manager.get(VEHICLES, params)
    assert (wrong.status_code, list(wrong.json()["errors"])) == (400, [bad])
