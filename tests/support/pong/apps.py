from django.apps import AppConfig


class PongConfig(AppConfig):
    name = "tests.support.pong"
    label = "pong"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tests.support.pong import handlers  # noqa: F401
