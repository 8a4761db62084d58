"""The batch lane's core: an uploaded recording in, final segments and progress out (no Kafka).

The recording comes decoded, one stream per channel (transcriber/upload_audio.py). Each
stream is cut into chunks of `chunk_s` at the quietest 30 ms of each chunk's last seconds
and every chunk goes through faster-whisper's offline `WhisperModel.transcribe` (30 s
windows, as offline, prompted with the text before), with the live lane's model for the
meeting's language and its decoding preset (temperature 0 by default: a sampled fallback
could not be replayed), so that the same file always gives the same segments: their ids
come from the stream and the start sample (`segment_id_for(upload_stream_id(...),
start)`) and their text from deterministic beam search. Whisper's segments then pass the
live lane's guards: `policy.judge` (energy gate, no-speech, known hallucinations, loops)
and the hallucination guard, here with the stream's learnt speech level, which the live
lane cannot use (its replays start mid-stream) but a recording always replays from its
start. On a room recording (`RecordingUploaded.room`) each kept final's audio is embedded
and given a voice in stream order (`room.assign` from no voices, per stream), "Room n": a
replay starts from the first sample too, so it numbers the voices as the first run did.

One module because the chunking, the decoding and the live lane's guards make one pass
over a stream whose state (speech level, language, last start) each step reads and
updates; `transcribe_streams` is the same pass for a re-transcribed meeting's archive.

`BatchTranscriber.transcribe` is a lazy generator: nothing is decoded until the caller
asks for the next step, so a caller that waits between steps pauses the decoding.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from faster_whisper.transcribe import Segment as WhisperSegment

from transcriber.hallucination import (
    Evidence,
    GuardThresholds,
    SpeechLevel,
    assess,
    audio_evidence,
)
from transcriber.pcm import SAMPLE_RATE, Samples, loudest_dbfs, to_float
from transcriber.policy import DecodeStats, choose_language, judge, preset_for
from transcriber.room import EMPTY_VOICES, RoomVoices, VoicePolicy
from transcriber.segments import in_voice
from transcriber.upload_audio import DecodedAudio, chunk_spans
from transcriber.voice import VoiceEncoder, load_voice_encoder
from vori.events import (
    RecordingUploaded,
    SegmentTiming,
    TranscriptSegment,
    Word,
    segment_id_for,
    upload_stream_id,
)
from vori.settings import (
    Accuracy,
    DecodingPreset,
    TranscriberBatchSettings,
    TranscriberSettings,
)

CUT_SEARCH_S = 10.0  # a chunk is cut at the quietest point of its last seconds
_END = object()  # a stream's steps are exhausted


# -- progress ---------------------------------------------------------------------------


@dataclass
class ProgressThrottle:
    """Which progress values are worth reporting: each `step` of growth, or after
    `interval_s` of growth that did not reach a step."""

    step: float
    interval_s: float
    reported: float = -1.0
    reported_at: float = -math.inf

    def due(self, progress: float, now: float) -> bool:
        """Whether to report `progress` (0-1) at monotonic time `now`; if so it is noted."""
        progress = min(max(progress, 0.0), 1.0)
        if progress <= self.reported:
            return False
        if progress - self.reported >= self.step or now - self.reported_at >= self.interval_s:
            self.reported, self.reported_at = progress, now
            return True
        return False


# -- transcription ----------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of an upload's transcription: maybe a final, and how far it has got."""

    segment: TranscriptSegment | None
    done_samples: int  # over all streams
    total_samples: int
    model: str = ""

    @property
    def progress(self) -> float:
        return self.done_samples / self.total_samples if self.total_samples else 1.0


@dataclass(frozen=True)
class StreamOf:
    """Who one stream of an upload is."""

    stream_id: str
    channel: int
    speaker: str | None
    participant_id: str | None
    room: bool = False  # several people on one microphone: its finals are told apart by voice


def streams_of(upload: RecordingUploaded, audio: DecodedAudio) -> list[StreamOf]:
    """One stream per kept channel: the uploader speaks a mono recording; on a
    multi-channel one each channel is its own (unknown) speaker, named by channel. On a
    room recording these names stand only until each final is given its voice."""
    name = upload.uploader_name or None
    if len(audio.channels) == 1:
        stream_id = upload_stream_id(upload.upload_id, audio.channels[0])
        return [StreamOf(stream_id, audio.channels[0], name, upload.uploaded_by, upload.room)]
    return [
        StreamOf(
            upload_stream_id(upload.upload_id, channel),
            channel,
            f"{name or 'Recording'} (channel {channel + 1})",
            None,
            upload.room,
        )
        for channel in audio.channels
    ]


def transcription_language(upload_language: str | None) -> str:
    """The meeting language as the live lane names it: en, ko or auto."""
    return upload_language if upload_language in ("en", "ko") else "auto"


Transcribe = Callable[..., tuple[Any, Any]]  # WhisperModel.transcribe
# Float audio -> each language's probability, on its first 30 s window (as `transcribe`).
DetectLanguage = Callable[[np.ndarray], dict[str, float]]


@dataclass(frozen=True)
class Model:
    """A loaded model: its name (as segments report it) and its `transcribe`."""

    name: str
    transcribe: Transcribe
    multilingual: bool
    detect: DetectLanguage | None = None  # None: `transcribe` detects among all languages


@dataclass
class _Channel:
    stream: StreamOf
    samples: Samples
    spans: list[tuple[int, int]]
    level: SpeechLevel = field(default_factory=SpeechLevel)
    language: str | None = None  # forced; detected on the first chunk when None
    done: int = 0
    last_start: int = -1
    voices: RoomVoices = EMPTY_VOICES  # a room stream's voices, as of its finals so far


class BatchTranscriber:
    """Transcribes decoded recordings with the live lane's models, presets and guards."""

    def __init__(
        self,
        settings: TranscriberSettings,
        batch: TranscriberBatchSettings,
        model_for: Callable[[str, Accuracy | None], Model],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        voice_encoder: Callable[[], VoiceEncoder] = load_voice_encoder,
    ) -> None:
        self.settings = settings
        self.batch = batch
        self.model_for = model_for
        self.clock = clock
        self.voice_policy = VoicePolicy.from_settings(settings)
        # Asked for at each room final (loaded once a process): a worker that is never sent
        # a room recording never reads the weights.
        self.voice_encoder = voice_encoder

    def preset(self, language: str, detected: str | None = None) -> DecodingPreset:
        return preset_for(self.settings, language, detected).model_copy(
            update={"beam_size": self.batch.beam_size}
        )

    def transcribe(self, upload: RecordingUploaded, audio: DecodedAudio) -> Iterator[Step]:
        """The finals of every stream of an upload, with progress after each."""
        language = transcription_language(upload.language)
        streams = streams_of(upload, audio)
        yield from self.transcribe_streams(
            upload.meeting_id,
            [(stream, audio.channel(index)) for index, stream in enumerate(streams)],
            self.model_for(language, upload.accuracy),
            language,
        )

    def transcribe_streams(
        self,
        meeting_id: str,
        streams: list[tuple[StreamOf, Samples]],
        model: Model,
        language: str,
    ) -> Iterator[Step]:
        """The finals of every stream, interleaved so that the stream furthest behind goes
        next (the meeting's transcript fills in time order), with progress after each."""
        chunk = int(self.batch.chunk_s * SAMPLE_RATE)
        channels = []
        for stream, samples in streams:
            spans = chunk_spans(samples, chunk, int(CUT_SEARCH_S * SAMPLE_RATE))
            forced = None if language == "auto" or not model.multilingual else language
            channels.append(_Channel(stream, samples, spans, language=forced))
        total = sum(len(c.samples) for c in channels)
        runs = {id(c): self._channel_steps(meeting_id, c, model, language) for c in channels}
        pending = {id(c): c for c in channels}
        while pending:
            behind = min(pending.values(), key=lambda c: (c.done, c.stream.channel))
            item = next(runs[id(behind)], _END)
            if item is _END:
                del pending[id(behind)]
                continue
            segment = item if isinstance(item, TranscriptSegment) else None
            yield Step(segment, sum(c.done for c in channels), total, model.name)

    def _channel_steps(
        self, meeting_id: str, channel: _Channel, model: Model, language: str
    ) -> Iterator[TranscriptSegment | None]:
        """A stream's kept finals, and None after each dropped one and each chunk."""
        for start, end in channel.spans:
            audio = to_float(np.asarray(channel.samples[start:end]))
            if channel.language is None and model.multilingual:
                channel.language = self._detect(model, audio)
            preset = self.preset(language, channel.language)
            segments, info = model.transcribe(
                audio,
                language=channel.language if model.multilingual else "en",
                beam_size=preset.beam_size,
                best_of=preset.best_of,
                patience=preset.patience,
                temperature=list(preset.temperatures),
                compression_ratio_threshold=preset.compression_ratio_threshold,
                log_prob_threshold=preset.log_prob_threshold,
                no_speech_threshold=preset.no_speech_threshold,
                condition_on_previous_text=self.batch.condition_on_previous_text,
                no_repeat_ngram_size=preset.no_repeat_ngram_size,
                word_timestamps=True,
                vad_filter=self.batch.vad_filter,
            )
            if channel.language is None and model.multilingual:
                channel.language = info.language  # the rest of the stream keeps it
            for whisper in segments:
                segment = self._final(meeting_id, channel, whisper, start, end, model, preset)
                channel.done = max(channel.done, min(end, start + _sample(whisper.end)))
                yield segment
            channel.done = max(channel.done, end)
            yield None

    def _detect(self, model: Model, audio: np.ndarray) -> str | None:
        """An `auto` stream's language, among the live lane's `auto_languages` (as a live
        meeting's first utterance is); None where `transcribe` is to detect among all."""
        candidates = self.settings.auto_languages
        if model.detect is None or not candidates:
            return None
        return choose_language(
            model.detect(audio), candidates, None, self.settings.auto_language_stickiness
        )

    def _final(
        self,
        meeting_id: str,
        channel: _Channel,
        whisper: WhisperSegment,
        chunk_start: int,
        chunk_end: int,
        model: Model,
        preset: DecodingPreset,
    ) -> TranscriptSegment | None:
        """The final of one Whisper segment, or None when a guard drops its text."""
        start = min(chunk_start + _sample(whisper.start), chunk_end - 1)
        start = max(start, channel.last_start + 1)  # ids stay distinct and in order
        end = min(max(chunk_start + _sample(whisper.end), start + 1), chunk_end)
        samples = np.asarray(channel.samples[start:end])
        language = channel.language or (None if model.multilingual else "en")
        verdict = judge(
            DecodeStats(
                text=whisper.text,
                avg_logprob=whisper.avg_logprob,
                no_speech_prob=whisper.no_speech_prob,
                compression_ratio=whisper.compression_ratio,
                temperature=whisper.temperature or 0.0,
                audio_dbfs=loudest_dbfs(samples),
                word_seconds=tuple(w.end - w.start for w in whisper.words)
                if whisper.words
                else None,
            ),
            preset,
            language,
            gate_dbfs=self.settings.energy_gate_dbfs,
        )
        if not verdict.keep:
            return None
        guard = self.settings.hallucination_guard
        if guard.enabled:
            evidence = audio_evidence(samples, aggressiveness=self.settings.vad_aggressiveness)
            judged = assess(
                Evidence(
                    text=verdict.text,
                    language=language,
                    audio=evidence,
                    no_speech_prob=whisper.no_speech_prob,
                    avg_logprob=whisper.avg_logprob,
                    stream_speech_dbfs=channel.level.dbfs,
                ),
                GuardThresholds(**guard.model_dump(exclude={"enabled"})),
            )
            if not judged.keep:
                return None
            if not judged.votes:
                channel.level.observe(evidence)
        channel.last_start = start
        segment = to_segment(
            meeting_id,
            channel.stream,
            whisper,
            verdict.text,
            offset=chunk_start,
            start=start,
            end=end,
            language=language,
            model=model.name,
            timing=SegmentTiming(decode_finished_at=self.clock()),
        )
        if not channel.stream.room:
            return segment
        # Too short to embed (None): assign gives it the voice before it.
        voice, channel.voices = self.voice_policy.assign(
            channel.voices, self.voice_encoder().embed(samples)
        )
        return in_voice(segment, voice)


def to_segment(
    meeting_id: str,
    stream: StreamOf,
    whisper: WhisperSegment,
    text: str,
    *,
    offset: int,
    start: int,
    end: int,
    language: str | None,
    model: str,
    timing: SegmentTiming,
) -> TranscriptSegment:
    """A Whisper segment of a chunk starting at sample `offset` as a final of the stream."""
    shift = offset / SAMPLE_RATE
    words = [
        Word(
            word=w.word,
            start=round(w.start + shift, 3),
            end=round(w.end + shift, 3),
            probability=round(w.probability, 4),
        )
        for w in whisper.words or []
    ]
    confidence = (
        float(np.mean([w.probability or 0.0 for w in words]))
        if words
        else math.exp(whisper.avg_logprob)
    )
    return TranscriptSegment(
        id=segment_id_for(stream.stream_id, start),
        meeting_id=meeting_id,
        stream_id=stream.stream_id,
        participant_id=stream.participant_id,
        speaker=stream.speaker,
        final=True,
        start=start / SAMPLE_RATE,
        end=end / SAMPLE_RATE,
        start_sample=start,
        end_sample=end,
        text=text,
        stable_text=text,
        words=words,
        language=language,
        confidence=round(confidence, 4),
        model=model,
        timing=timing,
    )


def _sample(seconds: float) -> int:
    return max(0, round(seconds * SAMPLE_RATE))
