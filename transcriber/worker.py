"""The transcriber's Kafka shell: frames in, segments out, offsets committed exactly.

The shared ConsumerLoop polls `audio.frames` in manual-commit mode; decoding runs in one
thread per model, so polling never waits on it. Finals and the offsets they make safe
are committed in one Kafka transaction (with each stream's checkpoint as commit
metadata): a crash either publishes both or neither, so after a restart the same finals
appear once. Partials go out at once on a plain idempotent producer; they are
disposable. When finals fall behind, reading pauses instead of blocking the poll loop.

A stream that stops without an end-of-stream marker is expired after `stream_idle_s`:
its open utterance is finalised and its checkpoint leaves the commit metadata. Idle
time is measured on the partition's Kafka timestamps (so a replay expires it at the same
place in the log) and, only while the partition is caught up, on the wall clock.

The commit metadata of a partition has a limit, the brokers' `offset.metadata.max.bytes`,
read at start. From `REFUSE_METADATA_FILL` of it the transcriber reports itself over
capacity (ingest refuses new streams); a partition whose checkpoints do not fit even
without their contexts is held: its offset and its finals wait, while decoding goes on,
until enough of its streams end (docs/overload.md).

The thin loop that wires the parts (partitions.py, lanes.py, committer.py, segments.py,
load.py); here is what needs the consumer: assignment, frames, the clock, results, rewind.
"""

from __future__ import annotations

import logging
import queue
import time
from datetime import UTC, datetime
from typing import Any

from confluent_kafka import KafkaException, TopicPartition

from transcriber.committer import FinalCommitter, Outcome
from transcriber.lane import FinalResult, PartialResult, Result, Work
from transcriber.lanes import ModelLanes
from transcriber.load import LoadControl
from transcriber.metrics import TranscriberMetrics
from transcriber.offsets import metadata_budget
from transcriber.partitions import Expired, Partitions, PartitionState
from transcriber.pcm import SAMPLE_RATE
from transcriber.segments import in_voice, partial_segment
from transcriber.stream import FinalJob, PartialJob, StreamTranscriber
from vori.events import AUDIO_FRAMES, AudioFrame, Event, TranscriptSegment
from vori.kafka import ConsumerLoop, EventProducer, MessageContext, PoisonMessageError
from vori.kafka.broker_config import broker_int_config
from vori.settings import Settings

log = logging.getLogger(__name__)

# Wall-clock expiry waits this much longer than `stream_idle_s`: a frame produced before the
# deadline but delivered late must not find its stream expired live and open on replay.
EXPIRY_GRACE_MS = 10_000
# Frames of aborted transactions are never read (the consumer's librdkafka setting).
READ_COMMITTED: dict[str, Any] = {"isolation.level": "read_committed"}


class TranscriberWorker:
    """Consumes audio frames and publishes transcript segments, crash-safely."""

    def __init__(self, settings: Settings, *, metrics: TranscriberMetrics | None = None) -> None:
        self.settings = settings
        self.metrics = metrics or TranscriberMetrics()
        self.results: queue.SimpleQueue[Result] = queue.SimpleQueue()
        self.lanes = ModelLanes(settings, self.results, self.metrics)
        self._dirty = False
        self.loop = ConsumerLoop(
            settings.kafka,
            settings.transcriber.group_id,
            [AUDIO_FRAMES],
            self.handle,
            on_tick=self.tick,
            poll_timeout_s=0.05,
            manual_commit=True,
            on_assign=self.assigned,
            on_revoke=self.revoked,
            on_dead_letter=self.dead_lettered,
            **READ_COMMITTED,
        )
        self.partial_producer = EventProducer(settings.kafka)
        self.committer = FinalCommitter(settings, self.metrics)
        limit = broker_int_config(
            settings.kafka,
            "offset.metadata.max.bytes",
            settings.transcriber.offset_metadata_max_bytes,
        )
        self.partitions = Partitions.from_settings(
            settings.transcriber, metadata_budget(limit.value)
        )
        self.metrics.metadata_limit_bytes.set(self.metadata_max_bytes)
        log.info(
            "commit metadata of a partition: at most %d B (offset.metadata.max.bytes %d, %s)",
            self.metadata_max_bytes,
            limit.value,
            limit.source,
        )
        self.load = LoadControl(
            settings.transcriber,
            self.metrics,
            self.loop,
            self.lanes,
            self.partitions,
            self.partial_producer,
        )

    @property
    def metadata_max_bytes(self) -> int:
        """The longest commit metadata a partition may carry (from the broker's limit)."""
        return self.partitions.metadata_max_bytes

    @metadata_max_bytes.setter
    def metadata_max_bytes(self, value: int) -> None:
        self.partitions.metadata_max_bytes = value

    @property
    def held(self) -> set[int]:
        """Partitions whose checkpoints do not fit their commit metadata."""
        return self.partitions.held

    @property
    def outbox(self) -> list[tuple[int, TranscriptSegment]]:
        """Decoded finals waiting for their transaction, with their partition."""
        return self.committer.outbox

    # -- lifecycle -----------------------------------------------------------------------

    def run(self) -> None:
        """Consume until SIGTERM; progress is committed when partitions are released."""
        t = self.settings.transcriber
        for language, preset in (("en", t.preset_en), ("ko", t.preset_ko), ("auto", t.preset_auto)):
            if any(temperature > 0 for temperature in preset.temperatures):
                log.warning(
                    "preset %s samples at temperatures above 0: a replay after a crash may "
                    "decode different text for the same segment id",
                    language,
                )
        self.lanes.lane(t.model_for(t.default_language))
        try:
            self.loop.run()
        finally:
            for lane in self.lanes.values():
                lane.stop()
            self.partial_producer.flush(10)

    # -- partitions ----------------------------------------------------------------------

    def assigned(self, partitions: list[TopicPartition]) -> None:
        """Restore each partition's stream checkpoints and start from its committed offset."""
        for tp, committed in zip(partitions, self.loop.committed(partitions), strict=True):
            high = self.loop.high_watermark(tp)
            tp.offset = self.partitions.restore(
                tp.partition, committed.offset, committed.metadata, high
            )
            state = self.partitions.get(tp.partition)
            assert state is not None
            log.info(
                "assigned %s[%d] from offset %d with %d stream checkpoints",
                tp.topic,
                tp.partition,
                tp.offset,
                len(state.restored) + len(state.finished),
            )

    def revoked(self, partitions: list[TopicPartition]) -> None:
        """Commit what is final, then forget the partitions (their new owner re-reads)."""
        self._drain()
        self.commit(force=True)  # if Kafka is away, the partitions' new owner redoes it
        for tp in partitions:
            self._drop_partition(tp.partition)

    def _drop_partition(self, partition: int) -> None:
        self.committer.forget(partition)
        state = self.partitions.drop(partition)
        if state is None:
            return
        for lane in self.lanes.values():
            lane.forget(set(state.streams))

    def dead_lettered(self, context: MessageContext) -> None:
        state = self.partitions.get(context.partition)
        if state is not None:
            state.progress.track(context.offset, None, 0)
            self._dirty = True

    # -- frames --------------------------------------------------------------------------

    def handle(self, event: Event, context: MessageContext) -> None:
        if not isinstance(event, AudioFrame):
            raise PoisonMessageError(f"not an audio frame: {type(event).__name__}")
        if event.sample_rate != SAMPLE_RATE:
            raise PoisonMessageError(f"sample rate {event.sample_rate} is not {SAMPLE_RATE}")
        state = self.partitions.get(context.partition)
        if state is None:
            return  # fetched just before the partition went elsewhere; its new owner reads it
        state.progress.track(context.offset, event.stream_id, event.end_position, event.position)
        state.progress.caught_up_to(state.high_watermark)
        self._dirty = True
        stamp = context.timestamp_ms
        if stamp is not None and stamp > state.clock_ms:
            state.clock_ms = stamp
            if stamp - state.swept_ms >= 1000:
                self._expire_idle(context.partition, state, stamp)
        if event.stream_id in state.finished:
            return
        stream = state.streams.get(event.stream_id) or self._open_stream(state, event)
        lane = self.lanes.for_stream(stream.info)
        replayed = context.offset < state.high_watermark
        prompt = state.contexts[event.stream_id]
        for job in stream.feed(event, datetime.now(UTC), timestamp_ms=stamp, replayed=replayed):
            lane.submit_final(Work(context.partition, stream, prompt, job))
        lane.speaking(event.stream_id, stream.speaking)
        early = stream.early_final_job()
        if self.load.shed_partials:
            return  # behind live audio: finals only (docs/overload.md)
        if early is not None and self.settings.transcriber.early_finals:
            lane.submit_early(Work(context.partition, stream, prompt, early))  # docs/latency.md
        partial = stream.partial_job(lane.partial_interval())
        if partial is not None:
            lane.submit_partial(Work(context.partition, stream, prompt, partial), time.time())

    def _expire_idle(self, partition: int, state: PartitionState, now_ms: int) -> None:
        """Finalise the streams of a partition that sent nothing for `stream_idle_s`."""
        idle_ms = round(self.settings.transcriber.stream_idle_s * 1000)
        expired, changed = self.partitions.expire_idle(partition, state, now_ms, idle_ms)
        for gone in expired:
            self._submit_expired(gone)
        if changed:
            self._dirty = True

    def _submit_expired(self, gone: Expired) -> None:
        stream_id = gone.stream.info.stream_id
        lane = self.lanes.for_stream(gone.stream.info)
        for job in gone.jobs:
            lane.submit_final(Work(gone.partition, gone.stream, gone.context, job))
        lane.speaking(stream_id, False)
        log.info("stream %s idle for %.0f s: finalised", stream_id, gone.idle_s)

    def _open_stream(self, state: PartitionState, frame: AudioFrame) -> StreamTranscriber:
        default = self.settings.transcriber.default_language
        stream = self.partitions.open_stream(state, frame, default)
        self.metrics.streams_open.set(self.partitions.open_streams())
        return stream

    # -- results and commits -------------------------------------------------------------

    def tick(self) -> None:
        for lane in self.lanes.values():
            if lane.failure is not None:
                raise RuntimeError(f"decode lane {lane.name} failed") from lane.failure
        self._drain()
        self._expire_by_wall_clock()
        interval = self.settings.transcriber.commit_interval_s
        due = self._dirty and time.monotonic() - self.committer.last_commit >= interval
        if self.committer.ready(self.partitions.held) or due:
            self.commit()
        self.load.flow_control()
        self.load.overload(self._high_watermark)
        self.partial_producer.poll(0)

    def _high_watermark(self, partition: int) -> int:
        """A partition's high watermark as last fetched; -1 when Kafka cannot say."""
        try:
            _low, high = self.loop.consumer.get_watermark_offsets(
                TopicPartition(AUDIO_FRAMES, partition), cached=True
            )
        except KafkaException:
            return -1
        return int(high)

    def _expire_by_wall_clock(self) -> None:
        """Idle expiry of caught-up partitions, whose data clock stands still without traffic."""
        now_ms = int(time.time() * 1000) - EXPIRY_GRACE_MS
        if self.load.paused:
            return
        for partition, state in self.partitions.states.items():
            if now_ms - state.swept_ms < 1000:
                continue
            high = self._high_watermark(partition)
            if high < 0 or state.progress.last_offset + 1 < high:
                continue  # frames still to read: only their timestamps may move the clock
            self._expire_idle(partition, state, now_ms)

    def _drain(self) -> None:
        while True:
            try:
                result = self.results.get_nowait()
            except queue.Empty:
                return
            stream = self.partitions.owner(result.work)
            if stream is None:
                continue  # its partition went elsewhere; the new owner redoes it
            if isinstance(result, FinalResult):
                number = stream.on_final(
                    result.seq, result.context_after, voiced=result.voiced, voice=result.voice
                )
                job = result.work.job
                assert isinstance(job, FinalJob)
                if result.segment is not None and stream.publishes(job):
                    self.committer.add(result.work.partition, in_voice(result.segment, number))
                self._dirty = True
            elif isinstance(result, PartialResult):
                self._publish_partial(stream, result)

    def _publish_partial(self, stream: StreamTranscriber, result: PartialResult) -> None:
        job = result.work.job
        shown = stream.on_partial(job.segment_id, result.text) if result.text else None
        if shown is None:
            return
        revision, view = shown
        assert isinstance(job, PartialJob)
        self.partial_producer.publish(
            partial_segment(
                job,
                revision,
                view,
                model=self.lanes.for_stream(job.info).name,
                decode_started_at=result.decode_started_at,
                decode_finished_at=result.decode_finished_at,
                produced_at=datetime.now(UTC),
            )
        )
        self.metrics.segments.labels("partial").inc()

    def commit(self, *, force: bool = False) -> None:
        """One transaction: the finals decoded so far and the offsets they make safe."""
        outcome = self.committer.commit(self.partitions, self.loop.group_metadata)
        if outcome is Outcome.ABORTED:
            self._rewind()
            return
        if outcome is Outcome.FAILED:
            return  # nothing committed: the same finals and more offsets at the next try
        self._dirty = False
        if outcome is Outcome.COMMITTED:
            self.metrics.streams_open.set(self.partitions.open_streams())

    def _rewind(self) -> None:
        """After an aborted transaction: forget all state and re-read from committed offsets."""
        self.committer.clear()
        self.partitions.held.clear()
        assignment = [tp for tp in self.loop.assignment() if tp.topic == AUDIO_FRAMES]
        for tp in assignment:
            self._drop_partition(tp.partition)
        if not assignment:
            return
        self.assigned(assignment)
        for tp in assignment:
            self.loop.consumer.seek(
                TopicPartition(tp.topic, tp.partition, tp.offset if tp.offset >= 0 else 0)
            )
