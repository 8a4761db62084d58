"""Cutting streams into fixed-length chunks (pure: frames in, chunks to write out).

Chunk ``i`` of a stream holds samples ``[i*N, (i+1)*N)``, whatever the Kafka messages'
boundaries were, so a replay cuts the same chunks. A chunk is handed out when it is full,
when its stream ends, or when its stream has been idle; a stream that goes on after its
open chunk was written rewrites that chunk whole. Each chunk remembers the first Kafka
offset whose audio it holds: below that, a partition's offset may be committed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vori.events import AudioFrame


@dataclass(frozen=True)
class Chunk:
    """Audio to store: samples of one stream from ``start_sample`` on, PCM s16le."""

    meeting_id: str
    stream_id: str
    start_sample: int
    pcm: bytes
    first_offset: int | None  # earliest Kafka offset of its audio not yet durable

    @property
    def samples(self) -> int:
        return len(self.pcm) // 2


@dataclass
class _OpenChunk:
    meeting_id: str
    start: int
    buffer: bytearray
    stored_samples: int  # leading samples that are already an object of exactly this length
    first_offset: int | None = None
    last_seen: float = 0.0
    gaps: int = field(default=0)

    @property
    def end(self) -> int:
        return self.start + len(self.buffer) // 2


class ChunkAssembler:
    """The open chunk of every stream of one partition."""

    def __init__(self, chunk_samples: int) -> None:
        if chunk_samples <= 0:
            raise ValueError("chunk_samples must be positive")
        self.chunk_samples = chunk_samples
        self.streams: dict[str, _OpenChunk] = {}

    def knows(self, stream_id: str) -> bool:
        return stream_id in self.streams

    def resume(
        self, meeting_id: str, stream_id: str, start_sample: int, stored_pcm: bytes, now: float
    ) -> None:
        """Open a stream at the chunk starting at ``start_sample``, with what the store
        already holds of that chunk (empty if nothing)."""
        if start_sample % self.chunk_samples:
            raise ValueError(f"{start_sample} is not a chunk boundary")
        stored = stored_pcm[: self.chunk_samples * 2]
        self.streams[stream_id] = _OpenChunk(
            meeting_id, start_sample, bytearray(stored), len(stored) // 2, last_seen=now
        )

    def add(self, frame: AudioFrame, offset: int, now: float) -> list[Chunk]:
        """Take one frame (its stream resumed before); the chunks it completes or ends."""
        state = self.streams.get(frame.stream_id)
        if state is None:
            raise KeyError(f"stream {frame.stream_id} not resumed")
        state.last_seen = now
        out: list[Chunk] = []
        pcm = frame.pcm
        position = frame.position
        if frame.end_position > state.end:
            if position < state.end:  # a replayed head: keep only what is new
                pcm = pcm[(state.end - position) * 2 :]
                position = state.end
            if position >= state.start + self.chunk_samples:
                # Audio missing beyond this chunk (never archived, gone from Kafka): close
                # this chunk and start the one the frame is in.
                out.extend(self._close(frame.stream_id, state))
                state = self._reopen(frame.stream_id, state, position, now)
            if position > state.end:  # a gap within the chunk: silence keeps stream time
                state.buffer.extend(bytes((position - state.end) * 2))
                state.gaps += 1
            state.buffer.extend(pcm)
            if state.first_offset is None:
                state.first_offset = offset
            out.extend(self._full_chunks(frame.stream_id, state, offset))
        if frame.end_of_stream:
            out.extend(self._close(frame.stream_id, state))
            del self.streams[frame.stream_id]
        return out

    def idle(self, now: float, idle_s: float) -> list[Chunk]:
        """Write the open chunk of every stream quiet for ``idle_s`` and forget the stream."""
        out: list[Chunk] = []
        for stream_id, state in list(self.streams.items()):
            if now - state.last_seen >= idle_s:
                out.extend(self._close(stream_id, state))
                del self.streams[stream_id]
        return out

    def forget_meeting(self, meeting_id: str) -> None:
        """Drop every open chunk of a meeting (its audio is being deleted)."""
        for stream_id in [s for s, st in self.streams.items() if st.meeting_id == meeting_id]:
            del self.streams[stream_id]

    def pending_offset(self) -> int | None:
        """The earliest Kafka offset whose audio is in an unwritten chunk."""
        offsets = [s.first_offset for s in self.streams.values() if s.first_offset is not None]
        return min(offsets, default=None)

    def _full_chunks(self, stream_id: str, state: _OpenChunk, offset: int) -> list[Chunk]:
        out: list[Chunk] = []
        size = self.chunk_samples * 2
        while len(state.buffer) >= size:
            if state.stored_samples != self.chunk_samples:
                out.append(
                    Chunk(
                        state.meeting_id,
                        stream_id,
                        state.start,
                        bytes(state.buffer[:size]),
                        state.first_offset,
                    )
                )
            del state.buffer[:size]
            state.start += self.chunk_samples
            state.stored_samples = 0
            # What is left came from the message just added.
            state.first_offset = offset if state.buffer else None
        return out

    def _close(self, stream_id: str, state: _OpenChunk) -> list[Chunk]:
        samples = len(state.buffer) // 2
        if samples == 0 or samples == state.stored_samples:
            return []
        chunk = Chunk(
            state.meeting_id, stream_id, state.start, bytes(state.buffer), state.first_offset
        )
        state.stored_samples = samples
        state.first_offset = None
        return [chunk]

    def _reopen(self, stream_id: str, state: _OpenChunk, position: int, now: float) -> _OpenChunk:
        start = position - position % self.chunk_samples
        fresh = _OpenChunk(state.meeting_id, start, bytearray(), 0, last_seen=now)
        self.streams[stream_id] = fresh
        return fresh
