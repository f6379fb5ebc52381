"""The database router: each app's tables go to the alias of the context that owns them (contexts.py); the
tables of a context this process does not run (logitrack/hosting.py) are refused, and not migrated."""

from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Model

from logitrack import hosting
from logitrack.db import contexts


def _alias_of(model: type[Model]) -> str | None:
    label = model._meta.app_label
    if label in contexts.OWNER:
        if not hosting.hosted(label):
            raise hosting.ContextNotHosted(
                f"{model._meta.label} belongs to {contexts.OWNER[label]}, which this process does not run "
                f"(LOGITRACK_CONTEXTS): call it through its api"
            )
        return contexts.alias(label)
    return None  # kernel tables: the caller says where (`.using(...)`), else default


class ContextRouter:
    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        return _alias_of(model)

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        return _alias_of(model)

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        return (obj1._state.db or DEFAULT_DB_ALIAS) == (obj2._state.db or DEFAULT_DB_ALIAS)

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        if app_label in contexts.KERNEL_APPS:
            return True  # every context's database has its own outbox, inbox and content types
        if app_label in contexts.OWNER:
            return hosting.hosted(app_label) and contexts.alias(app_label) == db
        return db == DEFAULT_DB_ALIAS
