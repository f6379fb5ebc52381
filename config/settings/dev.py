"""Local development: the embedded default unless DATABASE_URL / REDIS_URL say otherwise."""

from config.settings.base import *  # noqa: F403
from config.settings.base import CELERY_TASK_ALWAYS_EAGER, LOG_LEVEL, NOTIFICATIONS_ADAPTERS, REST_FRAMEWORK, env
from logitrack.logs import logging_config

DEBUG = env.bool("DJANGO_DEBUG", default=True)
LOG_JSON = env.bool("LOG_JSON", default=False)  # readable console lines on a developer's terminal
LOGGING = logging_config(level=LOG_LEVEL, json=LOG_JSON)
if CELERY_TASK_ALWAYS_EAGER:  # jobs run in this process: a line per job (offers checked every 15 s) is noise here
    LOGGING["loggers"]["celery.app.trace"] = {"level": "WARNING"}
if DEBUG:
    # a developer sees the SMS and pushes a driver or customer would get, printed (no provider, no VAPID keys
    # needed); an adapter named in NOTIFICATIONS_SMS_ADAPTER / NOTIFICATIONS_PUSH_ADAPTER wins. Production
    # (config.settings.prod) names its providers explicitly or suppresses the channel.
    NOTIFICATIONS_ADAPTERS.setdefault("sms", "apps.notifications.channels.sms.ConsoleSms")
    NOTIFICATIONS_ADAPTERS.setdefault("push", "apps.notifications.channels.push.ConsolePush")
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = [
        "logitrack.http.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ]
# The demo simulator signs some sixty phones in from this one address at start; production keeps 30/min.
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth"] = env.str("THROTTLE_AUTH", default="600/min")
