"""Voice-activity segmentation of one stream into utterances (pure: samples in, events out).

A frame classifier (vad.py: webrtcvad by default, or Silero VAD) classifies fixed frames
aligned to stream sample 0. An utterance opens when enough of the recent frames are
voiced (hysteresis) and starts a pre-roll earlier so onsets are whole; it closes after a
run of unvoiced frames; a monologue is split before the maximum length at the quietest
frame of its last seconds (a pause between words).

Crash safety rests on *checkpoints*: at deterministic points (a quiet stretch after an
utterance or every few seconds of silence, and at every split) the segmenter drops all
its state, including the classifier's (webrtcvad's adaptive noise model, Silero's
recurrent state). From a checkpoint on, its output depends only on the samples after it,
so a restart from that checkpoint reproduces the uninterrupted run exactly.

Once a pause has lasted the tail, the utterance's audio is known if the pause goes on to
close it: `WouldClose` says so, before the closing silence has passed, so that its final
can be decoded during the rest of the pause (docs/latency.md).

One module because every event (open, would-close, close, split, checkpoint) is decided
frame by frame from the same few counters, which a checkpoint resets together.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Literal

import numpy as np

from transcriber.pcm import SAMPLE_RATE, Samples
from transcriber.vad import SILERO_WINDOW, FrameClassifier, WebrtcClassifier
from vori.settings import TranscriberSettings

LOUD_MS = 150  # an utterance's peak: its loudest stretch this long, so a click does not count


@dataclass(frozen=True)
class SegmenterConfig:
    """Segmentation parameters; durations in milliseconds or seconds as named."""

    sample_rate: int = SAMPLE_RATE
    frame_ms: int = 30
    vad_engine: Literal["webrtc", "silero"] = "webrtc"
    aggressiveness: int = 2  # webrtcvad's mode
    vad_threshold: float = 0.5  # Silero's speech probability
    floor_dbfs: float | None = -60.0  # quieter frames are silence, whatever the VAD says
    relative_floor_db: float | None = 30.0  # so are frames this far below the utterance's peak
    relative_floor_close_ms: int = 1000  # the silence that closes when that floor made part of it
    relative_floor_keep_ms: int = 0  # audio kept past the last loud frame in such a pause (0: all)
    onset_window_ms: int = 300
    onset_voiced_ms: int = 150
    preroll_ms: int = 300
    silence_close_ms: int = 500
    fragment_voiced_ms: int = 0  # an utterance with less voiced audio so far is a fragment
    fragment_close_ms: int = 1000  # the silence that closes a fragment
    tail_ms: int = 200
    min_speech_ms: int = 250
    max_utterance_s: float = 20.0
    split_search_s: float = 4.0
    reset_quiet_ms: int = 600
    reset_interval_s: float = 5.0

    def __post_init__(self) -> None:
        if self.vad_engine == "webrtc" and self.frame_ms not in (10, 20, 30):
            raise ValueError("webrtcvad frames are 10, 20 or 30 ms")
        if self.vad_engine == "silero" and self.frame_samples != SILERO_WINDOW:
            raise ValueError("Silero frames are 32 ms (512 samples at 16 kHz)")
        if self.max_utterance_s < 2 * self.split_search_s:
            raise ValueError("max_utterance_s must be at least twice split_search_s")
        if self.relative_floor_close_ms < self.silence_close_ms:
            raise ValueError("relative_floor_close_ms must be at least silence_close_ms")
        if self.relative_floor_keep_ms and self.relative_floor_keep_ms < self.tail_ms:
            raise ValueError("relative_floor_keep_ms must be 0 or at least tail_ms")
        if self.fragment_voiced_ms and self.fragment_close_ms < self.silence_close_ms:
            raise ValueError("fragment_close_ms must be at least silence_close_ms")
        if self.reset_quiet_ms < self.onset_window_ms:
            raise ValueError("reset_quiet_ms must cover the onset window")

    @classmethod
    def from_settings(cls, s: TranscriberSettings) -> SegmenterConfig:
        return cls(
            frame_ms=32 if s.vad_engine == "silero" else s.vad_frame_ms,
            vad_engine=s.vad_engine,
            aggressiveness=s.vad_aggressiveness,
            vad_threshold=s.vad_threshold,
            floor_dbfs=s.vad_floor_dbfs,
            relative_floor_db=s.vad_relative_floor_db,
            relative_floor_close_ms=s.vad_relative_floor_close_ms,
            relative_floor_keep_ms=s.vad_relative_floor_keep_ms,
            onset_window_ms=s.onset_window_ms,
            onset_voiced_ms=s.onset_voiced_ms,
            preroll_ms=s.preroll_ms,
            silence_close_ms=s.silence_close_ms,
            fragment_voiced_ms=s.fragment_voiced_ms,
            fragment_close_ms=s.fragment_close_ms,
            tail_ms=s.tail_ms,
            min_speech_ms=s.min_speech_ms,
            max_utterance_s=s.max_utterance_s,
            split_search_s=s.split_search_s,
            reset_quiet_ms=s.reset_quiet_ms,
            reset_interval_s=s.reset_interval_s,
        )

    @property
    def frame_samples(self) -> int:
        return self.sample_rate * self.frame_ms // 1000

    def frames(self, ms: float) -> int:
        """How many whole frames cover `ms` milliseconds (at least one)."""
        return max(1, round(ms / self.frame_ms))

    def samples(self, ms: float) -> int:
        return round(ms * self.sample_rate / 1000)


@dataclass(frozen=True)
class Checkpoint:
    """A point where the segmenter holds no state but these two numbers."""

    position: int  # a frame boundary; VAD restarts fresh here
    open_start: int | None = None  # an utterance (the second half of a split) open since here

    @property
    def needed_from(self) -> int:
        """The first sample a restart from this checkpoint must see again."""
        return self.position if self.open_start is None else self.open_start


@dataclass(frozen=True)
class Utterance:
    """A closed stretch of speech, in stream samples [start, end)."""

    start: int
    end: int
    voiced_samples: int
    split: bool = False  # closed at the maximum length while speech went on


@dataclass(frozen=True)
class Opened:
    start: int


@dataclass(frozen=True)
class Closed:
    utterance: Utterance


@dataclass(frozen=True)
class WouldClose:
    """The open utterance, exactly as it closes if no voiced frame comes before the
    closing silence has passed (its tail is in; it may still go on)."""

    utterance: Utterance


@dataclass(frozen=True)
class Discarded:
    """An utterance with too little voiced audio to be speech (a cough, a click)."""

    start: int
    end: int


@dataclass(frozen=True)
class Reset:
    checkpoint: Checkpoint


SegmentEvent = Opened | WouldClose | Closed | Discarded | Reset


@dataclass(frozen=True)
class _Frame:
    position: int
    voiced: bool
    energy: float
    heard: bool = False  # voiced to the VAD, silenced by the relative floor alone


class Segmenter:
    """Turns the samples of one stream into utterance events, deterministically.

    `classifier`: this stream's own (it keeps per-stream state); webrtcvad at the
    configured aggressiveness if none is given. Silero's needs its model, loaded by the
    caller (vad.classifier_factory).
    """

    def __init__(
        self,
        config: SegmenterConfig,
        checkpoint: Checkpoint,
        classifier: FrameClassifier | None = None,
    ) -> None:
        if checkpoint.position % config.frame_samples:
            raise ValueError("a checkpoint sits on a frame boundary")
        if classifier is None:
            if config.vad_engine != "webrtc":
                raise ValueError(f"the {config.vad_engine} VAD needs a classifier passed in")
            classifier = WebrtcClassifier(config.aggressiveness, config.sample_rate)
        self.config = config
        self._classifier = classifier
        self._fs = config.frame_samples
        self._onset_frames = config.frames(config.onset_window_ms)
        self._onset_voiced = config.frames(config.onset_voiced_ms)
        self._close_frames = config.frames(config.silence_close_ms)
        self._fragment_close_frames = config.frames(config.fragment_close_ms)
        self._fragment_voiced = config.samples(config.fragment_voiced_ms)
        self._floor_close_frames = config.frames(config.relative_floor_close_ms)
        self._reset_quiet = config.frames(config.reset_quiet_ms)
        self._reset_interval = config.frames(config.reset_interval_s * 1000)
        self._max_samples = round(config.max_utterance_s * config.sample_rate)
        self._search_samples = round(config.split_search_s * config.sample_rate)
        self._tail_samples = config.samples(config.tail_ms)
        self._keep_samples = config.samples(config.relative_floor_keep_ms)
        self._min_speech = config.samples(config.min_speech_ms)
        # Mean square of a frame at the floor (samples in int16 units).
        self._floor_power = (
            -1.0 if config.floor_dbfs is None else 32768.0**2 * 10 ** (config.floor_dbfs / 10)
        )
        self._relative_floor = (
            0.0 if config.relative_floor_db is None else 10 ** (-config.relative_floor_db / 10)
        )
        self._loud_frames = config.frames(LOUD_MS)
        self._pending = np.zeros(0, dtype=np.int16)
        self._next_frame = checkpoint.position
        self._restore(checkpoint)

    def _restore(self, checkpoint: Checkpoint) -> None:
        """Drop all state: what the segmenter is right after passing `checkpoint`."""
        self._classifier.reset()
        self._ring: deque[_Frame] = deque(maxlen=self._onset_frames)
        self._lower_bound = checkpoint.position
        self._open_start = checkpoint.open_start
        # Audio carried over a split counts as speech: it was mid-monologue.
        self._voiced = (
            0 if checkpoint.open_start is None else checkpoint.position - (checkpoint.open_start)
        )
        self._heard_end = checkpoint.position  # the end of the last frame the VAD called voiced
        self._loud_end = checkpoint.position  # ... and the relative floor let through
        self._floor_in_pause = False  # the relative floor silenced a frame of this pause
        self._silence_run = 0
        self._pause_announced = False
        self._announced_end = -1  # where the last WouldClose said the utterance would end
        self._quiet_run = 0
        self._energies: list[_Frame] = []
        self._loud_power = 0.0
        self._since_reset = 0
        self._closed_since_reset = False

    @property
    def position(self) -> int:
        """The next stream sample the segmenter expects."""
        return self._next_frame + len(self._pending)

    @property
    def open_start(self) -> int | None:
        """Start sample of the utterance being spoken, if one is open."""
        return self._open_start

    @property
    def pausing(self) -> bool:
        """The open utterance's pause has lasted its tail (`WouldClose` was said)."""
        return self._pause_announced

    @property
    def lower_bound(self) -> int:
        """No future utterance starts before this sample."""
        return self._lower_bound if self._open_start is None else self._open_start

    def feed(self, position: int, samples: Samples) -> list[SegmentEvent]:
        """Classify the samples that start at stream sample `position`.

        Samples before the expected position (a replay) are skipped; a gap is filled with
        digital silence so that frame alignment, and so the output, stays deterministic.
        """
        expected = self.position
        if position < expected:
            samples = samples[expected - position :]
        elif position > expected:
            samples = np.concatenate([np.zeros(position - expected, dtype=np.int16), samples])
        if samples.size == 0:
            return []
        buffer = np.concatenate([self._pending, samples]) if self._pending.size else samples
        events: list[SegmentEvent] = []
        whole = len(buffer) - len(buffer) % self._fs
        for offset in range(0, whole, self._fs):
            frame = buffer[offset : offset + self._fs]
            self._frame(self._next_frame, frame, events)
            self._next_frame += self._fs
        self._pending = np.array(buffer[whole:], dtype=np.int16)
        return events

    def finish(self) -> list[SegmentEvent]:
        """End of stream: close what is open and checkpoint at the last sample."""
        events: list[SegmentEvent] = []
        end = self.position
        if self._open_start is not None:
            self._close(max(self._end_at(end), self._open_start), events)
        events.append(Reset(Checkpoint(position=end - end % self._fs)))
        return events

    def restart_after_finish(self) -> None:
        """After `finish`, continue exactly as a restart from its checkpoint would.

        The samples after the last whole frame are dropped and all state is reset.
        """
        self._pending = np.zeros(0, dtype=np.int16)
        self._restore(Checkpoint(position=self._next_frame))

    def _frame(self, position: int, frame: Samples, events: list[SegmentEvent]) -> None:
        energy = float(np.mean(np.square(frame.astype(np.float64))))
        # webrtcvad calls faint noise speech when it follows a quieter stretch (measured:
        # -64 dBFS room noise after a phone clip's -72 dBFS silence, mostly "voiced"), which
        # joined separate questions into one utterance; no working microphone carries
        # speech that quiet. The VAD still sees every frame, so its state is unchanged.
        voiced = self._classifier.is_speech(frame)
        voiced = voiced and energy >= self._floor_power
        if self._relative_floor and self._open_start is not None:
            # A phone line's hiss after the last word (-56 to -60 dBFS, 33-37 dB under the
            # speech) is "voiced" to webrtcvad and held Korean questions open for up to 2.5 s
            # after the speech (bench/README.md); speech is not that far under its own peak.
            recent = [f.energy for f in self._energies[-(self._loud_frames - 1) :]]
            if len(recent) == self._loud_frames - 1:
                loudness = (sum(recent) + energy) / self._loud_frames
                self._loud_power = max(self._loud_power, loudness)
            heard = voiced
            voiced = voiced and energy >= self._loud_power * self._relative_floor
            record = _Frame(position, voiced, energy, heard and not voiced)
        else:
            record = _Frame(position, voiced, energy)
        end = position + self._fs
        self._since_reset += 1
        if self._open_start is not None:
            self._in_speech(record, end, events)
        else:
            self._idle(record, end, events)

    def _in_speech(self, frame: _Frame, end: int, events: list[SegmentEvent]) -> None:
        assert self._open_start is not None
        self._energies.append(frame)
        if frame.voiced:
            self._voiced += self._fs
            self._heard_end = end
            self._loud_end = end
            self._silence_run = 0
            self._floor_in_pause = False
            self._pause_announced = False
        else:
            self._silence_run += 1
            if frame.heard:
                # Silence to the floor, speech to the VAD: a line's hiss, or a quiet stretch
                # of speech (the end of a word, a breath inside a sentence). It may close the
                # utterance, only after a longer pause, and its audio stays in.
                self._heard_end = end
                self._floor_in_pause = True
                if self._announced_end != self._end_at(end):
                    self._pause_announced = False  # the close, if it comes, ends later
        close_frames = self._floor_close_frames if self._floor_in_pause else self._close_frames
        if self._voiced < self._fragment_voiced:
            # A piece of a sentence cut off by a pause decodes badly alone (Whisper drops or
            # mishears it without the words around it): wait longer for the rest.
            close_frames = max(close_frames, self._fragment_close_frames)
        if self._silence_run >= close_frames:
            self._close(self._end_at(end), events)
            # The closing silence already counts towards a quiet stretch.
            self._quiet_run = self._silence_run
        elif end - self._open_start >= self._max_samples:
            self._split(end, events)
        elif (
            not frame.voiced
            and not self._pause_announced
            and (
                (not frame.heard and end >= self._heard_end + self._tail_samples)
                or self._kept_all(end)
            )
            and self._voiced >= self._min_speech
        ):
            # The close, if it comes, ends the utterance here (`_close` above).
            self._pause_announced = True
            tail_end = self._announced_end = self._end_at(end)
            events.append(WouldClose(Utterance(self._open_start, tail_end, self._voiced)))

    def _end_at(self, end: int) -> int:
        """Where the utterance ends if it closes at `end`: its tail after the last frame the
        VAD called voiced (the relative floor decides when to close; what is cut only with
        `relative_floor_keep_ms`, and never closer than the tail to the last loud frame)."""
        cut = min(self._heard_end + self._tail_samples, end)
        if self._floor_in_pause and self._keep_samples:
            cut = min(cut, self._loud_end + self._keep_samples)
        return cut

    def _kept_all(self, end: int) -> bool:
        """The pause has passed all the audio the floor lets it keep: its cut is fixed."""
        return (
            self._floor_in_pause
            and self._keep_samples > 0
            and end >= self._loud_end + self._keep_samples
        )

    def _close(self, end: int, events: list[SegmentEvent]) -> None:
        assert self._open_start is not None
        start = self._open_start
        if self._voiced >= self._min_speech:
            events.append(Closed(Utterance(start, end, self._voiced)))
        else:
            events.append(Discarded(start, end))
        self._open_start = None
        self._pause_announced = False
        self._lower_bound = end
        self._ring.clear()
        self._energies = []
        self._loud_power = 0.0
        self._closed_since_reset = True

    def _split(self, end: int, events: list[SegmentEvent]) -> None:
        """Close at the quietest frame of the last seconds and reset there, speech still open."""
        assert self._open_start is not None
        window = [f for f in self._energies if f.position >= end - self._search_samples]
        # Smooth over three frames so one quiet frame inside a word does not win.
        energies = np.array([f.energy for f in window])
        smoothed = (
            np.convolve(energies, np.ones(3) / 3, mode="same") if len(window) > 2 else energies
        )
        quietest = window[int(np.argmin(smoothed))]
        split = quietest.position + self._fs // 2
        voiced_before = sum(self._fs for f in self._energies if f.voiced and f.position < split)
        start = self._open_start
        events.append(Closed(Utterance(start, split, max(voiced_before, 0), split=True)))
        checkpoint = Checkpoint(position=end, open_start=split)
        self._restore(checkpoint)
        events.append(Opened(split))
        events.append(Reset(checkpoint))

    def _idle(self, frame: _Frame, end: int, events: list[SegmentEvent]) -> None:
        self._ring.append(frame)
        self._quiet_run = 0 if frame.voiced else self._quiet_run + 1
        voiced = [f for f in self._ring if f.voiced]
        if len(voiced) >= self._onset_voiced:
            preroll = self.config.samples(self.config.preroll_ms)
            start = max(self._lower_bound, voiced[0].position - preroll)
            self._open_start = start
            self._voiced = len(voiced) * self._fs
            self._heard_end = end
            self._loud_end = end
            self._floor_in_pause = False
            self._silence_run = 0
            self._pause_announced = False
            self._energies = [f for f in self._ring if f.position >= start]
            self._ring.clear()
            events.append(Opened(start))
            return
        due = self._closed_since_reset or self._since_reset >= self._reset_interval
        if self._quiet_run >= self._reset_quiet and due:
            checkpoint = Checkpoint(position=end)
            self._restore(checkpoint)
            events.append(Reset(checkpoint))
