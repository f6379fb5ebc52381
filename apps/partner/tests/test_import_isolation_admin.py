"""Bulk driver import, tenant isolation of every partner endpoint, and the review admin."""

import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.partner.models import DriverProfile, KycDocument
from apps.partner.tests.factories import submit_all
from tests.support.account_links import last_link, published
from tests.support.isolation import assert_hidden, assert_never_lists, client_for

pytestmark = pytest.mark.django_db


def test_driver_import_creates_accounts_roles_and_profiles_and_reports_bad_rows(
    two_fleets, tmp_path, capsys, django_capture_on_commit_callbacks
):
    path = tmp_path / "drivers.csv"
    path.write_text(
        "email,display_name,phone,licence_classes\n"
        'nia@example.test,Nia Driver,+4915100000011,"B,C1"\n'
        "not-an-email,Bad Row,,\n"  # line 3
        "oli@example.test,Oli Driver,0151 123,B\n"  # line 4: phone not E.164
        "NIA@example.test,Nia Again,,B\n"  # line 5: same email as line 2
        "pat@example.test,,,B\n"  # line 6: display name missing
        "quin@example.test,Quin Driver,,B\n"
    )
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(CommandError, match="4 row"):
        call_command("partner_import_drivers", str(path), "--fleet", str(two_fleets.a.fleet_id))

    out = capsys.readouterr().out
    assert "imported 2 of 6 row(s); 4 row(s) with errors" in out
    for line in (3, 4, 5, 6):
        assert f"line {line}:" in out
    imported = DriverProfile.objects.filter(
        fleet_id=two_fleets.a.fleet_id, display_name__in=["Nia Driver", "Quin Driver"]
    )
    assert imported.count() == 2
    assert imported.get(display_name="Nia Driver").licence_classes == "B,C1"
    # each new account gets a welcome link to choose its password, in the fleet's name (mailed by notifications)
    welcomed = published("reset-password")
    assert {e.user_id for e in welcomed} == {p.user_id for p in imported}
    assert all(e.welcome and e.fleet_id == two_fleets.a.fleet_id for e in welcomed)


def test_driver_import_dry_run_changes_nothing(two_fleets, tmp_path, capsys):
    path = tmp_path / "drivers.csv"
    path.write_text("email,display_name\nray@example.test,Ray\n")
    call_command("partner_import_drivers", str(path), "--fleet", str(two_fleets.a.fleet_id), "--dry-run")
    assert "would import 1 of 1" in capsys.readouterr().out
    assert not DriverProfile.objects.filter(display_name="Ray").exists()
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(email="ray@example.test").exists()


def test_every_partner_endpoint_hides_fleet_b(two_fleets, drivers):
    _, driver_b = drivers
    doc_b = submit_all(driver_b)[0]
    for label, client in two_fleets.clients():
        if "driver" in label:
            continue
        assert_never_lists(client, "/api/v1/partner/drivers/", [driver_b.id])
        assert_never_lists(
            client, "/api/v1/partner/drivers/", [driver_b.id], params={"fleet_id": str(two_fleets.b.fleet_id)}
        )
        assert_hidden(client, "GET", f"/api/v1/partner/drivers/{driver_b.id}/")
    manager = two_fleets.a.client("fleet_manager")
    assert_never_lists(manager, "/api/v1/partner/documents/", [doc_b.id])
    assert_hidden(manager, "GET", f"/api/v1/partner/drivers/{driver_b.id}/documents/")
    assert_hidden(manager, "POST", f"/api/v1/partner/drivers/{driver_b.id}/suspend/", data={"reason": "x"})
    assert_hidden(manager, "POST", f"/api/v1/partner/drivers/{driver_b.id}/reinstate/")
    assert_hidden(manager, "POST", f"/api/v1/partner/documents/{doc_b.id}/review/", data={"decision": "approve"})
    assert_hidden(manager, "GET", f"/api/v1/partner/documents/{doc_b.id}/file/")
    assert_hidden(two_fleets.a.client("driver"), "GET", f"/api/v1/partner/documents/{doc_b.id}/file/")
    driver_b.refresh_from_db()
    doc_b.refresh_from_db()
    assert driver_b.suspended_at is None and doc_b.status == "submitted"


def test_a_driver_of_two_fleets_says_which_one(
    two_fleets, drivers, relay_and_deliver, django_capture_on_commit_callbacks
):
    driver_user = two_fleets.a.users["driver"]
    manager_b = two_fleets.b.client("fleet_manager")
    with django_capture_on_commit_callbacks(execute=True):
        invite = manager_b.post(
            "/api/v1/identity/invitations/",
            {"email": driver_user.email, "fleet_id": str(two_fleets.b.fleet_id), "role": "driver"},
            format="json",
        )
    assert invite.status_code == 201
    token = re.search(r"token=([\w-]+)", last_link("invitation")).group(1)
    accepted = client_for(driver_user).post(
        "/api/v1/identity/invitations/accept/",
        {"token": token, "password": "correct horse battery staple"},
        format="json",
    )
    assert accepted.status_code == 201
    relay_and_deliver()
    client = client_for(driver_user)
    ambiguous = client.get("/api/v1/partner/me/")
    assert (ambiguous.status_code, ambiguous.json()["code"]) == (400, "partner.fleet_required")
    assert client.get("/api/v1/partner/me/", {"fleet_id": str(two_fleets.b.fleet_id)}).json()["fleet_id"] == str(
        two_fleets.b.fleet_id
    )


def test_admin_review_queue_is_scoped_and_actions_use_the_service(two_fleets, drivers, client):
    driver_a, driver_b = drivers
    submit_all(driver_a)
    submit_all(driver_b)
    client.force_login(two_fleets.a.users["fleet_manager"])

    page = client.get("/admin/partner/kycdocument/").content.decode()
    assert page.count('name="_selected_action"') == 3
    drivers_page = client.get("/admin/partner/driverprofile/").content.decode()
    assert "driver of alpha" in drivers_page and "driver of bravo" not in drivers_page

    everything = [str(i) for i in KycDocument.objects.values_list("id", flat=True)]
    client.post("/admin/partner/kycdocument/", {"action": "approve", "_selected_action": everything})
    driver_a.refresh_from_db()
    driver_b.refresh_from_db()
    assert driver_a.compliance_status == "compliant"
    assert driver_b.compliance_status == "pending"  # fleet B's documents were never in reach
    assert KycDocument.objects.filter(driver=driver_b, status="submitted").count() == 3


def test_uploading_through_the_admin_is_not_offered(two_fleets, drivers, client):
    client.force_login(two_fleets.a.users["fleet_manager"])
    assert client.get("/admin/partner/drivinglicence/add/").status_code == 403
