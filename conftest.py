"""Fixtures shared by every test folder (the kernel's own fixtures come from logitrack.testing.plugin)."""

import pytest


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
