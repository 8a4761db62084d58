"""Partition bookkeeping: what the transcriber knows of each assigned audio.frames partition.

Owns, per partition: the streams being transcribed and their prompt contexts, the stream
checkpoints restored from the commit metadata (and those of ended streams that must still
travel with it), the progress of offsets (transcriber/offsets.py), the partition's data
clock and idle expiry on it, the last committed (offset, metadata), and the *hold*: a
partition whose checkpoints do not fit its commit metadata even without their contexts
keeps its offset and its finals back until enough of its streams end (docs/overload.md).

No Kafka and no clocks here: the worker passes the committed offsets, watermarks and
times in, and acts on what comes back (jobs to submit, hold changes to log, offsets to
commit).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime

from transcriber.lane import PromptContext, Work
from transcriber.offsets import (
    PartitionCommit,
    PartitionProgress,
    decode_checkpoints,
    plan_commit,
)
from transcriber.overload import StreamLag, stream_lag
from transcriber.room import VoicePolicy
from transcriber.segmenter import SegmenterConfig
from transcriber.stream import FinalJob, StreamCheckpoint, StreamInfo, StreamTranscriber
from transcriber.vad import ClassifierFactory, classifier_factory
from vori.events import AudioFrame
from vori.settings import TranscriberSettings

OFFSET_INVALID = -1001


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

    def prune(self, checkpoints: dict[str, StreamCheckpoint]) -> dict[str, StreamCheckpoint]:
        """Forget streams that need no checkpoint any more; the checkpoints to commit."""
        keep = {s: cp for s, cp in checkpoints.items() if self.progress.keeps(s, cp)}
        gone = [
            s for s, st in self.streams.items() if (st.finished or st.expired) and s not in keep
        ]
        for sid in gone:
            del self.streams[sid]
            self.contexts.pop(sid, None)
        self.finished = {s: cp for s, cp in self.finished.items() if s in keep}
        self.restored = {s: cp for s, cp in self.restored.items() if s in keep}
        return keep


@dataclass(frozen=True)
class Expired:
    """A stream finalised by idle expiry: its last jobs go to its model lane."""

    partition: int
    stream: StreamTranscriber
    context: PromptContext
    jobs: list[FinalJob]
    idle_s: float


@dataclass(frozen=True)
class Planned:
    """A partition's commit plan, and whether it changes the partition's hold."""

    partition: int
    plan: PartitionCommit
    due: bool  # its (offset, metadata) differ from the last committed ones
    now_held: bool = False
    released: bool = False


class Partitions:
    """The assigned partitions of audio.frames, their streams and their holds."""

    def __init__(
        self,
        config: SegmenterConfig,
        metadata_max_bytes: int,
        classifiers: ClassifierFactory | None = None,
        voice_policy: VoicePolicy = VoicePolicy(),
        relative_floor_languages: frozenset[str] | None = None,
    ) -> None:
        self.config = config
        # Streams of other languages segment without the relative floor (None: every one).
        self.relative_floor_languages = relative_floor_languages
        self.classifiers = classifiers  # a VAD classifier per stream (None: webrtcvad)
        self.voice_policy = voice_policy  # how room microphones' voices are told apart
        self.metadata_max_bytes = metadata_max_bytes
        self.states: dict[int, PartitionState] = {}
        self.held: set[int] = set()  # partitions whose checkpoints do not fit their metadata
        self.plans: dict[int, PartitionCommit] = {}  # each partition's latest plan

    @classmethod
    def from_settings(cls, settings: TranscriberSettings, metadata_max_bytes: int) -> Partitions:
        """The segmenter, VAD and voice settings of the transcriber's streams."""
        config = SegmenterConfig.from_settings(settings)
        return cls(
            config,
            metadata_max_bytes,
            classifier_factory(config),
            VoicePolicy.from_settings(settings),
            frozenset(settings.vad_relative_floor_languages),
        )

    def config_for(self, language: str) -> SegmenterConfig:
        """The segmenter settings of a stream in this language."""
        floors = self.relative_floor_languages
        if floors is None or language in floors:
            return self.config
        return replace(self.config, relative_floor_db=None)

    def __contains__(self, partition: int) -> bool:
        return partition in self.states

    def __iter__(self) -> Iterator[int]:
        return iter(self.states)

    def get(self, partition: int) -> PartitionState | None:
        return self.states.get(partition)

    def open_streams(self) -> int:
        return sum(len(s.streams) for s in self.states.values())

    def newly_transcribed(self) -> Iterator[tuple[int, StreamTranscriber]]:
        """Each stream whose end is read and whose finals are all decoded, once (with its
        partition): its `stream_transcribed` goes out with its offsets."""
        for partition, state in self.states.items():
            for stream in state.streams.values():
                if stream.transcribed and not stream.announced:
                    stream.announced = True
                    yield partition, stream

    # -- assignment ----------------------------------------------------------------------

    def restore(self, partition: int, offset: int, metadata: str | None, high: int) -> int:
        """Take a partition from its committed offset and metadata; the offset to read from.

        Returns OFFSET_INVALID for a partition without a committed offset (the consumer's
        reset policy decides). Raises ValueError for metadata it cannot read.
        """
        restored = decode_checkpoints(metadata)
        offset = offset if offset >= 0 else OFFSET_INVALID
        start = offset if offset >= 0 else 0
        self.states[partition] = PartitionState(
            progress=PartitionProgress(start, high),
            high_watermark=high,
            restored={s: cp for s, cp in restored.items() if not cp.ended},
            finished={s: cp for s, cp in restored.items() if cp.ended},
            committed=(offset, metadata or "") if offset >= 0 else None,
        )
        return offset

    def drop(self, partition: int) -> PartitionState | None:
        """Forget a partition (released, or to be re-read); its state, if it had one."""
        self.plans.pop(partition, None)
        self.held.discard(partition)
        return self.states.pop(partition, None)

    # -- frames --------------------------------------------------------------------------

    def open_stream(
        self, state: PartitionState, frame: AudioFrame, default_language: str
    ) -> StreamTranscriber:
        """A stream's first frame here: resume it from its restored checkpoint or start it."""
        language = (frame.language or default_language).lower()
        info = StreamInfo(
            frame.stream_id,
            frame.meeting_id,
            frame.participant_id,
            frame.speaker,
            language,
            tuple(frame.vocabulary),
            frame.room_microphone,
            frame.accuracy,
        )
        resume = state.restored.pop(frame.stream_id, None)
        classifier = self.classifiers() if self.classifiers is not None else None
        config = self.config_for(language)
        if resume is not None:
            stream = StreamTranscriber(
                info, config, resume, classifier=classifier, voice_policy=self.voice_policy
            )
        else:
            stream = StreamTranscriber.new(
                info, config, frame.position, classifier, self.voice_policy
            )
        state.streams[frame.stream_id] = stream
        state.contexts[frame.stream_id] = PromptContext(stream.durable.context)
        return stream

    def expire_idle(
        self, partition: int, state: PartitionState, now_ms: int, idle_ms: int
    ) -> tuple[list[Expired], bool]:
        """Finalise the streams of a partition that sent nothing for `idle_ms`.

        Returns the expired streams (their jobs still to submit) and whether any checkpoint
        changed (an expired stream, or a restored one never seen again).
        """
        state.swept_ms = max(state.swept_ms, now_ms)
        expired: list[Expired] = []
        changed = False
        for stream_id, stream in state.streams.items():
            seen = stream.last_seen_ms
            if stream.idle or stream.ended or seen is None or now_ms - seen < idle_ms:
                continue
            jobs = stream.expire()
            expired.append(
                Expired(partition, stream, state.contexts[stream_id], jobs, (now_ms - seen) / 1000)
            )
            changed = True
        for stream_id, cp in list(state.restored.items()):
            seen = cp.last_seen_ms
            if not cp.expired and seen is not None and now_ms - seen >= idle_ms:
                # Restored but never seen again: nothing of it is left to decode.
                state.restored[stream_id] = replace(cp, expired=True)
                changed = True
        return expired, changed

    def owner(self, work: Work) -> StreamTranscriber | None:
        """The stream a decode result belongs to, if this process still transcribes it."""
        state = self.states.get(work.partition)
        if state is None:
            return None
        stream = state.streams.get(work.job.info.stream_id)
        return stream if stream is work.stream else None

    # -- commits -------------------------------------------------------------------------

    def plan(self) -> list[Planned]:
        """Each partition's offset and metadata for the next commit; holds follow the plans."""
        planned: list[Planned] = []
        for partition, state in self.states.items():
            checkpoints = state.checkpoints()
            offset = state.progress.commit_point(checkpoints)
            plan = plan_commit(offset, state.prune(checkpoints), self.metadata_max_bytes)
            self.plans[partition] = plan
            now_held = plan.held and partition not in self.held
            released = not plan.held and partition in self.held
            if now_held:
                self.held.add(partition)
            elif released:
                self.held.discard(partition)
            due = plan.metadata is not None and state.committed != (offset, plan.metadata)
            planned.append(Planned(partition, plan, due, now_held, released))
        return planned

    def committed(self, partition: int, offset: int, metadata: str) -> None:
        state = self.states.get(partition)
        if state is not None:
            state.committed = (offset, metadata)

    def fill(self) -> float:
        """How full the fullest partition's commit metadata is (whole contexts)."""
        return max((p.fill for p in self.plans.values()), default=0.0)

    def fullest(self) -> tuple[int, PartitionCommit] | None:
        return max(self.plans.items(), key=lambda item: item[1].fill, default=None)

    # -- overload ------------------------------------------------------------------------

    def lags(self, now: float, high_watermark: Callable[[int], int]) -> list[StreamLag]:
        """Each open stream's lags; `high_watermark` of a partition, -1 when unknown."""
        lags: list[StreamLag] = []
        for partition, state in self.states.items():
            high = high_watermark(partition)
            unread = high >= 0 and state.progress.last_offset + 1 < high
            # How far reading is behind is the partition's, not a stream's: a stream whose
            # client went quiet is not behind because its partition has frames to read.
            read = state.clock_ms / 1000 if state.clock_ms else None
            for stream_id, stream in state.streams.items():
                if stream.ended and not stream.unfinished_finals:
                    continue
                waiting = stream.oldest_waiting_final
                queued = stream.oldest_unstarted_final(state.contexts[stream_id].final_started)
                lags.append(
                    StreamLag(
                        stream_id,
                        stream.info.meeting_id,
                        stream_lag(now, _epoch(waiting), read, unread),
                        stream_lag(now, _epoch(queued), read, unread),
                    )
                )
        return lags


def _epoch(at: datetime | None) -> float | None:
    return at.timestamp() if at is not None else None
