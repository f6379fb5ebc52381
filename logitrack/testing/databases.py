"""Test helpers over every context's database (logitrack/db/contexts.py).

Split (scripts/test-split.sh), each context writes to its own alias: a test that rolls back everything the code
under test wrote, or that reads the kernel's rows of every context, has to look at each alias, not at default
only. With one database every helper acts on default alone, as before.
"""

import contextlib
from collections.abc import Iterator
from typing import Any

from django.apps import apps as django_apps
from django.db import DEFAULT_DB_ALIAS, router, transaction
from django.db.models import Max, Model

from logitrack.db import contexts


@contextlib.contextmanager
def atomic_everywhere() -> Iterator[None]:
    """One `transaction.atomic` on every context's database, for code that writes to several contexts at once
    (the demo's seeding, a test's world)."""
    with contextlib.ExitStack() as stack:
        for using in contexts.aliases():
            stack.enter_context(transaction.atomic(using=using))
        yield


def set_rollback_everywhere() -> None:
    """Mark the open transaction of every context's database for rollback (inside `atomic_everywhere`)."""
    for using in contexts.aliases():
        transaction.set_rollback(True, using=using)


def rows_everywhere(model: type[Model], **filters: Any) -> list[Any]:
    """The rows of a kernel model (outbox messages, inbox records, dead letters, idempotency keys) matching
    `filters` on every context's database, default's first."""
    return [row for using in contexts.aliases() for row in model._default_manager.using(using).filter(**filters)]


def count_everywhere(model: type[Model], **filters: Any) -> int:
    """How many rows of a kernel model match `filters` over every context's database."""
    return sum(model._default_manager.using(using).filter(**filters).count() for using in contexts.aliases())


def get_everywhere(model: type[Model], **filters: Any) -> Any:
    """The one row of a kernel model matching `filters` on any context's database (DoesNotExist or
    MultipleObjectsReturned otherwise, as `.get`)."""
    found = rows_everywhere(model, **filters)
    # every concrete model has both
    missing: type[Exception] = model.DoesNotExist  # type: ignore[attr-defined]
    several: type[Exception] = model.MultipleObjectsReturned  # type: ignore[attr-defined]
    if not found:
        raise missing(f"no {model.__name__} matches {filters} on {contexts.aliases()}")
    if len(found) > 1:
        raise several(f"{len(found)} {model.__name__} rows match {filters}")
    return found[0]


def last_ids(model: type[Model]) -> dict[str, int]:
    """The highest id of a kernel model on every context's database, to read what came since (`rows_since`)."""
    return {using: model._default_manager.using(using).aggregate(m=Max("id"))["m"] or 0 for using in contexts.aliases()}


def rows_since(model: type[Model], marks: dict[str, int]) -> list[Any]:
    """The rows of a kernel model written since `last_ids` took `marks`, over every context's database."""
    return [
        row
        for using, start in marks.items()
        for row in model._default_manager.using(using).filter(id__gt=start).order_by("id")
    ]


def alias_of_table(table: str) -> str:
    """The database alias where the model whose table is `table` lives (default for the kernel's and unknown)."""
    for model in django_apps.get_models(include_auto_created=True):
        if model._meta.db_table == table:
            return router.db_for_write(model) or DEFAULT_DB_ALIAS
    return DEFAULT_DB_ALIAS
