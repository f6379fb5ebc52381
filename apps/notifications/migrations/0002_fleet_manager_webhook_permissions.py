"""What fleet managers may do with their fleets' webhooks in the admin: manage endpoints, read deliveries."""

from django.db import migrations

from logitrack.db.migrations import grant_group_permissions, revoke_group_permissions

GROUP = "Fleet managers"
PERMISSIONS = [("notifications", f"{verb}_webhookendpoint") for verb in ("view", "add", "change", "delete")] + [
    ("notifications", "view_webhookdelivery"),
    ("notifications", "view_webhookattempt"),
]


def forwards(apps, schema_editor):
    grant_group_permissions(apps, GROUP, PERMISSIONS)


def backwards(apps, schema_editor):
    revoke_group_permissions(apps, GROUP, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial"), ("identity", "0003_fleet_manager_group")]
    operations = [migrations.RunPython(forwards, backwards)]
