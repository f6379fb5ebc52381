"""Fleet managers manage their fleets' integrations in the admin: service accounts and their API keys."""

from django.db import migrations

from logitrack.db.migrations import grant_group_permissions, revoke_group_permissions

GROUP = "Fleet managers"
PERMISSIONS = [
    ("identity", "view_serviceaccount"),
    ("identity", "add_serviceaccount"),
    ("identity", "change_serviceaccount"),  # the revoke action
    ("identity", "view_apikey"),
    ("identity", "add_apikey"),
    ("identity", "change_apikey"),  # the rotate and revoke actions
]


def forwards(apps, schema_editor):
    grant_group_permissions(apps, GROUP, PERMISSIONS)


def backwards(apps, schema_editor):
    revoke_group_permissions(apps, GROUP, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("identity", "0005_service_accounts_api_keys")]
    operations = [migrations.RunPython(forwards, backwards)]
