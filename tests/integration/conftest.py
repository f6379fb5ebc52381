"""Fixtures of the integration tests."""

from tests.support.dispatch_world import dispatch_world, live_store  # noqa: F401  (fixtures)
