"""Fleet's admin in the manager's language: the commission as a percentage, proof of delivery as checkboxes,
times on the fleet's clock, vehicles by registration and model, a date range and an export of one's own rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from apps.fleet.models import Vehicle
from apps.fleet.tests.factories import FleetFactory, VehicleFactory

pytestmark = pytest.mark.django_db

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


@pytest.fixture
def fleets(two_fleets):
    a = FleetFactory(id=two_fleets.a.fleet_id, name="Alpha Logistics", commission_bps=1250)
    b = FleetFactory(id=two_fleets.b.fleet_id, name="Bravo Freight", time_zone="Europe/London", country="GB")
    return two_fleets, a, b


def _text(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_a_platform_admin_edits_the_commission_in_percent_and_proof_of_delivery_as_checkboxes(fleets, client):
    two_fleets, alpha, _ = fleets
    client.force_login(two_fleets.platform_admin)
    page = client.get(f"/admin/fleet/fleet/{alpha.id}/change/")
    html = page.content.decode()
    assert 'name="commission_bps" value="12.5"' in html
    assert html.count('type="checkbox" name="proof_of_delivery"') == 4
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if k in form.fields and v is not None}
    data.update(
        {
            "commission_bps": "19.75",
            "proof_of_delivery": ["photo", "signature"],
            "service_polygon": "[]",
            "status_changes-TOTAL_FORMS": "0",
            "status_changes-INITIAL_FORMS": "0",
        }
    )
    data = {k: v for k, v in data.items() if not isinstance(v, bool) or v}
    answer = client.post(f"/admin/fleet/fleet/{alpha.id}/change/", data)
    assert answer.status_code == 302, answer.context["adminform"].form.errors if answer.context else answer
    alpha.refresh_from_db()
    assert alpha.commission_bps == 1975
    assert sorted(alpha.proof_of_delivery) == ["photo", "signature"]


def test_a_manager_reads_the_commission_as_a_percentage_and_cannot_change_it(fleets, client):
    two_fleets, alpha, _ = fleets
    client.force_login(two_fleets.a.users["fleet_manager"])
    page = client.get(f"/admin/fleet/fleet/{alpha.id}/change/")
    assert re.search(r"Commission: 12,5\s%", _text(page))  # German, the fleet's locale
    assert 'name="commission_bps"' not in page.content.decode()
    assert not UUID.search(_text(page))


def test_the_vehicle_list_names_fleets_reads_the_fleets_clock_and_exports_only_ones_own(fleets, client):
    two_fleets, alpha, bravo = fleets
    van = VehicleFactory(fleet=alpha, registration="BAL100")
    VehicleFactory(fleet=bravo, registration="LNBR200")
    Vehicle.objects.filter(id=van.id).update(created_at=dt.datetime(2026, 12, 5, 23, 30, tzinfo=dt.UTC))
    client.force_login(two_fleets.a.users["fleet_manager"])

    listing = client.get("/admin/fleet/vehicle/")
    text = _text(listing)
    assert "BAL100" in text and "Alpha Logistics" in text and "LNBR200" not in text
    assert "06.12.2026, 00:30" in text  # 23:30 UTC is past midnight in Berlin
    assert not UUID.search(text)
    on_the_6th = client.get("/admin/fleet/vehicle/", {"created_at__from": "2026-12-06", "created_at__to": "2026-12-06"})
    assert [v.registration for v in on_the_6th.context["cl"].result_list] == ["BAL100"]

    exported = client.get("/admin/fleet/vehicle/export/", {"format": "csv", "created_at__from": "2026-12-06"})
    rows = list(csv.DictReader(io.StringIO(b"".join(exported.streaming_content).decode("utf-8-sig"))))
    assert [(r["Registration"], r["Fleet"]) for r in rows] == [("BAL100", "Alpha Logistics")]
