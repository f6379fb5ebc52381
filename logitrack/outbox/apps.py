from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "logitrack.outbox"
    label = "outbox"
    verbose_name = "Event outbox"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from logitrack.outbox import checks  # noqa: F401  (registers the system checks)
