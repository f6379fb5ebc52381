"""Test helpers over every context's database (logitrack/db/contexts.py).

Split (scripts/test-split.sh), each context writes to its own alias: a test that rolls back everything the code
under test wrote, or that reads the kernel's rows of every context, has to look at each alias, not at default
only. With one database every helper acts on default alone, as before.
"""

import contextlib
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.db.models import Model

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
    if not found:
        raise model.DoesNotExist(f"no {model.__name__} matches {filters} on {contexts.aliases()}")
    if len(found) > 1:
        raise model.MultipleObjectsReturned(f"{len(found)} {model.__name__} rows match {filters}")
    return found[0]
