"""Bulk CSV imports for ops commands: each row is applied in its own transaction (all of it or none
of it), bad rows are reported by line number with the reason, and a dry run applies nothing."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import sys
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from django.core.exceptions import ValidationError
from django.db import transaction
from rest_framework import serializers

from logitrack.db import contexts
from logitrack.exceptions import ApplicationError


class _DryRunRollback(Exception):
    pass


@dataclasses.dataclass
class ImportReport:
    total: int = 0
    imported: int = 0
    errors: list[tuple[int, str]] = dataclasses.field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.errors)


def _describe(exc: Exception) -> str:
    if isinstance(exc, serializers.ValidationError):
        detail = exc.detail
        if isinstance(detail, dict):
            return "; ".join(
                f"{k}: {' '.join(str(m) for m in v) if isinstance(v, list) else v}" for k, v in detail.items()
            )
        return " ".join(str(m) for m in detail)
    if isinstance(exc, ApplicationError):
        errors = exc.extra.get("errors")
        if errors:
            return "; ".join(f"{k}: {' '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in errors.items())
        return exc.message
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return f"{type(exc).__name__}: {exc}"


def progress(done: int, total: int, out: TextIO, width: int = 30) -> None:
    filled = int(width * done / total) if total else width
    out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done == total:
        out.write("\n")
    out.flush()


def read_rows(handle: TextIO, *, required: Iterable[str]) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) pairs; refuses a file whose header lacks a required column."""
    reader = csv.DictReader(handle)
    missing = sorted(set(required) - set(reader.fieldnames or []))
    if missing:
        raise ValueError(f"the CSV header lacks column(s): {', '.join(missing)}")
    return [(reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}) for row in reader]


def run_import(
    rows: list[tuple[int, dict[str, str]]],
    apply_row: Callable[[dict[str, str]], Any],
    *,
    dry_run: bool,
    progress_out: TextIO | None = None,
) -> ImportReport:
    report = ImportReport(total=len(rows))
    out = progress_out or io.StringIO()
    for done, (line, row) in enumerate(rows, start=1):
        try:
            with _every_database():
                apply_row(row)
                if dry_run:
                    raise _DryRunRollback
            report.imported += 1
        except _DryRunRollback:
            report.imported += 1
        except Exception as exc:  # every failure is reported against its line, none stops the run
            report.errors.append((line, _describe(exc)))
        progress(done, len(rows), out)
    return report


def _every_database() -> contextlib.ExitStack:
    """A transaction on each context's database (one, default, unless split): a row's writes, wherever its
    context keeps them, roll back together on a dry run or an error of that row."""
    stack = contextlib.ExitStack()
    for using in contexts.aliases():
        stack.enter_context(transaction.atomic(using=using))
    return stack


def print_report(report: ImportReport, *, dry_run: bool, out: TextIO = sys.stdout) -> None:
    verb = "would import" if dry_run else "imported"
    out.write(f"{verb} {report.imported} of {report.total} row(s); {report.failed} row(s) with errors\n")
    for line, message in report.errors:
        out.write(f"  line {line}: {message}\n")
