"""Fixtures shared by every test folder (the kernel's own fixtures come from logitrack.testing.plugin)."""

import pytest


@pytest.fixture
def two_fleets(db):
    """Two tenants with a fleet manager, dispatcher and driver each, plus a customer and a platform admin."""
    from tests.support.isolation import build_two_fleets

    return build_two_fleets()


@pytest.fixture
def clean_login_guard(settings):
    """Login-failure counters live in the shared cache (Redis): start each test from zero."""
    from django.core.cache import cache

    def wipe():
        if settings.REDIS_URL:
            client = cache._cache.get_client(write=True)
            for key in client.scan_iter(match="*identity:login-*"):
                client.delete(key)
        else:
            cache.clear()

    wipe()
    yield
    wipe()
