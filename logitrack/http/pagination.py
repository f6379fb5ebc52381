from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Model, Q, QuerySet
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

PAGE_DESCRIPTION = "page number, from 1; a page past the last one is 404"
PAGE_SIZE_DESCRIPTION = "results per page: default 50, at most 200 (larger values are capped)"


def _whole_number(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        number: int = serializers.IntegerField(min_value=1).run_validation(raw)
        return number
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({name: exc.detail}) from None


class Pagination(PageNumberPagination):
    """`?page=N&page_size=M`; responses carry count, next, previous, results. A page or page size that is not
    a whole number from 1 is a 400, not silently the first page."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    last_page_strings = ()

    def get_page_number(self, request: Request, paginator: Paginator[Any]) -> int:
        return _whole_number(request, self.page_query_param) or 1

    def get_page_size(self, request: Request) -> int:
        size = _whole_number(request, self.page_size_query_param)
        return self.page_size if size is None else min(size, self.max_page_size)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_query_param:
                parameter["description"] = PAGE_DESCRIPTION
            else:
                parameter["description"] = PAGE_SIZE_DESCRIPTION
        return parameters


# for views that page a list inside a larger body (the wallet's statement)
PAGE_PARAMETERS = [
    OpenApiParameter("page", {"type": "integer", "minimum": 1}, description=PAGE_DESCRIPTION),
    OpenApiParameter("page_size", {"type": "integer", "minimum": 1}, description=PAGE_SIZE_DESCRIPTION),
]


# ---- keyset (cursor) pagination for lists that grow with history --------------------------------------------------

CURSOR_DESCRIPTION = "where to continue: the `next` or `previous` link of the page before, as given (opaque)"
COUNT_DESCRIPTION = "`true` adds `count`, the number of matching rows (it costs a count over all of them; ask once)"
_BAD_CURSOR = "not a cursor this list gave out: follow `next` or `previous` as given"
_NO_PAGE_NUMBERS = "this list pages by cursor: follow `next` (see `cursor`)"


class KeysetPagination(BasePagination):
    """`?cursor=…&page_size=M[&count=true]`: pages of a list ordered by `ordering` (all descending or all
    ascending, ending in a unique field), continued after the last row seen rather than at an offset, so page
    10,000 costs what page 1 costs and an index on the list's filter + `ordering` answers each page. Responses
    carry `next` and `previous` links (null at either end), `results`, and `count` only when asked for.

    The cursor is the boundary row's ordering values, signed with the secret key and salted with the ordering:
    a cursor edited, forged or taken to a list ordered differently is a 400 naming `cursor`, never a 500.

    `branches` (Qs, OR'ed; None: no condition, an empty list: no rows) pages a list visible by any of several
    conditions: each branch is read through its own index, at most one page of it, and the pages are merged,
    instead of one OR that sorts every matching row.
    `rows_of(pks)` then reads the page's rows by primary key (any order; e.g. `logitrack.db.rows.RowsByKey`)
    instead of the queryset filtered anew.
    """

    ordering: tuple[str, ...] = ("-created_at", "-id")
    page_size = 50
    max_page_size = 200
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    count_query_param = "count"

    @classmethod
    def ordered_by(cls, *ordering: str) -> type[KeysetPagination]:
        descending = {name.startswith("-") for name in ordering}
        if not ordering or len(descending) != 1:
            raise ValueError("a keyset ordering is all descending or all ascending")
        return type(cls.__name__, (cls,), {"ordering": ordering})

    # ---- paging ---------------------------------------------------------------------------------------------------

    def paginate_queryset(  # type: ignore[override]  # querysets only: a keyset needs the database's order
        self,
        queryset: QuerySet[Any],
        request: Request,
        view: Any = None,
        branches: Sequence[Q] | None = None,
        rows_of: Callable[[list[Any]], Iterable[Any]] | None = None,
    ) -> list[Any]:
        self.request = request
        if branches is not None and not branches:  # no way of seeing any row: none, not all
            queryset, branches = queryset.none(), None
        if request.query_params.get("page") is not None:
            raise serializers.ValidationError({"page": [_NO_PAGE_NUMBERS]})
        size = _whole_number(request, self.page_size_query_param)
        self.size = self.page_size if size is None else min(size, self.max_page_size)
        self.count: int | None = None
        if _query_bool(request, self.count_query_param):
            whole = queryset if not branches else queryset.filter(_any(branches))
            self.count = whole.count()
        boundary, backwards = self._decode(queryset.model)
        order = [_flip(name) for name in self.ordering] if backwards else list(self.ordering)

        def one_page(rows: QuerySet[Any]) -> QuerySet[Any]:
            if boundary is not None:
                rows = rows.filter(self._beyond(boundary, backwards))
            return rows.order_by(*order)[: self.size + 1]

        if branches:
            # each branch's first page by its own index, merged; then the rows themselves by primary key
            keys = [_bare(name) for name in self.ordering]
            merged = merged_pages(queryset, branches, order, boundary, self.size + 1)  # SQL written once, or None
            if merged is None:
                pages = [one_page(queryset.filter(branch)).values_list("pk", *keys) for branch in branches]
                if len(pages) > 1 and connections[queryset.db].features.supports_slicing_ordering_in_compound:
                    merged = list(pages[0].union(*pages[1:]).order_by(*order)[: self.size + 1])
                else:  # SQLite: a query per branch, merged here
                    descending = order[0].startswith("-")
                    merged = sorted(
                        {row for page in pages for row in page}, key=lambda row: row[1:], reverse=descending
                    )
            pks = [row[0] for row in merged[: self.size + 1]]
            if rows_of is None:
                rows = list(queryset.filter(pk__in=pks).order_by(*order))
            else:  # the caller's read of rows by primary key (their filters are met already), in the merged order
                pk = queryset.model._meta.pk.attname
                found = {getattr(row, pk): row for row in rows_of(pks)}
                rows = [found[key] for key in pks if key in found]
        else:
            rows = list(one_page(queryset))
        more = len(rows) > self.size
        rows = rows[: self.size]
        if backwards:
            rows.reverse()
        self.has_next = more if not backwards else True
        self.has_previous = more if backwards else boundary is not None
        self.first = self._values(rows[0]) if rows else None
        self.last = self._values(rows[-1]) if rows else None
        if not rows and boundary is not None:  # past either end: links back to where the caller came from
            self.first = self.last = [_plain(v) for v in boundary]
            self.has_next, self.has_previous = backwards, not backwards
        return rows

    def _beyond(self, boundary: list[Any], backwards: bool) -> Q:
        """Rows after `boundary` in the paging direction: (a, b) < (x, y) as a < x or (a = x and b < y), plus
        a <= x, which lets the index range-scan instead of filtering from the top."""
        descending = self.ordering[0].startswith("-") != backwards
        strict, loose = ("lt", "lte") if descending else ("gt", "gte")
        names = [_bare(name) for name in self.ordering]
        after = Q()
        for i, name in enumerate(names):
            equal = {names[j]: boundary[j] for j in range(i)}
            after |= Q(**equal, **{f"{name}__{strict}": boundary[i]})
        if len(names) > 1:
            after &= Q(**{f"{names[0]}__{loose}": boundary[0]})
        return after

    # ---- the cursor ---------------------------------------------------------------------------------------------

    def _salt(self) -> str:
        return "logitrack.http.cursor:" + ",".join(self.ordering)

    def _values(self, row: Any) -> list[Any]:
        values = []
        for name in self.ordering:
            value: Any = row
            for part in _bare(name).split("__"):
                value = getattr(value, part)
            values.append(_plain(value))
        return values

    def _encode(self, values: list[Any], backwards: bool) -> str:
        return signing.dumps([values, int(backwards)], salt=self._salt())

    def _decode(self, model: type[Model]) -> tuple[list[Any] | None, bool]:
        raw = self.request.query_params.get(self.cursor_query_param)
        if raw is None:
            return None, False
        try:
            values, backwards = signing.loads(raw, salt=self._salt())
            fields = [_field(model, _bare(name)) for name in self.ordering]
            if len(values) != len(fields) or backwards not in (0, 1):
                raise ValueError
            return [field.to_python(value) for field, value in zip(fields, values, strict=True)], bool(backwards)
        except (signing.BadSignature, ValueError, TypeError, DjangoValidationError):
            raise serializers.ValidationError({self.cursor_query_param: [_BAD_CURSOR]}) from None

    def _link(self, values: list[Any] | None, backwards: bool) -> str | None:
        if values is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, self._encode(values, backwards))

    def get_next_link(self) -> str | None:
        return self._link(self.last, False) if self.has_next else None

    def get_previous_link(self) -> str | None:
        return self._link(self.first, True) if self.has_previous else None

    # ---- the response -------------------------------------------------------------------------------------------

    def envelope(self) -> dict[str, Any]:
        """count (when asked for), next and previous: to put beside the rows in a larger body."""
        links = {"next": self.get_next_link(), "previous": self.get_previous_link()}
        return links if self.count is None else {"count": self.count, **links}

    def get_paginated_response(self, data: Any) -> Response:
        return Response({**self.envelope(), "results": data})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {**ENVELOPE_SCHEMA, "results": schema},
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": CURSOR_DESCRIPTION,
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": PAGE_SIZE_DESCRIPTION,
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.count_query_param,
                "required": False,
                "in": "query",
                "description": COUNT_DESCRIPTION,
                "schema": {"type": "boolean"},
            },
        ]


_MERGED_SQL: dict[tuple[Any, ...], str] = {}


def merged_pages(
    queryset: QuerySet[Any], branches: Sequence[Q], order: list[str], boundary: list[Any] | None, limit: int
) -> list[tuple[Any, ...]] | None:
    """The branches' pages merged, `(pk, *ordering values)` rows as the queryset's union gives them, by SQL written
    once per shape of list (its table, which column each branch tests, a cursor or none, the direction): building
    and compiling that union per request cost several times what the database spends on it. Only for a whole
    table narrowed by nothing but branches that are each `field=value`, ordered by its own columns, on PostgreSQL;
    None for anything else (the caller builds the union)."""
    query, connection = queryset.query, connections[queryset.db]
    if connection.vendor != "postgresql" or query.where or query.annotations or query.extra or query.distinct:
        return None
    if query.combinator or query.is_sliced or any("__" in _bare(name) for name in order):
        return None
    meta = queryset.model._meta
    tested = []
    for branch in branches:
        if branch.negated or len(branch.children) != 1 or not isinstance(branch.children[0], tuple):
            return None
        lookup, value = branch.children[0]
        name = lookup.removesuffix("__exact")
        if "__" in name or value is None or hasattr(value, "resolve_expression"):  # a value, not an expression
            return None
        tested.append((_field(queryset.model, name), value))
    keys = [_field(queryset.model, _bare(name)) for name in order]
    descending = order[0].startswith("-")
    shape = (meta.label, connection.alias, tuple(f.column for f, _ in tested), boundary is None, descending)
    sql = _MERGED_SQL.get(shape)
    if sql is None:
        sql = _MERGED_SQL[shape] = _merged_sql(meta.db_table, meta.pk.column, tested, keys, boundary, descending)
    params: list[Any] = []
    for field, value in tested:
        params.append(field.get_db_prep_value(value, connection, prepared=False))
        if boundary is not None:
            bound = [f.get_db_prep_value(v, connection, prepared=False) for f, v in zip(keys, boundary, strict=True)]
            for i in range(len(keys)):
                params += [*bound[:i], bound[i]]
            if len(keys) > 1:
                params.append(bound[0])
        params.append(limit)
    if len(tested) > 1:
        params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()]


def _merged_sql(
    table: str, pk: str, tested: list[tuple[Any, Any]], keys: list[Any], boundary: list[Any] | None, descending: bool
) -> str:
    """The union `KeysetPagination` builds through the ORM, written out (KeysetPagination._beyond for the cursor)."""

    def column(name: str) -> str:
        return f'"{table}"."{name}"'

    strict, loose, way = ("<", "<=", "DESC") if descending else (">", ">=", "ASC")
    beyond = ""
    if boundary is not None:
        either = []
        for i, key in enumerate(keys):
            equal = [f"{column(k.column)} = %s" for k in keys[:i]]
            either.append("(" + " AND ".join([*equal, f"{column(key.column)} {strict} %s"]) + ")")
        beyond = " AND (" + " OR ".join(either) + ")"
        if len(keys) > 1:
            beyond += f" AND {column(keys[0].column)} {loose} %s"
    selected = ", ".join([column(pk), *(column(k.column) for k in keys)])
    ordered = ", ".join(f"{column(k.column)} {way}" for k in keys)
    pages = [
        f'SELECT {selected} FROM "{table}" WHERE {column(f.column)} = %s{beyond} ORDER BY {ordered} LIMIT %s'
        for f, _ in tested
    ]
    if len(pages) == 1:
        return pages[0]
    positions = ", ".join(f"{i + 2} {way}" for i in range(len(keys)))
    return " UNION ".join(f"({page})" for page in pages) + f" ORDER BY {positions} LIMIT %s"


_LINK = {"type": "string", "format": "uri", "nullable": True}
ENVELOPE_SCHEMA: dict[str, Any] = {
    "count": {"type": "integer", "minimum": 0, "description": "matching rows; only with `count=true`"},
    "next": {**_LINK, "description": "the page after this one; null on the last"},
    "previous": {**_LINK, "description": "the page before this one; null on the first"},
}

# for views that page a list inside a larger body (the wallet's statement)
CURSOR_PARAMETERS = [
    OpenApiParameter("cursor", str, description=CURSOR_DESCRIPTION),
    OpenApiParameter("page_size", {"type": "integer", "minimum": 1}, description=PAGE_SIZE_DESCRIPTION),
    OpenApiParameter("count", bool, description=COUNT_DESCRIPTION),
]


def _bare(name: str) -> str:
    return name.removeprefix("-")


def _flip(name: str) -> str:
    return name[1:] if name.startswith("-") else f"-{name}"


def _any(branches: Sequence[Q]) -> Q:
    either = Q()
    for branch in branches:
        either |= branch
    return either


def _field(model: type[Model], path: str) -> Any:
    *related, name = path.split("__")
    for part in related:
        model = model._meta.get_field(part).related_model  # type: ignore[assignment]
    return model._meta.get_field("id" if name == "pk" else name)


def _plain(value: Any) -> Any:
    """A cursor value as JSON: datetimes in ISO 8601 (microseconds kept), ids as text, numbers as they are."""
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _query_bool(request: Request, name: str) -> bool:
    raw = request.query_params.get(name)
    if raw is None:
        return False
    try:
        value: bool = serializers.BooleanField().run_validation(raw)
        return value
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({name: exc.detail}) from None
