"""Tell identity the name of every existing fleet, as fleet_transition and fleet_settings_update now do on
activation and on rename (identity's admin offers fleets by these names; it may not ask fleet for them)."""

from django.db import migrations


def forwards(apps, schema_editor):
    Fleet = apps.get_model("fleet", "Fleet")
    FleetName = apps.get_model("identity", "FleetName")
    for fleet_id, name in Fleet.objects.values_list("id", "name"):
        FleetName.objects.update_or_create(fleet_id=fleet_id, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("fleet", "0003_proof_of_delivery_setting"), ("identity", "0004_fleet_names")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
