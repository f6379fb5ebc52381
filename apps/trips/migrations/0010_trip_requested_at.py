"""Trip.requested_at: when the trip last began waiting for a driver, so the stale sweep does not cancel a trip that
was unassigned a moment ago because it was booked long ago. Existing rows take their latest move back to
`requested` from the timeline (an unassign), else their booking time."""

import django.utils.timezone
from django.db import migrations, models

BACKFILL = """
UPDATE trips_trip AS t SET requested_at = COALESCE(
    (SELECT max(e.at) FROM trips_triplogentry AS e WHERE e.trip_id = t.id AND e.to_status = 'requested'),
    t.created_at
)
"""


class Migration(migrations.Migration):
    dependencies = [("trips", "0009_rename_tripevent_triplogentry")]

    operations = [
        migrations.AddField(
            model_name="trip",
            name="requested_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now,
                help_text="when it last began waiting for a driver: booked, or unassigned since",
            ),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
