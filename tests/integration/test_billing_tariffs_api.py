"""Tariffs and tax rates over REST, for integrators and back-office apps: the admin's rules (own fleets only, taxes
of the tariff's fleet, prices changed by version), amounts in minor units and rates in basis points as in the rest
of the API, problem+json for every refusal, never a 500."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from apps.billing.models import BaseFare, Tariff, TaxRate, TimeSurcharge
from apps.billing.tests.factories import TariffFactory, tariff
from apps.fleet.tests.factories import active_fleet
from apps.identity.contracts import FleetRole
from tests.support.isolation import client_for

pytestmark = pytest.mark.django_db

TARIFFS, TAXES = "/api/v1/billing/tariffs/", "/api/v1/billing/tax-rates/"


def problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:600]
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code, body
    return body


@pytest.fixture
def api(two_fleets):
    active_fleet(fleet_id=two_fleets.a.fleet_id, name="Alpha Couriers")
    active_fleet(fleet_id=two_fleets.b.fleet_id, name="Bravo Logistics")
    manager = client_for(two_fleets.a.users[FleetRole.FLEET_MANAGER])
    tax = TaxRate.objects.create(fleet_id=two_fleets.a.fleet_id, name="VAT 19%", rate_bps=1900)
    other_tax = TaxRate.objects.create(fleet_id=two_fleets.b.fleet_id, name="VAT B", rate_bps=1900)
    return two_fleets, manager, tax, other_tax


def _body(fleet_id, tax, **extra) -> dict:
    return {
        "fleet_id": str(fleet_id),
        "name": "Airport",
        "service": "delivery",
        "vehicle_type": "van",
        "currency": "EUR",
        "default_tax_id": str(tax.id),
        "valid_from": "2026-01-01T00:00:00Z",
        "final_cap_bps": 1250,
        "components": [
            {"kind": "base_fare", "amount_minor": 1324},
            {"kind": "per_km", "amount_minor_per_km": 120, "free_km": 2},
            {"kind": "time_surcharge", "percent_bps": 2500, "starts": "22:00", "ends": "06:00", "weekdays": [5, 4, 5]},
        ],
        **extra,
    }


def test_a_manager_defines_reads_versions_and_retires_a_tariff(api):
    two_fleets, manager, tax, _ = api
    created = manager.post(TARIFFS, _body(two_fleets.a.fleet_id, tax), format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["final_cap_bps"], body["vehicle_type"], body["default_tax_id"]) == (1250, "van", str(tax.id))
    assert [(c["kind"], c.get("amount_minor"), c.get("weekdays")) for c in body["components"]] == [
        ("base_fare", 1324, None),
        ("per_km", None, None),
        ("time_surcharge", None, [4, 5]),
    ]
    assert body["components"][1] | {"id": None} == {
        "id": None, "kind": "per_km", "label": "", "tax_id": None, "amount_minor_per_km": 120, "free_km": 2,
    }  # fmt: skip
    assert body["components"][2]["starts"] == "22:00" and body["components"][2]["percent_bps"] == 2500
    first = Tariff.objects.get(id=body["id"])
    assert BaseFare.objects.get(tariff=first).amount_minor == 1324
    assert TimeSurcharge.objects.get(tariff=first).weekdays == [4, 5]

    assert manager.get(f"{TARIFFS}{first.id}/").json() == body
    listed = manager.get(TARIFFS, {"service": "delivery", "current": "true"}).json()["results"]
    assert [t["id"] for t in listed] == [str(first.id)]

    start = timezone.now() + dt.timedelta(days=1)
    version = manager.post(
        f"{TARIFFS}{first.id}/versions/",
        {"valid_from": start.isoformat(), "components": [{"kind": "base_fare", "amount_minor": 1500}]},
        format="json",
    )
    assert version.status_code == 201, version.content
    second = version.json()
    assert second["name"] == "Airport" and second["final_cap_bps"] == 1250
    assert [(c["kind"], c["amount_minor"]) for c in second["components"]] == [("base_fare", 1500)]
    first.refresh_from_db()
    assert first.valid_until == start and second["valid_until"] is None
    assert BaseFare.objects.get(tariff=first).amount_minor == 1324  # the old version's prices are untouched

    retired = manager.post(f"{TARIFFS}{second['id']}/retire/", {"at": (start + dt.timedelta(days=30)).isoformat()})
    assert retired.status_code == 200 and retired.json()["valid_until"] is not None
    after_its_end = {"at": (start + dt.timedelta(days=1)).isoformat()}
    problem(manager.post(f"{TARIFFS}{first.id}/retire/", after_its_end, format="json"), 409, "billing.tariff_retired")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": "USD"}, "currency"),
        ({"final_cap_bps": -1}, "final_cap_bps"),
        ({"final_cap_bps": "12.5"}, "final_cap_bps"),
        ({"valid_from": "yesterday"}, "valid_from"),
        ({"valid_until": "2025-01-01T00:00:00Z"}, "valid_until"),
        ({"components": [{"kind": "base_fare"}]}, "components.0.amount_minor"),
        ({"components": [{"kind": "base_fare", "amount_minor": 13.245}]}, "components"),
        ({"components": [{"kind": "teleport", "amount_minor": 1}]}, "components"),
        ({"components": [{"kind": "base_fare", "amount_minor": 1, "free_km": 3}]}, "components"),
        ({"components": [{"kind": "time_surcharge", "percent_bps": 1, "weekdays": [7]}]}, "components"),
        ({"components": "base"}, "components"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_tariffs_are_400_problems_naming_the_field(api, change, field):
    two_fleets, manager, tax, _ = api
    response = manager.post(TARIFFS, _body(two_fleets.a.fleet_id, tax, **change), format="json")
    assert response.status_code == 400, response.content[:600]
    assert response["Content-Type"].startswith("application/problem+json")
    assert field in response.json()["errors"], response.json()
    assert not Tariff.objects.filter(name="Airport").exists()


def test_another_fleets_tariffs_and_taxes_are_not_there(api):
    two_fleets, manager, tax, other_tax = api
    theirs = tariff(fleet_id=two_fleets.b.fleet_id)
    problem(manager.get(f"{TARIFFS}{theirs.id}/"), 404, "billing.tariff_not_found")
    problem(manager.post(f"{TARIFFS}{theirs.id}/retire/", {}, format="json"), 404, "billing.tariff_not_found")
    problem(manager.post(f"{TARIFFS}{theirs.id}/versions/", {}, format="json"), 404, "billing.tariff_not_found")
    problem(manager.post(TARIFFS, _body(two_fleets.b.fleet_id, other_tax), format="json"), 404, "fleet.not_found")
    named = manager.post(TARIFFS, _body(two_fleets.a.fleet_id, other_tax), format="json")  # B's tax on A's tariff
    refused = problem(named, 400, "billing.invalid")["errors"]
    assert refused == {"default_tax_id": ["no such tax rate in the tariff's fleet"]}
    theirs.refresh_from_db()
    assert theirs.valid_until is None
    assert manager.get(TARIFFS).json()["count"] == 0
    assert [t["id"] for t in manager.get(TAXES).json()["results"]] == [str(tax.id)]
    problem(manager.get(f"{TAXES}{other_tax.id}/"), 404, "billing.tax_rate_not_found")
    problem(manager.patch(f"{TAXES}{other_tax.id}/", {"rate_bps": 1}, format="json"), 404, "billing.tax_rate_not_found")
    problem(manager.delete(f"{TAXES}{other_tax.id}/"), 404, "billing.tax_rate_not_found")
    other_tax.refresh_from_db()
    assert other_tax.rate_bps == 1900
    for role in (FleetRole.DISPATCHER, FleetRole.DRIVER):
        client = client_for(two_fleets.a.users[role])
        assert client.get(TARIFFS).status_code == 403 and client.get(TAXES).status_code == 403
    customer = client_for(two_fleets.customer)
    assert customer.post(TAXES, {"fleet_id": str(two_fleets.a.fleet_id), "name": "x", "rate_bps": 1}).status_code == 403
    platform = client_for(two_fleets.platform_admin)
    assert platform.get(f"{TARIFFS}{theirs.id}/").status_code == 200


def test_tax_rates_are_created_changed_and_deleted_unless_in_use(api):
    two_fleets, manager, tax, _ = api
    made = manager.post(TAXES, {"fleet_id": str(two_fleets.a.fleet_id), "name": "Reduced", "rate_bps": 700})
    assert made.status_code == 201 and made.json()["rate_bps"] == 700
    reduced = made.json()["id"]
    changed = manager.patch(f"{TAXES}{reduced}/", {"rate_bps": 750}, format="json")
    assert changed.status_code == 200 and TaxRate.objects.get(id=reduced).rate_bps == 750
    for bad in ({"rate_bps": 10_001}, {"rate_bps": "7.5"}, {"name": ""}, {"fleet_id": str(uuid.uuid4())}):
        response = manager.patch(f"{TAXES}{reduced}/", bad, format="json")
        assert response.status_code == 400 and response["Content-Type"].startswith("application/problem+json")
    used = TariffFactory(fleet_id=two_fleets.a.fleet_id, default_tax=tax)
    before = used.updated_at
    manager.patch(f"{TAXES}{tax.id}/", {"rate_bps": 2000}, format="json")
    used.refresh_from_db()
    assert used.updated_at > before  # cached prices are priced with the new rate from now on
    problem(manager.delete(f"{TAXES}{tax.id}/"), 409, "billing.tax_rate_in_use")
    assert manager.delete(f"{TAXES}{reduced}/").status_code == 204
    assert not TaxRate.objects.filter(id=reduced).exists()
    problem(manager.get(TAXES, {"fleet_id": "nope"}), 400, "validation_failed")
