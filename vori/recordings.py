"""Recordings: how a stream's audio is laid out in the object store, coded, and expired.

The archiver (stream_ingest.archive) is the one writer; the gateway reads. A stream's audio
is cut into chunks of a fixed number of samples, chunk ``i`` holding samples
``[i*N, (i+1)*N)``; only a stream's last chunk is shorter. Each chunk is one FLAC object
keyed by meeting, stream and its first sample::

    <meeting_id>/<stream_id>/<start_sample:012d>.flac

so a replay of the same audio writes the same keys with the same bytes (FLAC is lossless
and PyAV's encoder deterministic), and a chunk is played from any point on its own.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import av
import numpy as np

from vori.audio import SAMPLE_RATE as SAMPLE_RATE  # re-exported: readers count chunks in it

CHUNK_SUFFIX = ".flac"
CONTENT_TYPE = "audio/flac"
# Meeting, participant and device ids are generated tokens; anything else in a key part
# (a slash, "..") would let a message name objects outside its meeting.
_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,199}$")
# fLaC, a metadata block header, then STREAMINFO: 36 bits of total samples at byte 13.
STREAMINFO_BYTES = 8 + 34


class BadRecordingKeyError(ValueError):
    """A meeting or stream id that cannot name an object."""


def _checked(part: str, what: str) -> str:
    if not _ID.fullmatch(part) or ".." in part:
        raise BadRecordingKeyError(f"{what} {part!r} cannot name a recording")
    return part


def meeting_prefix(meeting_id: str) -> str:
    """Prefix of every object of one meeting."""
    return _checked(meeting_id, "meeting id") + "/"


def stream_prefix(meeting_id: str, stream_id: str) -> str:
    """Prefix of every chunk of one stream."""
    return meeting_prefix(meeting_id) + _checked(stream_id, "stream id") + "/"


def chunk_key(meeting_id: str, stream_id: str, start_sample: int) -> str:
    """The object key of the chunk starting at ``start_sample``."""
    if start_sample < 0:
        raise BadRecordingKeyError(f"negative chunk start {start_sample}")
    return f"{stream_prefix(meeting_id, stream_id)}{start_sample:012d}{CHUNK_SUFFIX}"


@dataclass(frozen=True)
class ChunkRef:
    """Where a key points: meeting, stream and first sample of a chunk."""

    meeting_id: str
    stream_id: str
    start_sample: int


def parse_chunk_key(key: str) -> ChunkRef | None:
    """The chunk a key names, or None for any other object."""
    parts = key.split("/")
    if len(parts) != 3 or not parts[2].endswith(CHUNK_SUFFIX):
        return None
    digits = parts[2].removesuffix(CHUNK_SUFFIX)
    if not digits.isdigit():
        return None
    return ChunkRef(parts[0], parts[1], int(digits))


def chunk_start(position: int, chunk_samples: int) -> int:
    """First sample of the chunk holding sample ``position``."""
    return position - position % chunk_samples


# -- codec --------------------------------------------------------------------------------


def encode_flac(pcm: bytes, sample_rate: int = SAMPLE_RATE) -> bytes:
    """PCM s16le mono as a FLAC file (lossless, same bytes for the same samples)."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.int16)
    out_buffer = io.BytesIO()
    with av.open(out_buffer, "w", format="flac") as container:
        stream = container.add_stream("flac", rate=sample_rate, layout="mono")
        stream.format = "s16"
        if samples.size:
            frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = sample_rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out_buffer.getvalue()


def decode_flac(data: bytes) -> bytes:
    """A FLAC file's samples as PCM s16le mono."""
    parts: list[np.ndarray] = []
    with av.open(io.BytesIO(data), "r") as container:
        for frame in container.decode(audio=0):
            parts.append(frame.to_ndarray().reshape(-1).astype("<i2"))
    if not parts:
        return b""
    return np.concatenate(parts).tobytes()


def flac_total_samples(head: bytes) -> int | None:
    """Total samples from a FLAC file's first bytes (STREAMINFO), None if it does not say."""
    if len(head) < STREAMINFO_BYTES or head[:4] != b"fLaC" or head[4] & 0x7F != 0:
        return None
    total = int.from_bytes(head[8 + 13 : 8 + 18], "big") & ((1 << 36) - 1)
    return total or None


# -- retention ----------------------------------------------------------------------------


def retention_days(global_days: int, meeting_days: int | None) -> int:
    """Days a meeting's audio is kept: its own setting, else the global one; 0 is forever."""
    return global_days if meeting_days is None else meeting_days


def expires_at(
    days: int, ended_at: datetime | None, last_written: datetime | None
) -> datetime | None:
    """When a meeting's audio expires: ``days`` after the meeting ended, or after its last
    chunk for a meeting never ended; None when it is kept (0 days, or nothing to date)."""
    if days <= 0:
        return None
    since = ended_at or last_written
    return None if since is None else since + timedelta(days=days)


def is_expired(
    now: datetime, days: int, ended_at: datetime | None, last_written: datetime | None
) -> bool:
    """Whether a meeting's audio is past its retention at ``now``."""
    due = expires_at(days, ended_at, last_written)
    return due is not None and now >= due
