"""A driver, or a vehicle, is never in two overlapping shifts (PostgreSQL exclusion constraints)."""

from django.db import migrations

FORWARD = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE trips_shift ADD CONSTRAINT shift_driver_no_overlap
    EXCLUDE USING gist (driver_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE (status <> 'cancelled');
ALTER TABLE trips_shift ADD CONSTRAINT shift_vehicle_no_overlap
    EXCLUDE USING gist (vehicle_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE (status <> 'cancelled');
"""
BACKWARD = """
ALTER TABLE trips_shift DROP CONSTRAINT IF EXISTS shift_driver_no_overlap;
ALTER TABLE trips_shift DROP CONSTRAINT IF EXISTS shift_vehicle_no_overlap;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":  # SQLite (embedded default) relies on the service's check
        schema_editor.execute(FORWARD, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("trips", "0002_shifts")]
    operations = [migrations.RunPython(forwards, backwards)]
