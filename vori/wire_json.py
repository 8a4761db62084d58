"""Strict parsing of the JSON control frames that clients send over the WebSockets.

`json.loads` alone lets a hostile frame escape as something other than a JSON error:
deep nesting raises RecursionError, an integer of over 4,300 digits ValueError, and
`NaN`, `Infinity` or `1e999` become floats no other JSON parser accepts. Each is turned
into :class:`MalformedJSONError` with a reason a close frame can carry, so a socket
answers a bad frame with its protocol close code, never with 1011 and a stack trace.
"""

from __future__ import annotations

import json
import math
from typing import Any

# Control frames are flat objects; 32 levels is far beyond any real one and far below
# the interpreter's recursion limit (about 1,000 frames).
MAX_DEPTH = 32
# Longer integers are no sample index, sequence number or position.
MAX_INT_DIGITS = 20


class MalformedJSONError(ValueError):
    """A frame that is not a usable JSON object; `reason` says why in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_json_object(text: str, *, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """Parse `text` as one JSON object, refusing deep nesting, huge or non-finite numbers."""
    # Counting brackets is fast; only a frame with many of them is scanned for its depth.
    many = text.count("[") + text.count("{") > max_depth
    if many and nesting_depth(text) > max_depth:
        raise MalformedJSONError(f"malformed JSON: nested deeper than {max_depth} levels")
    try:
        value = json.loads(
            text, parse_int=_bounded_int, parse_float=_finite_float, parse_constant=_no_constant
        )
    except json.JSONDecodeError as exc:
        raise MalformedJSONError(f"malformed JSON: {exc.msg}") from None
    if not isinstance(value, dict):
        raise MalformedJSONError(f"a control message must be a JSON object, not {_kind(value)}")
    return value


def nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in `text`, ignoring brackets in strings.

    A linear scan with no recursion, so it is safe on any input; malformed text gives
    some number and is then refused by the parser itself.
    """
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise MalformedJSONError(f"malformed JSON: a number of over {MAX_INT_DIGITS} digits")
    return int(digits)


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value) or len(literal) > 64:
        raise MalformedJSONError("malformed JSON: a number out of range")
    return value


def _no_constant(name: str) -> float:
    raise MalformedJSONError(f"malformed JSON: {name} is not JSON")


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"
