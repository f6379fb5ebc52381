"""What fleet managers may do in the trips context's admin pages."""

from django.db import migrations

from logitrack.db.migrations import grant_group_permissions, revoke_group_permissions

GROUP = "Fleet managers"
PERMISSIONS = [("trips", f"view_{m}") for m in ("trip", "stop", "tripevent", "shift", "offer")] + [
    ("trips", "change_trip"),
    ("trips", "change_shift"),
]


def forwards(apps, schema_editor):
    grant_group_permissions(apps, GROUP, PERMISSIONS)


def backwards(apps, schema_editor):
    revoke_group_permissions(apps, GROUP, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("trips", "0005_offers"), ("identity", "0003_fleet_manager_group")]
    operations = [migrations.RunPython(forwards, backwards)]
