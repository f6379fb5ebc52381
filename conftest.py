"""Fixtures shared by every test folder (the kernel's own fixtures come from logitrack.testing.plugin)."""

import pytest

# The groups' permissions as the data migrations left them (group name, app label, codename), read once the test
# database exists: a transactional test's flush empties them, and `groups_as_migrated` puts them back.
MIGRATED_GROUP_PERMISSIONS: list[tuple[str, str, str]] = []


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.contrib.auth.models import Group

    with django_db_blocker.unblock():
        MIGRATED_GROUP_PERMISSIONS[:] = Group.permissions.through.objects.values_list(
            "group__name", "permission__content_type__app_label", "permission__codename"
        )


@pytest.fixture
def groups_as_migrated(django_db_setup, transactional_db):
    """The admin groups (the fleet managers') with the permissions their migrations give them, again: an earlier
    transactional test's flush left them without any, and a manager's admin pages would answer 403."""
    from django.contrib.auth.models import Group, Permission

    for name, app_label, codename in MIGRATED_GROUP_PERMISSIONS:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


@pytest.fixture
def two_fleets(db):
    """Two tenants with a fleet manager, dispatcher and driver each, plus a customer and a platform admin."""
    from tests.support.isolation import build_two_fleets

    return build_two_fleets()


@pytest.fixture
def clean_login_guard(db):
    """Login failures are counted in the database (django-axes, apps/identity/login_guard.py): start from zero
    even where a test's server processes committed some."""
    from axes.models import AccessAttempt

    AccessAttempt.objects.all().delete()
