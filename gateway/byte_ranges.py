"""HTTP byte ranges, pure: one `Range: bytes=a-b` header read against a size, and a range
laid over a file kept in consecutive parts (an upload's objects), part by part."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class UnsatisfiableRangeError(ValueError):
    """A range header that is malformed or outside the file (HTTP 416)."""


def byte_range(header: str, size: int) -> tuple[int, int]:
    """First and last byte (inclusive) of a single range over `size` bytes."""
    match = _RANGE.fullmatch(header.strip())
    if match is None or match.groups() == ("", ""):
        raise UnsatisfiableRangeError(f"range {header!r} is not a single byte range")
    first_text, last_text = match.groups()
    if first_text == "":  # the last N bytes
        first, last = max(0, size - int(last_text)), size - 1
    else:
        first = int(first_text)
        last = min(int(last_text), size - 1) if last_text else size - 1
    if first >= size or first > last:
        raise UnsatisfiableRangeError(f"range {header!r} does not fit the {size} bytes")
    return first, last


@dataclass(frozen=True)
class PartSlice:
    """Bytes `[start, start + length)` of part `index`."""

    index: int
    start: int
    length: int


def slices_over_parts(offsets: list[int], size: int, first: int, last: int) -> list[PartSlice]:
    """The pieces of bytes `first..last` of a file whose part *i* starts at `offsets[i]`
    (ascending, the first at 0) and which is `size` bytes in all."""
    if not offsets or offsets[0] != 0 or any(b <= a for a, b in pairwise(offsets)):
        raise ValueError(f"part offsets {offsets!r} do not tile a file from byte 0")
    if not 0 <= first <= last < size or offsets[-1] >= size:
        raise ValueError(f"bytes {first}-{last} are not within a file of {size} bytes")
    ends = [*offsets[1:], size]
    pieces: list[PartSlice] = []
    for index, (begin, end) in enumerate(zip(offsets, ends, strict=True)):
        low, high = max(first, begin), min(last + 1, end)
        if low < high:
            pieces.append(PartSlice(index, low - begin, high - low))
    return pieces
