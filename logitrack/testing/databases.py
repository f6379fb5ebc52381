"""Test helpers over every context's database (logitrack/db/contexts.py).

Split (scripts/test-split.sh), each context writes to its own alias: a test that rolls back everything the code
under test wrote, or that reads the kernel's rows of every context, has to look at each alias, not at default
only. With one database every helper acts on default alone, as before.
"""

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.db.models import Max, Model
from django.test.utils import CaptureQueriesContext

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


class CaptureQueriesEverywhere:
    """`CaptureQueriesContext` over every context's database: the queries the code under test ran wherever its
    contexts' tables are, in the order of the aliases (default first; with one database, default's alone)."""

    def __init__(self) -> None:
        self.per_alias = {using: CaptureQueriesContext(connections[using]) for using in contexts.aliases()}
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> "CaptureQueriesEverywhere":
        for capture in self.per_alias.values():
            self._stack.enter_context(capture)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.__exit__(*exc)  # type: ignore[arg-type]

    @property
    def captured_queries(self) -> list[dict[str, Any]]:
        return [query for capture in self.per_alias.values() for query in capture.captured_queries]

    def __len__(self) -> int:
        return len(self.captured_queries)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.captured_queries)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.captured_queries[index]


@contextlib.contextmanager
def assert_num_queries(
    num: int,
    connection: Any | None = None,
    info: str | None = None,
    *,
    exact: bool = True,
    verbose: bool = False,
    using: str | None = None,
) -> Iterator[Any]:
    """pytest-django's `django_assert_num_queries` (`exact=False`: `..._max_num_queries`), counting the queries on
    every context's database unless `connection` or `using` names one."""
    if connection is not None and using is not None:
        raise ValueError('The "connection" and "using" parameter cannot be used together')
    if connection is not None or using is not None:
        capture: Any = CaptureQueriesContext(connection if connection is not None else connections[str(using)])
    else:
        capture = CaptureQueriesEverywhere()
    with capture:
        yield capture
    performed = len(capture)
    if (num != performed) if exact else (performed > num):
        msg = f"Expected to perform {num} queries {'' if exact else 'or less '}but {performed} "
        msg += f"{'was' if performed == 1 else 'were'} done"
        if info:
            msg += f"\n{info}"
        if verbose:
            msg += "\n\nQueries:\n========\n\n" + "\n\n".join(q["sql"] for q in capture.captured_queries)
        else:
            msg += " (add -v option to show queries)"
        pytest.fail(msg)


def alias_of_table(table: str) -> str:
    """The database alias where the model whose table is `table` lives (default for the kernel's and unknown)."""
    for model in django_apps.get_models(include_auto_created=True):
        if model._meta.db_table == table:
            return router.db_for_write(model) or DEFAULT_DB_ALIAS
    return DEFAULT_DB_ALIAS
