"""Notifications in the admin, one module per feature; importing them registers their pages (Django's admin
autodiscovery imports this package)."""

from apps.notifications.admin import deliveries, preferences, webhooks  # noqa: F401  (registers the pages)
