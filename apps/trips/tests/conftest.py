"""Fixtures of the trips tests."""

from tests.support.trip_world import world  # noqa: F401  (a fixture: a fleet with a van on a shift under way)
