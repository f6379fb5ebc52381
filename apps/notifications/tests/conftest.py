"""Fixtures of the notifications tests: a local webhook receiver and a fleet with an endpoint on it."""

import pytest

from apps.notifications.tests.receiver import Receiver
from tests.support.webhook_world import fleets  # noqa: F401  (a fixture: two active fleets)


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running
