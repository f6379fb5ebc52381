"""Export of what an admin list shows, filtered and searched as on screen, as CSV or XLSX.

The rows are read in chunks from a server-side cursor and written as they come, so a year of trips exports
without holding it in memory: CSV streams to the client; XLSX is written row by row (openpyxl's write-only mode)
to a temporary file that is then sent. Columns are the list's columns; `Readable` columns give names, local
times and amounts in currency units, so the file opens in a spreadsheet ready to sum.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import label_for_field, lookup_field
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.urls import path
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import capfirst, slugify

from logitrack.admin.readable import Column, Readable

if TYPE_CHECKING:
    _Admin = admin.ModelAdmin[Any]
else:
    _Admin = object

FORMATS = ("csv", "xlsx")
CHUNK = 2000
FORMAT_PARAM = "format"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _Line:
    """csv.writer's file: hands back each line instead of storing it."""

    def write(self, line: str) -> str:
        return line


def _plain(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, int | float | Decimal | dt.date | dt.time):
        return value
    return strip_tags(str(value))


class Exportable(_Admin):
    """Adds "Export CSV" / "Export XLSX" to the list page: `<changelist>/export/?<the list's filters>&format=csv`."""

    change_list_template = "admin/logitrack/export_change_list.html"
    export_columns: Sequence[str] | None = None  # default: the list's columns

    def get_urls(self) -> list[Any]:
        info = self.opts.app_label, self.opts.model_name
        return [
            path("export/", self.admin_site.admin_view(self.export_view), name="{}_{}_export".format(*info)),
            *super().get_urls(),
        ]

    def get_export_columns(self, request: HttpRequest) -> list[Any]:
        names = self.export_columns if self.export_columns is not None else self.get_list_display(request)
        if isinstance(self, Readable):
            names = self._swap(names)
        return [n for n in names if n != "action_checkbox"]

    def export_view(self, request: HttpRequest) -> HttpResponseBase:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        kind = request.GET.get(FORMAT_PARAM, "csv")
        if kind not in FORMATS:
            return HttpResponse(
                f"Unknown export format {kind[:20]!r}: use one of {', '.join(FORMATS)}.",
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        query = request.GET.copy()
        query.pop(FORMAT_PARAM, None)
        request.GET = query  # type: ignore[assignment]  # the list's own parameters only: the changelist refuses any it does not know
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponse(
                "The list's filters are not valid; open the list, filter again and export from there.",
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        rows = changelist.get_queryset(request)
        columns = self.get_export_columns(request)
        header = [capfirst(strip_tags(str(label_for_field(c, self.model, self)))) for c in columns]
        name = f"{slugify(str(self.opts.verbose_name_plural))}-{timezone.localdate():%Y-%m-%d}.{kind}"
        if kind == "csv":
            return self._csv(header, self._rows(rows, columns), name)
        return self._xlsx(header, self._rows(rows, columns), name)

    def _rows(self, queryset: Any, columns: list[Any]) -> Iterator[list[object]]:
        chunk: list[Any] = []
        for obj in queryset.iterator(chunk_size=CHUNK):
            chunk.append(obj)
            if len(chunk) == CHUNK:
                yield from self._render(chunk, columns)
                chunk = []
        if chunk:
            yield from self._render(chunk, columns)

    def _render(self, chunk: list[Any], columns: list[Any]) -> Iterator[list[object]]:
        if isinstance(self, Readable):
            self.prime(chunk)  # one name look-up per chunk, not per row
        for obj in chunk:
            yield [self._value(obj, c) for c in columns]

    def _value(self, obj: Any, column: Any) -> object:
        if isinstance(column, str) and isinstance(self, Readable):
            found = getattr(self, column, None) if column.endswith("_shown") else None
            if isinstance(found, Column):
                return _plain(found.export(obj))
        _field, _attr, value = lookup_field(column, obj, self)
        if _field is not None and getattr(_field, "choices", None):
            value = getattr(obj, f"get_{_field.name}_display")()
        return _plain(value)

    def _csv(self, header: list[str], rows: Iterator[list[object]], name: str) -> StreamingHttpResponse:
        writer = csv.writer(_Line())

        def lines() -> Iterator[str]:
            yield "\ufeff" + writer.writerow(header)  # the byte-order mark makes spreadsheets read UTF-8
            for row in rows:
                yield writer.writerow(row)

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def _xlsx(self, header: list[str], rows: Iterator[list[object]], name: str) -> FileResponse:
        from openpyxl import Workbook  # only where a workbook is made

        book = Workbook(write_only=True)
        sheet = book.create_sheet(title=str(self.opts.verbose_name_plural)[:31])
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        spool = tempfile.TemporaryFile()
        book.save(spool)
        spool.seek(0)
        return FileResponse(spool, as_attachment=True, filename=name, content_type=XLSX)
