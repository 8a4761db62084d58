"""Which offset of a partition is safe to commit, and what a restart needs with it (pure).

A partition carries the frames of many streams, interleaved. Its committed offset is the
first message that a restart must read again: the first one holding a sample at or after
its stream's durable checkpoint. Every stream with state at that point travels with the
offset as commit metadata (compressed JSON), so that a restart skips what is done and
restores each stream's segmenter checkpoint, prompt context and (room microphones) voices,
and knows which of the finals it decodes again went out before (`published_to`).
"""

from __future__ import annotations

import base64
import json
import zlib
from collections import Counter, deque
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from transcriber.room import EMPTY_VOICES, decode_voices, encode_voices
from transcriber.segmenter import Checkpoint
from transcriber.stream import StreamCheckpoint

T = TypeVar("T")

# 2 added each stream's `published_to`; commits of version 1 are still read.
METADATA_VERSION = 2
# Kafka's default `offset.metadata.max.bytes`: what a broker whose own cannot be read allows.
KAFKA_DEFAULT_METADATA_MAX_BYTES = 4096
# Metadata is a string field of the protocol: Kafka's generated request and record code
# refuses more than 0x7fff bytes, whatever `offset.metadata.max.bytes` says.
PROTOCOL_MAX_METADATA_BYTES = 32767


def metadata_budget(broker_max_bytes: int) -> int:
    """The longest metadata text a commit may carry under a broker's offset.metadata.max.bytes.

    confluent-kafka sends the text with its terminating NUL byte (measured: 32,766
    characters are accepted, 32,767 arrive as 32,768 bytes and the broker closes the
    connection), so one byte less than the limit.
    """
    return min(broker_max_bytes, PROTOCOL_MAX_METADATA_BYTES) - 1


DEFAULT_METADATA_MAX_BYTES = metadata_budget(KAFKA_DEFAULT_METADATA_MAX_BYTES)


class MetadataTooLargeError(ValueError):
    """The checkpoints of a partition do not fit the commit metadata even without context."""

    def __init__(self, streams: int, needed_bytes: int, full_bytes: int, max_bytes: int) -> None:
        super().__init__(f"{streams} stream checkpoints need {needed_bytes} B of {max_bytes} B")
        self.streams = streams
        self.full_bytes = full_bytes
        self.max_bytes = max_bytes

    @property
    def fill(self) -> float:
        return self.full_bytes / self.max_bytes


@dataclass(frozen=True)
class EncodedMetadata:
    """A partition's commit metadata, and how full its checkpoints make it."""

    text: str
    full_bytes: int  # the size with every prompt context whole
    max_bytes: int

    @property
    def fill(self) -> float:
        """Share of the limit the checkpoints need with whole contexts (above 1: cut)."""
        return self.full_bytes / self.max_bytes


def encode_metadata(
    checkpoints: Mapping[str, StreamCheckpoint], max_bytes: int = DEFAULT_METADATA_MAX_BYTES
) -> EncodedMetadata:
    """Commit metadata for a partition's stream checkpoints; contexts shrink if it is too big.

    Raises MetadataTooLargeError when even empty contexts do not fit in `max_bytes`.
    """
    limit: int | None = None
    full_bytes = 0
    while True:
        body = {
            stream_id: [
                cp.segmenter.position,
                cp.segmenter.open_start,
                cp.context if limit is None else cp.context[len(cp.context) - limit :][:limit],
                2 if cp.expired else int(cp.ended),
                cp.last_seen_ms,
                cp.published_to,
                # A room microphone's voices (never cut: they name its speakers).
                *([encode_voices(cp.voices)] if cp.voices != EMPTY_VOICES else []),
            ]
            for stream_id, cp in sorted(checkpoints.items())
        }
        raw = json.dumps({"v": METADATA_VERSION, "s": body}, separators=(",", ":"))
        text = base64.b64encode(zlib.compress(raw.encode(), 9)).decode()
        if limit is None:
            full_bytes = len(text)
        if len(text) <= max_bytes:
            return EncodedMetadata(text, full_bytes, max_bytes)
        if limit == 0:
            raise MetadataTooLargeError(len(checkpoints), len(text), full_bytes, max_bytes)
        longest = max((len(cp.context) for cp in checkpoints.values()), default=0)
        limit = (longest if limit is None else limit) // 2


def encode_checkpoints(
    checkpoints: Mapping[str, StreamCheckpoint], max_bytes: int = DEFAULT_METADATA_MAX_BYTES
) -> str:
    """Commit metadata text for a partition's stream checkpoints (see encode_metadata)."""
    return encode_metadata(checkpoints, max_bytes).text


@dataclass(frozen=True)
class PartitionCommit:
    """What the next transaction carries for one partition.

    `metadata` None: the checkpoints do not fit even without their contexts, so the
    partition is *held*: neither its offset nor any final of its streams is committed
    (the previous commit stays valid for a restart) until enough of them end to fit again.
    """

    offset: int
    metadata: str | None
    fill: float
    streams: int

    @property
    def held(self) -> bool:
        return self.metadata is None


def plan_commit(
    offset: int, checkpoints: Mapping[str, StreamCheckpoint], max_bytes: int
) -> PartitionCommit:
    """The offset and metadata to commit for a partition, or a hold when nothing fits."""
    try:
        encoded = encode_metadata(checkpoints, max_bytes)
    except MetadataTooLargeError as exc:
        return PartitionCommit(offset, None, exc.fill, len(checkpoints))
    return PartitionCommit(offset, encoded.text, encoded.fill, len(checkpoints))


def publishable(
    outbox: Sequence[tuple[int, T]], held: Collection[int]
) -> tuple[list[T], list[tuple[int, T]]]:
    """Split (partition, final) pairs into those to publish now and those a hold keeps back.

    A held partition's finals wait with its offset: published without it, a restart from
    the previous commit would decode and publish them again.
    """
    now = [item for partition, item in outbox if partition not in held]
    kept = [(partition, item) for partition, item in outbox if partition in held]
    return now, kept


def decode_checkpoints(metadata: str | None) -> dict[str, StreamCheckpoint]:
    """The stream checkpoints stored with a committed offset (none for a fresh group)."""
    if not metadata:
        return {}
    try:
        raw = json.loads(zlib.decompress(base64.b64decode(metadata)))
    except (ValueError, zlib.error) as exc:
        raise ValueError(f"unreadable transcriber commit metadata: {exc}") from exc
    version = raw.get("v")
    if version not in (1, METADATA_VERSION):
        raise ValueError(f"transcriber commit metadata version {version!r} is unknown")
    out: dict[str, StreamCheckpoint] = {}
    for stream_id, (position, open_start, context, ended, *rest) in raw["s"].items():
        last_seen = rest.pop(0) if rest else None
        published_to = rest.pop(0) if version > 1 else None
        voices = decode_voices(rest[0]) if rest else EMPTY_VOICES
        out[stream_id] = StreamCheckpoint(
            Checkpoint(position, open_start),
            context,
            ended == 1,
            ended == 2,
            last_seen,
            voices,
            published_to,
        )
    return out


@dataclass(frozen=True)
class _Message:
    offset: int
    stream_id: str | None  # None: dead-lettered, nothing to redo
    end_position: int
    position: int


class PartitionProgress:
    """Messages of one partition not yet known to be done, in offset order."""

    def __init__(self, committed_offset: int, high_watermark: int) -> None:
        self.committed_offset = committed_offset
        self._pending: deque[_Message] = deque()
        self._per_stream: Counter[str] = Counter()
        self.last_offset = committed_offset - 1
        # Until the messages that existed at assignment are read again, a checkpoint
        # restored from metadata may still be needed for one of them.
        self._caught_up = high_watermark <= committed_offset

    def track(
        self, offset: int, stream_id: str | None, end_position: int, position: int | None = None
    ) -> None:
        """Remember a message read from the partition (its samples: [position, end_position))."""
        start = end_position if position is None else position
        self._pending.append(_Message(offset, stream_id, end_position, start))
        if stream_id is not None:
            self._per_stream[stream_id] += 1
        self.last_offset = offset

    def caught_up_to(self, high_watermark: int) -> None:
        if self.last_offset >= high_watermark - 1:
            self._caught_up = True

    @property
    def caught_up(self) -> bool:
        return self._caught_up

    def has_messages_of(self, stream_id: str) -> bool:
        return self._per_stream[stream_id] > 0

    def commit_point(self, checkpoints: Mapping[str, StreamCheckpoint]) -> int:
        """Drop the done prefix and return the offset to commit (the first one not done)."""
        while self._pending and self._done(self._pending[0], checkpoints):
            message = self._pending.popleft()
            if message.stream_id is not None:
                self._per_stream[message.stream_id] -= 1
                if not self._per_stream[message.stream_id]:
                    del self._per_stream[message.stream_id]
        return self._pending[0].offset if self._pending else self.last_offset + 1

    @staticmethod
    def _done(message: _Message, checkpoints: Mapping[str, StreamCheckpoint]) -> bool:
        if message.stream_id is None:
            return True
        checkpoint = checkpoints.get(message.stream_id)
        if checkpoint is None:
            return False
        if checkpoint.ended:
            return True
        if checkpoint.expired and message.position < checkpoint.segmenter.position:
            return True  # finalised at expiry (a sub-frame rest was dropped, as on replay)
        return message.end_position <= checkpoint.segmenter.needed_from

    def keeps(self, stream_id: str, checkpoint: StreamCheckpoint) -> bool:
        """Whether a stream's checkpoint must travel with the next commit."""
        if not (checkpoint.ended or checkpoint.expired):
            return True
        return self.has_messages_of(stream_id) or not self._caught_up
