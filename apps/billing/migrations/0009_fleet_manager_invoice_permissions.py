"""Fleet managers may see their fleets' invoices and receipts in the admin (0004 added Invoice without it).

Which admin pages fleet managers see is listed in tests/integration/test_tenant_isolation_matrix.py (ADMIN_CASES
and PLATFORM_ONLY): a model registered in the admin without a place there, or a page a listed model does not
open for managers, fails that test.
"""

from django.db import migrations

from logitrack.db.migrations import grant_group_permissions, revoke_group_permissions

GROUP = "Fleet managers"
PERMISSIONS = [("billing", "view_invoice")]


def forwards(apps, schema_editor):
    grant_group_permissions(apps, GROUP, PERMISSIONS)


def backwards(apps, schema_editor):
    revoke_group_permissions(apps, GROUP, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("billing", "0008_topups"), ("identity", "0003_fleet_manager_group")]
    operations = [migrations.RunPython(forwards, backwards)]
