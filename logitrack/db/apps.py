from django.apps import AppConfig


class DatabasesConfig(AppConfig):
    """The kernel's database tools: context aliases, the router, and `context_copy` (no tables of its own)."""

    name = "logitrack.db"
    label = "kernel_db"
    verbose_name = "Databases"

    def ready(self) -> None:
        from logitrack import hosting  # noqa: F401  (registers the checks of the contexts this process runs)
        from logitrack.db import checks  # noqa: F401  (registers the split's system checks)
