"""What fleet managers may do in the fleet context's admin pages (the group identity created)."""

from django.db import migrations

from logitrack.db.migrations import grant_group_permissions, revoke_group_permissions

GROUP = "Fleet managers"
PERMISSIONS = [
    ("fleet", codename)
    for model in ("vehicle", "bike", "car", "van", "truck", "vehicledocument", "maintenancewindow")
    for codename in (f"view_{model}", f"add_{model}", f"change_{model}")
] + [("fleet", "view_fleet"), ("fleet", "change_fleet"), ("fleet", "view_fleetstatuschange")]


def forwards(apps, schema_editor):
    grant_group_permissions(apps, GROUP, PERMISSIONS)


def backwards(apps, schema_editor):
    revoke_group_permissions(apps, GROUP, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("fleet", "0001_initial"), ("identity", "0003_fleet_manager_group")]
    operations = [migrations.RunPython(forwards, backwards)]
