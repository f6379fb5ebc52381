"""The admin group fleet managers get: what they may see and do in identity's admin pages.

Other contexts extend this group with their own data migrations; nobody edits it by hand.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Fleet managers"
PERMISSIONS = [
    ("identity", "view_user"),
    ("identity", "view_membership"),
    ("identity", "change_membership"),  # the revoke action
    ("identity", "view_invitation"),
    ("identity", "add_invitation"),
    ("identity", "change_invitation"),  # the revoke action
]


def _ensure_permissions(apps):
    # Permissions are normally created after migrate; this migration needs them now.
    for config in apps.get_app_configs():
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = None


def forwards(apps, schema_editor):
    _ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    for app_label, codename in PERMISSIONS:
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group:
        for app_label, codename in PERMISSIONS:
            group.permissions.remove(*Permission.objects.filter(content_type__app_label=app_label, codename=codename))


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0002_accounts_memberships_tokens"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
