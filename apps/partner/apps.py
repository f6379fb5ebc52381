from django.apps import AppConfig


class PartnerConfig(AppConfig):
    name = "apps.partner"
    label = "partner"
    verbose_name = "Partner"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Subscriptions to other contexts' events register on import.
        from apps.partner import handlers  # noqa: F401
