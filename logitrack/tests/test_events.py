import dataclasses
import datetime as dt
import decimal
import enum
import uuid

import pytest

from logitrack.events import (
    IntegrationEvent,
    UnknownEventType,
    event_class,
    event_schema,
    from_envelope,
    to_envelope,
)
from logitrack.types import GeoPoint, Money


class Colour(enum.StrEnum):
    RED = "red"
    BLUE = "blue"


@dataclasses.dataclass(frozen=True, kw_only=True)
class SampleHappenedV1(IntegrationEvent):
    TYPE = "logitrack.sample.thing.happened.v1"

    thing_id: uuid.UUID
    amount: Money
    where: GeoPoint
    colour: Colour
    tags: tuple[str, ...]
    ratio: decimal.Decimal
    due: dt.date
    note: str | None = None


def make_event(**overrides):
    fields = dict(
        thing_id=uuid.uuid4(),
        amount=Money(1250, "EUR"),
        where=GeoPoint(52.52, 13.405),
        colour=Colour.BLUE,
        tags=("a", "b"),
        ratio=decimal.Decimal("0.125"),
        due=dt.date(2026, 11, 30),
    )
    fields.update(overrides)
    return SampleHappenedV1(**fields)


def test_envelope_round_trip_restores_an_equal_event():
    event = make_event(note="fragile")
    envelope = to_envelope(event)

    assert envelope["type"] == "logitrack.sample.thing.happened.v1"
    assert envelope["source"] == "sample"
    assert envelope["id"] == str(event.event_id)
    assert envelope["data"]["amount"] == {"amount_minor": 1250, "currency": "EUR"}
    assert envelope["data"]["colour"] == "blue"
    assert from_envelope(envelope) == event


def test_envelope_is_plain_json():
    import json

    envelope = to_envelope(make_event())
    assert json.loads(json.dumps(envelope)) == envelope


def test_missing_defaulted_field_falls_back_to_default_for_older_producers():
    envelope = to_envelope(make_event(note="x"))
    del envelope["data"]["note"]
    assert from_envelope(envelope).note is None


def test_registry_knows_the_class_by_type():
    assert event_class("logitrack.sample.thing.happened.v1") is SampleHappenedV1
    with pytest.raises(UnknownEventType):
        event_class("logitrack.sample.thing.vanished.v1")


def test_a_badly_named_type_is_refused_at_class_creation():
    with pytest.raises(TypeError, match="must look like"):

        @dataclasses.dataclass(frozen=True, kw_only=True)
        class Bad(IntegrationEvent):
            TYPE = "ThingHappened"


def test_two_classes_cannot_claim_one_type():
    with pytest.raises(TypeError, match="declared twice"):

        @dataclasses.dataclass(frozen=True, kw_only=True)
        class Impostor(IntegrationEvent):
            TYPE = "logitrack.sample.thing.happened.v1"


def test_naive_datetimes_are_refused():
    @dataclasses.dataclass(frozen=True, kw_only=True)
    class WhenV1(IntegrationEvent):
        TYPE = "logitrack.sample.clock.ticked.v1"
        at: dt.datetime

    with pytest.raises(ValueError, match="timezone-aware"):
        to_envelope(WhenV1(at=dt.datetime(2026, 1, 1)))


def test_schema_lists_fields_types_and_required_flags():
    schema = event_schema(SampleHappenedV1)
    fields = {f["name"]: f for f in schema["fields"]}
    assert schema["type"] == SampleHappenedV1.TYPE
    assert fields["thing_id"] == {"name": "thing_id", "type": "UUID", "required": True}
    assert fields["note"]["required"] is False
    assert fields["colour"]["type"] == "enum[blue, red]"
    assert "event_id" not in fields
