from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo operator and its simulator: tooling of the composition root that spans every context."""

    name = "config.demo"
    label = "demo"
    verbose_name = "Demo operator"
