"""JSON from clients, refused when nested deeper than any of our messages could be.

Python's json decoder recurses once per level: some 5,000 levels (10 KB of brackets) raise RecursionError, which
is not a ValueError, so callers answered 500 or dropped the websocket. Anything past MAX_DEPTH is malformed input.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

MAX_DEPTH = 64  # our deepest payload nests about six levels; webhooks from providers rarely pass twenty


class TooDeeplyNested(ValueError):
    def __init__(self) -> None:
        super().__init__(f"JSON nested deeper than {MAX_DEPTH} levels")


def check_depth(value: Any, max_depth: int = MAX_DEPTH) -> Any:
    """Returns `value`, or raises TooDeeplyNested. Iterative, so checking cannot recurse either."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > max_depth:
            raise TooDeeplyNested()
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return value


def loads(data: str | bytes | bytearray, **kwargs: Any) -> Any:
    """json.loads that raises ValueError (TooDeeplyNested) for deep nesting instead of RecursionError."""
    try:
        value = json.loads(data, **kwargs)
    except RecursionError:
        raise TooDeeplyNested() from None
    if isinstance(data, str):
        opened = data.count("{") + data.count("[")
    else:
        opened = data.count(b"{") + data.count(b"[")
    # fewer brackets in the whole text than the limit cannot nest past it (brackets inside strings only add):
    # a driver's ping is checked by two counts in C instead of a walk of its values
    return value if opened <= MAX_DEPTH else check_depth(value)
