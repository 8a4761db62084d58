"""Per-stream bookkeeping with no I/O: positions, dedup on resume, coalescing, acks.

Positions count samples of the stream since it first opened. `received` is where the
next sample from the client goes; `durable` is how many samples Kafka has confirmed, in
order (one key, one partition, an idempotent producer: deliveries come back in order).

Client frames (20 ms from a browser) are coalesced into chunks of about `chunk_bytes`
before they go to Kafka: one produce call, one delivery report and one header per chunk
instead of per frame. A chunk is cut when it is big enough, when its first sample has
waited `max_hold_s`, or when the stream stops or drops; acks only ever cover chunks
that Kafka has confirmed, so coalescing delays an ack but never makes one wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

from stream_ingest.errors import PositionGapError
from stream_ingest.protocol import BYTES_PER_SAMPLE


@dataclass(frozen=True)
class Chunk:
    """Audio to produce: samples from `position` on, Kafka message number `seq` of the stream.

    `received_at` is when its last sample arrived (the caller's clock).
    """

    seq: int
    position: int
    pcm: bytes
    received_at: float = 0.0

    @property
    def samples(self) -> int:
        return len(self.pcm) // BYTES_PER_SAMPLE

    @property
    def end_position(self) -> int:
        return self.position + self.samples


@dataclass(frozen=True)
class DurableMark:
    """What Kafka has confirmed: the position and seq reached and where the frame lies."""

    position: int
    next_seq: int
    partition: int | None
    offset: int | None


class StreamLedger:
    """Positions, pending and in-flight audio, and ack pacing of one open stream."""

    def __init__(
        self,
        durable: DurableMark,
        *,
        client_position: int | None,
        max_inflight_bytes: int,
        ack_interval_s: float,
        chunk_bytes: int = 0,
        max_hold_s: float = 0.0,
    ) -> None:
        start = durable.position if client_position is None else client_position
        if start > durable.position:
            raise PositionGapError(
                f"position {start} is past the {durable.position} durable samples: a gap"
            )
        self.durable = durable
        self.received = durable.position
        self.next_seq = durable.next_seq
        # Samples the client will re-send that are already durable: dropped, not doubled.
        self._skip = durable.position - start
        # Accepted audio not yet cut into a chunk; it counts as in flight for back-pressure.
        self._pending = bytearray()
        self._pending_since = 0.0
        self._last_received_at = 0.0
        self.chunk_bytes = chunk_bytes
        self.max_hold_s = max_hold_s
        self.inflight_bytes = 0
        self.max_inflight_bytes = max_inflight_bytes
        self.ack_interval_s = ack_interval_s
        self.acked = durable.position
        self._last_ack_at = float("-inf")
        self.saved = durable

    @property
    def pending_bytes(self) -> int:
        return len(self._pending)

    def accept(self, pcm: bytes, now: float = 0.0) -> Chunk | None:
        """Place a client frame in the stream; returns a chunk once enough audio is pending."""
        if self._skip:
            drop = min(self._skip, len(pcm) // BYTES_PER_SAMPLE)
            self._skip -= drop
            pcm = pcm[drop * BYTES_PER_SAMPLE :]
            if not pcm:
                return None
        if not self._pending:
            self._pending_since = now
        self._pending += pcm
        self._last_received_at = now
        self.received += len(pcm) // BYTES_PER_SAMPLE
        self.inflight_bytes += len(pcm)
        if len(self._pending) >= self.chunk_bytes:
            return self.flush()
        return None

    @property
    def flush_at(self) -> float | None:
        """When pending audio must be cut even if the chunk is not full; None if none waits."""
        return self._pending_since + self.max_hold_s if self._pending else None

    def flush(self) -> Chunk | None:
        """Cut whatever audio is pending into a chunk (None if nothing is pending)."""
        if not self._pending:
            return None
        pcm = bytes(self._pending)
        self._pending.clear()
        chunk = Chunk(
            seq=self.next_seq,
            position=self.received - len(pcm) // BYTES_PER_SAMPLE,
            pcm=pcm,
            received_at=self._last_received_at,
        )
        self.next_seq += 1
        return chunk

    def finish(self) -> list[Chunk]:
        """The pending audio (if any) and the end-of-stream marker, a chunk with no samples."""
        chunks = [chunk for chunk in [self.flush()] if chunk is not None]
        chunks.append(Chunk(seq=self.next_seq, position=self.received, pcm=b""))
        self.next_seq += 1
        return chunks

    @property
    def full(self) -> bool:
        """Too much audio waits for Kafka: stop reading the socket."""
        return self.inflight_bytes >= self.max_inflight_bytes

    @property
    def settled(self) -> bool:
        """Everything accepted is durable (markers included) and nothing is pending."""
        return not self._pending and self.durable.next_seq == self.next_seq

    def delivered(self, chunk: Chunk, partition: int | None, offset: int | None) -> None:
        """Kafka confirmed a chunk; chunks of one stream are confirmed in order."""
        self.inflight_bytes -= len(chunk.pcm)
        self.durable = DurableMark(chunk.end_position, chunk.seq + 1, partition, offset)

    def ack_due(self, now: float) -> int | None:
        """The position to ack now, or None (nothing new, or acked too recently)."""
        if self.durable.position <= self.acked or now < self.next_ack_at:
            return None
        self.acked = self.durable.position
        self._last_ack_at = now
        return self.acked

    @property
    def next_ack_at(self) -> float:
        """The earliest time the next ack may go out."""
        return self._last_ack_at + self.ack_interval_s

    @property
    def ack_pending(self) -> bool:
        """Kafka has confirmed audio that the client has not been told about."""
        return self.durable.position > self.acked

    def unsaved(self) -> DurableMark | None:
        """The durable mark if it moved since it was last written to the database."""
        return None if self.saved == self.durable else self.durable

    def mark_saved(self, mark: DurableMark) -> None:
        self.saved = mark
