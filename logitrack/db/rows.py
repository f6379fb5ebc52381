"""Hot reads by a list of keys, their SQL written once.

A list page reads a few related sets of rows by the ids on the page (a page of trips' stops, their fares). Built as
querysets, each costs more CPU building and compiling the query than the database takes to answer it, on every
request, although only the ids change. `RowsByKey` writes the statement once from the model's metadata (one text
whatever the number of ids: `= ANY(array)` on PostgreSQL) and runs it with the ids, giving named rows as
`values_list(named=True)` does. Elsewhere (SQLite, the embedded default) it runs that queryset.

Keys that are UUIDs or integers go as one array literal (`{…}`, cast in the statement), which PostgreSQL parses in
C: psycopg dumps a Python list one element at a time in Python, a few percent of a list page's CPU.
"""

from __future__ import annotations

import uuid
from collections import namedtuple
from collections.abc import Collection
from typing import Any

from django.db import connections
from django.db.models import IntegerField, Model, UUIDField


def _keys(values: Collection[Any]) -> Any:
    """`{…}` when every key is a UUID or an int, whose text never needs quoting; else psycopg's list (a string, a
    None or a bool would be read as array syntax, or not at all), which the statement's cast takes too."""
    if all(isinstance(value, uuid.UUID) or type(value) is int for value in values):
        return "{" + ",".join(map(str, values)) + "}"
    return list(values)


class RowsByKey:
    """Rows of `model` whose `key` is one of the given values, with `fields` as attributes, in `order_by` (field
    names, "-" for descending). Only fields read as the database gives them (no `from_db_value`: no JSON), so the
    rows equal the queryset's."""

    def __init__(self, model: type[Model], key: str, fields: tuple[str, ...], order_by: tuple[str, ...] = ()):
        self.model, self.key, self.fields, self.order_by = model, key, fields, order_by
        for name in (key, *fields, *(o.removeprefix("-") for o in order_by)):
            if hasattr(model._meta.get_field(name), "from_db_value"):
                raise ValueError(f"{model.__name__}.{name} is converted when read: not for RowsByKey")
        self.row: Any = namedtuple("Row", fields)  # type: ignore[misc]  # the fields are known only here
        key_field: Any = model._meta.get_field(key)
        column_field = key_field.target_field if key_field.is_relation else key_field  # a foreign key's: its target's
        # values whose text never needs quoting inside an array literal (AutoField and BigIntegerField included)
        self._as_text = isinstance(column_field, UUIDField | IntegerField)
        self._sql: dict[str, str] = {}  # by vendor

    def __call__(self, values: Collection[Any]) -> list[Any]:
        if not values:  # as `__in=[]`: no query
            return []
        alias = self.model._default_manager.db
        connection = connections[alias]
        if connection.vendor != "postgresql":
            rows = self.model._default_manager.using(alias).filter(**{f"{self.key}__in": list(values)})
            return list(rows.order_by(*self.order_by).values_list(*self.fields, named=True))
        sql = self._sql.get(connection.vendor) or self._statement(connection)
        keys = _keys(values) if self._as_text else list(values)
        with connection.cursor() as cursor:
            cursor.execute(sql, [keys])
            return list(map(self.row._make, cursor.fetchall()))

    def _statement(self, connection: Any) -> str:
        meta, quote = self.model._meta, connection.ops.quote_name

        def column(name: str) -> str:  # qualified, as Django writes them
            field: Any = meta.get_field(name)  # a concrete field: RowsByKey reads columns
            return f"{quote(meta.db_table)}.{quote(field.column)}"

        order = ", ".join(
            f"{column(o.removeprefix('-'))} {'DESC' if o.startswith('-') else 'ASC'}" for o in self.order_by
        )
        key_type = meta.get_field(self.key).db_type(connection)  # a foreign key's is its target's (uuid, bigint)
        array = f"%s::{key_type}[]" if self._as_text else "%s"
        sql = (
            f"SELECT {', '.join(column(f) for f in self.fields)} FROM {quote(meta.db_table)} "
            f"WHERE {column(self.key)} = ANY({array})" + (f" ORDER BY {order}" if order else "")
        )
        self._sql[connection.vendor] = sql
        return sql
