"""The audio WebSocket protocol as a pure state machine: messages in, decisions out, no I/O.

The session shell feeds it every text and binary frame a client sends; it answers with a
typed message or raises :class:`ProtocolError` carrying the close code and reason that
the contract in docs/protocol.md prescribes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum

# The audio format is the pipeline's (vori/audio.py); the session and ledger take it from here.
from vori.audio import BYTES_PER_SAMPLE as BYTES_PER_SAMPLE
from vori.audio import CHANNELS as CHANNELS
from vori.audio import ENCODING as ENCODING
from vori.audio import SAMPLE_RATE as SAMPLE_RATE
from vori.wire_json import MalformedJSONError, parse_json_object

MIN_FRAME_MS = 20
MAX_FRAME_MS = 200
MIN_FRAME_BYTES = SAMPLE_RATE * MIN_FRAME_MS // 1000 * BYTES_PER_SAMPLE  # 640
MAX_FRAME_BYTES = SAMPLE_RATE * MAX_FRAME_MS // 1000 * BYTES_PER_SAMPLE  # 6400
MAX_TEXT_BYTES = 16 * 1024
# A WebSocket close reason must fit in 123 bytes of UTF-8.
MAX_REASON_BYTES = 123


class CloseCode(IntEnum):
    """Close codes of the audio WebSocket (contract: ARCHITECTURE.md, docs/protocol.md)."""

    NORMAL = 1000
    INTERNAL_ERROR = 1011
    TRY_AGAIN_LATER = 1013  # a new stream while the transcribers are over capacity
    BAD_MESSAGE = 4400
    BAD_TOKEN = 4401
    NOT_FOUND = 4404
    CONFLICT = 4409
    OVER_LIMIT = 4429


class ProtocolError(Exception):
    """A client message that ends the session with `code` and a readable `reason`."""

    def __init__(self, code: CloseCode, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = short_reason(reason)


def short_reason(reason: str) -> str:
    """Cut a close reason to what the WebSocket close frame can carry."""
    raw = reason.encode()
    if len(raw) <= MAX_REASON_BYTES:
        return reason
    return raw[: MAX_REASON_BYTES - 3].decode(errors="ignore") + "..."


@dataclass(frozen=True)
class StartMessage:
    """The client's first message: its token, audio format, and optionally where it resumes.

    `stream_id` resumes a stream; `position` (an extension of the contract) says which
    stream sample the client's first binary frame starts at, so that a client that
    re-sends audio from its last ack gets the already-durable part dropped. `room`
    marks a microphone several people share, for this connection's audio only.
    """

    token: str | None
    stream_id: str | None = None
    position: int | None = None
    room: bool = False


@dataclass(frozen=True)
class StopMessage:
    """The client has no more audio: write the end-of-stream marker and close."""


class Phase(Enum):
    AWAITING_START = "awaiting_start"
    STARTING = "starting"
    STREAMING = "streaming"
    STOPPED = "stopped"


class AudioProtocol:
    """Validates the sequence and shape of one connection's messages."""

    def __init__(self) -> None:
        self.phase = Phase.AWAITING_START
        self._short_frame_seen = False

    def on_text(self, text: str) -> StartMessage | StopMessage:
        """Parse a control message valid in the current phase."""
        if len(text.encode()) > MAX_TEXT_BYTES:
            raise ProtocolError(CloseCode.BAD_MESSAGE, f"text message over {MAX_TEXT_BYTES} bytes")
        try:
            message = parse_json_object(text)
        except MalformedJSONError as exc:
            raise ProtocolError(CloseCode.BAD_MESSAGE, exc.reason) from None
        kind = message.get("type")
        if kind == "start":
            if self.phase is not Phase.AWAITING_START:
                raise ProtocolError(CloseCode.BAD_MESSAGE, "start sent twice")
            start = parse_start(message)
            self.phase = Phase.STARTING
            return start
        if kind == "stop":
            if self.phase is not Phase.STREAMING:
                raise ProtocolError(CloseCode.BAD_MESSAGE, "stop before the stream was ready")
            self.phase = Phase.STOPPED
            return StopMessage()
        if self.phase is Phase.AWAITING_START:
            raise ProtocolError(CloseCode.BAD_MESSAGE, "the first message must be a start message")
        raise ProtocolError(CloseCode.BAD_MESSAGE, f"unknown message type {kind!r}")

    def ready(self) -> None:
        """The server has answered `ready`: audio may flow."""
        self.phase = Phase.STREAMING

    def on_audio(self, frame: bytes) -> int:
        """Check a binary frame; returns its number of samples."""
        if self.phase in (Phase.AWAITING_START, Phase.STARTING):
            raise ProtocolError(CloseCode.BAD_MESSAGE, "audio before start")
        if self.phase is Phase.STOPPED:
            raise ProtocolError(CloseCode.BAD_MESSAGE, "audio after stop")
        size = len(frame)
        if size % BYTES_PER_SAMPLE:
            raise ProtocolError(
                CloseCode.BAD_MESSAGE, f"odd frame length {size}: {ENCODING} needs whole samples"
            )
        if size > MAX_FRAME_BYTES:
            raise ProtocolError(
                CloseCode.BAD_MESSAGE,
                f"frame of {size} bytes is longer than {MAX_FRAME_MS} ms ({MAX_FRAME_BYTES} bytes)",
            )
        if size == 0:
            raise ProtocolError(CloseCode.BAD_MESSAGE, "empty audio frame")
        if self._short_frame_seen:
            raise ProtocolError(
                CloseCode.BAD_MESSAGE,
                f"only the last frame before stop may be shorter than {MIN_FRAME_MS} ms",
            )
        if size < MIN_FRAME_BYTES:
            self._short_frame_seen = True
        return size // BYTES_PER_SAMPLE


def parse_start(message: dict[str, object]) -> StartMessage:
    """Validate a start message's audio format and fields."""
    sample_rate = message.get("sample_rate", SAMPLE_RATE)
    if sample_rate != SAMPLE_RATE:
        raise ProtocolError(
            CloseCode.BAD_MESSAGE, f"sample_rate must be {SAMPLE_RATE}, got {sample_rate!r}"
        )
    encoding = message.get("encoding", ENCODING)
    if encoding != ENCODING:
        raise ProtocolError(CloseCode.BAD_MESSAGE, f"encoding must be {ENCODING}, got {encoding!r}")
    channels = message.get("channels", CHANNELS)
    if channels != CHANNELS:
        raise ProtocolError(CloseCode.BAD_MESSAGE, f"channels must be {CHANNELS}, got {channels!r}")
    token = message.get("token")
    if token is not None and not isinstance(token, str):
        raise ProtocolError(CloseCode.BAD_TOKEN, "token must be a string")
    stream_id = message.get("stream_id")
    if stream_id is not None and (not isinstance(stream_id, str) or len(stream_id) > 200):
        raise ProtocolError(
            CloseCode.BAD_MESSAGE, "stream_id must be a string of 200 chars at most"
        )
    position = message.get("position")
    if position is not None and (
        isinstance(position, bool) or not isinstance(position, int) or position < 0
    ):
        raise ProtocolError(CloseCode.BAD_MESSAGE, "position must be a sample index >= 0")
    room = message.get("room", False)
    if not isinstance(room, bool):
        raise ProtocolError(CloseCode.BAD_MESSAGE, "room must be true or false")
    return StartMessage(token=token or None, stream_id=stream_id, position=position, room=room)
