from django.apps import AppConfig


class DatabasesConfig(AppConfig):
    """The kernel's database tools: context aliases, the router, and `context_copy` (no tables of its own)."""

    name = "logitrack.db"
    label = "kernel_db"
    verbose_name = "Databases"
