"""The archiver's Kafka shell: frames in, FLAC chunks into the store, offsets committed
only below audio that is durable there.

The shared ConsumerLoop reads `audio.frames` and `meeting.events` in manual-commit mode.
Each audio partition has a ChunkAssembler; a chunk it hands out is encoded and put into
the store, and a partition's committed offset never passes the first message whose audio
is in a chunk not yet stored. After a restart the first frame of each stream reloads the
stored part of its open chunk, so the chunks written are the same as without the crash.

Meetings: the archiver is the one writer of the streamed audio, so it also deletes. A
meeting's `deleted` event (published by the gateway before it deletes the row) removes its
audio at once, and its later frames are dropped; a sweep every SWEEP_INTERVAL_S removes
audio past its retention and audio of meetings that no longer exist (which also covers an
event this archiver never saw, e.g. its consumer group was reset past it). The recordings
uploaded to a meeting (the gateway writes their parts under vori.uploads' prefix) are the
meeting's audio too: deleted, expired and swept here with the rest, so that one consumer
of `deleted` removes everything of a meeting in the store.

One module because the `Archiver`'s partitions, unstored chunks and committed offsets are
one piece of state that every message changes; the chunking lives apart in chunker.py.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from confluent_kafka import TopicPartition
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from stream_ingest.archive import metrics
from stream_ingest.archive.chunker import Chunk, ChunkAssembler
from vori.db.tables import Meeting
from vori.events import (
    AUDIO_FRAMES,
    MEETING_EVENTS,
    AudioFrame,
    Event,
    MeetingEvent,
)
from vori.kafka import ConsumerLoop, MessageContext, PoisonMessageError
from vori.objectstore import ObjectStore, ObjectStoreUnavailableError
from vori.recordings import (
    CONTENT_TYPE,
    SAMPLE_RATE,
    BadRecordingKeyError,
    chunk_key,
    chunk_start,
    decode_flac,
    encode_flac,
    is_expired,
    meeting_prefix,
    parse_chunk_key,
    retention_days,
)
from vori.settings import Settings
from vori.uploads import meeting_uploads_prefix, uploads_meeting

log = logging.getLogger(__name__)

# How long a meeting found in PostgreSQL is trusted to still exist without asking again.
MEETING_CHECK_S = 30.0
IDLE_CHECK_S = 1.0
# A store that fails is tried again after this, doubling up to the maximum.
STORE_RETRY_S = 0.5
STORE_RETRY_MAX_S = 30.0


@dataclass
class _Partition:
    assembler: ChunkAssembler
    next_offset: int | None = None  # one past the last message handled
    committed: int | None = None
    outbox: list[Chunk] = field(default_factory=list)  # handed out, not yet stored
    blocked_at: int | None = None  # offset to read again once the store answers
    retry_at: float = 0.0
    backoff_s: float = 0.0


@dataclass(frozen=True)
class _MeetingRow:
    exists: bool
    ended_at: datetime | None
    retention_days: int | None


class Archiver:
    """Keeps every stream's audio in the recordings store."""

    def __init__(
        self,
        settings: Settings,
        store: ObjectStore,
        sessions: sessionmaker[Session],
    ) -> None:
        self.settings = settings
        self.recordings = settings.recordings
        self.store = store
        self.sessions = sessions
        self.clock = time.monotonic
        self.chunk_samples = self.recordings.chunk_s * SAMPLE_RATE
        self.partitions: dict[int, _Partition] = {}
        self.event_offsets: dict[int, int] = {}
        self.events_committed: dict[int, int] = {}
        self._meetings: dict[str, tuple[float, bool]] = {}  # id -> (checked at, keep audio)
        self._last_commit = 0.0
        self._last_idle = 0.0
        self._next_sweep = 0.0
        self.loop = ConsumerLoop(
            settings.kafka,
            self.recordings.group_id,
            [AUDIO_FRAMES, MEETING_EVENTS],
            self.handle,
            on_tick=self.tick,
            manual_commit=True,
            on_assign=self.assigned,
            on_revoke=self.revoked,
            on_dead_letter=self.dead_lettered,
        )

    def run(self) -> None:
        """Consume until SIGTERM; what is stored is committed on the way out."""
        try:
            self.loop.run()
        finally:
            log.info("archiver stopped")

    # -- partitions ---------------------------------------------------------------------

    def assigned(self, partitions: list[TopicPartition]) -> None:
        for tp in partitions:
            if tp.topic == AUDIO_FRAMES:
                self.partitions[tp.partition] = _Partition(ChunkAssembler(self.chunk_samples))

    def revoked(self, partitions: list[TopicPartition]) -> None:
        """Store what can be stored and commit it; the next owner re-reads the rest."""
        for tp in partitions:
            if tp.topic == AUDIO_FRAMES and tp.partition in self.partitions:
                try:
                    self._write_outbox(self.partitions[tp.partition])
                except ObjectStoreUnavailableError as exc:
                    log.warning("chunks of %s[%d] not stored: %s", tp.topic, tp.partition, exc)
        self.commit()
        for tp in partitions:
            if tp.topic == AUDIO_FRAMES:
                self.partitions.pop(tp.partition, None)
            else:
                self.event_offsets.pop(tp.partition, None)
                self.events_committed.pop(tp.partition, None)

    def dead_lettered(self, context: MessageContext) -> None:
        self._mark_done(context)

    def _partition(self, number: int) -> _Partition:
        state = self.partitions.get(number)
        if state is None:
            state = self.partitions[number] = _Partition(ChunkAssembler(self.chunk_samples))
        return state

    def _mark_done(self, context: MessageContext) -> None:
        if context.topic == AUDIO_FRAMES:
            self._partition(context.partition).next_offset = context.offset + 1
        else:
            self.event_offsets[context.partition] = context.offset + 1

    # -- messages -----------------------------------------------------------------------

    def handle(self, event: Event, context: MessageContext) -> None:
        if isinstance(event, AudioFrame):
            if self._partition(context.partition).blocked_at is not None:
                return  # fetched before the pause: it is read again from blocked_at
            try:
                self._frame(event, context)
            except ObjectStoreUnavailableError as exc:
                # Not a bad message: the store is away. Read it again once the store
                # answers, and take nothing from this partition before.
                self._block(context, exc)
                return
        elif isinstance(event, MeetingEvent):
            self._meeting_event(event)
        self._mark_done(context)

    def _block(self, context: MessageContext, error: ObjectStoreUnavailableError) -> None:
        state = self._partition(context.partition)
        tp = TopicPartition(AUDIO_FRAMES, context.partition, context.offset)
        self.loop.pause([tp])
        self.loop.consumer.seek(tp)
        state.blocked_at = context.offset
        state.backoff_s = min(STORE_RETRY_MAX_S, max(STORE_RETRY_S, state.backoff_s * 2))
        state.retry_at = self.clock() + state.backoff_s
        log.warning(
            "recordings store failing (%s): %s[%d] waits at offset %d, next try in %.1f s",
            error,
            AUDIO_FRAMES,
            context.partition,
            context.offset,
            state.backoff_s,
        )

    def _unblock(self, now: float) -> None:
        """Resume partitions whose store writes succeed again."""
        for number, state in self.partitions.items():
            if state.blocked_at is None or now < state.retry_at:
                continue
            try:
                self._write_outbox(state)
            except ObjectStoreUnavailableError as exc:
                state.backoff_s = min(STORE_RETRY_MAX_S, state.backoff_s * 2)
                state.retry_at = now + state.backoff_s
                log.warning("recordings store still failing: %s", exc)
                continue
            log.info("recordings store answers again: %s[%d] goes on", AUDIO_FRAMES, number)
            self.loop.resume([TopicPartition(AUDIO_FRAMES, number, state.blocked_at)])
            state.blocked_at = None
            state.backoff_s = 0.0

    def _frame(self, frame: AudioFrame, context: MessageContext) -> None:
        state = self._partition(context.partition)
        self._write_outbox(state)  # anything a failed attempt left
        if not self._keeps_audio(frame.meeting_id):
            return
        now = self.clock()
        assembler = state.assembler
        if not assembler.knows(frame.stream_id):
            start = chunk_start(frame.position, self.chunk_samples)
            try:
                key = chunk_key(frame.meeting_id, frame.stream_id, start)
            except BadRecordingKeyError as exc:
                raise PoisonMessageError(str(exc)) from exc
            stored = self.store.read(key)
            pcm = decode_flac(stored) if stored else b""
            assembler.resume(frame.meeting_id, frame.stream_id, start, pcm, now)
        state.outbox.extend(assembler.add(frame, context.offset, now))
        self._write_outbox(state)

    def _write_outbox(self, state: _Partition) -> None:
        while state.outbox:
            chunk = state.outbox[0]
            if self._keeps_audio(chunk.meeting_id):
                key = chunk_key(chunk.meeting_id, chunk.stream_id, chunk.start_sample)
                data = encode_flac(chunk.pcm)
                self.store.put(key, data, CONTENT_TYPE)
                metrics.CHUNKS_WRITTEN.inc()
                metrics.BYTES_WRITTEN.inc(len(data))
                metrics.SAMPLES_WRITTEN.inc(chunk.samples)
                log.debug("stored %s (%d samples)", key, chunk.samples)
            state.outbox.pop(0)

    def _meeting_event(self, event: MeetingEvent) -> None:
        # Idempotent: a replayed `deleted` finds nothing left to delete.
        if event.type == "deleted":
            self.delete_meeting_audio(event.meeting_id, "deleted")

    # -- meetings and retention ---------------------------------------------------------

    def _meeting_row(self, meeting_id: str) -> _MeetingRow:
        with self.sessions() as session:
            found = session.execute(
                select(Meeting.ended_at, Meeting.recording_retention_days).where(
                    Meeting.id == meeting_id
                )
            ).first()
        if found is None:
            return _MeetingRow(False, None, None)
        return _MeetingRow(True, found.ended_at, found.recording_retention_days)

    def _keeps_audio(self, meeting_id: str) -> bool:
        """Whether a meeting's audio is to be kept: it exists and is within retention."""
        now = self.clock()
        cached = self._meetings.get(meeting_id)
        if cached is not None and (not cached[1] or now - cached[0] < MEETING_CHECK_S):
            return cached[1]
        row = self._meeting_row(meeting_id)
        keep = row.exists and not is_expired(
            datetime.now(UTC),
            retention_days(self.recordings.retention_days, row.retention_days),
            row.ended_at,
            datetime.now(UTC),
        )
        self._meetings[meeting_id] = (now, keep)
        return keep

    def delete_meeting_audio(self, meeting_id: str, reason: str) -> int:
        """Remove every object of a meeting and forget its open chunks; how many went.
        ``reason``: deleted, expired or orphaned (gone from PostgreSQL, seen by a sweep)."""
        for state in self.partitions.values():
            state.assembler.forget_meeting(meeting_id)
            state.outbox = [c for c in state.outbox if c.meeting_id != meeting_id]
        try:
            prefixes = (meeting_prefix(meeting_id), meeting_uploads_prefix(meeting_id))
        except BadRecordingKeyError:
            return 0
        keys = [info.key for prefix in prefixes for info in self.store.list_objects(prefix)]
        self.store.delete(keys)
        self._meetings[meeting_id] = (self.clock(), False)
        if keys:
            metrics.MEETINGS_DELETED.labels(reason).inc()
            log.info("meeting %s: deleted %d audio chunks (%s)", meeting_id, len(keys), reason)
        return len(keys)

    def sweep(self) -> int:
        """Delete the audio of meetings past retention or gone; how many meetings."""
        newest: dict[str, datetime] = {}
        for info in self.store.list_objects(""):
            ref = parse_chunk_key(info.key)
            meeting_id = ref.meeting_id if ref is not None else uploads_meeting(info.key)
            if meeting_id is None:
                continue
            seen = newest.get(meeting_id)
            newest[meeting_id] = info.modified if seen is None else max(seen, info.modified)
        if not newest:
            return 0
        with self.sessions() as session:
            rows = {
                row.id: row
                for row in session.execute(
                    select(Meeting.id, Meeting.ended_at, Meeting.recording_retention_days).where(
                        Meeting.id.in_(list(newest))
                    )
                )
            }
        now = datetime.now(UTC)
        removed = 0
        for meeting_id, last_written in newest.items():
            row = rows.get(meeting_id)
            if row is None:
                reason = "orphaned"
            else:
                days = retention_days(self.recordings.retention_days, row.recording_retention_days)
                if not is_expired(now, days, row.ended_at, last_written):
                    continue
                reason = "expired"
            self.delete_meeting_audio(meeting_id, reason)
            removed += 1
        return removed

    # -- periodic work ------------------------------------------------------------------

    def tick(self) -> None:
        now = self.clock()
        self._unblock(now)
        if now - self._last_idle >= IDLE_CHECK_S:
            self._last_idle = now
            for state in self.partitions.values():
                state.outbox.extend(state.assembler.idle(now, self.recordings.idle_flush_s))
                if state.blocked_at is None:
                    try:
                        self._write_outbox(state)
                    except ObjectStoreUnavailableError as exc:
                        log.warning("recordings store failing: %s", exc)
        if now >= self._next_sweep:
            self._next_sweep = now + self.recordings.sweep_interval_s
            try:
                self.sweep()
            except ObjectStoreUnavailableError as exc:
                log.warning("retention sweep skipped, the store is failing: %s", exc)
        if now - self._last_commit >= self.settings.kafka.commit_interval_ms / 1000:
            self._last_commit = now
            self.commit()

    def commit(self) -> None:
        """Commit, per partition, the first offset whose audio is not yet stored."""
        offsets: list[TopicPartition] = []
        for number, state in self.partitions.items():
            if state.next_offset is None:
                continue
            pending = [c.first_offset for c in state.outbox if c.first_offset is not None]
            held = state.assembler.pending_offset()
            if held is not None:
                pending.append(held)
            offset = min([state.next_offset, *pending])
            if offset != state.committed:
                offsets.append(TopicPartition(AUDIO_FRAMES, number, offset))
        for number, offset in self.event_offsets.items():
            if offset != self.events_committed.get(number):
                offsets.append(TopicPartition(MEETING_EVENTS, number, offset))
        if not offsets:
            return
        self.loop.consumer.commit(offsets=offsets, asynchronous=False)
        for tp in offsets:
            if tp.topic == AUDIO_FRAMES and tp.partition in self.partitions:
                self.partitions[tp.partition].committed = tp.offset
            elif tp.topic == MEETING_EVENTS:
                self.events_committed[tp.partition] = tp.offset
