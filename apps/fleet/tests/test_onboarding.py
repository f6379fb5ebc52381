"""Fleet onboarding: applied → under review → active → suspended/closed, with who did what and when."""

import pytest

from apps.fleet.contracts import FleetStatus, IllegalFleetTransition
from apps.fleet.events import FleetActivatedV1, FleetSuspendedV1
from apps.fleet.services import onboarding
from apps.fleet.tests.factories import FLEET_DATA, FleetFactory, applicant
from tests.support.isolation import client_for

pytestmark = pytest.mark.django_db
FLEETS = "/api/v1/fleet/fleets/"


def test_an_operator_applies_and_a_platform_admin_activates(user_client, two_fleets, captured_events):
    client, _applicant = user_client()
    response = client.post(FLEETS, FLEET_DATA, format="json")
    assert response.status_code == 201, response.json()
    fleet_id = response.json()["id"]
    assert response.json()["status"] == "applied"

    admin = client_for(two_fleets.platform_admin)
    with captured_events() as events:
        for action in ("start_review", "activate"):
            step = admin.post(
                f"{FLEETS}{fleet_id}/transitions/", {"action": action, "reason": "papers checked"}, format="json"
            )
            assert step.status_code == 200, step.json()

    assert step.json()["status"] == "active"
    assert [type(e) for e in events][-1] is FleetActivatedV1
    me = client.get("/api/v1/identity/me/").json()  # the applicant now manages the fleet
    assert [(m["fleet_id"], m["role"]) for m in me["memberships"]] == [(fleet_id, "fleet_manager")]
    history = client.get(f"{FLEETS}{fleet_id}/history/").json()["results"]
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        ("applied", "applied"),
        ("applied", "under_review"),
        ("under_review", "active"),
    ]
    assert history[-1]["actor_id"] == str(two_fleets.platform_admin.id)


def test_an_operator_who_registers_to_apply_holds_no_customer_role(api_client, two_fleets):
    account = {"email": "ops@alpha.test", "password": "a long enough passphrase", "display_name": "Olga"}
    registered = api_client.post("/api/v1/identity/register/", {**account, "is_customer": False}, format="json")
    assert registered.status_code == 201, registered.json()
    assert registered.json()["is_customer"] is False
    login = api_client.post("/api/v1/auth/token/", {"email": account["email"], "password": account["password"]})
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['access']}")
    assert api_client.get("/api/v1/identity/me/").json()["roles"] == []
    fleet_id = api_client.post(FLEETS, FLEET_DATA, format="json").json()["id"]

    admin = client_for(two_fleets.platform_admin)
    for action in ("start_review", "activate"):
        assert admin.post(f"{FLEETS}{fleet_id}/transitions/", {"action": action}, format="json").status_code == 200

    me = api_client.get("/api/v1/identity/me/").json()
    assert (me["roles"], me["is_customer"]) == (["fleet_manager"], False)


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ([], "activate"),
        ([], "suspend"),
        ([], "reinstate"),
        (["start_review"], "start_review"),
        (["start_review", "activate"], "activate"),
        (["start_review", "activate"], "reinstate"),
        (["start_review", "activate", "suspend"], "suspend"),
        (["start_review", "activate", "close"], "reinstate"),
        (["reject"], "start_review"),
    ],
)
def test_illegal_transitions_are_409_and_change_nothing(two_fleets, path, action):
    fleet = onboarding.fleet_apply(applicant_id=applicant(), data=FLEET_DATA)
    for step in path:
        onboarding.fleet_transition(fleet_id=fleet.id, action=step, actor_id=None)
    fleet.refresh_from_db()
    before = fleet.status

    response = client_for(two_fleets.platform_admin).post(
        f"{FLEETS}{fleet.id}/transitions/", {"action": action}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "fleet.illegal_transition"
    fleet.refresh_from_db()
    assert fleet.status == before


def test_suspension_and_closing_publish_and_reinstating_reactivates(captured_events):
    fleet = FleetFactory()
    with captured_events() as events:
        onboarding.fleet_transition(fleet_id=fleet.id, action="suspend", actor_id=None, reason="unpaid invoices")
        onboarding.fleet_transition(fleet_id=fleet.id, action="reinstate", actor_id=None)
        onboarding.fleet_transition(fleet_id=fleet.id, action="close", actor_id=None)
    assert [type(e) for e in events] == [FleetSuspendedV1, FleetActivatedV1, FleetSuspendedV1]
    assert events[0].reason == "unpaid invoices" and not events[0].closed
    assert events[1].reinstated and events[2].closed
    with pytest.raises(IllegalFleetTransition):
        onboarding.fleet_transition(fleet_id=fleet.id, action="reinstate", actor_id=None)


def test_only_platform_admins_decide_onboarding(two_fleets):
    fleet = onboarding.fleet_apply(applicant_id=two_fleets.a.users["fleet_manager"].id, data=FLEET_DATA)
    manager = two_fleets.a.client("fleet_manager")
    response = manager.post(f"{FLEETS}{fleet.id}/transitions/", {"action": "start_review"}, format="json")
    assert response.status_code == 403
    fleet.refresh_from_db()
    assert fleet.status == FleetStatus.APPLIED


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"country": "Germany"}, "country"),
        ({"currency": "euro"}, "currency"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"service_radius_m": 5000}, "service_radius_m"),
        ({"service_polygon": [[52.5, 13.4], [52.6, 13.5]]}, "service_polygon"),
        ({"owner": "me"}, "owner"),
    ],
)
def test_bad_applications_are_400_and_create_nothing(user_client, change, field):
    client, _ = user_client()
    response = client.post(FLEETS, {**FLEET_DATA, **change}, format="json")
    assert response.status_code == 400, response.json()
    body = response.json()
    assert field in body.get("errors", {}), body
    from apps.fleet.models import Fleet

    assert Fleet.objects.count() == 0


def test_managers_change_settings_but_not_commission(two_fleets):
    fleet = FleetFactory(id=two_fleets.a.fleet_id)
    manager = two_fleets.a.client("fleet_manager")
    ok = manager.patch(f"{FLEETS}{fleet.id}/", {"auto_dispatch": True, "default_service_minutes": 8}, format="json")
    assert ok.status_code == 200 and ok.json()["auto_dispatch"] is True
    commission = manager.patch(f"{FLEETS}{fleet.id}/", {"commission_bps": 0}, format="json")
    assert commission.status_code == 400 and "commission_bps" in commission.json()["errors"]
    dispatcher = two_fleets.a.client("dispatcher").patch(
        f"{FLEETS}{fleet.id}/", {"auto_dispatch": False}, format="json"
    )
    assert dispatcher.status_code == 403
    admin = client_for(two_fleets.platform_admin).patch(f"{FLEETS}{fleet.id}/", {"commission_bps": 1000}, format="json")
    assert admin.status_code == 200 and admin.json()["commission_bps"] == 1000


def test_the_fleet_list_filters_by_status_and_name_and_refuses_bad_values(two_fleets):
    FleetFactory(id=two_fleets.a.fleet_id, name="Alpha Kurier", legal_name="Alpha Kurier GmbH")
    admin = client_for(two_fleets.platform_admin)
    onboarding.fleet_apply(applicant_id=applicant(), data={**FLEET_DATA, "name": "Beta", "legal_name": "Beta KG"})

    def names(**params):
        response = admin.get(FLEETS, params)
        assert response.status_code == 200, response.json()
        return sorted(f["name"] for f in response.json()["results"])

    assert names(status="applied") == ["Beta"]
    assert names(search="kurier gmbh") == ["Alpha Kurier"]
    assert names(search="beta kg") == ["Beta"]
    for params in ({"status": "bogus"}, {"status": ""}):
        wrong = admin.get(FLEETS, params)
        assert (wrong.status_code, list(wrong.json()["errors"])) == (400, ["status"])
