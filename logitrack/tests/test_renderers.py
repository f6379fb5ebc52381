"""The API's JSON renderer (orjson) writes what DRF's own writes, byte for byte, for what our views return."""

import dataclasses
import datetime as dt
import decimal
import enum
import math
import uuid
import zoneinfo

import pytest
from django.utils.translation import gettext_lazy
from rest_framework import renderers
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from logitrack.http.renderers import JSONRenderer


class Colour(enum.StrEnum):
    RED = "red"


@dataclasses.dataclass
class Point:
    lat: float


BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")

SAME = [
    {"id": uuid.UUID("6f1c0c3e-9a5b-4e0f-8d3f-2a1b0c9d8e7f"), "name": "Zoë → Łódź 😀 <b>&</b>", "n": 3, "ok": True},
    ReturnDict(
        {"results": ReturnList([{"a": None, "b": [1, 2.5, -0.0, 52.520008]}], serializer=None)}, serializer=None
    ),
    {
        "when": dt.datetime(2026, 12, 7, 14, 0, 5, 123456, tzinfo=dt.UTC),
        "local": dt.datetime(2026, 12, 7, 15, 0, tzinfo=BERLIN),
    },
    {"day": dt.date(2026, 12, 7), "at": dt.time(9, 30, 15, 250000), "took": dt.timedelta(minutes=3, seconds=1.5)},
    {"fare": decimal.Decimal("12.34"), "lazy": gettext_lazy("Trip"), "colour": Colour.RED, "tags": {"x"}},
    {"separators": "a\u2028b\u2029c", "control": "tab\tnul\x00", "empty": {}, "nested": [[[]]]},
    ["a", ("tuple", 1)],
    {"big": 2**70, "negative": -(2**70)},  # beyond orjson's 64 bits: DRF's renderer writes them
    {1: "int key", "b": 2},  # orjson refuses non-string keys: DRF's renderer writes them
]


@pytest.mark.parametrize("data", SAME)
def test_writes_what_drf_writes(data):
    assert JSONRenderer().render(data) == renderers.JSONRenderer().render(data)


def test_indent_asked_for_in_accept_is_drfs():
    data = {"a": [1, {"b": 2}]}
    asked = "application/json; indent=4"
    assert JSONRenderer().render(data, asked) == renderers.JSONRenderer().render(data, asked)
    assert b"\n    " in JSONRenderer().render(data, asked)


def test_what_neither_can_write_is_drfs_error():
    with pytest.raises(TypeError):
        JSONRenderer().render({"x": object()})
    with pytest.raises(TypeError):
        JSONRenderer().render({"p": Point(1.0)})  # DRF's encoder does not write dataclasses: neither does this


def test_the_two_documented_differences():
    assert JSONRenderer().render({"f": 1e-05}) == b'{"f":0.00001}'  # the same number as DRF's 1e-05
    assert JSONRenderer().render({"f": math.nan}) == b'{"f":null}'  # DRF refuses NaN (a 500)
    with pytest.raises(ValueError):
        renderers.JSONRenderer().render({"f": math.nan})


def test_none_is_an_empty_body():
    assert JSONRenderer().render(None) == b""


def test_the_api_renders_with_it():
    from rest_framework.views import APIView

    assert APIView.renderer_classes[0] is JSONRenderer


def test_a_generator_is_never_written_empty_by_a_second_pass():
    """DRF's renderer is the fallback for what orjson refuses; a generator orjson already consumed would come out
    as [] there, so that case fails loudly instead."""
    assert JSONRenderer().render({"a": (n for n in [1, 2])}) == b'{"a":[1,2]}'
    with pytest.raises(TypeError):
        JSONRenderer().render({"a": (n for n in [1, 2]), "big": 2**70})
