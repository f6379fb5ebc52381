"""Copy one context's rows from one PostgreSQL database to another: the data step of cutting a context out
(docs/extraction.md), and of rolling it back.

What moves: every table of the context's models (many-to-many tables too), and the context's rows of the kernel
tables in that database: outbox rows it published (`source`), inbox records and dead letters of its subscribers
(`<context>.<handler>`), idempotency keys of its API (`/api/v1/<context>/`). Rows keep their primary keys;
identity sequences are moved past them. Content-type references (django-polymorphic's `polymorphic_ctype`) are
mapped by app label and model name, since each database numbers its content types itself.

Nothing is deleted from the source: rolling back is switching the setting back (and, for writes made after the
switch, copying the other way with `replace`). `verify` compares each table's row count and an order-independent
digest of its rows on both sides, with content types compared by name, so it holds across the renumbering.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg import sql

from logitrack.idempotency.models import IdempotencyKey
from logitrack.outbox.models import DeadLetter, InboxRecord, OutboxMessage


class CopyRefused(Exception):
    """The copy cannot start: not PostgreSQL, a target table missing, or a target table not empty."""


@dataclasses.dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    pk: str
    where: sql.Composable | None = None  # kernel tables: only the context's rows
    content_type_columns: tuple[str, ...] = ()
    identity: bool = False  # the primary key comes from a sequence to move past the copied rows

    def selection(self) -> sql.Composable:
        return sql.SQL(" WHERE ") + self.where if self.where is not None else sql.SQL("")


@dataclasses.dataclass(frozen=True)
class TableReport:
    table: str
    source_rows: int
    target_rows: int
    source_digest: str
    target_digest: str

    @property
    def same(self) -> bool:
        return (self.source_rows, self.source_digest) == (self.target_rows, self.target_digest)


def _table(model: type[models.Model], where: sql.Composable | None = None) -> Table:
    fields = [(f, str(f.column)) for f in model._meta.local_concrete_fields]
    pk = model._meta.pk
    assert pk is not None
    return Table(
        name=model._meta.db_table,
        columns=tuple(column for _, column in fields),
        pk=str(pk.column),
        where=where,
        content_type_columns=tuple(c for f, c in fields if f.is_relation and f.related_model is ContentType),
        identity=isinstance(pk, models.AutoField | models.BigAutoField | models.SmallAutoField),
    )


def tables_of(context: str) -> list[Table]:
    """The tables `context` owns and its rows of the kernel's tables, parents before children."""
    found: list[Table] = []
    seen: set[str] = set()
    for model in apps.get_app_config(context).get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed or model._meta.db_table in seen:
            continue
        seen.add(model._meta.db_table)
        found.append(_table(model))
    prefix = sql.Literal(f"{context}.%")
    found += [
        _table(OutboxMessage, sql.SQL("source = ") + sql.Literal(context)),
        _table(InboxRecord, sql.SQL("subscriber LIKE ") + prefix),
        _table(DeadLetter, sql.SQL("subscriber LIKE ") + prefix),
        _table(IdempotencyKey, sql.SQL("path LIKE ") + sql.Literal(f"/api/v1/{context}/%")),
    ]
    return found


def _raw(wrapper: BaseDatabaseWrapper) -> Any:
    if wrapper.vendor != "postgresql":
        raise CopyRefused(f"{wrapper.alias} is {wrapper.vendor}: copying a context needs PostgreSQL on both sides")
    wrapper.ensure_connection()
    return wrapper.connection


def _count(cursor: Any, table: Table) -> int:
    cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table.name)) + table.selection())
    return int(cursor.fetchone()[0])


def _row_text(table: Table) -> sql.Composable:
    """One row as text, content types by name: the same on both sides when the data is the same."""
    parts = []
    for column in table.columns:
        if column in table.content_type_columns:
            parts.append(
                sql.SQL(
                    "(SELECT ct.app_label || '.' || ct.model FROM django_content_type ct WHERE ct.id = t.{})"
                ).format(sql.Identifier(column))
            )
        else:
            parts.append(sql.SQL("t.{}::text").format(sql.Identifier(column)))
    return sql.SQL("concat_ws('|', {})").format(sql.SQL(", ").join(parts))


def _digest(cursor: Any, table: Table) -> str:
    # md5 of each row, summed as 128-bit numbers: independent of order and of physical layout
    query = sql.SQL(
        "SELECT coalesce(sum(('x' || substr(md5({row}), 1, 16))::bit(64)::bigint::numeric), 0)::text "
        "|| ':' || coalesce(sum(('x' || substr(md5({row}), 17, 16))::bit(64)::bigint::numeric), 0)::text "
        "FROM {table} t"
    ).format(row=_row_text(table), table=sql.Identifier(table.name))
    where = sql.SQL(" WHERE ") + table.where if table.where is not None else sql.SQL("")
    cursor.execute(query + where)
    return str(cursor.fetchone()[0])


def verify(context: str, *, source: str, target: str) -> list[TableReport]:
    """Row counts and digests of every table of `context` on both sides."""
    reports = []
    with _raw(connections[source]).cursor() as src, _raw(connections[target]).cursor() as dst:
        for table in tables_of(context):
            reports.append(
                TableReport(
                    table=table.name,
                    source_rows=_count(src, table),
                    target_rows=_count(dst, table),
                    source_digest=_digest(src, table),
                    target_digest=_digest(dst, table),
                )
            )
    return reports


def plan(context: str, *, source: str, target: str) -> list[tuple[Table, int, int | None]]:
    """Each table with its rows in the source and already in the target (None: the target has no such table)."""
    with _raw(connections[source]).cursor() as src, _raw(connections[target]).cursor() as dst:
        return [(t, _count(src, t), _count(dst, t) if _exists(dst, t.name) else None) for t in tables_of(context)]


def _exists(cursor: Any, name: str) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
    return bool(cursor.fetchone()[0])


def _content_type_map(src: Any, dst: Any) -> dict[int, int]:
    src.execute("SELECT id, app_label, model FROM django_content_type")
    by_name = {(app, model): id_ for id_, app, model in src.fetchall()}
    dst.execute("SELECT id, app_label, model FROM django_content_type")
    there = {(app, model): id_ for id_, app, model in dst.fetchall()}
    return {id_: there[name] for name, id_ in by_name.items() if name in there}


@contextmanager
def _deferred(dst: Any) -> Iterator[None]:
    dst.execute("SET CONSTRAINTS ALL DEFERRED")  # foreign keys are checked at commit, whatever the table order
    yield


def copy(context: str, *, source: str, target: str, replace: bool = False) -> list[tuple[str, int]]:
    """Copy `context`'s rows from `source` to `target` in one target transaction; returns rows copied per table.

    The target's tables must be empty unless `replace`, which first deletes the context's rows there."""
    src_conn, dst_conn = _raw(connections[source]), _raw(connections[target])
    copied: list[tuple[str, int]] = []
    with src_conn.cursor() as src, dst_conn.transaction(), dst_conn.cursor() as dst, _deferred(dst):
        tables = tables_of(context)
        for table in tables:
            if not _exists(dst, table.name):
                raise CopyRefused(f"the target has no table {table.name}: migrate it first (--migrate)")
        if replace:
            _delete(dst, tables)
        else:
            busy = [t.name for t in tables if _count(dst, t)]
            if busy:
                raise CopyRefused(f"the target already holds rows in {', '.join(busy)} (--replace to overwrite)")
        ctypes = _content_type_map(src, dst)
        for table in tables:
            columns = sql.SQL(", ").join(map(sql.Identifier, table.columns))
            out = sql.SQL("COPY (SELECT {} FROM {}{}) TO STDOUT (FORMAT BINARY)").format(
                columns, sql.Identifier(table.name), table.selection()
            )
            into = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(sql.Identifier(table.name), columns)
            with src.copy(out) as reading, dst.copy(into) as writing:
                for block in reading:
                    writing.write(block)
            for column in table.content_type_columns:
                _remap(dst, table, column, ctypes)
            if table.identity:
                dst.execute(
                    sql.SQL(
                        "SELECT setval(pg_get_serial_sequence(%s, %s), GREATEST((SELECT max({pk}) FROM {t}), 1))"
                    ).format(pk=sql.Identifier(table.pk), t=sql.Identifier(table.name)),
                    [table.name, table.pk],
                )
            copied.append((table.name, _count(dst, table)))
    return copied


def _delete(dst: Any, tables: list[Table]) -> None:
    """The context's rows gone from the target. The ledger refuses deletes by trigger: a replace is the one
    sanctioned rewrite, so its own triggers are off for these statements only, inside the copy's transaction."""
    names = [sql.Identifier(t.name) for t in tables]
    for name in names:
        dst.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER USER").format(name))
    for table, name in reversed(list(zip(tables, names, strict=True))):
        dst.execute(sql.SQL("DELETE FROM {}").format(name) + table.selection())
    dst.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no check left pending, or the tables cannot be altered back
    for name in names:
        dst.execute(sql.SQL("ALTER TABLE {} ENABLE TRIGGER USER").format(name))
    dst.execute("SET CONSTRAINTS ALL DEFERRED")


def _remap(dst: Any, table: Table, column: str, ctypes: dict[int, int]) -> None:
    pairs = [(old, new) for old, new in ctypes.items() if old != new]
    if not pairs:
        return
    # one statement, so a new id equal to another row's old id cannot be remapped twice
    dst.execute(
        sql.SQL("UPDATE {t} SET {c} = m.new FROM (VALUES {v}) AS m(old, new) WHERE {t}.{c} = m.old").format(
            t=sql.Identifier(table.name),
            c=sql.Identifier(column),
            v=sql.SQL(", ").join(sql.SQL("({}, {})").format(sql.Literal(o), sql.Literal(n)) for o, n in pairs),
        )
    )
