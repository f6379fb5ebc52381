from tests.support.smtp import smtp  # noqa: F401  (fixture: a real SMTP server on 127.0.0.1)
from tests.support.trip_world import world  # noqa: F401  (fixture: a fleet with a van on a shift under way)
