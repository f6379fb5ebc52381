"""TripEvent becomes TripLogEntry: a timeline entry, not an integration event. The table is renamed in place
(trips_tripevent -> trips_triplogentry, rows kept), the content type follows (Django's RenameContentType), and so
do its permissions' codenames, so groups that could view the timeline still can."""

from django.db import migrations

ACTIONS = ("add", "change", "delete", "view")


def _rename_permissions(apps, old: str, new: str, new_name: str) -> None:
    Permission = apps.get_model("auth", "Permission")
    for action in ACTIONS:
        before = Permission.objects.filter(content_type__app_label="trips", codename=f"{action}_{old}").first()
        if before is None:
            continue
        after = Permission.objects.filter(content_type__app_label="trips", codename=f"{action}_{new}").first()
        if after is None:  # the usual case: the same permission under its new name
            before.codename, before.name = f"{action}_{new}", f"Can {action} {new_name}"
            before.save(update_fields=["codename", "name"])
            continue
        for group in before.group_set.all():  # both exist already: keep who had the old one
            group.permissions.add(after)
        for user in before.user_set.all():
            user.user_permissions.add(after)
        before.delete()


def forwards(apps, schema_editor):
    _rename_permissions(apps, "tripevent", "triplogentry", "trip log entry")


def backwards(apps, schema_editor):
    _rename_permissions(apps, "triplogentry", "tripevent", "trip event")


class Migration(migrations.Migration):
    dependencies = [
        ("trips", "0008_trip_erase_when_ended"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [
        migrations.RenameModel(old_name="TripEvent", new_name="TripLogEntry"),
        migrations.RunPython(forwards, backwards),
    ]
