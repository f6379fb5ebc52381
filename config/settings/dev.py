"""Local development: the embedded default unless DATABASE_URL / REDIS_URL say otherwise."""

from config.settings.base import *  # noqa: F403
from config.settings.base import CELERY_TASK_ALWAYS_EAGER, LOG_LEVEL, REST_FRAMEWORK, env
from logitrack.logs import logging_config

DEBUG = env.bool("DJANGO_DEBUG", default=True)
LOG_JSON = env.bool("LOG_JSON", default=False)  # readable console lines on a developer's terminal
LOGGING = logging_config(level=LOG_LEVEL, json=LOG_JSON)
if CELERY_TASK_ALWAYS_EAGER:  # jobs run in this process: a line per job (offers checked every 15 s) is noise here
    LOGGING["loggers"]["celery.app.trace"] = {"level": "WARNING"}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ]
# The demo simulator signs some sixty phones in from this one address at start; production keeps 30/min.
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth"] = env.str("THROTTLE_AUTH", default="600/min")
