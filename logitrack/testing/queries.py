"""Test helper: the SQL a block ran on every context's database.

Django's `CaptureQueriesContext(connection)` sees `default` only; when contexts are split (docs/extraction.md) a
context's queries run on its own alias, so a test counting or reading the queries of a request would see none of
them. One database: the same as `CaptureQueriesContext(connection)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import Any

from django.db import connections
from django.test.utils import CaptureQueriesContext

from logitrack.db import contexts


class CaptureEveryDatabase:
    """`with CaptureEveryDatabase() as ran:` — `ran.captured_queries` lists the queries of every alias a context
    writes to (`default` first, each alias's in the order it ran them), each with its `alias`; `len(ran)` counts
    them. Works like `CaptureQueriesContext`, inside the block too."""

    def __init__(self, aliases: list[str] | None = None) -> None:
        self._per_alias = {name: CaptureQueriesContext(connections[name]) for name in aliases or contexts.aliases()}

    def __enter__(self) -> CaptureEveryDatabase:
        entered: list[CaptureQueriesContext] = []
        try:
            for capture in self._per_alias.values():
                capture.__enter__()
                entered.append(capture)
        except BaseException:
            for capture in reversed(entered):
                capture.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for capture in reversed(self._per_alias.values()):
            capture.__exit__(exc_type, exc, tb)

    @property
    def captured_queries(self) -> list[dict[str, Any]]:
        return [
            {**query, "alias": name} for name, capture in self._per_alias.items() for query in capture.captured_queries
        ]

    def __len__(self) -> int:
        return sum(len(capture) for capture in self._per_alias.values())

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.captured_queries)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.captured_queries[index]
