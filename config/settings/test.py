"""The test suite: full stack (PostgreSQL + Redis) when DATABASE_URL / REDIS_URL are set, as in CI."""

from config.settings.base import *  # noqa: F403
from config.settings.base import REST_FRAMEWORK, env
from logitrack.logs import logging_config

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; Argon2 is tested explicitly
# Mail stays in memory, except for processes a test starts against its own SMTP server (tests/e2e)
EMAIL_BACKEND = env.str("LOGITRACK_TEST_EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
# Tests relay events explicitly (logitrack.testing) so they can look at what was published first.
OUTBOX_INLINE_RELAY = env.bool("OUTBOX_INLINE_RELAY", default=False)
OUTBOX_RETRY_BASE_SECONDS = env.int("OUTBOX_RETRY_BASE_SECONDS", default=0)  # a process test may ask for real delays
OUTBOX_MAX_ATTEMPTS = 3
# LOG_LEVEL=INFO for the processes a test reads the log lines of (tests/integration/test_request_ids.py)
LOGGING = logging_config(level=env.str("LOG_LEVEL", default="WARNING"), json=True)
# the suite runs no relay or beat unless a test starts them: their heartbeats are reported, not required
HEALTH_REQUIRED_PROCESSES = env.list("HEALTH_REQUIRED_PROCESSES", default=[])
# Throttling has its own tests with explicit rates; elsewhere it would only make tests order-dependent.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"anon": "100000/min", "user": "100000/min", "auth": "100000/min"},
}

# a real server a test starts may serve the test-only endpoints too (tests/support/urls.py)
ROOT_URLCONF = env.str("LOGITRACK_TEST_URLCONF", default="config.urls")

# Throwaway contexts that exercise the event backbone across app boundaries (tests/support).
INSTALLED_APPS = [*INSTALLED_APPS, "tests.support.ping", "tests.support.pong"]  # noqa: F405

# Threads that serve websocket consumers keep no connection between calls, so the test database can be
# dropped at the end (persistent connections are for the long-running server processes).
# Split (scripts/test-split.sh): every context's alias alike; Django creates test_<name> for each.
if FULL_STACK:  # noqa: F405
    for _db in DATABASES.values():  # noqa: F405
        _db["CONN_MAX_AGE"] = 0

# Webhook receivers in tests are local servers; retries are short so a test sees several.
NOTIFICATIONS_WEBHOOK_ALLOW_LOOPBACK = True
NOTIFICATIONS_WEBHOOK_READ_TIMEOUT_SECONDS = 2.0
NOTIFICATIONS_WEBHOOK_CONNECT_TIMEOUT_SECONDS = 2.0
