from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "logitrack.outbox"
    label = "outbox"
    verbose_name = "Event outbox"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from logitrack import bus, hosting
        from logitrack.outbox import checks  # noqa: F401  (registers the system checks)

        # a context this process does not run has its subscriptions served by its own processes
        bus.limit_to(lambda sub: hosting.hosted_module(sub.handler.__module__))
