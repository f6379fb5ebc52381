"""Complete settings. dev/test/prod only override; nothing exists in prod alone.

Two runtime modes, chosen by the environment alone:
- embedded default (no DATABASE_URL / REDIS_URL): SQLite under var/, in-memory channel layer,
  Celery jobs and the outbox relay run in-process after commit. No services needed.
- full stack (DATABASE_URL and REDIS_URL set): PostgreSQL, Redis channel layer and cache,
  Redis broker, separate worker / routing / beat / relay processes.
"""

import os
import sys
from pathlib import Path
from typing import Any

from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from apps.billing.contracts import ComponentKind
from apps.fleet.contracts import FleetStatus, VehicleDocumentKind, VehicleStatus, VehicleType
from apps.identity.contracts import ApiScope, FleetRole
from apps.notifications.contracts import DeliveryStatus
from apps.notifications.webhooks.catalogue import PING, PUBLIC_NAMES
from apps.partner.contracts import ComplianceStatus, DutyStatus, KycDocumentType, KycStatus
from config.env import BASE_DIR, env
from logitrack.db.contexts import CONTEXTS
from logitrack.http.csp import tiles_source, websocket_sources
from logitrack.logs import configure_structlog, logging_config

VAR_DIR = Path(env.str("LOGITRACK_VAR_DIR", default=str(BASE_DIR / "var")))

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="django-insecure-dev-only-do-not-use-in-production")
# keys DJANGO_SECRET_KEY replaced, still accepted (sessions, tracking tokens and PINs): key rotation
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",  # ASGI runserver (HTTP + websockets); must come before staticfiles
    # the manager's console: its templates first (admin/base_site.html), then the admin itself with the console's
    # site as admin.site (config/console/README.md)
    "config.console",
    "config.console.apps.ConsoleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "channels",
    "polymorphic",
    "django_celery_beat",
    "axes",  # the login guard (apps/identity/login_guard.py)
    # shared kernel
    "logitrack.db",  # context aliases, the router, context_copy
    "logitrack.tracing",  # OpenTelemetry, when TRACING_OTLP_ENDPOINT is set (first: it instruments the others)
    "logitrack.outbox",
    "logitrack.idempotency",
    # bounded contexts, bottom of the context map first
    "apps.identity",
    "apps.fleet",
    "apps.partner",
    "apps.billing",
    "apps.trips",
    "apps.dispatch",
    "apps.notifications",  # top of the map: listens to everyone, nothing calls it
    # composition root: the demo operator and its simulator (span every context)
    "config.demo",
]

MIDDLEWARE = [
    "logitrack.http.middleware.RequestIdMiddleware",
    "logitrack.http.cycles.ReleaseCyclesMiddleware",  # a request's objects go when its response closes, not at GC
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy on every response (settings below)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "logitrack.http.limits.BodySizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "logitrack.http.middleware.DatabaseUnavailableMiddleware",  # 503 + Retry-After outside DRF too
    "axes.middleware.AxesMiddleware",  # turns a locked-out admin login into identity's 429 page
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "logitrack" / "templates"],  # the kernel's page layout
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",  # CSP_NONCE, for the few third-party pages with inline code
            ],
        },
    },
]


# ---- database --------------------------------------------------------------------------
def _tuned(db: dict[str, Any]) -> dict[str, Any]:
    """One database alias as the process kind needs it; every alias (default and each context's) alike."""
    db["ATOMIC_REQUESTS"] = False  # services own their transactions
    if db["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend reading timestamptz with psycopg's C loader (logitrack/db/backends/postgresql/base.py),
        # on django-prometheus' (counts of connections, queries, errors and query time in /metrics)
        db["ENGINE"] = "logitrack.db.backends.postgresql"
        db["CONN_HEALTH_CHECKS"] = True
        db.setdefault("OPTIONS", {})["connect_timeout"] = 5
        # Under an ASGI server (uvicorn or daphne loaded these settings) Django cannot reuse persistent connections:
        # every helper thread would keep its own open until the server ran out. A bounded psycopg pool per process
        # instead. Forking processes (Celery prefork) keep one persistent connection each: a pool's threads do not
        # survive a fork.
        if env.bool("DATABASE_POOL", default=any(server in sys.modules for server in ("uvicorn", "daphne.server"))):
            db["CONN_MAX_AGE"] = 0
            db["OPTIONS"]["pool"] = {
                "min_size": env.int("DATABASE_POOL_MIN", default=2),
                "max_size": env.int("DATABASE_POOL_MAX", default=10),
                "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10),
            }
        else:  # workers, relay, beat, commands: one thread, one persistent connection
            db["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    elif db["ENGINE"] == "django.db.backends.sqlite3":
        db.setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
    return db


DATABASES = {"default": _tuned(env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'logitrack.sqlite3'}"))}
FULL_STACK = DATABASES["default"]["ENGINE"] == "logitrack.db.backends.postgresql"
if not FULL_STACK:
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # the embedded default must work on a fresh clone
# A context with a database of its own (DATABASE_URL_BILLING, ...) gets an alias of that name; the router sends
# its tables, its transactions and its outbox, inbox and idempotency rows there (logitrack/db/contexts.py,
# docs/extraction.md). None set: one database, as before. Identity (and Django's shared tables) stays on default.
# A split on SQLite or on mixed engines is refused by a system check (logitrack/db/checks.py).
CONTEXT_DATABASES: dict[str, str] = {}
for _context in CONTEXTS:
    if _context != "identity" and (_url := env.str(f"DATABASE_URL_{_context.upper()}", default="")):
        DATABASES[_context] = _tuned(env.db_url_config(_url))
        CONTEXT_DATABASES[_context] = _context
DATABASE_ROUTERS = ["logitrack.db.routing.ContextRouter"]
# The contexts this process runs (logitrack/hosting.py): all by default. A context running as its own service is
# left out of the others' processes, and they of its: the platform without billing runs
# LOGITRACK_CONTEXTS=identity,fleet,partner,trips,dispatch,notifications, billing's processes LOGITRACK_CONTEXTS=billing
# (docs/production.md, "Billing as its own service"). A context left out has no URLs, admin pages, subscriptions,
# periodic jobs or tables here.
HOSTED_CONTEXTS = env.list("LOGITRACK_CONTEXTS", default=[]) or list(CONTEXTS)  # empty: all of them
if _unknown := sorted(set(HOSTED_CONTEXTS) - set(CONTEXTS)):
    raise ImproperlyConfigured(f"LOGITRACK_CONTEXTS names no such context: {', '.join(_unknown)} (of {CONTEXTS})")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---- redis: channel layer, cache, broker -----------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    # Pub/sub: a group message is published once and each web process hands it to its own members, instead of
    # one Redis list per member popped one round trip at a time (which could not keep up with 20 screens of a
    # busy fleet). Pushes are at most once either way; screens resync over REST after a gap. Our subclass only
    # changes how its reader rides out a Redis outage (logitrack.realtime).
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": env.str("CHANNEL_LAYER_BACKEND", default="logitrack.realtime.PubSubChannelLayer"),
            # redis-py 8 reads with a 5 s socket timeout by default: a quiet subscription must outlast it
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 30, "max_connections": 1000}]},
        }
    }
    # Django's Redis cache with one client per pool (logitrack/cache.py)
    CACHES = {"default": {"BACKEND": "logitrack.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "logitrack.cache.LocMemCache"}}

# ---- auth ------------------------------------------------------------------------------
AUTH_USER_MODEL = "identity.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login/"  # staff web pages; the admin has its own

# ---- i18n ------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# ---- Content-Security-Policy (django-csp 4) -----------------------------------------------------
# Strict: scripts and styles only from our own static files; the third-party pages that need inline code (the
# API docs) carry a per-response nonce. Map tiles may later come from MAP_TILES_URL, a URL template such as
# https://{s}.tile.example.org/{z}/{x}/{y}.png: its host is allowed for images.
# The dispatch map's raster XYZ base layer. Empty (the default, and offline machines): no tiles, a neutral
# background with the service area and a 1 km grid. Its attribution (HTML, shown on the map) and its deepest zoom.
MAP_TILES_URL = env.str("MAP_TILES_URL", default="")
MAP_TILES_ATTRIBUTION = env.str("MAP_TILES_ATTRIBUTION", default="")
MAP_TILES_MAX_ZOOM = env.int("MAP_TILES_MAX_ZOOM", default=19)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:", "blob:", *filter(None, [tiles_source(MAP_TILES_URL)])],
        "connect-src": [SELF, *websocket_sources(ALLOWED_HOSTS)],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# ---- static and media (media is private: served only through authorised views) -----------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [
    BASE_DIR / "logitrack" / "static",
    # the front-end libraries from npm (package-lock.json, installed by scripts/lib.sh ensure_npm and the image's
    # node stage): only their dist folders, under vendor/, never from a CDN
    ("vendor/leaflet", BASE_DIR / "node_modules" / "leaflet" / "dist"),
    ("vendor/leaflet.markercluster", BASE_DIR / "node_modules" / "leaflet.markercluster" / "dist"),
    ("vendor/chart.js", BASE_DIR / "node_modules" / "chart.js" / "dist"),
]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request without it
MEDIA_ROOT = Path(env.str("LOGITRACK_MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # serve app static without collectstatic in dev and tests

# ---- limits ----------------------------------------------------------------------------
LOGITRACK_MAX_BODY_BYTES = env.int("LOGITRACK_MAX_BODY_BYTES", default=1024 * 1024)
LOGITRACK_MAX_UPLOAD_BYTES = env.int("LOGITRACK_MAX_UPLOAD_BYTES", default=20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = LOGITRACK_MAX_BODY_BYTES
# Uploaded images declaring more are refused before decoding (logitrack.images); the rest are re-encoded.
LOGITRACK_IMAGE_MAX_PIXELS = env.int("LOGITRACK_IMAGE_MAX_PIXELS", default=40_000_000)
LOGITRACK_IMAGE_MAX_SIDE = env.int("LOGITRACK_IMAGE_MAX_SIDE", default=12_000)
# Per use, within that ceiling: signatures and drawings, photos (driver, proof of delivery), document scans.
LOGITRACK_IMAGE_MAX_PIXELS_LINE_ART = env.int("LOGITRACK_IMAGE_MAX_PIXELS_LINE_ART", default=4_000_000)
LOGITRACK_IMAGE_MAX_PIXELS_PHOTO = env.int("LOGITRACK_IMAGE_MAX_PIXELS_PHOTO", default=24_000_000)
LOGITRACK_IMAGE_MAX_PIXELS_SCAN = env.int("LOGITRACK_IMAGE_MAX_PIXELS_SCAN", default=40_000_000)
LOGITRACK_IMAGE_MAX_PIXELS_LOGO = env.int("LOGITRACK_IMAGE_MAX_PIXELS_LOGO", default=16_000_000)  # fleets' logos

# ---- REST API --------------------------------------------------------------------------
REST_FRAMEWORK: dict[str, Any] = {  # a mapping of settings of many kinds, as DRF reads it
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # first: it answers only for an API key ("lt_…", as a Bearer or X-Api-Key) and checks the view's key_scopes
        "apps.identity.rest_api.authentication.ApiKeyAuthentication",
        "apps.identity.rest_api.authentication.JWTAuthentication",  # simplejwt's, through identity's principal cache
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],  # deny by default
    "DEFAULT_PARSER_CLASSES": ["logitrack.http.parsers.JSONParser"],  # refuses JSON nested too deep (400)
    "DEFAULT_RENDERER_CLASSES": ["logitrack.http.renderers.JSONRenderer"],  # DRF's JSON, written by orjson
    "DEFAULT_PAGINATION_CLASS": "logitrack.http.pagination.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "logitrack.http.schema.AutoSchema",
    "EXCEPTION_HANDLER": "logitrack.http.problems.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "logitrack.http.throttling.AnonRateThrottle",  # let calls through while Redis is unreachable
        "logitrack.http.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="60/min"),
        "user": env.str("THROTTLE_USER", default="600/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

SPECTACULAR_SETTINGS = {
    "TITLE": "LogiTrack API",
    "DESCRIPTION": "Fleet operations: identity, fleet, partner, trips, dispatch and billing.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",  # assets from our own static files, never a CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    # one named enum per domain vocabulary, so fields called "status" in different contexts never collide
    "ENUM_NAME_OVERRIDES": {
        "FleetStatusEnum": [s.value for s in FleetStatus],
        "VehicleStatusEnum": [s.value for s in VehicleStatus],
        "VehicleTypeEnum": [s.value for s in VehicleType],
        "FleetRoleEnum": [s.value for s in FleetRole],
        "ApiScopeEnum": [s.value for s in ApiScope],
        "ComplianceStatusEnum": [s.value for s in ComplianceStatus],
        "DutyStatusEnum": [s.value for s in DutyStatus],
        "KycStatusEnum": [s.value for s in KycStatus],
        "KycDocumentTypeEnum": [s.value for s in KycDocumentType],
        "InvoiceKindEnum": ["invoice", "receipt", "credit_note"],
        "TariffComponentKindEnum": [k.value for k in ComponentKind],
        "VehicleDocumentKindEnum": [s.value for s in VehicleDocumentKind],
        "StopKindEnum": ["pickup", "dropoff"],
        "DeliveryStatusEnum": [s.value for s in DeliveryStatus],
        "WebhookEventTypeEnum": list(PUBLIC_NAMES),
        "WebhookDeliveryTypeEnum": [*PUBLIC_NAMES, PING],
        "TripStatusEnum": [
            "requested",
            "assigned",
            "en_route",
            "at_pickup",
            "in_progress",
            "completed",
            "cancelled",
            "failed",
        ],
        "StopStatusEnum": ["pending", "arrived", "done", "failed"],
    },
}

# ---- Celery ----------------------------------------------------------------------------
# memory:// needs a host name, or kombu warns on every send
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://localhost/")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or "cache+memory://")
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL  # embedded default: jobs run in-process (after commit)
# ... and the beat schedule runs in the web process (logitrack.periodic); no effect on the full stack
EMBEDDED_PERIODIC_JOBS = env.bool("EMBEDDED_PERIODIC_JOBS", default=True)
CELERY_TASK_EAGER_PROPAGATES = False
# ... except tasks routed to these queues: they run on a background thread, so the request answers at once (a
# booking does not wait for its confirmation mail to reach the mail server)
EMBEDDED_BACKGROUND_QUEUES = env.list("EMBEDDED_BACKGROUND_QUEUES", default=["routing", "notifications"])
# child processes for CPU-bound work asked for in this process (logitrack.offload: embedded route optimisation)
OFFLOAD_PROCESSES = env.int("OFFLOAD_PROCESSES", default=1)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"dispatch.optimize_*": {"queue": "routing"}, "notifications.*": {"queue": "notifications"}}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_WORKER_CONSUMER = "logitrack.worker:Consumer"  # survives a Redis restart; see the module
# django-celery-beat's scheduler, made to ride out an outage of PostgreSQL or the broker (see the module)
CELERY_BEAT_SCHEDULER = "logitrack.periodic:DatabaseScheduler"
# A worker, beat or publisher that lost the broker reconnects for as long as it takes (Celery gives up after 100
# tries by default, and the worker then exits: after about 50 minutes of a Redis outage nothing was consuming).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TIMEZONE = "UTC"

# ---- health: /readyz and the background processes' heartbeats (logitrack/heartbeats.py, docs/production.md) ----
# how often the relay, beat and (through a task beat sends to each queue) the workers beat
HEALTH_HEARTBEAT_SECONDS = env.float("HEALTH_HEARTBEAT_SECONDS", default=10.0)
# a process whose latest beat is older is stale: /readyz answers 503 if it is one of HEALTH_REQUIRED_PROCESSES
HEALTH_STALE_SECONDS = env.float("HEALTH_STALE_SECONDS", default=60.0)
# a beat is forgotten after this long: the process then shows as missing rather than stale
HEALTH_HEARTBEAT_TTL_SECONDS = env.int("HEALTH_HEARTBEAT_TTL_SECONDS", default=900)
# processes whose absence makes /readyz 503 (the others are reported, the body's status "degraded"): relay, beat,
# worker:events, worker:default, worker:notifications, worker:routing
HEALTH_REQUIRED_PROCESSES = env.list("HEALTH_REQUIRED_PROCESSES", default=["relay", "beat"])
CELERY_IMPORTS = ["logitrack.heartbeats"]  # the workers' `health.heartbeat` task

# ---- outages: how long-running loops retry a database, Redis or broker that went away (logitrack.resilience) ----
OUTAGE_BACKOFF_BASE_SECONDS = env.float("OUTAGE_BACKOFF_BASE_SECONDS", default=0.5)
OUTAGE_BACKOFF_MAX_SECONDS = env.float("OUTAGE_BACKOFF_MAX_SECONDS", default=30.0)
# calls to a context run as its own service (logitrack.remote): a booking waits at most connect + read timeout per
# try; reads are retried after a refused connection; the breaker then fails calls at once until a trial succeeds
REMOTE_API_CONNECT_TIMEOUT_SECONDS = env.float("REMOTE_API_CONNECT_TIMEOUT_SECONDS", default=0.5)
REMOTE_API_TIMEOUT_SECONDS = env.float("REMOTE_API_TIMEOUT_SECONDS", default=2.0)
REMOTE_API_RETRIES = env.int("REMOTE_API_RETRIES", default=2)
REMOTE_API_RETRY_BASE_SECONDS = env.float("REMOTE_API_RETRY_BASE_SECONDS", default=0.05)
REMOTE_API_BREAKER_FAILURES = env.int("REMOTE_API_BREAKER_FAILURES", default=5)
REMOTE_API_BREAKER_RESET_SECONDS = env.float("REMOTE_API_BREAKER_RESET_SECONDS", default=10.0)

# ---- outbox ----------------------------------------------------------------------------
# subscriptions delivered by JetStream consumers (`manage.py outbox_consume`) instead of Celery tasks; naming any adds
# NatsSink to the relay's sinks (docs/events.md, "Over NATS JetStream")
OUTBOX_NATS_SUBSCRIPTIONS = env.list("OUTBOX_NATS_SUBSCRIPTIONS", default=[])
OUTBOX_SINKS = env.list(
    "OUTBOX_SINKS",
    default=["logitrack.outbox.sinks.CelerySink"]
    + (["logitrack.outbox.sinks.NatsSink"] if OUTBOX_NATS_SUBSCRIPTIONS else []),
)
OUTBOX_INLINE_RELAY = env.bool("OUTBOX_INLINE_RELAY", default=not REDIS_URL)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
OUTBOX_RETRY_BASE_SECONDS = env.int("OUTBOX_RETRY_BASE_SECONDS", default=2)
OUTBOX_RETRY_MAX_SECONDS = env.int("OUTBOX_RETRY_MAX_SECONDS", default=600)
OUTBOX_RELAY_POLL_SECONDS = env.float("OUTBOX_RELAY_POLL_SECONDS", default=0.25)
# after a batch that was not full the relay waits this long, so the next gathers more events (docs/events.md)
OUTBOX_RELAY_LINGER_SECONDS = env.float("OUTBOX_RELAY_LINGER_SECONDS", default=0.1)
# events one delivery task applies to a subscriber in one transaction
OUTBOX_DELIVERY_BATCH = env.int("OUTBOX_DELIVERY_BATCH", default=20)
# the relay holds back while more delivery tasks than this wait in the broker: a backlog waits in the outbox and is
# claimed in full batches once the worker catches up (0: never hold back)
OUTBOX_RELAY_MAX_WAITING = env.int("OUTBOX_RELAY_MAX_WAITING", default=100)
# ---- NATS JetStream (used only when OUTBOX_NATS_SUBSCRIPTIONS names subscriptions) ----
OUTBOX_NATS_URL = env.str("OUTBOX_NATS_URL", default="nats://127.0.0.1:4222")  # several: comma-separated
OUTBOX_NATS_STREAM = env.str("OUTBOX_NATS_STREAM", default="LOGITRACK_EVENTS")
# an event's subject is <prefix>.<context>.<aggregate>.<event>.v<N>; the stream takes <prefix>.>
OUTBOX_NATS_SUBJECT_PREFIX = env.str("OUTBOX_NATS_SUBJECT_PREFIX", default="logitrack")
OUTBOX_NATS_MAX_AGE_SECONDS = env.int("OUTBOX_NATS_MAX_AGE_SECONDS", default=7 * 24 * 3600)
OUTBOX_NATS_DUPLICATE_WINDOW_SECONDS = env.int("OUTBOX_NATS_DUPLICATE_WINDOW_SECONDS", default=600)
OUTBOX_NATS_ACK_WAIT_SECONDS = env.int("OUTBOX_NATS_ACK_WAIT_SECONDS", default=60)
# -1: the server never gives up on a message; the consumer parks it after OUTBOX_MAX_ATTEMPTS failed handler runs
OUTBOX_NATS_MAX_DELIVER = env.int("OUTBOX_NATS_MAX_DELIVER", default=-1)
OUTBOX_NATS_REPLICAS = env.int("OUTBOX_NATS_REPLICAS", default=1)
OUTBOX_NATS_TIMEOUT_SECONDS = env.float("OUTBOX_NATS_TIMEOUT_SECONDS", default=5.0)  # connect, publish acks

# ---- idempotency -----------------------------------------------------------------------
IDEMPOTENCY_RETENTION_HOURS = env.int("IDEMPOTENCY_RETENTION_HOURS", default=24)
IDEMPOTENCY_LOCK_SECONDS = env.int("IDEMPOTENCY_LOCK_SECONDS", default=60)

# ---- email -----------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="LogiTrack <no-reply@logitrack.local>")
# The SMTP backend's server (EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# ---- notifications (apps/notifications/README.md) ----------------------------------------------
# Where links in messages point (tracking pages, unsubscribe, logos): the public address of this deployment
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default=env.str("LOGITRACK_APP_URL", default="http://127.0.0.1:8000"))
NOTIFICATIONS_FROM_EMAIL = env.str("NOTIFICATIONS_FROM_EMAIL", default=DEFAULT_FROM_EMAIL)  # the fleet's name is shown
# django-anymail's settings for a provider backend (EMAIL_BACKEND=anymail.backends.<provider>.EmailBackend), from
# ANYMAIL_* variables: ANYMAIL_POSTMARK_SERVER_TOKEN=... becomes ANYMAIL["POSTMARK_SERVER_TOKEN"]
ANYMAIL = {key.removeprefix("ANYMAIL_"): value for key, value in os.environ.items() if key.startswith("ANYMAIL_")}
# The adapter serving each channel; a channel without one has its deliveries suppressed (logged), not failed.
NOTIFICATIONS_ADAPTERS = {
    channel: path
    for channel, path in {
        "email": env.str("NOTIFICATIONS_EMAIL_ADAPTER", default="apps.notifications.channels.email.EmailAdapter"),
        "sms": env.str("NOTIFICATIONS_SMS_ADAPTER", default=""),
        "push": env.str("NOTIFICATIONS_PUSH_ADAPTER", default=""),
    }.items()
    if path
}
NOTIFICATIONS_MAX_ATTEMPTS = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=8)  # then the delivery is dead
NOTIFICATIONS_RETRY_BASE_SECONDS = env.float("NOTIFICATIONS_RETRY_BASE_SECONDS", default=30.0)  # doubles per try
NOTIFICATIONS_RETRY_MAX_SECONDS = env.float("NOTIFICATIONS_RETRY_MAX_SECONDS", default=3600.0)  # ... up to this
NOTIFICATIONS_CLAIM_SECONDS = env.int("NOTIFICATIONS_CLAIM_SECONDS", default=120)  # a sender's lease on a delivery
NOTIFICATIONS_REQUEUE_MAX_SECONDS = env.int("NOTIFICATIONS_REQUEUE_MAX_SECONDS", default=600)  # longer waits: sweep
NOTIFICATIONS_SWEEP_SECONDS = env.float("NOTIFICATIONS_SWEEP_SECONDS", default=15.0)  # beat: send what is overdue
NOTIFICATIONS_SWEEP_GRACE_SECONDS = env.float("NOTIFICATIONS_SWEEP_GRACE_SECONDS", default=10.0)
NOTIFICATIONS_SWEEP_BATCH = env.int("NOTIFICATIONS_SWEEP_BATCH", default=200)
# the managers' daily digest: sent from this local hour on (the fleet's time zone), once a day
NOTIFICATIONS_DIGEST_HOUR = env.int("NOTIFICATIONS_DIGEST_HOUR", default=7)
NOTIFICATIONS_RATE_LIMIT = env.int("NOTIFICATIONS_RATE_LIMIT", default=6)  # non-urgent messages per recipient, channel
NOTIFICATIONS_RATE_WINDOW_MINUTES = env.int("NOTIFICATIONS_RATE_WINDOW_MINUTES", default=60)  # ... per this window
NOTIFICATIONS_RECEIPT_WAIT_SECONDS = env.int("NOTIFICATIONS_RECEIPT_WAIT_SECONDS", default=600)  # "delivered" waits
TRIPS_ARRIVING_SOON_MINUTES = env.int("TRIPS_ARRIVING_SOON_MINUTES", default=10)  # "arriving soon" under this ETA

# ---- logging ---------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_JSON = env.bool("LOG_JSON", default=True)
LOGGING = logging_config(level=LOG_LEVEL, json=LOG_JSON)
configure_structlog()

# ---- tracing (OpenTelemetry; logitrack/tracing, docs/production.md "Tracing") -------------------------------------
# Spans go over OTLP/HTTP to this collector (Tempo, Jaeger, an OpenTelemetry Collector: its base URL, e.g.
# http://tempo:4318; spans are posted to /v1/traces). Empty: tracing is off, no provider, nothing instrumented.
TRACING_OTLP_ENDPOINT = env.str("OTEL_EXPORTER_OTLP_ENDPOINT", default="")
# share of traces kept, decided where a trace starts (parent-based: a trace is kept or dropped as a whole)
TRACING_SAMPLE_RATIO = env.float("TRACING_SAMPLE_RATIO", default=1.0)
# a driver's ping message starts a trace at this ratio (pings are the hottest path, each like the last: a kept trace
# costs a ping +20 % of CPU at 300/s, so a tenth of the requests' ratio)
TRACING_PING_SAMPLE_RATIO = env.float("TRACING_PING_SAMPLE_RATIO", default=TRACING_SAMPLE_RATIO / 10)
TRACING_SERVICE_NAME = env.str("OTEL_SERVICE_NAME", default="logitrack")  # service.name is "<this>-<process>"

# ---- identity: tokens, login limits, invitations ----------------------------------------------
import datetime as _dt  # noqa: E402


def _pem_setting(name: str) -> str:
    """PEM text from the variable `name` (line breaks may be written `\\n`) or from the file `<name>_FILE` names."""
    path = env.str(f"{name}_FILE", default="")
    if not path:
        return env.str(name, default="")
    try:
        return Path(path).read_text()
    except OSError as exc:
        raise ImproperlyConfigured(f"{name}_FILE is {path!r}, which cannot be read: {exc}") from None


# JWTs are signed with an asymmetric key and verified by its public half (apps/identity/signing.py,
# logitrack/jwks.py): JWT_SIGNING_KEY is the private key tokens are signed with (Ed25519 preferred, RSA 2048+
# accepted), named by its RFC 7638 thumbprint in each token's `kid`; JWT_VERIFICATION_KEYS holds older keys
# (public halves suffice), still accepted and published at /.well-known/jwks.json until their tokens expired.
# Unset, a key derived from SECRET_KEY signs (development only; production refuses it). Rotation: docs/production.md.
JWT_SIGNING_KEY = _pem_setting("JWT_SIGNING_KEY")
JWT_VERIFICATION_KEYS = _pem_setting("JWT_VERIFICATION_KEYS")
JWT_ISSUER = env.str("JWT_ISSUER", default="logitrack")  # `iss` of every token, checked by every verifier
JWT_AUDIENCE = env.str("JWT_AUDIENCE", default="logitrack")  # `aud`: the platform's API and its extracted services
JWT_LEEWAY_SECONDS = env.float("JWT_LEEWAY_SECONDS", default=0)  # clock skew allowed on `exp`
JWKS_MAX_AGE_SECONDS = env.int("JWKS_MAX_AGE_SECONDS", default=300)  # Cache-Control of /.well-known/jwks.json
# A process that is not the platform (billing run as its own service) verifies access tokens with the public keys
# alone: LOGITRACK_AUTH=jwks makes logitrack.http.remote_auth.JWKSAuthentication its only REST authentication,
# fetching the key set from JWT_JWKS_URL (kept JWT_JWKS_MAX_AGE_SECONDS, fetched again at once for an unknown kid
# but at most every JWT_JWKS_MIN_REFETCH_SECONDS).
LOGITRACK_AUTH = env.str("LOGITRACK_AUTH", default="platform")
JWT_JWKS_URL = env.str("JWT_JWKS_URL", default="")
JWT_JWKS_MAX_AGE_SECONDS = env.float("JWT_JWKS_MAX_AGE_SECONDS", default=300)
JWT_JWKS_MIN_REFETCH_SECONDS = env.float("JWT_JWKS_MIN_REFETCH_SECONDS", default=30)
JWT_JWKS_TIMEOUT_SECONDS = env.float("JWT_JWKS_TIMEOUT_SECONDS", default=3)
if LOGITRACK_AUTH not in ("platform", "jwks"):
    raise ImproperlyConfigured(f"LOGITRACK_AUTH is {LOGITRACK_AUTH!r}: platform or jwks")
if LOGITRACK_AUTH == "jwks":
    if not JWT_JWKS_URL:
        raise ImproperlyConfigured("LOGITRACK_AUTH=jwks needs JWT_JWKS_URL (the platform's /.well-known/jwks.json)")
    # identity's API keys and sessions live in its tables: a service without them takes access tokens only
    REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] = ["logitrack.http.remote_auth.JWKSAuthentication"]
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": _dt.timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=5)),
    "REFRESH_TOKEN_LIFETIME": _dt.timedelta(days=env.int("JWT_REFRESH_DAYS", default=14)),
    # identity's key set signs and verifies (signing.KeySetBackend replaces simplejwt's backend): no SECRET_KEY here
    "SIGNING_KEY": None,
    "ALGORITHM": "EdDSA",
    "AUDIENCE": JWT_AUDIENCE or None,
    "ISSUER": JWT_ISSUER or None,
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "sub",
    "AUTH_HEADER_TYPES": ("Bearer",),
    "UPDATE_LAST_LOGIN": False,
    "CHECK_REVOKE_TOKEN": True,  # a password change invalidates access tokens already issued
}
LOGITRACK_PRINCIPAL_LOADER = "apps.identity.api.principal_get"
# An open websocket asks this often whether its access token still holds (logout, password change), closing with
# 4401 when not (logitrack.realtime); a new connection is checked at once. 0: only the token's expiry ends it.
REALTIME_AUTH_RECHECK_SECONDS = env.float("REALTIME_AUTH_RECHECK_SECONDS", default=60)
# A user's principal (roles, fleets) and an API key are cached this long in Redis, forgotten on every change
# (apps/identity/principals.py); 0 without Redis: a per-process cache could not be told of changes made elsewhere.
IDENTITY_PRINCIPAL_CACHE_SECONDS = env.int("IDENTITY_PRINCIPAL_CACHE_SECONDS", default=60 if REDIS_URL else 0)
# API keys of integrators' service accounts (apps/identity/services/api_keys.py). The hash key turns a presented
# secret into what the database holds: changing it invalidates every key, so it is its own setting, not SECRET_KEY
# (whose rotation must not break integrations); the default derives one from SECRET_KEY for development.
API_KEY_HASH_SECRET = env.str("API_KEY_HASH_SECRET", default="api-keys:" + SECRET_KEY)
API_KEY_DEFAULT_DAYS = env.int("API_KEY_DEFAULT_DAYS", default=90)  # a key asked for without an expiry
API_KEY_MAX_DAYS = env.int("API_KEY_MAX_DAYS", default=365)  # no key lives longer
API_KEY_ROTATION_GRACE_HOURS = env.int("API_KEY_ROTATION_GRACE_HOURS", default=24)  # a rotated key works this long
API_KEY_LAST_USED_SECONDS = env.int("API_KEY_LAST_USED_SECONDS", default=60)  # last-used written at most this often
LOGITRACK_APP_URL = env.str("LOGITRACK_APP_URL", default="http://127.0.0.1:8000")
LOGITRACK_TRUSTED_PROXIES = env.int("LOGITRACK_TRUSTED_PROXIES", default=0)
LOGIN_FAILURES_PER_ACCOUNT = env.int("LOGIN_FAILURES_PER_ACCOUNT", default=5)
LOGIN_FAILURES_PER_IP = env.int("LOGIN_FAILURES_PER_IP", default=30)
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", default=15 * 60)
# The login guard: django-axes, its counts in the database, shared by the admin, /login/ and the token endpoint.
# The guard checks every login's password (the admin's too); ModelBackend serves sessions and permissions.
AUTHENTICATION_BACKENDS = ["apps.identity.login_guard.LoginGuardBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_HANDLER = "apps.identity.login_guard.LoginGuardHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # an account or an address, each with its own limit
AXES_FAILURE_LIMIT = "apps.identity.login_guard.account_failure_limit"
AXES_COOLOFF_TIME = "apps.identity.login_guard.lockout_period"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a lockout lasts its period, however often it is hit
AXES_USERNAME_FORM_FIELD = "username"  # the credential's name in authenticate(), for every form
AXES_USERNAME_CALLABLE = "apps.identity.login_guard.login_name"
AXES_CLIENT_IP_CALLABLE = "apps.identity.login_guard.client_address"  # honours LOGITRACK_TRUSTED_PROXIES
AXES_LOCKOUT_CALLABLE = "apps.identity.login_guard.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # no record of every successful login (personal data we have no use for)
AXES_ENABLE_ADMIN = False  # identity registers the failure counts for platform admins only
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60)
INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=7)
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth"] = env.str("THROTTLE_AUTH", default="30/min")
DOCUMENT_EXPIRY_WARNING_DAYS = env.int("DOCUMENT_EXPIRY_WARNING_DAYS", default=30)
# KYC documents: a warning (KycDocumentExpiringV1) when this many days or fewer are left, once per threshold
DOCUMENT_EXPIRY_WARNING_THRESHOLDS = [
    int(d) for d in env.list("DOCUMENT_EXPIRY_WARNING_THRESHOLDS", default=["30", "7", "1"]) if str(d).strip()
]

# ---- the admin console (config/console/README.md) ----------------------------------------------------------------
# The manager's overview keeps its figures this long per fleets, period and day (0: built on every load)
CONSOLE_OVERVIEW_CACHE_SECONDS = env.int("CONSOLE_OVERVIEW_CACHE_SECONDS", default=30)

# ---- road estimates (quotes, fares without an odometer figure, the routing matrix) ---------------------
# One factor and one speed table for every context: a quote, a trip's fallback distance and a route plan agree.
# BILLING_DETOUR_FACTOR and DISPATCH_DETOUR_FACTOR were its two names before (trips also had a literal 1.3 for
# fares without an odometer figure); they are still read, in that order, so an upgrade keeps a tuned factor.
ROAD_DETOUR_FACTOR = env.float(
    "ROAD_DETOUR_FACTOR",
    default=env.float("BILLING_DETOUR_FACTOR", default=env.float("DISPATCH_DETOUR_FACTOR", default=1.3)),
)
ROAD_SPEED_KMH = {"default": 25, "bike": 15, "car": 30, "van": 25, "truck": 20}  # city speeds per vehicle type

# ---- billing -------------------------------------------------------------------------------------
BILLING_PLATFORM_COMMISSION_BPS = env.int("BILLING_PLATFORM_COMMISSION_BPS", default=200)  # 2% of each net fare
BILLING_POINTS_PER_100_MINOR = env.int("BILLING_POINTS_PER_100_MINOR", default=1)  # 1 point per currency unit spent
BILLING_POINT_VALUE_MINOR = env.int("BILLING_POINT_VALUE_MINOR", default=1)  # a point is worth 1 cent when redeemed
BILLING_TOPUP_PENDING_HOURS = env.int("BILLING_TOPUP_PENDING_HOURS", default=24)  # unconfirmed top-ups then expire
# Payment providers whose signed webhooks confirm top-ups (apps/billing/payments); one without a secret accepts none.
BILLING_PAYMENT_PROVIDERS = {
    "psp": {
        "CLASS": "apps.billing.payments.signed_webhook.SignedWebhookProvider",
        "SECRETS": env.list("BILLING_PSP_WEBHOOK_SECRETS", default=[]),  # the first signs; all verify (rotation)
        "TOLERANCE_SECONDS": env.int("BILLING_PSP_WEBHOOK_TOLERANCE_SECONDS", default=300),
    },
}
# Contexts as services of their own (docs/production.md, "Billing as its own service"; logitrack.remote), per
# context by its name. Callers' side: <NAME>_API_MODE "inprocess" calls apps.<name>.api directly (the default, one
# process); "remote" calls its internal HTTP API at <NAME>_SERVICE_URL with <NAME>_SERVICE_TOKEN. The serving side:
# <NAME>_SERVICE_TOKENS, the credentials it accepts (the first the current one; add the next before callers switch
# to it); none: /internal/<name>/ does not exist. Billing: the platform's processes call it when it runs apart.
BILLING_API_MODE = env.str("BILLING_API_MODE", default="inprocess")
BILLING_SERVICE_URL = env.str("BILLING_SERVICE_URL", default="")
BILLING_SERVICE_TOKEN = env.str("BILLING_SERVICE_TOKEN", default="")
BILLING_SERVICE_TOKENS = env.list("BILLING_SERVICE_TOKENS", default=[])
# Fleet, partner and identity: billing's own processes call them on the platform. PLATFORM_* set the three at once
# (billing's processes: mode, URL, token; the platform's: the tokens it accepts); <NAME>_* override one of them.
PLATFORM_API_MODE = env.str("PLATFORM_API_MODE", default="inprocess")
PLATFORM_SERVICE_URL = env.str("PLATFORM_SERVICE_URL", default="")
PLATFORM_SERVICE_TOKEN = env.str("PLATFORM_SERVICE_TOKEN", default="")
PLATFORM_SERVICE_TOKENS = env.list("PLATFORM_SERVICE_TOKENS", default=[])
FLEET_API_MODE = env.str("FLEET_API_MODE", default=PLATFORM_API_MODE)
FLEET_SERVICE_URL = env.str("FLEET_SERVICE_URL", default=PLATFORM_SERVICE_URL)
FLEET_SERVICE_TOKEN = env.str("FLEET_SERVICE_TOKEN", default=PLATFORM_SERVICE_TOKEN)
FLEET_SERVICE_TOKENS = env.list("FLEET_SERVICE_TOKENS", default=PLATFORM_SERVICE_TOKENS)
PARTNER_API_MODE = env.str("PARTNER_API_MODE", default=PLATFORM_API_MODE)
PARTNER_SERVICE_URL = env.str("PARTNER_SERVICE_URL", default=PLATFORM_SERVICE_URL)
PARTNER_SERVICE_TOKEN = env.str("PARTNER_SERVICE_TOKEN", default=PLATFORM_SERVICE_TOKEN)
PARTNER_SERVICE_TOKENS = env.list("PARTNER_SERVICE_TOKENS", default=PLATFORM_SERVICE_TOKENS)
IDENTITY_API_MODE = env.str("IDENTITY_API_MODE", default=PLATFORM_API_MODE)
IDENTITY_SERVICE_URL = env.str("IDENTITY_SERVICE_URL", default=PLATFORM_SERVICE_URL)
IDENTITY_SERVICE_TOKEN = env.str("IDENTITY_SERVICE_TOKEN", default=PLATFORM_SERVICE_TOKEN)
IDENTITY_SERVICE_TOKENS = env.list("IDENTITY_SERVICE_TOKENS", default=PLATFORM_SERVICE_TOKENS)
TRACKING_LINK_HOURS = env.int("TRACKING_LINK_HOURS", default=24)  # how long a customer tracking link works
OFFER_TIMEOUT_SECONDS = env.int("OFFER_TIMEOUT_SECONDS", default=45)  # a driver answers an offer within this
# A drop-off PIN has 10,000 values: after this many wrong ones a stop takes no PIN for the window (429)
TRIP_PIN_MAX_FAILURES = env.int("TRIP_PIN_MAX_FAILURES", default=5)
TRIP_PIN_LOCK_MINUTES = env.int("TRIP_PIN_LOCK_MINUTES", default=15)

# ---- dispatch ------------------------------------------------------------------------------------
DISPATCH_LIVE_STORE = env.str("DISPATCH_LIVE_STORE", default="redis" if REDIS_URL else "memory")
DISPATCH_LIVE_PREFIX = env.str("DISPATCH_LIVE_PREFIX", default="lt:live")
DISPATCH_LIVE_TTL_SECONDS = env.int("DISPATCH_LIVE_TTL_SECONDS", default=120)  # a silent driver leaves the map
# a driver-app socket counts as connected this long after its last message (pings, heartbeats) unless it closes
DISPATCH_PRESENCE_TTL_SECONDS = env.float("DISPATCH_PRESENCE_TTL_SECONDS", default=60)
DISPATCH_HISTORY_DAYS = env.int("DISPATCH_HISTORY_DAYS", default=30)  # GPS trail kept this long
DISPATCH_DUTY_RECHECK_SECONDS = env.int("DISPATCH_DUTY_RECHECK_SECONDS", default=15)
DISPATCH_FLUSH_MS = env.int("DISPATCH_FLUSH_MS", default=40)  # websocket pings are batched this long at most
DISPATCH_MATRIX_PROVIDER = env.str("DISPATCH_MATRIX_PROVIDER", default="apps.dispatch.matrix.GreatCircleProvider")
# a road network's travel times (apps.dispatch.matrix.OsrmProvider or ValhallaProvider as the provider above)
DISPATCH_ROAD_SERVER_URL = env.str("DISPATCH_ROAD_SERVER_URL", default="")  # unset: the built-in estimate
DISPATCH_ROAD_PROFILES = env.json("DISPATCH_ROAD_PROFILES", default={})  # vehicle type -> profile/costing
DISPATCH_ROAD_TIMEOUT_SECONDS = env.float("DISPATCH_ROAD_TIMEOUT_SECONDS", default=5.0)  # per request
DISPATCH_ROAD_MAX_LOCATIONS = env.int("DISPATCH_ROAD_MAX_LOCATIONS", default=100)  # table blocks of n × n at most
DISPATCH_ROAD_RETRY_SECONDS = env.float("DISPATCH_ROAD_RETRY_SECONDS", default=60.0)  # estimate only, after a failure
DISPATCH_SEARCH_RADIUS_M = env.int("DISPATCH_SEARCH_RADIUS_M", default=15_000)  # matching looks this far
DISPATCH_CANDIDATES = env.int("DISPATCH_CANDIDATES", default=20)  # nearest drivers considered per match
DISPATCH_MAX_OFFERS = env.int("DISPATCH_MAX_OFFERS", default=3)  # refusals before a dispatcher is asked
DISPATCH_MATCHING_STRATEGY = env.str(
    "DISPATCH_MATCHING_STRATEGY", default="apps.dispatch.matching.NearestEligibleDriver"
)
DISPATCH_AT_RISK_SECONDS = env.int("DISPATCH_AT_RISK_SECONDS", default=600)  # less slack than this: at risk
DISPATCH_STALE_SECONDS = env.int("DISPATCH_STALE_SECONDS", default=120)  # no ping for longer: the driver is stale
DISPATCH_OFFER_ALERT_SECONDS = env.int("DISPATCH_OFFER_ALERT_SECONDS", default=60)  # an offer unanswered this long
DISPATCH_PAPERS_WARN_DAYS = env.int("DISPATCH_PAPERS_WARN_DAYS", default=7)  # papers expiring within: an alert
DISPATCH_BOARD_EVERY_SECONDS = env.float("DISPATCH_BOARD_EVERY_SECONDS", default=10.0)  # the `board` message's beat
DISPATCH_TRACKING_EVERY_SECONDS = env.int("DISPATCH_TRACKING_EVERY_SECONDS", default=20)  # tracking-page refresh
DISPATCH_MAX_ROUTE_HOURS = env.int("DISPATCH_MAX_ROUTE_HOURS", default=10)  # longest route a plan gives a driver
# route plans: a trip whose drop-offs did not declare their shares unloads equal shares at its last drop-offs (on), or
# keeps all of it on to the last stop (off: equal shares can overload a van when drop-offs are uneven)
DISPATCH_SPLIT_LOAD_AT_DROPOFFS = env.bool("DISPATCH_SPLIT_LOAD_AT_DROPOFFS", default=False)
DISPATCH_SOLVER_WORKERS = env.int(
    "DISPATCH_SOLVER_WORKERS", default=1
)  # searches per job (the routing queue runs one job per core)
# route plans whose model PyVRP solves exactly (depot rounds) are solved by PyVRP and OR-Tools, the shorter checked
# plan kept (apps/dispatch/optimization/portfolio.py); off: OR-Tools alone
DISPATCH_SOLVER_PORTFOLIO = env.bool("DISPATCH_SOLVER_PORTFOLIO", default=True)
DISPATCH_JOB_MAX_ATTEMPTS = env.int("DISPATCH_JOB_MAX_ATTEMPTS", default=2)  # a job whose worker died is retried once
DISPATCH_JOB_QUEUE_TIMEOUT_MINUTES = env.int(
    "DISPATCH_JOB_QUEUE_TIMEOUT_MINUTES", default=15
)  # never picked up: failed
DISPATCH_JOB_GRACE_SECONDS = env.int(
    "DISPATCH_JOB_GRACE_SECONDS", default=180
)  # past its limit + this, a running job is presumed dead

# ---- notifications: SMS and push channels (apps/notifications/README.md) ------------------------------
# Twilio's Messages API; the base URL is a setting so tests (and a regional edge) can point it elsewhere
NOTIFICATIONS_TWILIO_BASE_URL = env.str("NOTIFICATIONS_TWILIO_BASE_URL", default="https://api.twilio.com")
NOTIFICATIONS_TWILIO_ACCOUNT_SID = env.str("NOTIFICATIONS_TWILIO_ACCOUNT_SID", default="")
NOTIFICATIONS_TWILIO_AUTH_TOKEN = env.str("NOTIFICATIONS_TWILIO_AUTH_TOKEN", default="")
NOTIFICATIONS_TWILIO_FROM = env.str("NOTIFICATIONS_TWILIO_FROM", default="")  # an E.164 number or sender id
# when set, Twilio picks the sender from this Messaging Service's pool (From is not sent)
NOTIFICATIONS_TWILIO_MESSAGING_SERVICE_SID = env.str("NOTIFICATIONS_TWILIO_MESSAGING_SERVICE_SID", default="")
NOTIFICATIONS_SMS_TIMEOUT_SECONDS = env.float("NOTIFICATIONS_SMS_TIMEOUT_SECONDS", default=10)
# Web Push (VAPID): `manage.py notifications_vapid_keys` prints a pair; the subject is how push services reach us
NOTIFICATIONS_VAPID_PRIVATE_KEY = env.str("NOTIFICATIONS_VAPID_PRIVATE_KEY", default="")
NOTIFICATIONS_VAPID_PUBLIC_KEY = env.str("NOTIFICATIONS_VAPID_PUBLIC_KEY", default="")
NOTIFICATIONS_VAPID_SUBJECT = env.str("NOTIFICATIONS_VAPID_SUBJECT", default="mailto:ops@logitrack.invalid")
NOTIFICATIONS_PUSH_TIMEOUT_SECONDS = env.float("NOTIFICATIONS_PUSH_TIMEOUT_SECONDS", default=10)
# how long a push service keeps a message for an offline device (an `expires_at` in the message's data caps it)
NOTIFICATIONS_PUSH_TTL_SECONDS = env.int("NOTIFICATIONS_PUSH_TTL_SECONDS", default=86_400)
# Push endpoints come from browsers, so they are checked: https on these push services' hosts only (a leading
# dot: any subdomain), never an address inside our network. Tests allow a local fake explicitly.
NOTIFICATIONS_PUSH_HOSTS = env.list(
    "NOTIFICATIONS_PUSH_HOSTS",
    default=["fcm.googleapis.com", ".push.services.mozilla.com", ".push.apple.com", ".notify.windows.com"],
)
NOTIFICATIONS_PUSH_ALLOW_HTTP = env.bool("NOTIFICATIONS_PUSH_ALLOW_HTTP", default=False)  # tests' local fake only

# ---- notifications: webhooks for integrators (apps/notifications/webhooks) -------------------------------------
# Retries run for this long after a delivery's first try (or its replay), then it is dead (replayable).
NOTIFICATIONS_WEBHOOK_RETRY_FOR_SECONDS = env.int("NOTIFICATIONS_WEBHOOK_RETRY_FOR_SECONDS", default=3 * 24 * 3600)
NOTIFICATIONS_WEBHOOK_RETRY_BASE_SECONDS = env.float("NOTIFICATIONS_WEBHOOK_RETRY_BASE_SECONDS", default=30.0)
NOTIFICATIONS_WEBHOOK_RETRY_MAX_SECONDS = env.float("NOTIFICATIONS_WEBHOOK_RETRY_MAX_SECONDS", default=3600.0)
# An endpoint that has failed without one success for this many days is switched off and its managers told.
NOTIFICATIONS_WEBHOOK_DISABLE_AFTER_DAYS = env.float("NOTIFICATIONS_WEBHOOK_DISABLE_AFTER_DAYS", default=3)
# After a secret rotation the old secret still signs (a second v1=) for this long.
NOTIFICATIONS_WEBHOOK_ROTATION_GRACE_SECONDS = env.int("NOTIFICATIONS_WEBHOOK_ROTATION_GRACE_SECONDS", default=86400)
NOTIFICATIONS_WEBHOOK_CONNECT_TIMEOUT_SECONDS = env.float("NOTIFICATIONS_WEBHOOK_CONNECT_TIMEOUT_SECONDS", default=5.0)
NOTIFICATIONS_WEBHOOK_READ_TIMEOUT_SECONDS = env.float("NOTIFICATIONS_WEBHOOK_READ_TIMEOUT_SECONDS", default=10.0)
NOTIFICATIONS_WEBHOOK_MAX_RESPONSE_BYTES = env.int("NOTIFICATIONS_WEBHOOK_MAX_RESPONSE_BYTES", default=16 * 1024)
# A worker's claim on a due delivery; longer than connect + read timeouts, so a live claim is never retaken.
NOTIFICATIONS_WEBHOOK_LEASE_SECONDS = env.int("NOTIFICATIONS_WEBHOOK_LEASE_SECONDS", default=60)
NOTIFICATIONS_WEBHOOK_SWEEP_SECONDS = env.float("NOTIFICATIONS_WEBHOOK_SWEEP_SECONDS", default=15.0)
NOTIFICATIONS_WEBHOOK_SWEEP_BATCH = env.int("NOTIFICATIONS_WEBHOOK_SWEEP_BATCH", default=100)
# Development and tests only: endpoints on 127.0.0.1 / ::1. Private, link-local and other addresses stay refused.
NOTIFICATIONS_WEBHOOK_ALLOW_LOOPBACK = env.bool("NOTIFICATIONS_WEBHOOK_ALLOW_LOOPBACK", default=False)
# Sent and dead deliveries (with every attempt's request and response) are deleted after this many days (nightly).
NOTIFICATIONS_WEBHOOK_LOG_DAYS = env.float("NOTIFICATIONS_WEBHOOK_LOG_DAYS", default=30)
# The key that encrypts stored signing secrets (derived from SECRET_KEY when empty).
NOTIFICATIONS_WEBHOOK_SECRET_KEY = env.str("NOTIFICATIONS_WEBHOOK_SECRET_KEY", default="")
