"""Every fleet endpoint passes the isolation kit; the admin shows a manager only their fleet."""

import pytest

from apps.fleet.models import MaintenanceWindow, VehicleDocument
from apps.fleet.tests.factories import FleetFactory, VehicleFactory
from tests.support.isolation import assert_hidden, assert_never_lists, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(two_fleets):
    fleet_a = FleetFactory(id=two_fleets.a.fleet_id, name="Alpha")
    fleet_b = FleetFactory(id=two_fleets.b.fleet_id, name="Bravo")
    van_a, van_b = (
        VehicleFactory(fleet=fleet_a, registration="AAA1"),
        VehicleFactory(fleet=fleet_b, registration="BBB1"),
    )
    import datetime as dt

    from django.utils import timezone

    from apps.fleet.services import maintenance

    maintenance.maintenance_schedule(
        vehicle_id=van_b.id, starts_at=timezone.now(), ends_at=timezone.now() + dt.timedelta(hours=1)
    )
    return two_fleets, fleet_a, fleet_b, van_a, van_b


def test_fleet_b_is_invisible_to_every_role_of_fleet_a(world):
    two_fleets, _fleet_a, fleet_b, _van_a, van_b = world
    doc_b = VehicleDocument.objects.filter(vehicle=van_b).first()
    for label, client in two_fleets.clients():
        assert_never_lists(client, "/api/v1/fleet/fleets/", [fleet_b.id])
        assert_hidden(client, "GET", f"/api/v1/fleet/fleets/{fleet_b.id}/")
        assert_hidden(client, "PATCH", f"/api/v1/fleet/fleets/{fleet_b.id}/", data={"name": "pwned"})
        if "driver" in label:
            continue  # drivers do not use the vehicle inventory at all (403 before any lookup)
        assert_never_lists(client, "/api/v1/fleet/vehicles/", [van_b.id])
        assert_never_lists(client, "/api/v1/fleet/vehicles/", [van_b.id], params={"fleet_id": str(fleet_b.id)})
        assert_hidden(client, "GET", f"/api/v1/fleet/vehicles/{van_b.id}/")
        assert_hidden(client, "PATCH", f"/api/v1/fleet/vehicles/{van_b.id}/", data={"make": "x"})
        assert_hidden(client, "GET", f"/api/v1/fleet/vehicles/{van_b.id}/maintenance/")
        assert_hidden(
            client,
            "POST",
            f"/api/v1/fleet/vehicles/{van_b.id}/maintenance/",
            data={"starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-01-01T01:00:00Z"},
        )
    manager = two_fleets.a.client("fleet_manager")
    assert_hidden(manager, "POST", f"/api/v1/fleet/vehicles/{van_b.id}/status/", data={"status": "retired"})
    assert_hidden(manager, "GET", f"/api/v1/fleet/vehicles/{van_b.id}/documents/")
    assert_hidden(manager, "GET", f"/api/v1/fleet/vehicles/{van_b.id}/documents/{doc_b.id}/file/")
    assert_hidden(manager, "GET", f"/api/v1/fleet/fleets/{fleet_b.id}/history/")
    created = manager.post(
        "/api/v1/fleet/vehicles/",
        {"fleet_id": str(fleet_b.id), "type": "van", "registration": "SNEAK", "make": "a", "model": "b", "year": 2020},
        format="json",
    )
    assert created.status_code == 404
    van_b.refresh_from_db()
    assert van_b.status == "active" and MaintenanceWindow.objects.filter(vehicle=van_b).count() == 1


def test_customers_see_no_fleets_or_vehicles(world):
    two_fleets, *_ = world
    customer = client_for(two_fleets.customer)
    assert customer.get("/api/v1/fleet/fleets/").json()["count"] == 0
    assert customer.get("/api/v1/fleet/vehicles/").status_code == 403


def test_admin_vehicle_list_is_scoped_to_the_managers_fleet(world, client):
    two_fleets, _fleet_a, _fleet_b, _van_a, van_b = world
    client.force_login(two_fleets.a.users["fleet_manager"])
    page = client.get("/admin/fleet/vehicle/").content.decode()
    assert "AAA1" in page and "BBB1" not in page
    assert "next document expiry" in page.lower() and "Registration: " in page and "(valid)" in page
    assert client.get(f"/admin/fleet/vehicle/{van_b.id}/change/", follow=True).redirect_chain[-1][0] == "/admin/"
    fleets_page = client.get("/admin/fleet/fleet/").content.decode()
    assert "Alpha" in fleets_page and "Bravo" not in fleets_page
    docs = client.get("/admin/fleet/vehicledocument/").content.decode()
    assert "AAA1" in docs and "BBB1" not in docs


def test_admin_adds_a_vehicle_through_the_service(world, client, captured_events):
    two_fleets, fleet_a, fleet_b, *_ = world
    client.force_login(two_fleets.a.users["fleet_manager"])
    form = {
        "fleet": str(fleet_a.id),
        "registration": "adm 1",
        "registration_country": "DE",
        "make": "VW",
        "model": "Crafter",
        "year": "2021",
        "capacity_kg": "1000",
        "capacity_volume_m3": "10",
        "seats": "2",
        "parcels": "0",
        "documents-TOTAL_FORMS": "0",
        "documents-INITIAL_FORMS": "0",
        "maintenance_windows-TOTAL_FORMS": "0",
        "maintenance_windows-INITIAL_FORMS": "0",
    }
    with captured_events() as events:
        response = client.post("/admin/fleet/van/add/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert [e.TYPE for e in events] == ["logitrack.fleet.vehicle.added.v1"]
    sneaky = client.post("/admin/fleet/van/add/", {**form, "fleet": str(fleet_b.id), "registration": "adm 2"})
    assert sneaky.status_code == 200 and "Select a valid choice" in sneaky.content.decode()
