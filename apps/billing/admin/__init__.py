"""Billing in the admin, one module per topic; importing them registers their pages (Django's admin autodiscovery
imports this package). Who sees which rows is decided in apps/billing/selectors.py."""

from apps.billing.admin import fares, invoices, ledger, payouts, topups  # noqa: F401  (registers the pages)
