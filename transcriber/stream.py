"""The transcription state of one audio stream (pure: frames and decode results in, jobs out).

It owns the stream's segmenter, the audio of the open utterance, the stabiliser of its
partials, and the bookkeeping that makes offsets safe to commit: a checkpoint becomes
*durable* once every final closed before it has been decoded, and then carries the
prompt context that the next utterance will be decoded with.

One module because the open utterance, the stabiliser's partials and the checkpoints of one
stream change together on every frame; the parts without shared state (segmenter.py,
stabilizer.py) are modules of their own.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np

from transcriber.pcm import SAMPLE_RATE, Samples, loudest_dbfs, samples_of
from transcriber.room import EMPTY_VOICES, RoomVoices, VoicePolicy
from transcriber.segmenter import (
    Checkpoint,
    Closed,
    Discarded,
    Opened,
    Reset,
    Segmenter,
    SegmenterConfig,
    SegmentEvent,
    WouldClose,
)
from transcriber.stabilizer import Stabilizer, StableView
from transcriber.vad import FrameClassifier
from transcriber.voice import Embedding
from vori.events import AudioFrame, segment_id_for
from vori.settings import Accuracy


@dataclass(frozen=True)
class StreamInfo:
    """Who a stream is: ids, speaker, and the meeting language (en, ko, auto or a code)."""

    stream_id: str
    meeting_id: str
    participant_id: str
    speaker: str | None
    language: str
    vocabulary: tuple[str, ...] = ()  # the meeting's terms, as stamped on its frames
    room: bool = False  # a room microphone: its finals are told apart by voice
    # The meeting's choice of model (TranscriberSettings.model_for); fixed when the meeting
    # is created, so a stream's finals all come from one model and one lane.
    accuracy: Accuracy | None = None


@dataclass(frozen=True)
class StreamCheckpoint:
    """All a restart needs to resume a stream exactly: segmenter checkpoint and context."""

    segmenter: Checkpoint
    context: str = ""
    ended: bool = False
    expired: bool = False  # ended by `stream_idle_s` without a marker: frames after it reopen it
    last_seen_ms: int | None = None  # Kafka timestamp of the newest frame read before it
    voices: RoomVoices = EMPTY_VOICES  # a room microphone's voices, as of the finals before it
    # Start sample of the newest final published past the checkpoint (None: none is). The
    # checkpoint moves only after a quiet stretch, so finals go out before it passes them;
    # a restart decodes those again, for the context and voices they leave, unpublished.
    published_to: int | None = None


@dataclass(frozen=True)
class Timing:
    """Wall-clock instants of the utterance's last sample."""

    audio_end_capture_time: datetime | None
    audio_end_received_at: datetime | None


@dataclass(frozen=True)
class UtteranceAudio:
    """What every decode job carries: an utterance's audio (or its open part so far)."""

    info: StreamInfo
    segment_id: str
    start: int
    end: int
    audio: Samples
    audio_dbfs: float  # the level of its loudest 150 ms, which the energy gate compares


@dataclass(frozen=True)
class FinalJob(UtteranceAudio):
    """Decode a closed utterance with the final settings."""

    revision: int
    seq: int  # 1, 2, ... in closing order within this process's life of the stream
    retract_only: bool  # too little speech: decode nothing, only replace shown partials
    had_partials: bool
    timing: Timing


@dataclass(frozen=True)
class EarlyFinalJob(UtteranceAudio):
    """Decode an open utterance as it would close, during the pause that may close it: if
    the pause does, its final is this decode (the same audio and context), already done."""

    def matches(self, final: FinalJob) -> bool:
        """`final` decodes exactly what this decoded."""
        return (
            not final.retract_only
            and final.segment_id == self.segment_id
            and (final.start, final.end) == (self.start, self.end)
            and final.info == self.info
        )


@dataclass(frozen=True)
class PartialJob(UtteranceAudio):
    """Re-decode the open utterance so far (cheap settings, the stable text as prefix)."""

    prefix: str
    timing: Timing


@dataclass
class _OpenUtterance:
    segment_id: str
    start: int
    stabilizer: Stabilizer
    revision: int = 0
    partial_requested_to: int = 0
    maybe_shown: bool = False  # partials shown here, or perhaps by a process before a restart


@dataclass
class _Queued:
    checkpoint: Checkpoint
    finals_before: int
    ended: bool
    expired: bool = False


@dataclass
class _FrameTime:
    position: int
    capture_time: datetime | None
    received_at: datetime


class StreamTranscriber:
    """Segmentation, partial requests and checkpoint bookkeeping of one stream."""

    def __init__(
        self,
        info: StreamInfo,
        config: SegmenterConfig,
        resume: StreamCheckpoint,
        *,
        classifier: FrameClassifier | None = None,
        min_partial_speech_s: float = 0.3,
        voice_policy: VoicePolicy = VoicePolicy(),
    ) -> None:
        fs = config.frame_samples
        if resume.segmenter.position % fs:
            # Written under another frame size (the VAD engine changed across a restart):
            # go on from this grid's next boundary. An open utterance keeps its start.
            moved = replace(resume.segmenter, position=-(-resume.segmenter.position // fs) * fs)
            resume = replace(resume, segmenter=moved)
        self.info = info
        self.config = config
        self.voice_policy = voice_policy
        self.segmenter = Segmenter(config, resume.segmenter, classifier)
        self.durable = resume
        self.ended = resume.ended
        # Whether `stream_transcribed` went out (or a checkpoint says the end was committed).
        self.announced = resume.ended
        self.last_seen_ms = resume.last_seen_ms
        self.idle = resume.expired
        self._published_to = resume.published_to
        self._audio = np.zeros(0, dtype=np.int16)
        self._audio_start = resume.segmenter.needed_from
        self._open: _OpenUtterance | None = None
        self._early: EarlyFinalJob | None = None
        if resume.segmenter.open_start is not None:
            self._open = self._new_utterance(resume.segmenter.open_start)
        self._queued: deque[_Queued] = deque()
        self._finals_submitted = 0
        self._finals_done = 0
        # (seq, capture time of its last sample) of every final not yet decoded: the lag.
        self._waiting: deque[tuple[int, datetime | None]] = deque()
        # What the finals done so far leave for the next one: prompt context and voices.
        self._contexts: dict[int, str] = {0: resume.context}
        self._voices: dict[int, RoomVoices] = {0: resume.voices}
        self._times: deque[_FrameTime] = deque()
        self._min_partial_samples = round(min_partial_speech_s * SAMPLE_RATE)
        self._keep_idle = config.samples(config.preroll_ms + config.onset_window_ms) + 2 * (
            config.frame_samples
        )

    @classmethod
    def new(
        cls,
        info: StreamInfo,
        config: SegmenterConfig,
        first_position: int,
        classifier: FrameClassifier | None = None,
        voice_policy: VoicePolicy = VoicePolicy(),
    ) -> StreamTranscriber:
        """A stream seen for the first time, starting at the first frame boundary."""
        fs = config.frame_samples
        aligned = -(-first_position // fs) * fs
        checkpoint = StreamCheckpoint(Checkpoint(position=aligned))
        return cls(info, config, checkpoint, classifier=classifier, voice_policy=voice_policy)

    @property
    def needed_from(self) -> int:
        """The first sample that must be re-read after a crash."""
        return self.durable.segmenter.needed_from

    @property
    def speaking(self) -> bool:
        return self._open is not None

    @property
    def unfinished_finals(self) -> int:
        return self._finals_submitted - self._finals_done

    @property
    def transcribed(self) -> bool:
        """End of stream read and every final before it decoded (not yet committed)."""
        return self.ended and self.unfinished_finals == 0

    @property
    def oldest_waiting_final(self) -> datetime | None:
        """When the last sample of the oldest utterance still waiting for its final was
        captured (received, if the client gave no capture time); None if none waits."""
        return self._waiting[0][1] if self._waiting else None

    def oldest_unstarted_final(self, started: int) -> datetime | None:
        """As `oldest_waiting_final`, for the finals after the `started`-th, the last one
        whose decode has begun (or which was taken in decoded early)."""
        return next((at for seq, at in self._waiting if seq > started), None)

    def feed(
        self,
        frame: AudioFrame,
        received_at: datetime,
        *,
        timestamp_ms: int | None = None,
        replayed: bool = False,
    ) -> list[FinalJob]:
        """Take one frame; return the finals of the utterances it closed.

        `replayed`: the frame was read before, by a process that may have shown partials of
        its utterance; that utterance's final then replaces them even if it is empty.
        """
        if self.ended:
            return []
        self.idle = False
        if frame.pcm and (
            frame.vocabulary != list(self.info.vocabulary)
            or frame.room_microphone != self.info.room
        ):
            # Stamped at each (re)connection: a change made during the meeting reaches the
            # utterances closed after the stream reconnects. Every frame carries both, so a
            # restart that re-reads from the committed offset has them too. A marker without
            # audio changes nothing: ingest ends an abandoned stream with one that knows
            # neither (docs/protocol.md), and the utterance it closes is the stream's own.
            self.info = replace(
                self.info, vocabulary=tuple(frame.vocabulary), room=frame.room_microphone
            )
        if timestamp_ms is not None:
            self.last_seen_ms = max(self.last_seen_ms or timestamp_ms, timestamp_ms)
        samples = samples_of(frame.pcm)
        self._append(frame.position, samples)
        self._times.append(_FrameTime(frame.position, frame.capture_time, received_at))
        events = self.segmenter.feed(frame.position, samples)
        if frame.end_of_stream:
            events += self.segmenter.finish()
        jobs = self._apply(events, ended=frame.end_of_stream, replayed=replayed)
        self._trim()
        return jobs

    def expire(self) -> list[FinalJob]:
        """No frame for too long: close what is open and checkpoint, as a marker would.

        Unlike the end of the stream, frames may still come later and continue it.
        """
        if self.ended or self.idle:
            return []
        events = self.segmenter.finish()
        self.segmenter.restart_after_finish()
        self.idle = True
        jobs = self._apply(events, ended=False, expired=True)
        self._trim()
        return jobs

    def _append(self, position: int, samples: Samples) -> None:
        expected = self._audio_start + len(self._audio)
        if position + len(samples) <= expected:
            return
        if position < expected:
            samples = samples[expected - position :]
        elif position > expected:
            # A gap in the stream: digital silence, exactly as the segmenter sees it.
            samples = np.concatenate([np.zeros(position - expected, dtype=np.int16), samples])
        self._audio = np.concatenate([self._audio, samples]) if self._audio.size else samples.copy()

    def _apply(
        self,
        events: list[SegmentEvent],
        *,
        ended: bool,
        replayed: bool = False,
        expired: bool = False,
    ) -> list[FinalJob]:
        jobs: list[FinalJob] = []
        if replayed and self._open is not None:
            self._open.maybe_shown = True
        for event in events:
            if isinstance(event, Opened):
                self._open = self._new_utterance(event.start)
                self._open.maybe_shown = replayed
            elif isinstance(event, WouldClose):
                self._early = self._early_job(event.utterance.start, event.utterance.end)
            elif isinstance(event, Closed | Discarded):
                self._early = None  # closed in the same frames: its final decodes it
                start, end = (
                    (event.utterance.start, event.utterance.end)
                    if isinstance(event, Closed)
                    else (event.start, event.end)
                )
                job = self._final(start, end, retract_only=isinstance(event, Discarded))
                if job is not None:
                    jobs.append(job)
                self._open = None
            elif isinstance(event, Reset):
                self._queued.append(_Queued(event.checkpoint, self._finals_submitted, False))
        if ended or expired:
            self.ended = ended
            last = self._queued[-1].checkpoint if self._queued else self.durable.segmenter
            self._queued.append(_Queued(last, self._finals_submitted, ended, expired))
        return jobs

    def _early_job(self, start: int, end: int) -> EarlyFinalJob | None:
        if self._open is None or self._open.start != start:
            return None
        audio = self._slice(start, end)
        segment_id = self._open.segment_id
        return EarlyFinalJob(self.info, segment_id, start, end, audio, loudest_dbfs(audio))

    def early_final_job(self) -> EarlyFinalJob | None:
        """The early decode the last frames asked for (once), if its pause still goes on."""
        job, self._early = self._early, None
        if job is None or not self.segmenter.pausing or self._published_before(job.start):
            return None
        return job

    def _published_before(self, start: int) -> bool:
        """Whether the final of the utterance starting at `start` already went out."""
        return self._published_to is not None and start <= self._published_to

    def publishes(self, final: FinalJob) -> bool:
        """Whether a decoded final goes out with the next commit, which then records it.

        Not when it went out before a restart: the checkpoint that restart resumed from
        lies before it (checkpoints come after quiet stretches, finals at once), so its
        utterance was decoded again only for the prompt context and voices it leaves.
        """
        if self._published_before(final.start):
            return False
        self._published_to = final.start
        return True

    def _new_utterance(self, start: int) -> _OpenUtterance:
        return _OpenUtterance(
            segment_id_for(self.info.stream_id, start),
            start,
            Stabilizer(None if self.info.language == "auto" else self.info.language),
            partial_requested_to=start,
        )

    def _final(self, start: int, end: int, *, retract_only: bool) -> FinalJob | None:
        utterance = self._open if self._open is not None and self._open.start == start else None
        had_partials = utterance is not None and utterance.maybe_shown
        if retract_only and not had_partials:
            return None
        audio = self._slice(start, end)
        self._finals_submitted += 1
        timing = self._timing(end)
        self._waiting.append(
            (self._finals_submitted, timing.audio_end_capture_time or timing.audio_end_received_at)
        )
        return FinalJob(
            info=self.info,
            segment_id=segment_id_for(self.info.stream_id, start),
            start=start,
            end=end,
            audio=audio,
            audio_dbfs=loudest_dbfs(audio),
            revision=(utterance.revision + 1) if utterance is not None else 0,
            seq=self._finals_submitted,
            retract_only=retract_only,
            had_partials=had_partials,
            timing=timing,
        )

    def _slice(self, start: int, end: int) -> Samples:
        lo = max(start - self._audio_start, 0)
        return np.array(self._audio[lo : max(end - self._audio_start, lo)], dtype=np.int16)

    def _trim(self) -> None:
        keep_from = (
            self._open.start
            if self._open is not None
            else max(self.segmenter.lower_bound, self.segmenter.position - self._keep_idle)
        )
        drop = keep_from - self._audio_start
        if drop > 0:
            self._audio = self._audio[drop:]
            self._audio_start = keep_from
        while len(self._times) > 1 and self._times[1].position <= keep_from:
            self._times.popleft()

    def _timing(self, sample: int) -> Timing:
        last: _FrameTime | None = None
        for t in self._times:
            if t.position >= sample and last is not None:
                break
            last = t
        if last is None:
            return Timing(None, None)
        offset = timedelta(seconds=(sample - last.position) / SAMPLE_RATE)
        capture = last.capture_time + offset if last.capture_time is not None else None
        return Timing(capture, last.received_at)

    # -- partials ------------------------------------------------------------------------

    def partial_job(self, interval_s: float) -> PartialJob | None:
        """A partial of the open utterance, if enough new audio arrived since the last one."""
        utterance = self._open
        if utterance is None or self.ended:
            return None
        if self._published_before(utterance.start):
            return None  # final before a restart: its partials would show it again
        end = self._audio_start + len(self._audio)
        if end - utterance.start < self._min_partial_samples:
            return None
        if end - utterance.partial_requested_to < round(interval_s * SAMPLE_RATE):
            return None
        utterance.partial_requested_to = end
        audio = self._slice(utterance.start, end)
        return PartialJob(
            info=self.info,
            segment_id=utterance.segment_id,
            start=utterance.start,
            end=end,
            audio=audio,
            audio_dbfs=loudest_dbfs(audio),
            prefix=utterance.stabilizer.stable_text,
            timing=self._timing(end),
        )

    def on_partial(self, segment_id: str, text: str) -> tuple[int, StableView] | None:
        """Stabilise a partial's text; None if its utterance is no longer open (stale)."""
        utterance = self._open
        if utterance is None or utterance.segment_id != segment_id:
            return None
        view = utterance.stabilizer.update(text)
        if not view.text:
            return None
        utterance.revision += 1
        utterance.maybe_shown = True
        return utterance.revision, view

    # -- checkpoints ---------------------------------------------------------------------

    def on_final(
        self, seq: int, context_after: str, *, voiced: bool = False, voice: Embedding | None = None
    ) -> int | None:
        """A final was decoded (and will be published with the next commit).

        `voiced`: it has text, and on a room microphone it is given to one of the stream's
        voices by `voice`, its speaker embedding (None: too short to tell, the voice before
        it). Returns that voice's number (1, 2, ...), None on other streams. Finals are
        assigned in stream order, so a restart from a checkpoint assigns the same voices.
        """
        if seq != self._finals_done + 1:
            raise ValueError(f"final {seq} of {self.info.stream_id} done out of order")
        self._finals_done = seq
        self._contexts[seq] = context_after
        voices = self._voices[seq - 1]
        number: int | None = None
        if voiced and self.info.room:
            number, voices = self.voice_policy.assign(voices, voice)
        self._voices[seq] = voices
        while self._waiting and self._waiting[0][0] <= seq:
            self._waiting.popleft()
        return number

    def advance(self) -> StreamCheckpoint:
        """Move the durable checkpoint past every checkpoint whose finals are all decoded."""
        while self._queued and self._queued[0].finals_before <= self._finals_done:
            queued = self._queued.popleft()
            self.durable = StreamCheckpoint(
                queued.checkpoint,
                self._contexts[queued.finals_before],
                queued.ended,
                queued.expired,
                voices=self._voices[queued.finals_before],
            )
        for seq in [s for s in self._contexts if s < self._finals_done]:
            del self._contexts[seq]
            del self._voices[seq]
        published = self._published_to
        if published is not None and published < self.durable.segmenter.needed_from:
            published = None  # a restart from the checkpoint cannot close it again
        return replace(self.durable, last_seen_ms=self.last_seen_ms, published_to=published)

    @property
    def finished(self) -> bool:
        """End of stream reached and everything before it decoded."""
        return self.durable.ended

    @property
    def expired(self) -> bool:
        """Idle-expired, nothing new since, and everything before it decoded."""
        return self.idle and self.durable.expired
