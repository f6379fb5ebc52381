"""Integration events: the versioned, JSON-serialisable facts contexts publish to each other.

Framework-free. A subclass declares `TYPE = "logitrack.<context>.<subject>.<action>.v<major>"`
and its payload fields; it is registered on class creation. Adding a field with a default is a
compatible change; anything else is a new class with the next major version.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import re
import types
import typing
import uuid
from typing import Any, ClassVar

_REGISTRY: dict[str, type[IntegrationEvent]] = {}
_TYPE_PATTERN = re.compile(r"^logitrack\.[a-z_]+\.[a-z_]+\.[a-z_]+\.v[1-9][0-9]*$")
ENVELOPE_VERSION = "1.0"


class UnknownEventType(LookupError):
    pass


@dataclasses.dataclass(frozen=True, kw_only=True)
class IntegrationEvent:
    """An immutable fact published by exactly one bounded context."""

    TYPE: ClassVar[str]
    event_id: uuid.UUID = dataclasses.field(default_factory=uuid.uuid4)
    occurred_at: dt.datetime = dataclasses.field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        event_type = cls.__dict__.get("TYPE")
        if event_type is None:
            return  # an abstract intermediate class
        if not _TYPE_PATTERN.match(event_type):
            raise TypeError(
                f"{cls.__name__}.TYPE {event_type!r} must look like logitrack.<context>.<subject>.<action>.v<N>"
            )
        existing = _REGISTRY.get(event_type)
        if existing is not None and existing.__qualname__ != cls.__qualname__:
            raise TypeError(f"event type {event_type!r} declared twice ({existing.__qualname__}, {cls.__qualname__})")
        _REGISTRY[event_type] = cls

    @classmethod
    def source(cls) -> str:
        """The publishing context, read from the type string."""
        return cls.TYPE.split(".")[1]


def event_class(event_type: str) -> type[IntegrationEvent]:
    try:
        return _REGISTRY[event_type]
    except KeyError:
        raise UnknownEventType(event_type) from None


def registered_event_types() -> dict[str, type[IntegrationEvent]]:
    return dict(sorted(_REGISTRY.items()))


# ---- envelope ---------------------------------------------------------------------------


def to_envelope(event: IntegrationEvent) -> dict[str, Any]:
    """A broker-neutral JSON envelope (shaped like a CloudEvent) carrying the payload."""
    payload = {
        f.name: _dump(getattr(event, f.name))
        for f in dataclasses.fields(event)
        if f.name not in ("event_id", "occurred_at")
    }
    return {
        "specversion": ENVELOPE_VERSION,
        "id": str(event.event_id),
        "type": event.TYPE,
        "source": event.source(),
        "time": event.occurred_at.isoformat(),
        "data": payload,
    }


def from_envelope(envelope: dict[str, Any]) -> IntegrationEvent:
    cls = event_class(envelope["type"])
    hints = _hints(cls)
    data = envelope.get("data", {})
    kwargs: dict[str, Any] = {
        "event_id": uuid.UUID(envelope["id"]),
        "occurred_at": dt.datetime.fromisoformat(envelope["time"]),
    }
    for f in dataclasses.fields(cls):
        if f.name in kwargs or not f.init:
            continue
        if f.name in data:
            kwargs[f.name] = _load(hints[f.name], data[f.name])
        # a missing field falls back to its default: that is how defaulted additions stay compatible
    return cls(**kwargs)


_HINTS: dict[type, dict[str, Any]] = {}
_INIT_FIELDS: dict[type, frozenset[str]] = {}


def _hints(cls: type) -> dict[str, Any]:
    """The resolved annotations of an event or payload class, kept per class: resolving them (get_type_hints) cost
    more than the rest of reading an envelope, once per nested shape, on every delivery."""
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


def _init_fields(cls: type) -> frozenset[str]:
    names = _INIT_FIELDS.get(cls)
    if names is None:
        names = _INIT_FIELDS[cls] = frozenset(f.name for f in dataclasses.fields(cls) if f.init)
    return names


def _dump(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return _dump(value.value)
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("event datetimes must be timezone-aware")
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple | frozenset | set):
        return [_dump(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _dump(v) for k, v in value.items()}
    raise TypeError(f"cannot serialise {type(value).__name__} in an event")


def _load(tp: Any, raw: Any) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if raw is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _load(inner, raw)
    if origin in (list, tuple, frozenset, set):
        item = args[0] if args else Any
        items = [_load(item, v) for v in raw]
        return origin(items) if origin is not list else items
    if origin is dict:
        return {k: _load(args[1], v) for k, v in raw.items()}
    if tp is Any or raw is None:
        return raw
    if isinstance(tp, type):
        if issubclass(tp, enum.Enum):
            return tp(raw)
        if tp is uuid.UUID:
            return uuid.UUID(raw)
        if tp is dt.datetime:
            return dt.datetime.fromisoformat(raw)
        if tp is dt.date:
            return dt.date.fromisoformat(raw)
        if tp is decimal.Decimal:
            return decimal.Decimal(raw)
        if dataclasses.is_dataclass(tp):
            # like an event's payload: keys this reader does not know are skipped and a missing key takes the
            # field's default, so a defaulted field added to a nested shape stays a compatible change
            hints = _hints(tp)
            return tp(**{k: _load(hints[k], v) for k, v in raw.items() if k in hints and k in _init_fields(tp)})
    return raw


# ---- schema (for compatibility snapshots) -----------------------------------------------


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is not None:
        args = ", ".join(_type_name(a) for a in typing.get_args(tp))
        name = "union" if origin in (typing.Union, types.UnionType) else getattr(origin, "__name__", str(origin))
        return f"{name}[{args}]"
    if tp is type(None):
        return "None"
    if isinstance(tp, type):
        if issubclass(tp, enum.Enum):
            return f"enum[{', '.join(sorted(str(m.value) for m in tp))}]"
        if dataclasses.is_dataclass(tp):
            hints = typing.get_type_hints(tp)
            inner = ", ".join(
                f"{f.name}{'' if _required(f) else '?'}: {_type_name(hints[f.name])}" for f in dataclasses.fields(tp)
            )
            return f"{tp.__name__}{{{inner}}}"
        return tp.__name__
    return str(tp)


def _required(f: dataclasses.Field[Any]) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def event_schema(cls: type[IntegrationEvent]) -> dict[str, Any]:
    """A stable description of an event's payload: field names, types and whether they are required (inside a
    nested shape, `name?` marks a field with a default)."""
    hints = typing.get_type_hints(cls)
    fields = []
    for f in dataclasses.fields(cls):
        if f.name in ("event_id", "occurred_at"):
            continue
        fields.append({"name": f.name, "type": _type_name(hints[f.name]), "required": _required(f)})
    return {"type": cls.TYPE, "fields": fields}
