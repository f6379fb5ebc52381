"""API input has the JSON types its schema gives: DRF alone would coerce them (0 -> "0", false -> nil UUID)."""

import pytest
from django.http import QueryDict
from rest_framework import serializers

from logitrack.http.serializers import StrictInputSerializer


class Stop(serializers.Serializer):
    address = serializers.CharField()
    lat = serializers.FloatField()


class Booking(StrictInputSerializer):
    fleet_id = serializers.UUIDField()
    name = serializers.CharField(required=False)
    seats = serializers.IntegerField(required=False)
    urgent = serializers.BooleanField(required=False)
    note = serializers.CharField(required=False, allow_null=True)
    stops = Stop(many=True, required=False)
    tags = serializers.ListField(child=serializers.CharField(), required=False)


FLEET = "6f1c0c3e-9a5b-4e0f-8d3f-2a1b0c9d8e7f"


def errors(data):
    booking = Booking(data=data)
    assert not booking.is_valid()
    return booking.errors


def test_well_typed_input_passes():
    data = {
        "fleet_id": FLEET,
        "name": "A",
        "seats": 2,
        "urgent": True,
        "note": None,
        "stops": [{"address": "x", "lat": 1}],
    }
    booking = Booking(data={**data, "tags": ["a"]})
    assert booking.is_valid(), booking.errors
    assert booking.validated_data["stops"][0]["lat"] == 1.0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("fleet_id", False),
        ("fleet_id", 5),
        ("name", 0),
        ("name", True),
        ("seats", "2"),
        ("seats", True),
        ("seats", 2.5),
        ("urgent", "true"),
        ("urgent", 1),
    ],
)
def test_a_value_of_another_json_type_is_refused(field, value):
    assert list(errors({"fleet_id": FLEET, field: value})) == [field]


def test_nested_values_are_checked_by_position():
    found = errors({"fleet_id": FLEET, "stops": [{"address": "x", "lat": 1}, {"address": 7, "lat": "1"}], "tags": [1]})
    assert found == {
        "stops": {"1": {"address": ["Must be a string."], "lat": ["Must be a number."]}},
        "tags": {"0": ["Must be a string."]},
    }


def test_form_bodies_carry_strings_and_are_left_to_the_fields():
    form = QueryDict(mutable=True)
    form.update({"fleet_id": FLEET, "seats": "2", "urgent": "true"})
    booking = Booking(data=form)
    assert booking.is_valid(), booking.errors
    assert (booking.validated_data["seats"], booking.validated_data["urgent"]) == (2, True)


def test_a_validated_input_is_freed_by_refcounting_not_left_in_cycles():
    """Bound fields point back at their serializer (and a list's child at the list): a request's input, its dozens
    of fields and validators, waited for the garbage collector on every write until validation unbound them."""
    import gc
    import weakref

    gc.disable()
    try:
        booking = Booking(data={"fleet_id": FLEET, "stops": [{"address": "x", "lat": 1}], "tags": ["a"]})
        assert booking.is_valid(), booking.errors
        assert booking.validated_data["stops"] == [{"address": "x", "lat": 1.0}]
        rejected = Booking(data={"fleet_id": 5, "stops": [{"address": "x"}]})
        assert not rejected.is_valid()
        assert set(rejected.errors) == {"fleet_id"}
        freed = [weakref.ref(booking), weakref.ref(rejected)]
        del booking, rejected
        assert [ref() for ref in freed] == [None, None]
    finally:
        gc.enable()


def test_a_validated_input_still_renders_its_data():
    booking = Booking(data={"fleet_id": FLEET, "stops": [{"address": "x", "lat": 1}]})
    assert booking.is_valid(), booking.errors
    assert booking.data["stops"] == [{"address": "x", "lat": 1.0}]  # its fields bound afresh
    assert booking.data["fleet_id"] == FLEET


class Update(StrictInputSerializer):
    """As the API's update inputs: every field optional, no defaults filled in."""

    name = serializers.CharField()
    seats = serializers.IntegerField(default=3)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
            field.default = serializers.empty


def test_a_serializer_that_reshapes_its_fields_keeps_them_after_validation():
    update = Update(data={"seats": 1})
    assert update.is_valid(), update.errors
    assert update.fields["name"].required is False
    assert update.data == {"seats": 1}  # not the class's required name, nor its default
