"""Audio of one open stream on its way into Kafka: chunks produced, deliveries confirmed,
the durable position acked to the client and kept for the database.

`AudioOutlet` is the shell around the stream's `StreamLedger` (the pure bookkeeping):
it produces the ledger's chunks, cuts a chunk that has waited `chunk_ms`, applies
delivery reports (on the event loop's thread, see stream_ingest/sink.py), wakes the
reader paused by back-pressure, and sends acks as the durable position advances.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from confluent_kafka import KafkaError, Message

from stream_ingest import metrics
from stream_ingest.connection import ClientGoneError
from stream_ingest.ledger import Chunk, DurableMark, StreamLedger
from stream_ingest.protocol import BYTES_PER_SAMPLE, SAMPLE_RATE
from stream_ingest.sink import AudioSink
from stream_ingest.store import Participant
from vori.events import AudioFrame

log = logging.getLogger(__name__)


class AudioOutlet:
    """Produces one stream's audio and tracks what Kafka has confirmed of it."""

    def __init__(
        self,
        ledger: StreamLedger,
        stream_id: str,
        participant: Participant,
        sink: AudioSink,
        loop: asyncio.AbstractEventLoop,
        *,
        room_microphone: bool = False,
    ) -> None:
        self.ledger = ledger
        self.stream_id = stream_id
        self.participant = participant
        self.sink = sink
        self.loop = loop
        # Several people share this microphone (the start message's `room`): stamped on
        # every frame so that the transcriber tells their voices apart.
        self.room_microphone = room_microphone
        # Why the stream cannot go on (Kafka refused audio, the lease was lost), or None.
        self.failure: str | None = None
        self._finished = False
        self._room = asyncio.Event()
        self._progress = asyncio.Event()
        self._flush_timer: asyncio.TimerHandle | None = None

    @property
    def durable(self) -> DurableMark:
        return self.ledger.durable

    @property
    def full(self) -> bool:
        """Too much audio waits for Kafka: stop reading the socket."""
        return self.ledger.full

    def accept(self, pcm: bytes, now: float) -> int:
        """Place a checked client frame in the stream; returns how many samples were new
        (audio re-sent after a resume that is already durable is dropped)."""
        ledger = self.ledger
        before = ledger.received
        chunk = ledger.accept(pcm, now)
        fresh = ledger.received - before
        samples = len(pcm) // BYTES_PER_SAMPLE
        if fresh < samples:
            metrics.deduplicated_samples.inc(samples - fresh)
        if chunk is not None:
            self._produce(chunk)
        elif self._flush_timer is None and ledger.flush_at is not None:
            self._flush_timer = self.loop.call_at(ledger.flush_at, self._flush_due)
        return fresh

    def _flush_due(self) -> None:
        """Timer: produce audio that has waited `chunk_ms` for its chunk to fill up."""
        self._flush_timer = None
        if self.failure is not None or self._finished:
            return
        flush_at = self.ledger.flush_at
        if flush_at is None:
            return
        if self.loop.time() >= flush_at:
            self.flush()
        else:  # the chunk was cut and a new one started since this timer was set
            self._flush_timer = self.loop.call_at(flush_at, self._flush_due)

    def flush(self) -> None:
        """Produce whatever audio is pending now (stop, dropped connection, timer)."""
        chunk = self.ledger.flush()
        if chunk is not None:
            self._produce(chunk)

    def finish(self) -> None:
        """Produce the pending audio and the end-of-stream marker."""
        self._finished = True
        for chunk in self.ledger.finish():
            self._produce(chunk)

    def stop_timer(self) -> None:
        """No more timed flushes (the connection is being handed back)."""
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None

    def fail(self, reason: str) -> None:
        """The stream cannot go on: wake everything that waits on Kafka."""
        self.failure = reason
        self._room.set()
        self._progress.set()

    async def wait_for_room(self) -> None:
        """Wait until Kafka has confirmed enough audio to read more (or the stream failed)."""
        while self.ledger.full and self.failure is None:
            self._room.clear()
            await self._room.wait()

    async def settle(self) -> None:
        """Wait until every frame accepted on this connection is confirmed by Kafka."""
        while not self.ledger.settled and self.failure is None:
            self._progress.clear()
            await self._progress.wait()

    def _produce(self, chunk: Chunk) -> None:
        participant = self.participant
        # The chunk's last sample arrived at `received_at`; for a client sending in real
        # time its first sample was captured the chunk's duration before that.
        waited = self.loop.time() - chunk.received_at if chunk.pcm else 0.0
        now = datetime.now(UTC)
        frame = AudioFrame.model_construct(
            stream_id=self.stream_id,
            meeting_id=participant.meeting_id,
            participant_id=participant.user_id,
            speaker=participant.name,
            language=participant.language,
            vocabulary=list(participant.vocabulary),
            accuracy=participant.accuracy,
            room_microphone=self.room_microphone,
            seq=chunk.seq,
            position=chunk.position,
            sample_rate=SAMPLE_RATE,
            # When the frame's first sample was captured, for a client sending in real time.
            capture_time=now - timedelta(seconds=waited + chunk.samples / SAMPLE_RATE),
            end_of_stream=not chunk.pcm,
            pcm=chunk.pcm,
        )
        produced_at = time.monotonic()

        def report(err: KafkaError | None, msg: Message) -> None:
            self._delivered(chunk, err, msg, produced_at)

        self.sink.send(frame, report)
        metrics.inflight_bytes.inc(len(chunk.pcm))
        metrics.frames.inc()
        metrics.audio_bytes.inc(len(chunk.pcm))

    def _delivered(
        self, chunk: Chunk, err: KafkaError | None, msg: Message, produced_at: float
    ) -> None:
        metrics.inflight_bytes.dec(len(chunk.pcm))
        if err is not None:
            log.error("stream %s: Kafka refused frame %d: %s", self.stream_id, chunk.seq, err)
            self.failure = "audio could not be written to Kafka"
        else:
            metrics.delivery_seconds.observe(time.monotonic() - produced_at)
            self.ledger.delivered(chunk, msg.partition(), msg.offset())
        if not self.ledger.full or self.failure is not None:
            self._room.set()
        self._progress.set()

    async def send_acks(self, send: Callable[[str], Awaitable[None]]) -> None:
        """Ack the durable position as it advances, at most once per ack interval."""
        ledger = self.ledger
        try:
            while True:
                await self._progress.wait()
                self._progress.clear()
                while ledger.ack_pending:
                    wait = ledger.next_ack_at - self.loop.time()
                    if wait > 0:  # acked a moment ago: the next one goes when the pacing allows
                        # asyncio may wake a timer up to its clock resolution early: look
                        # again rather than drop the ack until the next delivery (which, for
                        # a stream's last audio, never comes).
                        await asyncio.sleep(wait)
                        continue
                    position = ledger.ack_due(self.loop.time())
                    if position is not None:
                        await send(f'{{"type":"ack","position":{position}}}')
        except (ClientGoneError, RuntimeError):
            return  # the socket is gone; the reader notices too
