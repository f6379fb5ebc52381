from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "apps.billing"
    label = "billing"
    verbose_name = "Billing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Subscriptions to other contexts' events and the system checks register on import.
        from apps.billing import checks, handlers  # noqa: F401
        from apps.billing.selectors import LedgerCheckCollector
        from logitrack import metrics

        metrics.register_scrape_collector(LedgerCheckCollector())  # the latest ledger check, read per scrape
