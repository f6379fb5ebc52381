from django.apps import AppConfig


class PingConfig(AppConfig):
    name = "tests.support.ping"
    label = "ping"
    default_auto_field = "django.db.models.BigAutoField"
