"""Which database each bounded context writes to.

Every context has a database alias of its own (`alias("billing")`). With no `DATABASE_URL_<CONTEXT>` set,
every alias is `default`: one database, one connection, nothing changes for the embedded default or a small
deployment. Set `DATABASE_URL_BILLING` and billing's tables, its transactions and its outbox rows move to
the `billing` alias (docs/extraction.md).

A context opens its transactions with `atomic(<its name>)`, never with a bare `transaction.atomic()`: on a
split deployment a bare one guards `default` only, and the context's writes would commit one by one.

Why not an alias per context that merely points at the same database: Django gives every alias its own
connection, so a transaction could not span them, and on SQLite two connections in one thread writing at once
wait for each other until the lock times out.
"""

from collections.abc import Callable
from contextlib import ContextDecorator
from types import TracebackType
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction

# Context that owns each app's tables. Django's shared tables (users' groups and permissions, sessions, the
# admin log, login attempts, beat's schedule) belong to identity, whose alias is always `default`.
# Kernel tables (outbox, inbox, dead letters, idempotency keys) exist in every context's database: each
# context writes its own rows in its own transaction.
CONTEXTS = ("identity", "fleet", "partner", "billing", "trips", "dispatch", "notifications")
OWNER = {
    **{context: context for context in CONTEXTS},
    "auth": "identity",
    "admin": "identity",
    "sessions": "identity",
    "axes": "identity",
    "django_celery_beat": "identity",
    "console": "identity",
    "demo": "identity",
}
KERNEL_APPS = frozenset({"outbox", "idempotency", "contenttypes"})


def alias(context: str) -> str:
    """The database alias of `context` (`default` unless the context has a database of its own)."""
    if context not in OWNER:
        raise LookupError(f"no such context: {context!r}")
    configured: dict[str, str] = getattr(settings, "CONTEXT_DATABASES", {})
    return configured.get(OWNER[context], DEFAULT_DB_ALIAS)


def context_of_module(module: str) -> str | None:
    """The context whose code `module` is (`apps.billing.handlers` -> billing, `config.demo...` -> identity), None
    for the kernel's and the tests' own code. Subscribers and idempotent views write their kernel rows (inbox, dead
    letters, idempotency keys) on the alias of the context whose code they are."""
    parts = module.split(".")
    if len(parts) > 1 and parts[0] == "apps" and parts[1] in CONTEXTS:
        return parts[1]
    if len(parts) > 1 and parts[0] == "config" and parts[1] in OWNER:
        return OWNER[parts[1]]
    return None


def alias_of(context: str | None) -> str:
    """`alias(context)`, and `default` for code and events of no context (the kernel's, the tests' ping/pong)."""
    return alias(context) if context is not None and context in OWNER else DEFAULT_DB_ALIAS


def split() -> bool:
    """True when at least one context has a database of its own."""
    return bool(getattr(settings, "CONTEXT_DATABASES", {}))


def aliases() -> list[str]:
    """Every distinct alias a context writes to, `default` first (where relays and sweeps must look)."""
    found = [DEFAULT_DB_ALIAS]
    for context in CONTEXTS:
        name = alias(context)
        if name not in found:
            found.append(name)
    return found


class atomic(ContextDecorator):  # lower case: used like transaction.atomic
    """`transaction.atomic` on `context`'s database, as a context manager or a decorator.

    The alias is looked up on entry, not when a decorated function is defined, so settings decide at run time.
    """

    def __init__(self, context: str, *, savepoint: bool = True, durable: bool = False) -> None:
        alias(context)  # an unknown context fails where it is written
        self.context, self.savepoint, self.durable = context, savepoint, durable
        self._inner: transaction.Atomic | None = None

    def _recreate_cm(self) -> "atomic":
        return atomic(self.context, savepoint=self.savepoint, durable=self.durable)  # one per call: re-entrant

    def __enter__(self) -> None:
        self._inner = transaction.atomic(using=alias(self.context), savepoint=self.savepoint, durable=self.durable)
        self._inner.__enter__()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._inner is not None
        self._inner.__exit__(exc_type, exc, tb)


def on_commit(func: Callable[[], Any], context: str, *, robust: bool = False) -> None:
    """Run `func` once `context`'s current transaction commits (at once outside one)."""
    transaction.on_commit(func, using=alias(context), robust=robust)


def current_alias() -> str:
    """The database whose transaction the caller is in, for kernel helpers that a context calls inside its own
    transaction without naming itself (`jobs.enqueue_on_commit`, `files.recheck_and_tally`): the alias with the
    deepest open atomic block, a context's before default on a tie (a test wraps every alias in one); default
    when none is open or nothing is split."""
    found = DEFAULT_DB_ALIAS
    if not split():
        return found
    depth = len(connections[found].atomic_blocks)
    for name in aliases()[1:]:
        mine = len(connections[name].atomic_blocks)
        if mine and mine >= depth:
            found, depth = name, mine
    return found
