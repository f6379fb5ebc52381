"""Serializer base for API input: unknown fields are an error, not silently dropped, and JSON values must have
the type the schema gives them (DRF alone turns `0` into the string "0" and `false` into the nil UUID)."""

import datetime as dt
from typing import Any

from django.http import QueryDict
from rest_framework import serializers

from logitrack.http.cycles import unbind

# field class -> the JSON types it takes; the first match wins (bool is an int in Python, but not in JSON)
_JSON_TYPES: list[tuple[type[serializers.Field[Any, Any, Any, Any]], tuple[type, ...], str]] = [
    (serializers.BooleanField, (bool,), "true or false"),
    (serializers.IntegerField, (int,), "an integer"),
    (serializers.FloatField, (int, float), "a number"),
    (serializers.UUIDField, (str,), "a UUID string"),
    (serializers.CharField, (str,), "a string"),
]


def _type_errors(field: serializers.Field[Any, Any, Any, Any] | None, value: Any) -> Any:
    """The type errors of one JSON value, shaped like DRF's errors (None when there are none); the field's
    own validation reports everything else."""
    if value is None or field is None:
        return None
    if isinstance(field, serializers.ListSerializer | serializers.ListField):
        if not isinstance(value, list):
            return None
        found = {str(i): e for i, item in enumerate(value) if (e := _type_errors(field.child, item)) is not None}
        return found or None
    if isinstance(field, serializers.Serializer):
        if not isinstance(value, dict):
            return None
        fields = field.fields
        found = {n: e for n, v in value.items() if n in fields and (e := _type_errors(fields[n], v)) is not None}
        return found or None
    for cls, types, what in _JSON_TYPES:
        if isinstance(field, cls):
            if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
                return [f"Must be {what}."]
            return None
    return None


class StrictInputSerializer(serializers.Serializer[Any]):
    """Rejects fields the endpoint does not know, so a typo never passes as 'accepted', and values of the wrong
    JSON type (form and multipart bodies carry only strings, so they are left to the fields)."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        writable = {name for name, field in self.fields.items() if not field.read_only}
        unknown = sorted(set(data) - writable)
        if not isinstance(data, QueryDict):
            wrong = _type_errors(self, {k: v for k, v in data.items() if k in writable})
            if wrong:
                raise serializers.ValidationError(wrong)
        value = super().to_internal_value(data)
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return value

    def is_valid(self, *, raise_exception: bool = False) -> bool:
        try:
            return super().is_valid(raise_exception=raise_exception)
        finally:
            # its bound fields point back at it (and nested ones at theirs): unbound, the input is freed when the
            # view is done with it, not by the garbage collector. `validated_data` and `errors` stay; `fields`, if
            # asked for again, are bound afresh from the class, so a serializer whose __init__ reshapes its fields
            # (an update making every field optional) keeps them, and its cycle
            if type(self).__init__ is serializers.Serializer.__init__:
                unbind(self)


# ---- output written out by hand (a list's rows): the values as DRF's fields render them -----------------------------


def text(value: Any) -> str | None:
    """As a CharField, UUIDField or ChoiceField renders a value: its text, None kept."""
    return None if value is None else str(value)


def iso_datetime(value: dt.datetime | None, zone: dt.tzinfo) -> str | None:
    """As DRF's DateTimeField renders a value: ISO 8601 in `zone` (the current time zone), UTC as Z."""
    if value is None:
        return None
    rendered = value.astimezone(zone).isoformat()
    return rendered[:-6] + "Z" if rendered.endswith("+00:00") else rendered
