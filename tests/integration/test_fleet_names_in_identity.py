"""Identity sits below fleet on the context map, so it never asks fleet for names: fleet tells identity a fleet's
name on activation and on every rename, and a data migration told it the names of fleets that existed before."""

import importlib

import pytest
from django.apps import apps
from django.test import Client

from apps.fleet.services import fleet_settings
from apps.fleet.tests.factories import active_fleet
from apps.identity.models import FleetName
from apps.identity.selectors import fleet_names

pytestmark = pytest.mark.django_db


def test_activation_tells_identity_the_fleets_name():
    fleet = active_fleet(name="Delta Deliveries")
    assert FleetName.objects.get(fleet_id=fleet.id).name == "Delta Deliveries"
    assert fleet_names(fleet_ids=[fleet.id]) == {fleet.id: "Delta Deliveries"}


def test_a_rename_is_told_to_identity_and_the_invitation_form_shows_it(make_user):
    fleet = active_fleet(name="Echo Express")
    fleet_settings.fleet_settings_update(fleet_id=fleet.id, data={"name": "Echo Express Ltd"})
    assert FleetName.objects.get(fleet_id=fleet.id).name == "Echo Express Ltd"

    admin = Client()
    admin.force_login(make_user(email="root@example.test", is_staff=True, is_superuser=True))
    page = admin.get("/admin/identity/invitation/add/").content.decode()
    assert f'value="{fleet.id}">Echo Express Ltd</option>' in page


def test_the_migration_tells_identity_the_names_of_existing_fleets():
    fleet = active_fleet(name="Foxtrot Freight")
    FleetName.objects.all().delete()  # as before the migration: identity knew no names
    assert fleet_names(fleet_ids=[fleet.id]) == {fleet.id: str(fleet.id)}

    migration = importlib.import_module("apps.fleet.migrations.0004_tell_identity_fleet_names")
    migration.forwards(apps, None)

    assert fleet_names(fleet_ids=[fleet.id]) == {fleet.id: "Foxtrot Freight"}


def test_no_setting_points_identity_at_fleets_code(settings):
    assert not hasattr(settings, "LOGITRACK_FLEET_NAMES")
