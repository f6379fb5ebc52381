"""A quicker flush after each transactional test (pytest's `transactional_db`, Django's TransactionTestCase), to the
same state as Django's.

Django's flush truncates every table of every database the test used, then emits post_migrate, which makes every
content type (on every database) and permission (on default) again. Split, that is seven databases and about 120
tables per test, some 2 s on the 2-core CI machine, most of it spent on tables the test never wrote. Here only the
tables that hold rows are truncated, and content types and permissions are kept when they are still exactly the rows
the last post_migrate made (same ids, same names): then post_migrate would have made the same rows again, only with
new ids. Otherwise, or if another post_migrate receiver is connected, it does what Django does.
"""

from __future__ import annotations

import weakref
from typing import Any

from django.db import connections, transaction

# Per alias: the fingerprint of content types and permissions right after this module's last post_migrate there.
_AS_MIGRATED: dict[str, tuple[Any, ...]] = {}


def install() -> None:
    """Use `flush` for TransactionTestCase's teardown (pytest-django's `transactional_db` is one)."""
    from django.test import TransactionTestCase

    original = TransactionTestCase.__dict__["_fixture_teardown"]  # private: not in the type stubs
    if getattr(original, "quick_flush", False):
        return

    def _fixture_teardown(self: Any) -> None:
        if self.available_apps is not None or self.serialized_rollback:
            original(self)  # Django's own: it skips post_migrate, and serialized data is loaded again afterwards
            return
        for alias in self._databases_names(include_mirrors=False):
            flush(alias)

    _fixture_teardown.quick_flush = True  # type: ignore[attr-defined]
    TransactionTestCase._fixture_teardown = _fixture_teardown  # type: ignore[attr-defined]


def _kept_tables() -> tuple[str, str]:
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    return ContentType._meta.db_table, Permission._meta.db_table


def _only_djangos_receivers() -> bool:
    """Whether post_migrate makes content types and permissions only: another receiver may put rows back that a
    test needs, so then it always runs."""
    from django.contrib.auth.management import create_permissions
    from django.contrib.contenttypes.management import create_contenttypes
    from django.db.models.signals import post_migrate  # noqa: TID251  (reads who listens; connects nothing)

    for entry in post_migrate.receivers:
        ref = entry[1]
        receiver = ref() if isinstance(ref, weakref.ReferenceType) else ref
        if receiver is not None and receiver not in (create_permissions, create_contenttypes):
            return False
    return True


def _fingerprint(cursor: Any, tables: list[str], quote: Any) -> tuple[Any, ...]:
    content_types, permissions = _kept_tables()
    parts = []
    if content_types in tables:
        parts.append(
            f"(SELECT count(*) || ':' || coalesce(md5(string_agg(id || ':' || app_label || ':' || model, ',' "
            f"ORDER BY id)), '') FROM {quote(content_types)})"
        )
    if permissions in tables:
        parts.append(
            f"(SELECT count(*) || ':' || coalesce(md5(string_agg(id || ':' || content_type_id || ':' || codename "
            f"|| ':' || name, ',' ORDER BY id)), '') FROM {quote(permissions)})"
        )
    if not parts:
        return ()
    cursor.execute("SELECT " + ", ".join(parts))
    return tuple(cursor.fetchone())


def flush(alias: str) -> list[str]:
    """Empty every Django table on `alias` as Django's flush does; returns the tables truncated."""
    from django.core.management.sql import emit_post_migrate_signal

    connection = connections[alias]
    if connection.vendor != "postgresql":
        from django.core.management import call_command

        call_command("flush", verbosity=0, interactive=False, database=alias, reset_sequences=False)
        return []
    quote = connection.ops.quote_name
    tables = sorted(connection.introspection.django_table_names(only_existing=True, include_views=False))
    if not tables:
        return []
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(f"SELECT %s WHERE EXISTS (SELECT 1 FROM {quote(t)})" for t in tables), tables)
        holding = [row[0] for row in cursor.fetchall()]
        kept = _kept_tables()
        unchanged = (
            alias in _AS_MIGRATED
            and _only_djangos_receivers()
            and _fingerprint(cursor, tables, quote) == _AS_MIGRATED[alias]
        )
    truncate = [t for t in holding if not (unchanged and t in kept)]
    if truncate:
        # CASCADE: a table that references one of these is empty (else it would be listed), and PostgreSQL wants it
        # named all the same. It never reaches kept content types or permissions: they reference only content types.
        sql = f"TRUNCATE {', '.join(quote(t) for t in truncate)} CASCADE"
        with transaction.atomic(using=alias, savepoint=connection.features.can_rollback_ddl):
            with connection.cursor() as cursor:
                cursor.execute(sql)
    if unchanged:
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()  # as post_migrate would; the ids it holds are still right
        return truncate
    emit_post_migrate_signal(0, False, alias)  # content types and permissions again, as Django's flush does
    with connection.cursor() as cursor:
        _AS_MIGRATED[alias] = _fingerprint(cursor, tables, quote)
    return truncate
