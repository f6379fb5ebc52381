"""A context's api as it crosses a process boundary: which calls it offers remotely (`RemoteInterface`) and how
contracts travel as JSON (`encode` / `decode`). Framework-free, as contracts are: a context's contracts module
declares its interface with these types, and both sides (logitrack.remote) read it.

JSON shapes: UUIDs, dates and datetimes as ISO strings, enums by value, bytes as base64, tuples and lists as
arrays, frozen dataclasses as objects of their fields. `decode(value, type)` rebuilds exactly the contract the
in-process call returns (a `tuple[X, ...]` field a tuple again, a `datetime` aware), and raises `WireError` naming
the path of the first value that does not fit, so a server can answer 400 instead of failing later.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import enum
import functools
import types
import typing
import uuid
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from logitrack.exceptions import ApplicationError, ServiceUnavailable


@dataclasses.dataclass(frozen=True, kw_only=True)
class RemoteCall:
    """One api function as served remotely. `returns`: its return type (a contract, `list[...]`, `X | None`,
    `bytes`); `retry`: safe to send again after a connection failure (reads; never a write without an idempotency
    key); `timeout`: seconds to wait for the answer when the default is too short (rendering a PDF)."""

    returns: Any
    retry: bool = True
    timeout: float | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class RemoteInterface:
    """What a context publishes for callers in other processes: its name (URL path and settings prefix), its calls
    by api function name, the contract errors a call may raise (found again by their `code`), and the error callers
    get when the service cannot be reached (a ServiceUnavailable with the context's own code)."""

    service: str
    calls: Mapping[str, RemoteCall]
    errors: tuple[type[ApplicationError], ...]
    unavailable: type[ServiceUnavailable]

    def error_for(self, code: str) -> type[ApplicationError] | None:
        return _errors_by_code(self.errors).get(code)


def contract_errors(namespace: Mapping[str, Any]) -> tuple[type[ApplicationError], ...]:
    """The contract errors a contracts module defines, for its RemoteInterface: pass the module's `globals()` once
    they are all defined. Every ApplicationError subclass of that module but its ServiceUnavailable (which only the
    remote client raises, never the api)."""
    module = namespace["__name__"]
    return tuple(
        value
        for value in namespace.values()
        if isinstance(value, type)
        and issubclass(value, ApplicationError)
        and value.__module__ == module
        and not issubclass(value, ServiceUnavailable)
    )


@functools.cache
def _errors_by_code(errors: tuple[type[ApplicationError], ...]) -> dict[str, type[ApplicationError]]:
    return {cls.code: cls for cls in errors}


class WireError(ValueError):
    """A JSON value that does not fit the type it should carry; `path` says where (`trips.0.1`)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path or 'value'}: {message}")
        self.path = path or "value"
        self.message = message


def encode(value: Any) -> Any:
    """A contract (or a value inside one) as plain JSON data."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return encode(value.value)
    if isinstance(value, uuid.UUID | dt.datetime | dt.date | dt.time):
        return str(value) if isinstance(value, uuid.UUID) else value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple | set | frozenset):
        return [encode(v) for v in value]
    if isinstance(value, Mapping):
        return {str(encode(k)): encode(v) for k, v in value.items()}
    raise TypeError(f"{type(value).__name__} cannot cross the wire")


def decode(value: Any, annotation: Any, path: str = "") -> Any:
    """`value` (plain JSON data) as the type `annotation` names."""
    if annotation is Any or annotation is object:
        return value
    if annotation is None or annotation is type(None):
        if value is not None:
            raise WireError(path, "must be null")
        return None
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Union or origin is types.UnionType:
        if value is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        if value is None:
            raise WireError(path, "may not be null")
        errors = []
        for option in options:
            try:
                return decode(value, option, path)
            except WireError as exc:
                errors.append(exc)
        raise errors[0]
    if value is None:
        raise WireError(path, "may not be null")
    if origin in (list, tuple, set, frozenset) or annotation in (list, tuple):
        if not isinstance(value, list):
            raise WireError(path, "must be an array")
        if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            if len(value) != len(args):
                raise WireError(path, f"must hold {len(args)} values")
            return tuple(decode(v, a, _join(path, i)) for i, (v, a) in enumerate(zip(value, args, strict=True)))
        item = args[0] if args else Any
        items = [decode(v, item, _join(path, i)) for i, v in enumerate(value)]
        return items if origin is list or annotation is list else (origin or tuple)(items)
    if origin is dict or annotation is dict:
        if not isinstance(value, dict):
            raise WireError(path, "must be an object")
        key, item = args or (Any, Any)
        return {decode(k, key, _join(path, k)): decode(v, item, _join(path, k)) for k, v in value.items()}
    if not isinstance(annotation, type):
        raise TypeError(f"{annotation!r} cannot cross the wire")
    if dataclasses.is_dataclass(annotation):
        return _dataclass(value, annotation, path)
    if issubclass(annotation, enum.Enum):
        try:
            return annotation(value)
        except ValueError:
            raise WireError(path, f"must be one of {', '.join(str(m.value) for m in annotation)}") from None
    if annotation is bool:
        if not isinstance(value, bool):
            raise WireError(path, "must be true or false")
        return value
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise WireError(path, "must be a whole number")
        return value
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise WireError(path, "must be a number")
        return float(value)
    if annotation is str:
        if not isinstance(value, str):
            raise WireError(path, "must be a string")
        return value
    if not isinstance(value, str):
        raise WireError(path, f"must be a string ({annotation.__name__})")
    try:
        if annotation is uuid.UUID:
            return uuid.UUID(value)
        if annotation is dt.datetime:
            when = dt.datetime.fromisoformat(value)
            if when.tzinfo is None:
                raise WireError(path, "must carry its UTC offset")
            return when
        if annotation is dt.date:
            return dt.date.fromisoformat(value)
        if annotation is Decimal:
            return Decimal(value)
        if annotation is bytes:
            return base64.b64decode(value.encode("ascii"), validate=True)
    except (ValueError, InvalidOperation, binascii.Error, UnicodeEncodeError):
        raise WireError(path, f"is not a valid {annotation.__name__}") from None
    raise TypeError(f"{annotation!r} cannot cross the wire")


def _dataclass(value: Any, cls: type, path: str) -> Any:
    if not isinstance(value, dict):
        raise WireError(path, "must be an object")
    hints = _hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = set(value) - set(fields)
    if unknown:
        raise WireError(_join(path, sorted(unknown)[0]), "is not a field")
    kwargs = {}
    for name, field in fields.items():
        if name not in value:
            if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
                raise WireError(_join(path, name), "is required")
            continue
        kwargs[name] = decode(value[name], hints[name], _join(path, name))
    try:
        return cls(**kwargs)
    except ApplicationError as exc:  # a value object's own check (Money's currency code)
        raise WireError(path, exc.message) from None


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def signature_hints(function: Any) -> dict[str, Any]:
    """The parameter types of an api function (its keyword-only arguments), for decoding a call's arguments."""
    hints = typing.get_type_hints(function)
    hints.pop("return", None)
    return hints


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)
