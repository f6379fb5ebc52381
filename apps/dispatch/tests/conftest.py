"""Dispatch's own tests need a fleet with drivers on duty, vans and shifts: the shared kit builds one."""

from tests.support.dispatch_world import dispatch_world, live_store  # noqa: F401  (fixtures)
