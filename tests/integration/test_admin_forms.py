"""Admin forms name other rows by picking among what the user may use (the isolation matrix probes fleet B's
ids on every form; these are the rest): names, not ids, and one fleet's tariff with its own fleet's taxes."""

import uuid

import pytest
from django.test import Client

from apps.billing.models import BaseFare, Tariff, TaxRate
from apps.billing.tests.factories import tariff
from apps.fleet.contracts import VehicleStatus
from apps.fleet.tests.factories import active_fleet, vehicle
from apps.identity.contracts import FleetRole
from apps.identity.models import Invitation
from apps.identity.services import memberships as identity_memberships
from tests.support.isolation_admin import form_values

pytestmark = pytest.mark.django_db


@pytest.fixture
def fleets(two_fleets):
    """Fleet A and a second fleet C, both managed by A's manager; fleet B, someone else's."""
    alpha = active_fleet(fleet_id=two_fleets.a.fleet_id, name="Alpha Couriers")
    bravo = active_fleet(fleet_id=two_fleets.b.fleet_id, name="Bravo Logistics")
    charlie = active_fleet(fleet_id=uuid.uuid4(), name="Charlie Cargo")
    manager = two_fleets.a.users[FleetRole.FLEET_MANAGER]
    identity_memberships.membership_grant(
        user_id=manager.id, fleet_id=charlie.id, role=FleetRole.FLEET_MANAGER, granted_by_id=None
    )
    client = Client()
    client.force_login(manager)
    return alpha, bravo, charlie, client


def _options(html: str, name: str) -> str:
    start = html.index(f'name="{name}"')
    return html[start : html.index("</select>", start)]


def test_fleet_pickers_offer_the_managers_fleets_by_name(fleets):
    alpha, bravo, charlie, client = fleets
    for path, field in [
        ("/admin/billing/taxrate/add/", "fleet_id"),
        ("/admin/billing/tariff/add/", "fleet_id"),
        ("/admin/identity/invitation/add/", "fleet_id"),
        ("/admin/fleet/van/add/", "fleet"),
    ]:
        options = _options(client.get(path).content.decode(), field)
        assert f'value="{alpha.id}">Alpha Couriers</option>' in options, path
        assert f'value="{charlie.id}">Charlie Cargo</option>' in options, path
        assert str(bravo.id) not in options and "Bravo" not in options, path


def test_a_tariff_takes_only_taxes_of_its_own_fleet(fleets):
    alpha, _, charlie, client = fleets
    alpha_tariff = tariff(fleet_id=alpha.id)
    charlie_tax = TaxRate.objects.create(fleet_id=charlie.id, name="Charlie VAT", rate_bps=2000)
    form = {
        "fleet_id": str(alpha.id),
        "name": "Mixed",
        "service": "delivery",
        "currency": "EUR",
        "default_tax": str(charlie_tax.id),
        "valid_from_0": "2026-01-01",
        "valid_from_1": "00:00:00",
        "quote_valid_minutes": "15",
        "final_cap_bps": "10",  # percent
        "components-TOTAL_FORMS": "0",
        "components-INITIAL_FORMS": "0",
    }
    response = client.post("/admin/billing/tariff/add/", form)
    assert response.status_code == 200
    assert "Pick a tax rate of the tariff&#x27;s own fleet." in response.content.decode()
    assert not Tariff.objects.filter(name="Mixed").exists()
    # the same rate is fine for a tariff of its own fleet
    accepted = client.post("/admin/billing/tariff/add/", {**form, "fleet_id": str(charlie.id)})
    assert accepted.status_code == 302 and Tariff.objects.filter(name="Mixed", fleet_id=charlie.id).exists()

    # a component of fleet A's tariff with fleet C's tax
    base = BaseFare.objects.get(tariff=alpha_tariff)
    page = client.get(f"/admin/billing/tariff/{alpha_tariff.id}/change/")
    values = form_values(page)
    prefix = next(k[: -len("-id")] for k, v in values.items() if k.endswith("-id") and v == [str(base.id)])
    response = client.post(
        f"/admin/billing/tariff/{alpha_tariff.id}/change/", {**values, f"{prefix}-tax": [str(charlie_tax.id)]}
    )
    assert response.status_code == 200 and "own fleet" in response.content.decode()
    base.refresh_from_db()
    assert base.tax_id is None


def test_inviting_picks_the_fleet_by_name_and_refuses_another(fleets):
    alpha, bravo, _, client = fleets
    form = {"email": "picked@example.test", "role": "driver"}
    refused = client.post("/admin/identity/invitation/add/", {**form, "fleet_id": str(bravo.id)})
    assert refused.status_code == 200 and not Invitation.objects.filter(email="picked@example.test").exists()
    added = client.post("/admin/identity/invitation/add/", {**form, "fleet_id": str(alpha.id)})
    assert added.status_code == 302 and Invitation.objects.get(email="picked@example.test").fleet_id == alpha.id


def test_a_retired_vehicle_opens_read_only_instead_of_failing_on_save(fleets):
    alpha, _, _, client = fleets
    van = vehicle(alpha)
    van.status = VehicleStatus.RETIRED
    van.save(update_fields=["status"])
    page = client.get(f"/admin/fleet/van/{van.id}/change/")
    assert page.status_code == 200 and not page.context["has_change_permission"]
    response = client.post(f"/admin/fleet/van/{van.id}/change/", {"make": "Changed"})
    assert response.status_code == 403
    van.refresh_from_db()
    assert van.make != "Changed"
