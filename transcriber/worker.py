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
"""

from __future__ import annotations

import logging
import queue
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from confluent_kafka import KafkaException, TopicPartition

from transcriber.decoder import WhisperDecoder
from transcriber.lane import FinalResult, ModelLane, PartialResult, PromptContext, Result, Work
from transcriber.metrics import TranscriberMetrics
from transcriber.offsets import (
    PartitionCommit,
    PartitionProgress,
    decode_checkpoints,
    metadata_budget,
    plan_commit,
    publishable,
)
from transcriber.overload import LoadDecision, OverloadPolicy, StreamLag, stream_lag
from transcriber.pcm import SAMPLE_RATE
from transcriber.segmenter import SegmenterConfig
from transcriber.stream import StreamCheckpoint, StreamInfo, StreamTranscriber
from vori.events import (
    AUDIO_FRAMES,
    AudioFrame,
    Event,
    MeetingLag,
    SegmentTiming,
    TranscriberLoad,
    TranscriptSegment,
    encode,
)
from vori.kafka import ConsumerLoop, EventProducer, MessageContext, PoisonMessageError
from vori.kafka.broker_config import broker_int_config
from vori.kafka.transactions import BoundedTransactions, TransactionAbortedError
from vori.settings import Settings
from vori.whisper_models import resolve_model

log = logging.getLogger(__name__)

OFFSET_INVALID = -1001
# Wall-clock expiry waits this much longer than `stream_idle_s`: a frame produced before the
# deadline but delivered late must not find its stream expired live and open on replay.
EXPIRY_GRACE_MS = 10_000
# Frames of aborted transactions are never read (the consumer's librdkafka setting).
READ_COMMITTED: dict[str, Any] = {"isolation.level": "read_committed"}


@dataclass
class PartitionState:
    """Everything this process knows about one assigned partition of audio.frames."""

    progress: PartitionProgress
    high_watermark: int
    restored: dict[str, StreamCheckpoint]  # from commit metadata, stream not seen yet
    streams: dict[str, StreamTranscriber] = field(default_factory=dict)
    contexts: dict[str, PromptContext] = field(default_factory=dict)
    finished: dict[str, StreamCheckpoint] = field(default_factory=dict)
    committed: tuple[int, str] | None = None
    clock_ms: int = 0  # newest Kafka timestamp read from the partition
    swept_ms: int = 0  # data clock at the last expiry sweep

    def checkpoints(self) -> dict[str, StreamCheckpoint]:
        current = {sid: stream.advance() for sid, stream in self.streams.items()}
        return {**self.restored, **self.finished, **current}


def model_family(language: str) -> str:
    """Which loaded model serves a meeting language."""
    return "en" if language == "en" else "multilingual"


class TranscriberWorker:
    """Consumes audio frames and publishes transcript segments, crash-safely."""

    def __init__(self, settings: Settings, *, metrics: TranscriberMetrics | None = None) -> None:
        self.settings = settings
        self.config = SegmenterConfig.from_settings(settings.transcriber)
        self.metrics = metrics or TranscriberMetrics()
        self.results: queue.SimpleQueue[Result] = queue.SimpleQueue()
        self.lanes: dict[str, ModelLane] = {}
        self.partitions: dict[int, PartitionState] = {}
        self.outbox: list[tuple[int, TranscriptSegment]] = []  # (partition, final)
        self.held: set[int] = set()  # partitions whose checkpoints do not fit their metadata
        self.metadata_plans: dict[int, PartitionCommit] = {}  # each partition's latest plan
        self.paused = False
        self._last_commit = time.monotonic()
        self._dirty = False
        self._dropped_reported = 0
        self._shed_reported = 0
        self.instance = uuid.uuid4().hex[:12]
        self.policy = OverloadPolicy(settings.transcriber.overload)
        self.decision: LoadDecision | None = None
        self._report_due = 0.0
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
        self.transactions = BoundedTransactions(
            settings.kafka,
            f"{settings.transcriber.group_id}-{uuid.uuid4().hex}",
            call_timeout_s=settings.transcriber.transaction_timeout_s,
            **{"message.timeout.ms": 60000, "linger.ms": 0},
        )
        self.transactions.start(60)
        limit = broker_int_config(
            settings.kafka,
            "offset.metadata.max.bytes",
            settings.transcriber.offset_metadata_max_bytes,
        )
        self.metadata_max_bytes = metadata_budget(limit.value)
        self.metrics.metadata_limit_bytes.set(self.metadata_max_bytes)
        log.info(
            "commit metadata of a partition: at most %d B (offset.metadata.max.bytes %d, %s)",
            self.metadata_max_bytes,
            limit.value,
            limit.source,
        )

    # -- lifecycle -----------------------------------------------------------------------

    def lane(self, family: str) -> ModelLane:
        """The model lane of a family, loading the model on first use (in its thread)."""
        if family not in self.lanes:
            t = self.settings.transcriber
            name = t.model_en if family == "en" else t.model_multilingual

            def load() -> WhisperDecoder:
                path = resolve_model(name, self.settings.data_dir / "models")
                return WhisperDecoder(
                    path,
                    name,
                    device=t.device,
                    compute_type=t.compute_type,
                    cpu_threads=t.cpu_threads,
                    workers=t.decode_workers,
                    encoder_margin_s=t.encoder_margin_s,
                    partial_margin_s=t.partial_encoder_margin_s,
                )

            self.lanes[family] = ModelLane(name, load, t, self.results, self.metrics)
        return self.lanes[family]

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
        self.lane(model_family(self.settings.transcriber.default_language))
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
            restored = decode_checkpoints(committed.metadata)
            offset = committed.offset if committed.offset >= 0 else OFFSET_INVALID
            high = self.loop.high_watermark(tp)
            start = offset if offset >= 0 else 0
            self.partitions[tp.partition] = PartitionState(
                progress=PartitionProgress(start, high),
                high_watermark=high,
                restored={s: cp for s, cp in restored.items() if not cp.ended},
                finished={s: cp for s, cp in restored.items() if cp.ended},
                committed=(offset, committed.metadata or "") if offset >= 0 else None,
            )
            tp.offset = offset
            log.info(
                "assigned %s[%d] from offset %d with %d stream checkpoints",
                tp.topic,
                tp.partition,
                offset,
                len(restored),
            )

    def revoked(self, partitions: list[TopicPartition]) -> None:
        """Commit what is final, then forget the partitions (their new owner re-reads)."""
        self._drain()
        self.commit(force=True)  # if Kafka is away, the partitions' new owner redoes it
        for tp in partitions:
            self._drop_partition(tp.partition)

    def _drop_partition(self, partition: int) -> None:
        self.metadata_plans.pop(partition, None)
        self.held.discard(partition)
        # Finals of a partition this process no longer owns are its new owner's to publish.
        self.outbox = [(p, segment) for p, segment in self.outbox if p != partition]
        state = self.partitions.pop(partition, None)
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
        received = datetime.now(UTC)
        lane = self.lane(model_family(stream.info.language))
        replayed = context.offset < state.high_watermark
        for job in stream.feed(event, received, timestamp_ms=stamp, replayed=replayed):
            lane.submit_final(Work(context.partition, stream, state.contexts[event.stream_id], job))
        lane.speaking(event.stream_id, stream.speaking)
        if self.decision is not None and self.decision.shed_partials:
            return  # behind live audio: finals only (docs/overload.md)
        partial = stream.partial_job(lane.partial_interval())
        if partial is not None:
            lane.submit_partial(
                Work(context.partition, stream, state.contexts[event.stream_id], partial),
                time.time(),
            )

    def _expire_idle(self, partition: int, state: PartitionState, now_ms: int) -> None:
        """Finalise the streams of a partition that sent nothing for `stream_idle_s`."""
        state.swept_ms = max(state.swept_ms, now_ms)
        idle_ms = round(self.settings.transcriber.stream_idle_s * 1000)
        for stream_id, stream in state.streams.items():
            seen = stream.last_seen_ms
            if stream.idle or stream.ended or seen is None or now_ms - seen < idle_ms:
                continue
            lane = self.lane(model_family(stream.info.language))
            jobs = stream.expire()
            for job in jobs:
                lane.submit_final(Work(partition, stream, state.contexts[stream_id], job))
            lane.speaking(stream_id, False)
            self._dirty = True
            log.info("stream %s idle for %.0f s: finalised", stream_id, (now_ms - seen) / 1000)
        for stream_id, cp in list(state.restored.items()):
            seen = cp.last_seen_ms
            if not cp.expired and seen is not None and now_ms - seen >= idle_ms:
                # Restored but never seen again: nothing of it is left to decode.
                state.restored[stream_id] = replace(cp, expired=True)
                self._dirty = True

    def _open_stream(self, state: PartitionState, frame: AudioFrame) -> StreamTranscriber:
        language = (frame.language or self.settings.transcriber.default_language).lower()
        info = StreamInfo(
            frame.stream_id, frame.meeting_id, frame.participant_id, frame.speaker, language
        )
        resume = state.restored.pop(frame.stream_id, None)
        if resume is not None:
            stream = StreamTranscriber(info, self.config, resume)
        else:
            stream = StreamTranscriber.new(info, self.config, frame.position)
        state.streams[frame.stream_id] = stream
        state.contexts[frame.stream_id] = PromptContext(stream.durable.context)
        self.metrics.streams_open.set(sum(len(s.streams) for s in self.partitions.values()))
        return stream

    # -- results and commits -------------------------------------------------------------

    def tick(self) -> None:
        for lane in self.lanes.values():
            if lane.failure is not None:
                raise RuntimeError(f"decode lane {lane.name} failed") from lane.failure
        self._drain()
        self._expire_by_wall_clock()
        interval = self.settings.transcriber.commit_interval_s
        due = self._dirty and time.monotonic() - self._last_commit >= interval
        ready = any(partition not in self.held for partition, _ in self.outbox)
        if ready or due:
            self.commit()
        self._flow_control()
        self._overload()
        self.partial_producer.poll(0)

    def _expire_by_wall_clock(self) -> None:
        """Idle expiry of caught-up partitions, whose data clock stands still without traffic."""
        now_ms = int(time.time() * 1000) - EXPIRY_GRACE_MS
        if self.paused:
            return
        for partition, state in self.partitions.items():
            if now_ms - state.swept_ms < 1000:
                continue
            tp = TopicPartition(AUDIO_FRAMES, partition)
            try:
                _low, high = self.loop.consumer.get_watermark_offsets(tp, cached=True)
            except KafkaException:
                continue
            if high < 0 or state.progress.last_offset + 1 < high:
                continue  # frames still to read: only their timestamps may move the clock
            self._expire_idle(partition, state, now_ms)

    def _owner(self, work: Work) -> StreamTranscriber | None:
        state = self.partitions.get(work.partition)
        if state is None:
            return None
        stream = state.streams.get(work.job.info.stream_id)
        return stream if stream is work.stream else None

    def _drain(self) -> None:
        while True:
            try:
                result = self.results.get_nowait()
            except queue.Empty:
                return
            stream = self._owner(result.work)
            if stream is None:
                continue  # its partition went elsewhere; the new owner redoes it
            if isinstance(result, FinalResult):
                job = result.work.job
                assert hasattr(job, "seq")
                stream.on_final(job.seq, result.context_after)
                if result.segment is not None:
                    self.outbox.append((result.work.partition, result.segment))
                self._dirty = True
            elif isinstance(result, PartialResult):
                self._publish_partial(stream, result)

    def _publish_partial(self, stream: StreamTranscriber, result: PartialResult) -> None:
        job = result.work.job
        shown = stream.on_partial(job.segment_id, result.text) if result.text else None
        if shown is None:
            return
        revision, view = shown
        info = job.info
        self.partial_producer.publish(
            TranscriptSegment(
                id=job.segment_id,
                meeting_id=info.meeting_id,
                stream_id=info.stream_id,
                participant_id=info.participant_id,
                speaker=info.speaker,
                final=False,
                revision=revision,
                start=job.start / SAMPLE_RATE,
                end=job.end / SAMPLE_RATE,
                start_sample=job.start,
                end_sample=job.end,
                text=view.text,
                stable_text=view.stable_text,
                language=None if info.language == "auto" else info.language,
                model=self.lane(model_family(info.language)).name,
                timing=SegmentTiming(
                    audio_end_capture_time=job.timing.audio_end_capture_time,
                    audio_end_received_at=job.timing.audio_end_received_at,
                    decode_started_at=result.decode_started_at,
                    decode_finished_at=result.decode_finished_at,
                    produced_at=datetime.now(UTC),
                ),
            )
        )
        self.metrics.segments.labels("partial").inc()

    def commit(self, *, force: bool = False) -> None:
        """One transaction: the finals decoded so far and the offsets they make safe."""
        offsets: list[TopicPartition] = []
        for partition, state in self.partitions.items():
            checkpoints = state.checkpoints()
            offset = state.progress.commit_point(checkpoints)
            keep = {s: cp for s, cp in checkpoints.items() if state.progress.keeps(s, cp)}
            gone = [
                s
                for s, st in state.streams.items()
                if (st.finished or st.expired) and s not in keep
            ]
            for sid in gone:
                del state.streams[sid]
                state.contexts.pop(sid, None)
            state.finished = {s: cp for s, cp in state.finished.items() if s in keep}
            state.restored = {s: cp for s, cp in state.restored.items() if s in keep}
            plan = plan_commit(offset, keep, self.metadata_max_bytes)
            self._metadata_planned(partition, plan)
            if plan.metadata is None or state.committed == (offset, plan.metadata):
                continue
            offsets.append(TopicPartition(AUDIO_FRAMES, partition, offset, metadata=plan.metadata))
        ready, held = publishable(self.outbox, self.held)
        if not offsets and not ready:
            self._dirty = False
            return
        produced_at = datetime.now(UTC)
        segments = [
            s.model_copy(
                update={"timing": s.timing.model_copy(update={"produced_at": produced_at})}
            )
            for s in ready
        ]
        if not self._transaction(segments, offsets):
            return  # nothing committed: the same finals and more offsets at the next try
        for tp in offsets:
            if tp.partition in self.partitions:
                self.partitions[tp.partition].committed = (tp.offset, tp.metadata or "")
        committed_at = datetime.now(UTC)
        for segment in segments:
            self.metrics.segments.labels("final").inc()
            end = segment.timing.audio_end_capture_time
            if end is not None:
                self.metrics.final_latency.observe((committed_at - end).total_seconds())
        self.metrics.commits.inc()
        self.outbox = held
        self._dirty = False
        self._last_commit = time.monotonic()
        self.metrics.streams_open.set(sum(len(s.streams) for s in self.partitions.values()))

    def _metadata_planned(self, partition: int, plan: PartitionCommit) -> None:
        """Remember how full a partition's metadata is; hold or release it."""
        self.metadata_plans[partition] = plan
        if plan.held and partition not in self.held:
            self.held.add(partition)
            self.metrics.metadata_held.inc()
            log.error(
                "%d stream checkpoints of %s[%d] do not fit its commit metadata (%d B) even "
                "without context: the partition is held (its finals wait with its offset) "
                "until enough of its streams end; new streams are refused meanwhile",
                plan.streams,
                AUDIO_FRAMES,
                partition,
                self.metadata_max_bytes,
            )
        elif not plan.held and partition in self.held:
            self.held.discard(partition)
            log.warning(
                "%s[%d] fits its commit metadata again (%d streams): its finals go out",
                AUDIO_FRAMES,
                partition,
                plan.streams,
            )
        self.metrics.metadata_held_partitions.set(len(self.held))
        fullest = max((p.fill for p in self.metadata_plans.values()), default=0.0)
        self.metrics.metadata_fill.set(fullest)

    def _transaction(
        self, segments: list[TranscriptSegment], offsets: list[TopicPartition]
    ) -> bool:
        """Publish the finals with the offsets; False if nothing was committed."""
        messages = [encode(segment) for segment in segments]
        try:
            return self.transactions.commit(messages, offsets, self.loop.group_metadata())
        except TransactionAbortedError as exc:
            log.warning("transaction aborted (%s): re-reading from the committed offsets", exc)
            self._rewind()
            return False

    def _rewind(self) -> None:
        """After an aborted transaction: forget all state and re-read from committed offsets."""
        self.outbox = []
        self.held.clear()
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

    def _flow_control(self) -> None:
        backlog = sum(lane.pending_final_seconds() for lane in self.lanes.values())
        limit = self.settings.transcriber.max_backlog_s
        if not self.paused and backlog > limit:
            self.loop.pause(self.loop.assignment())
            self.paused = True
            log.info("paused reading: %.1f s of audio waiting for finals", backlog)
        elif self.paused and backlog < limit / 2:
            self.loop.resume(self.loop.assignment())
            self.paused = False
        self.metrics.partitions_paused.set(int(self.paused))
        self.metrics.backlog_seconds.set(backlog)
        for lane in self.lanes.values():
            self.metrics.queue_depth.labels(lane.name).set(lane.depth())
        dropped = sum(lane.dropped_partials() for lane in self.lanes.values())
        if dropped > self._dropped_reported:
            self.metrics.partials_dropped.inc(dropped - self._dropped_reported)
            self._dropped_reported = dropped

    # -- overload (docs/overload.md) -----------------------------------------------------

    def _lags(self, now: float) -> list[StreamLag]:
        lags: list[StreamLag] = []
        for partition, state in self.partitions.items():
            try:
                _low, high = self.loop.consumer.get_watermark_offsets(
                    TopicPartition(AUDIO_FRAMES, partition), cached=True
                )
            except KafkaException:
                high = -1
            unread = high >= 0 and state.progress.last_offset + 1 < high
            # How far reading is behind is the partition's, not a stream's: a stream whose
            # client went quiet is not behind because its partition has frames to read.
            read = state.clock_ms / 1000 if state.clock_ms else None
            for stream_id, stream in state.streams.items():
                if stream.ended and not stream.unfinished_finals:
                    continue
                waiting = stream.oldest_waiting_final
                lag = stream_lag(
                    now, waiting.timestamp() if waiting is not None else None, read, unread
                )
                lags.append(StreamLag(stream_id, stream.info.meeting_id, lag))
        return lags

    def _overload(self) -> None:
        """Decide the overload level, apply it, and publish the load report when due."""
        now = time.time()
        if self.decision is not None and now < self._report_due:
            return
        overload = self.settings.transcriber.overload
        wait = max((lane.expected_final_wait() for lane in self.lanes.values()), default=0.0)
        busy = max((lane.final_utilisation() for lane in self.lanes.values()), default=0.0)
        fullest = max(self.metadata_plans.items(), key=lambda item: item[1].fill, default=None)
        fill = fullest[1].fill if fullest is not None else 0.0
        decision = self.policy.update(self._lags(now), wait, busy, fill)
        self.decision = decision
        reason = None
        if decision.metadata_full and fullest is not None:
            partition, plan = fullest
            reason = (
                f"the commit metadata of {AUDIO_FRAMES} partition {partition} is "
                f"{plan.fill:.0%} full with {plan.streams} streams"
            )
        for lane in self.lanes.values():
            lane.overload(shed_partials=decision.shed_partials, degraded=decision.degraded)
        if decision.changed:
            log.warning(
                "transcript %.1f s behind: overload level %s (partials %s, finals %s, %s)%s",
                decision.lag_s,
                decision.reported.label,
                "shed" if decision.shed_partials else "decoded",
                "cheaper" if decision.degraded else "full",
                "new streams refused" if decision.over_capacity else "admitting",
                f": {reason}" if reason else "",
            )
        self.metrics.lag_seconds.set(decision.lag_s)
        self.metrics.overload_level.set(int(decision.reported))
        self.metrics.meetings_lagging.set(self.policy.lagging_meetings)
        shed = sum(lane.shed_partials() for lane in self.lanes.values())
        if shed > self._shed_reported:
            self.metrics.partials_shed.inc(shed - self._shed_reported)
            self._shed_reported = shed
        self.partial_producer.publish(
            TranscriberLoad(
                instance=self.instance,
                level=decision.reported.label,
                lag_s=round(decision.lag_s, 2),
                over_capacity=decision.over_capacity,
                reason=reason,
                streams=sum(len(s.streams) for s in self.partitions.values()),
                meetings=[
                    MeetingLag(
                        meeting_id=m.meeting_id, lag_s=m.lag_s, streams_behind=m.streams_behind
                    )
                    for m in decision.meetings
                ],
            )
        )
        self._report_due = now + overload.report_interval_s
