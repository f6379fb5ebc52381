"""A split deployment (a context on a database of its own) is PostgreSQL throughout: on SQLite every alias would be
one more file written by a connection of its own, and mixed engines would make the kernel's per-database tables
behave differently from one context to the next."""

from typing import Any

from django.conf import settings
from django.core import checks

POSTGRESQL = "logitrack.db.backends.postgresql"


@checks.register()
def split_on_postgresql(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    configured: dict[str, str] = getattr(settings, "CONTEXT_DATABASES", {})
    if not configured:
        return []
    errors: list[checks.CheckMessage] = []
    missing = sorted(a for a in configured.values() if a not in settings.DATABASES)
    if missing:
        errors.append(
            checks.Error(f"CONTEXT_DATABASES names aliases DATABASES lacks: {', '.join(missing)}", id="db.E002")
        )
    engines = {
        alias: settings.DATABASES[alias]["ENGINE"]
        for alias in ["default", *configured.values()]
        if alias in settings.DATABASES
    }
    if any(engine != POSTGRESQL for engine in engines.values()):
        listed = ", ".join(f"{alias}: {engine}" for alias, engine in sorted(engines.items()))
        errors.append(
            checks.Error(
                f"a context on a database of its own needs PostgreSQL for every alias ({listed})",
                hint="set DATABASE_URL to PostgreSQL too, or unset the DATABASE_URL_<CONTEXT> variables",
                id="db.E001",
            )
        )
    return errors
