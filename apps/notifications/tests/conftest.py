"""Fixtures of the notifications tests: a real SMTP server, a local webhook receiver, a fleet with a van on a
shift under way, and two active fleets."""

import pytest

from apps.notifications.tests.receiver import Receiver
from tests.support.smtp import smtp  # noqa: F401  (fixture: a real SMTP server on 127.0.0.1)
from tests.support.trip_world import world  # noqa: F401  (fixture: a fleet with a van on a shift under way)
from tests.support.webhook_world import fleets  # noqa: F401  (a fixture: two active fleets)


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running
