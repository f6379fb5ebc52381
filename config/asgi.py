"""ASGI entry point: HTTP and websockets in one process (`daphne` / `uvicorn config.asgi:application`)."""

import gc
import os

from logitrack.http.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
django_asgi_app = get_asgi_application()  # populate the app registry before importing consumers

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from apps.identity.realtime import AuthStack  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402
from logitrack.realtime import browser_origin_validator, refuse_during_database_outage  # noqa: E402

if settings.CELERY_TASK_ALWAYS_EAGER and settings.EMBEDDED_PERIODIC_JOBS:
    # the embedded default has no beat process: its schedule runs here (logitrack.periodic)
    from config.celery import app as celery_app
    from logitrack.periodic import InProcessBeat

    InProcessBeat(celery_app, celery_app.conf.beat_schedule).start()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": browser_origin_validator(
            refuse_during_database_outage(AuthStack(URLRouter(websocket_urlpatterns)))
        ),
    }
)

# Garbage collection in the web process: everything loaded so far lives as long as the process, so it moves to
# the permanent generation (collections stop re-walking it), and young collections run every 50,000 net
# allocations instead of 700. Full collections were pausing the event loop for 100-200 ms every few seconds
# at 5,000 pings/s; with this the benchmark's p99 fell from ~145 ms to ~68 ms (docs/benchmarks.md).
gc.freeze()
gc.set_threshold(50_000, 20, 10)
