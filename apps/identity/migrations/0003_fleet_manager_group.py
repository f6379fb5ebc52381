"""The admin group fleet managers get: what they may see and do in identity's admin pages.

Other contexts extend this group with their own data migrations; nobody edits it by hand.
"""

from django.db import migrations

from logitrack.db.migrations import grant_group_permissions, revoke_group_permissions

GROUP = "Fleet managers"
PERMISSIONS = [
    ("identity", "view_user"),
    ("identity", "view_membership"),
    ("identity", "change_membership"),  # the revoke action
    ("identity", "view_invitation"),
    ("identity", "add_invitation"),
    ("identity", "change_invitation"),  # the revoke action
]


def forwards(apps, schema_editor):
    grant_group_permissions(apps, GROUP, PERMISSIONS)


def backwards(apps, schema_editor):
    revoke_group_permissions(apps, GROUP, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0002_accounts_memberships_tokens"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
