"""Celery entry points of notifications, one module per feature (Celery's autodiscovery imports this package)."""

from apps.notifications.tasks import deliveries, managers, webhooks  # noqa: F401  (registers the tasks)
