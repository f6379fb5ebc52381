"""The Celery app. Workers: `celery -A config worker -Q events` (event deliveries), `-Q default,notifications`;
routing: `-Q routing`."""

import os

from celery import Celery, signals
from celery.schedules import crontab

from config.env import env
from logitrack import correlation, hosting, metrics
from logitrack.heartbeats import HEARTBEAT_TASK, WORKER_QUEUES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("logitrack")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="tasks")
correlation.connect_celery()  # the request id travels in task headers (logitrack/correlation.py)
metrics.connect_celery()  # each task's wait in its queue, per queue (logitrack/metrics.py)


@signals.setup_logging.connect(weak=False)
def keep_settings_logging(**kwargs: object) -> None:
    """Workers and beat keep settings.LOGGING (JSON lines with the request id, level LOG_LEVEL) instead of Celery's own
    line format, which printed each structured line as a Python dict: one format for every process's lines."""


@signals.worker_process_shutdown.connect(weak=False)
def forget_live_gauges(pid: int | None = None, **kwargs: object) -> None:
    """A pool process that ends takes its live gauges out of the multiprocess metrics (logitrack/metrics.py); its
    counters still count. Pool processes leave with os._exit, so atexit would not run."""
    metrics.process_exited(pid)


# Periodic jobs: each entry names a task registered by its owning app (`<context>.<job>`); a context this process
# does not run (LOGITRACK_CONTEXTS) has its jobs scheduled by its own beat.
SCHEDULE = {
    "outbox-purge": {"task": "outbox.purge", "schedule": crontab(minute=17, hour=3)},
    "idempotency-purge": {"task": "idempotency.purge", "schedule": crontab(minute=7)},
    "identity-purge": {"task": "identity.purge", "schedule": crontab(minute=27)},
    "billing-catch-up-documents": {"task": "billing.catch_up_documents", "schedule": crontab(minute="*/10")},
    "billing-expire-topups": {"task": "billing.expire_topups", "schedule": crontab(minute=37)},
    # every ledger invariant, on one snapshot; the result is a metric an alert watches (docs/runbook.md)
    "billing-verify-ledger": {"task": "billing.verify_ledger", "schedule": crontab(minute=23)},
    "fleet-check-documents": {"task": "fleet.check_documents", "schedule": crontab(minute=30, hour=2)},
    "dispatch-prune-positions": {"task": "dispatch.prune_positions", "schedule": crontab(minute=50, hour=3)},
    "dispatch-reap-routing-jobs": {
        "task": "dispatch.reap_routing_jobs",
        "schedule": env.float("DISPATCH_JOB_REAP_SECONDS", default=60.0),
    },
    "dispatch-push-boards": {
        "task": "dispatch.push_boards",
        "schedule": env.float("DISPATCH_BOARD_EVERY_SECONDS", default=10.0),
    },
    "trips-expire-offers": {"task": "trips.expire_offers", "schedule": 15.0},
    "trips-cancel-stale": {"task": "trips.cancel_stale", "schedule": crontab(minute="*/5")},
    "notifications-sweep": {
        "task": "notifications.sweep",
        "schedule": env.float("NOTIFICATIONS_SWEEP_SECONDS", default=15.0),
    },
    "partner-expire-documents": {"task": "partner.expire_documents", "schedule": crontab(minute=45, hour=2)},
    "notifications-webhooks-purge": {"task": "notifications.webhooks_purge", "schedule": crontab(minute=41, hour=3)},
    # each fleet's digest goes at NOTIFICATIONS_DIGEST_HOUR in its own time zone: look every quarter of an hour
    "notifications-manager-digests": {"task": "notifications.manager_digests", "schedule": crontab(minute="*/15")},
    "notifications-webhooks-sweep": {
        "task": "notifications.webhooks_sweep",
        "schedule": env.float("NOTIFICATIONS_WEBHOOK_SWEEP_SECONDS", default=15.0),
    },
    # each worker queue's heartbeat (logitrack/heartbeats.py): whichever worker takes it off the queue beats for it;
    # one that waited past the staleness window is dropped unrun, so a queue too far behind shows as stale
    **{
        f"health-heartbeat-{queue}": {
            "task": HEARTBEAT_TASK,
            "schedule": env.float("HEALTH_HEARTBEAT_SECONDS", default=10.0),
            "args": (queue,),
            "options": {"queue": queue, "expires": env.float("HEALTH_STALE_SECONDS", default=60.0)},
        }
        for queue in WORKER_QUEUES
    },
}


def hosted_schedule() -> dict[str, dict[str, object]]:
    """SCHEDULE without the jobs of contexts other processes run."""
    return {name: entry for name, entry in SCHEDULE.items() if hosting.hosted(str(entry["task"]).split(".", 1)[0])}


app.conf.beat_schedule = hosted_schedule()
