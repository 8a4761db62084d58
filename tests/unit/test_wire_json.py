"""Control frames from clients: every hostile JSON shape is a MalformedJSONError with a
short reason, never a RecursionError, a bare ValueError or a non-finite float."""

from __future__ import annotations

import pytest

from vori.wire_json import MAX_DEPTH, MalformedJSONError, nesting_depth, parse_json_object


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[" * 100_000, "malformed JSON: nested deeper than 32 levels"),
        ('{"a":' * 3_000 + "1" + "}" * 3_000, "malformed JSON: nested deeper than 32 levels"),
        ('{"type": "ping", "n": ' + "9" * 5_000 + "}", "malformed JSON: a number of over 20"),
        ('{"type": "ping", "n": -' + "9" * 21 + "}", "malformed JSON: a number of over 20"),
        ('{"n": 1e999}', "malformed JSON: a number out of range"),
        ('{"n": NaN}', "malformed JSON: NaN is not JSON"),
        ('{"n": -Infinity}', "malformed JSON: -Infinity is not JSON"),
        ("[]", "a control message must be a JSON object, not an array"),
        ("5", "a control message must be a JSON object, not a number"),
        ('"start"', "a control message must be a JSON object, not a string"),
        ("null", "a control message must be a JSON object, not null"),
        ("true", "a control message must be a JSON object, not a boolean"),
        ("{oops", "malformed JSON: Expecting property name enclosed in double quotes"),
        ("", "malformed JSON: Expecting value"),
    ],
    ids=lambda v: v[:24] if isinstance(v, str) else v,
)
def test_hostile_frames_are_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(MalformedJSONError) as refused:
        parse_json_object(text)
    assert refused.value.reason.startswith(reason)
    assert len(refused.value.reason.encode()) <= 123  # fits a close frame


def test_real_control_frames_parse() -> None:
    start = '{"type": "start", "token": "a.b.c", "sample_rate": 16000, "position": 123456789}'
    assert parse_json_object(start)["position"] == 123456789
    inner = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)  # the object is one more level
    assert parse_json_object('{"x": ' + inner + ', "f": 0.25}')["f"] == 0.25


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = '{"reason": "' + "[{" * 1_000 + '\\"[[", "ok": [[1]]}'
    assert nesting_depth(text) == 3
    assert parse_json_object(text)["ok"] == [[1]]
