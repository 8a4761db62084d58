"""Per-stream bookkeeping with no I/O: positions, dedup on resume, in-flight audio, acks.

Positions count samples of the stream since it first opened. `received` is where the
next sample from the client goes; `durable` is how many samples Kafka has confirmed, in
order (one key, one partition, an idempotent producer: deliveries come back in order).
"""

from __future__ import annotations

from dataclasses import dataclass

from stream_ingest.protocol import BYTES_PER_SAMPLE, CloseCode, ProtocolError


@dataclass(frozen=True)
class Chunk:
    """Audio to produce: samples from `position` on, frame number `seq`."""

    seq: int
    position: int
    pcm: bytes

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
    """Positions, in-flight bytes and ack pacing of one open stream."""

    def __init__(
        self,
        durable: DurableMark,
        *,
        client_position: int | None,
        max_inflight_bytes: int,
        ack_interval_s: float,
    ) -> None:
        start = durable.position if client_position is None else client_position
        if start > durable.position:
            raise ProtocolError(
                CloseCode.BAD_MESSAGE,
                f"position {start} is past the {durable.position} durable samples: a gap",
            )
        self.durable = durable
        self.received = durable.position
        self.next_seq = durable.next_seq
        # Samples the client will re-send that are already durable: dropped, not doubled.
        self._skip = durable.position - start
        self.inflight_bytes = 0
        self.max_inflight_bytes = max_inflight_bytes
        self.ack_interval_s = ack_interval_s
        self.acked = durable.position
        self._last_ack_at = float("-inf")
        self.saved = durable

    @property
    def ready_position(self) -> int:
        return self.durable.position

    def accept(self, pcm: bytes) -> Chunk | None:
        """Place a client frame in the stream; None if all of it is already durable."""
        if self._skip:
            drop = min(self._skip, len(pcm) // BYTES_PER_SAMPLE)
            self._skip -= drop
            pcm = pcm[drop * BYTES_PER_SAMPLE :]
            if not pcm:
                return None
        chunk = Chunk(seq=self.next_seq, position=self.received, pcm=pcm)
        self.next_seq += 1
        self.received = chunk.end_position
        self.inflight_bytes += len(pcm)
        return chunk

    def end_marker(self) -> Chunk:
        """The end-of-stream marker: no samples, at the position after the last one."""
        chunk = Chunk(seq=self.next_seq, position=self.received, pcm=b"")
        self.next_seq += 1
        return chunk

    @property
    def full(self) -> bool:
        """Too much audio waits for Kafka: stop reading the socket."""
        return self.inflight_bytes >= self.max_inflight_bytes

    @property
    def settled(self) -> bool:
        """Everything accepted is durable (markers included)."""
        return self.durable.next_seq == self.next_seq

    def delivered(self, chunk: Chunk, partition: int | None, offset: int | None) -> None:
        """Kafka confirmed a chunk; chunks of one stream are confirmed in order."""
        self.inflight_bytes -= len(chunk.pcm)
        self.durable = DurableMark(chunk.end_position, chunk.seq + 1, partition, offset)

    def ack_due(self, now: float) -> int | None:
        """The position to ack now, or None (nothing new, or acked too recently)."""
        if self.durable.position <= self.acked or now - self._last_ack_at < self.ack_interval_s:
            return None
        self.acked = self.durable.position
        self._last_ack_at = now
        return self.acked

    def unsaved(self) -> DurableMark | None:
        """The durable mark if it moved since it was last written to the database."""
        return None if self.saved == self.durable else self.durable

    def mark_saved(self, mark: DurableMark) -> None:
        self.saved = mark
