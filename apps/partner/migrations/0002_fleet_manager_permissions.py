"""What fleet managers may do in the partner context's admin pages."""

from django.db import migrations

from logitrack.db.migrations import grant_group_permissions, revoke_group_permissions

GROUP = "Fleet managers"
PERMISSIONS = [("partner", "view_driverprofile"), ("partner", "change_driverprofile")] + [
    ("partner", f"{verb}_{model}")
    for model in ("kycdocument", "drivinglicence", "identitydocument", "backgroundcheck")
    for verb in ("view", "change")
]


def forwards(apps, schema_editor):
    grant_group_permissions(apps, GROUP, PERMISSIONS)


def backwards(apps, schema_editor):
    revoke_group_permissions(apps, GROUP, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("partner", "0001_initial"), ("identity", "0003_fleet_manager_group")]
    operations = [migrations.RunPython(forwards, backwards)]
