import pytest

from logitrack import jsonlimits
from logitrack.jsonlimits import MAX_DEPTH, TooDeeplyNested


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("encode", [False, True])
def test_nesting_up_to_the_limit_is_read_and_one_level_more_is_refused(encode: bool) -> None:
    # the limit itself is taken by the bracket count alone, one more level by walking the value
    at_limit, past_limit = nested(MAX_DEPTH), nested(MAX_DEPTH + 1)
    assert jsonlimits.loads(at_limit.encode() if encode else at_limit) is not None
    with pytest.raises(TooDeeplyNested):
        jsonlimits.loads(past_limit.encode() if encode else past_limit)


def test_many_brackets_side_by_side_or_inside_strings_are_not_depth() -> None:
    wide = "[" + ", ".join(["[]"] * (3 * MAX_DEPTH)) + "]"
    assert len(jsonlimits.loads(wide)) == 3 * MAX_DEPTH
    text = '{"note": "' + "[{" * MAX_DEPTH + '"}'
    assert jsonlimits.loads(text) == {"note": "[{" * MAX_DEPTH}


def test_a_ping_is_read_as_before() -> None:
    ping = '{"type": "ping", "ping_id": "3f0c3ab4-3a1c-4a59-8f3e-0d5d8f1a2b3c", "lat": 52.5, "lng": 13.4}'
    assert jsonlimits.loads(ping)["lat"] == 52.5
