"""Fixtures of the trips tests."""

from apps.trips.tests.rest import world  # noqa: F401  (a fixture: a fleet with a van on a shift under way)
