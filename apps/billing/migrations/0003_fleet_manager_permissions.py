"""What fleet managers may do in the billing context's admin pages."""

from django.db import migrations

from logitrack.db.migrations import grant_group_permissions, revoke_group_permissions

GROUP = "Fleet managers"
COMPONENTS = ("tariffcomponent", "basefare", "perkm", "perminute", "perstop", "waitingtime", "minimumfare", "timesurcharge",
              "zonesurcharge", "cancellationfee")
PERMISSIONS = (
    [("billing", f"{verb}_{model}") for model in ("tariff", "taxrate", *COMPONENTS) for verb in ("view", "add", "change")]
    + [("billing", f"view_{model}") for model in ("quote", "farerecord", "account", "journaltransaction", "posting", "payout")]
    + [("billing", "change_payout")]
)


def forwards(apps, schema_editor):
    grant_group_permissions(apps, GROUP, PERMISSIONS)


def backwards(apps, schema_editor):
    revoke_group_permissions(apps, GROUP, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_ledger_guards"), ("identity", "0003_fleet_manager_group")]
    operations = [migrations.RunPython(forwards, backwards)]
