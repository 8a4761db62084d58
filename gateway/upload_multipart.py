"""A multipart/form-data body read as it streams: the `file` field's bytes in pieces, the
other fields whole (small), so a recording never has to be in memory whole.

No I/O: the route feeds the body's chunks and acts on what comes out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

FILE_FIELD = "file"


class MultipartError(ValueError):
    """The body is not a usable multipart/form-data upload; the message says why."""


@dataclass(frozen=True)
class FileStart:
    filename: str


@dataclass(frozen=True)
class FileData:
    data: bytes


@dataclass(frozen=True)
class Field:
    name: str
    value: str


PartEvent = FileStart | FileData | Field


def boundary_of(content_type: str | None) -> bytes:
    """The boundary of a multipart/form-data Content-Type; MultipartError otherwise."""
    kind, options = parse_options_header(content_type or "")
    if kind != b"multipart/form-data":
        raise MultipartError("send the recording as multipart/form-data with a `file` field")
    boundary = options.get(b"boundary")
    if not boundary:
        raise MultipartError("multipart/form-data without a boundary")
    return boundary


class MultipartReader:
    """Feed body chunks, get the parts' events in order."""

    def __init__(self, boundary: bytes, field_max_bytes: int = 1024) -> None:
        self.field_max_bytes = field_max_bytes
        self._events: list[PartEvent] = []
        self._header_name = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._name: str | None = None
        self._is_file = False
        self._value = bytearray()
        self._ended = False
        callbacks: MultipartCallbacks = {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value_data,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_end": self._end,
        }
        self._parser = MultipartParser(boundary, callbacks)

    def feed(self, chunk: bytes) -> list[PartEvent]:
        """The events that `chunk` completes."""
        try:
            self._parser.write(chunk)
        except MultipartParseError as exc:
            raise MultipartError(f"malformed multipart body: {exc}") from None
        events, self._events = self._events, []
        return events

    def finish(self) -> None:
        """Check that the body ended where multipart says it ends."""
        if not self._ended:
            raise MultipartError("the multipart body ends before its closing boundary")

    def _part_begin(self) -> None:
        self._headers = {}
        self._name = None
        self._is_file = False
        self._value = bytearray()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_name.lower()] = self._header_value
        self._header_name = b""
        self._header_value = b""

    def _headers_finished(self) -> None:
        disposition, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if disposition != b"form-data" or b"name" not in options:
            raise MultipartError("a multipart part without Content-Disposition: form-data; name")
        self._name = options[b"name"].decode("utf-8", "replace")
        filename = options.get(b"filename")
        self._is_file = self._name == FILE_FIELD
        if self._is_file:
            name = filename.decode("utf-8", "replace") if filename else ""
            # Browsers send the base name; others may send a path.
            self._events.append(FileStart(name.replace("\\", "/").rsplit("/", 1)[-1]))

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file:
            self._events.append(FileData(bytes(data[start:end])))
            return
        self._value += data[start:end]
        if len(self._value) > self.field_max_bytes:
            raise MultipartError(f"field {self._name!r} is over {self.field_max_bytes} bytes")

    def _part_end(self) -> None:
        if not self._is_file and self._name is not None:
            self._events.append(Field(self._name, self._value.decode("utf-8", "replace")))

    def _end(self) -> None:
        self._ended = True
