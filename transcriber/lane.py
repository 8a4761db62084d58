"""One loaded model and the threads that decode for it, fed by a DecodeScheduler.

The consumer thread submits jobs and drains results; it never waits for a decode. With
`decode_workers` > 1 several threads share the model (CTranslate2 runs one call per
worker in parallel); the scheduler gives a stream one final at a time, so its finals
come back in order. The prompt context of a stream advances here, in decode order, so
that final k+1 is always decoded with the text of final k.

One module because the decode threads and the consumer thread share the scheduler under
one condition, and a final's decode, judgement, hallucination guard and context step run
in that order in a decode thread; its segment's wire shape is built in segments.py.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np

from transcriber.decoder import Decoded, DecodeRequest, WhisperDecoder
from transcriber.hallucination import (
    Evidence,
    GuardThresholds,
    GuardVerdict,
    assess,
    audio_evidence,
)
from transcriber.metrics import TranscriberMetrics
from transcriber.pcm import SAMPLE_RATE, FloatAudio, to_float
from transcriber.policy import (
    DecodeStats,
    Verdict,
    choose_language,
    collapse_repetitions,
    judge,
    language_of_text,
    next_context,
    preset_for,
)
from transcriber.scheduler import DecodeScheduler
from transcriber.segments import decode_language, final_segment
from transcriber.stream import (
    EarlyFinalJob,
    FinalJob,
    PartialJob,
    StreamInfo,
    StreamTranscriber,
)
from transcriber.voice import Embedding, load_voice_encoder
from vori.events import TranscriptSegment
from vori.settings import DecodingPreset, TranscriberSettings

log = logging.getLogger(__name__)


@dataclass
class PromptContext:
    """The previous text of one stream; written only by its lane, for one final of the
    stream at a time (a decode thread, or the consumer thread taking in an early final
    while none of the stream's decodes runs). In an `auto`
    meeting also the language detected on its open utterance: (segment id, language), so
    that its partials detect once per utterance (they need not replay exactly; finals
    detect on their own audio). And the seq of its last final whose decode has begun (or
    which was taken in decoded early): the overload policy's queued lag starts after it."""

    text: str
    detected: tuple[str, str] | None = None
    final_started: int = 0


@dataclass(frozen=True)
class Work:
    """A job with what is needed to route its result back to the stream that asked."""

    partition: int
    stream: StreamTranscriber
    context: PromptContext
    job: FinalJob | EarlyFinalJob | PartialJob


@dataclass(frozen=True)
class FinalResult:
    work: Work
    segment: TranscriptSegment | None
    context_after: str
    verdict: Verdict | None
    voice: Embedding | None = None  # a room microphone's final: its speaker embedding

    @property
    def seq(self) -> int:
        assert isinstance(self.work.job, FinalJob)
        return self.work.job.seq

    @property
    def voiced(self) -> bool:
        """Someone said something: on a room microphone, it belongs to one of its voices."""
        return self.segment is not None and bool(self.segment.text)


@dataclass(frozen=True)
class FinalOutcome:
    """An utterance's final decoded and judged, not yet tied to its place in the stream."""

    job: FinalJob | EarlyFinalJob
    decoded: Decoded | None
    verdict: Verdict | None
    prompt: str | None  # the prompt it was decoded with
    voice: Embedding | None
    started: datetime
    finished: datetime
    spoken_last: str | None = None  # an auto meeting: the language its detection leant to


@dataclass(frozen=True)
class PartialResult:
    work: Work
    text: str
    decode_started_at: datetime
    decode_finished_at: datetime


Result = FinalResult | PartialResult


def word_seconds(decoded: Decoded) -> tuple[float, ...] | None:
    """Each word's aligned duration (finals); None for a decode without word times."""
    return tuple(w.end - w.start for w in decoded.words) if decoded.words else None


def looping(decoded: Decoded, preset: DecodingPreset) -> bool:
    """The decode repeats itself (an empty decode is confident silence)."""
    text = decoded.text.strip()
    collapsed = collapse_repetitions(text, decoded.language, word_seconds=word_seconds(decoded))
    return bool(text) and (
        collapsed != text or decoded.compression_ratio > preset.compression_ratio_threshold
    )


def suspicious(decoded: Decoded, preset: DecodingPreset) -> bool:
    """A loop, or text the decoder itself doubts."""
    return looping(decoded, preset) or (
        bool(decoded.text.strip()) and decoded.avg_logprob < preset.log_prob_threshold
    )


def redo_padded(decoded: Decoded, preset: DecodingPreset) -> bool:
    """Whether the final is decoded again on the padded window (`preset.padded_redo`)."""
    if preset.padded_redo == "loops":
        return looping(decoded, preset)
    return preset.padded_redo == "suspicious" and suspicious(decoded, preset)


def decode_final(decoder: WhisperDecoder, audio: FloatAudio, request: DecodeRequest) -> Decoded:
    """A final's decode: a suspicious one may be redone on the padded window (trimmed
    windows loop more often; `padded_redo` of the preset says which), and one still
    suspicious with the meeting's vocabulary is redone without it (measured: a list of
    terms can start a loop of one term, "핸드폰, 핸드폰, ...", on Korean speech that decodes
    clean without it; bench/vocabulary.py)."""
    decoded = decoder.decode(audio, request)
    if redo_padded(decoded, request.preset) and decoder.encoder_margin_s is not None:
        decoded = decoder.decode(audio, replace(request, full_window=True, margin_s=None))
    if suspicious(decoded, request.preset) and request.vocabulary:
        decoded = decoder.decode(audio, replace(request, full_window=True, vocabulary=()))
    return decoded


class ModelLane:
    """A model, its scheduler and its decode thread."""

    def __init__(
        self,
        name: str,
        load: Callable[[], WhisperDecoder],
        settings: TranscriberSettings,
        results: queue.SimpleQueue[Result],
        metrics: TranscriberMetrics,
    ) -> None:
        self.name = name
        self.settings = settings
        self.results = results
        self.metrics = metrics
        self._load = load
        self._decoder: WhisperDecoder | None = None
        self._early: dict[str, FinalOutcome] = {}  # by stream: its early final, decoded
        self.scheduler: DecodeScheduler[Work] = DecodeScheduler(
            base_interval_s=settings.partial_interval_s,
            max_age_s=settings.partial_max_age_s,
            budget=settings.partial_budget,
            workers=settings.decode_workers,
        )
        self._cond = threading.Condition()
        self._stop = False
        self.degraded = False  # behind live audio: finals use the cheaper preset
        self.ready = threading.Event()
        self.failure: BaseException | None = None
        self._threads = [
            threading.Thread(target=self._run, args=(i,), name=f"decode-{name}-{i}", daemon=True)
            for i in range(settings.decode_workers)
        ]
        for thread in self._threads:
            thread.start()

    # -- called from the consumer thread -------------------------------------------------

    def submit_final(self, work: Work) -> None:
        job = work.job
        assert isinstance(job, FinalJob)
        stream_id = job.info.stream_id
        with self._cond:
            early = None
            if not self.scheduler.busy(stream_id):
                early = self._early.pop(stream_id, None)
        if early is not None and self._still_valid(early, job, work.context):
            # Decoded during the pause that closed it: no decoder needed, nothing before
            # it of this stream's is waiting, so it is taken in here, in order.
            work.context.final_started = job.seq
            self.results.put(self._finish(work, job, early))
            return
        with self._cond:
            self.scheduler.submit_final(
                work.job.info.stream_id,
                work,
                len(work.job.audio) / SAMPLE_RATE,
                now=time.monotonic(),
            )
            self._cond.notify()

    def submit_early(self, work: Work) -> None:
        assert isinstance(work.job, EarlyFinalJob)
        with self._cond:
            self.scheduler.submit_early(work.job.info.stream_id, work)
            self._cond.notify()

    def submit_partial(self, work: Work, now: float) -> None:
        job = work.job
        assert isinstance(job, PartialJob)
        captured = job.timing.audio_end_capture_time or job.timing.audio_end_received_at
        audio_time = captured.timestamp() if captured is not None else now
        with self._cond:
            self.scheduler.submit_partial(job.info.stream_id, work, now=now, audio_time=audio_time)
            self._cond.notify()

    def speaking(self, stream_id: str, is_speaking: bool) -> None:
        with self._cond:
            self.scheduler.speaking(stream_id, is_speaking)

    def partial_interval(self) -> float:
        with self._cond:
            return self.scheduler.partial_interval()

    def overload(self, *, shed_partials: bool, degraded: bool) -> None:
        """Apply the overload policy's decision (docs/overload.md)."""
        with self._cond:
            self.scheduler.shed(shed_partials)
            self.degraded = degraded

    def expected_final_wait(self) -> float:
        with self._cond:
            return self.scheduler.expected_final_wait

    def final_utilisation(self) -> float:
        with self._cond:
            return self.scheduler.final_utilisation(time.monotonic())

    def shed_partials(self) -> int:
        with self._cond:
            return self.scheduler.stats.partials_shed

    def forget(self, stream_ids: set[str]) -> None:
        with self._cond:
            self.scheduler.forget(stream_ids)
            for stream_id in stream_ids:
                self._early.pop(stream_id, None)

    def pending_final_seconds(self) -> float:
        with self._cond:
            return self.scheduler.pending_final_seconds

    def depth(self) -> int:
        with self._cond:
            return self.scheduler.depth

    def dropped_partials(self) -> int:
        with self._cond:
            return self.scheduler.stats.partials_dropped

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(30)

    # -- the decode thread ---------------------------------------------------------------

    def _run(self, index: int) -> None:
        try:
            if index == 0:
                self._decoder = self._load()
                self.ready.set()
            else:
                self.ready.wait()
                if self._decoder is None:
                    return  # the loading thread failed and reported it
            self._warm_up()
            while True:
                with self._cond:
                    picked = None
                    while not self._stop:
                        picked = self.scheduler.next_job(time.time())
                        if picked is not None:
                            break
                        self._cond.wait(0.2)
                    if self._stop:
                        return
                assert picked is not None
                if isinstance(picked[1].job, FinalJob):
                    picked[1].context.final_started = picked[1].job.seq
                try:
                    self._decode(picked[1])
                finally:
                    if isinstance(picked[1].job, FinalJob | EarlyFinalJob):
                        with self._cond:
                            self.scheduler.final_done(picked[0])
                            self._cond.notify_all()
        except BaseException as exc:  # reported to the consumer thread, which re-raises
            log.exception("decode lane %s failed", self.name)
            self.failure = exc
            self.ready.set()

    def _warm_up(self) -> None:
        """One throwaway final per worker: a model's first calls allocate and are slow.

        Measured (tiny.en): the first final after loading 0.95 s, the same one again 0.60 s.
        """
        assert self._decoder is not None
        noise = np.random.default_rng(0).normal(0, 0.01, SAMPLE_RATE).astype(np.float32)
        self._decoder.decode(
            noise,
            DecodeRequest(
                final=True,
                language="en",
                preset=preset_for(self.settings, "en"),
            ),
        )

    def _decode(self, work: Work) -> None:
        assert self._decoder is not None
        job = work.job
        started = datetime.now(UTC)
        if isinstance(job, FinalJob):
            self._final(work, job, started)
            return
        if isinstance(job, EarlyFinalJob):
            self._early_final(work, job)
            return
        if job.audio_dbfs < self.settings.energy_gate_dbfs:
            # Its text would be dropped (policy.judge): a line hiss that opened an utterance
            # would otherwise cost a decode every partial interval.
            self.results.put(PartialResult(work, "", started, started))
            return
        audio = to_float(job.audio)
        language = decode_language(job.info.language)
        if language is None and self.settings.auto_languages:
            detected = work.context.detected
            if detected is None or detected[0] != job.segment_id:
                margin = self._decoder.partial_margin_s
                spoken_last = language_of_text(work.context.text)
                detected = (job.segment_id, self._detect(audio, spoken_last, margin))
                work.context.detected = detected
            language = detected[1]
        preset = self._preset(job.info, language)
        decoded = self._decoder.decode(
            audio,
            DecodeRequest(
                final=False,
                language=language,
                preset=preset,
                prompt=work.context.text if preset.condition_on_previous_text else None,
                prefix=job.prefix or None,
                vocabulary=self._vocabulary(job.info),
            ),
        )
        self._observe("partial", decoded)
        verdict = judge(
            self._stats(decoded, job.audio_dbfs),
            preset,
            decoded.language,
            gate_dbfs=self.settings.energy_gate_dbfs,
        )
        self.results.put(
            PartialResult(work, verdict.text if verdict.keep else "", started, datetime.now(UTC))
        )

    def _final(self, work: Work, job: FinalJob, started: datetime) -> None:
        early = self._take_early(job.info.stream_id)
        outcome = (
            early
            if early is not None and self._still_valid(early, job, work.context)
            else self._outcome(job, work.context.text, started)
        )
        self.results.put(self._finish(work, job, outcome))

    def _early_final(self, work: Work, job: EarlyFinalJob) -> None:
        outcome = self._outcome(job, work.context.text, datetime.now(UTC))
        with self._cond:
            self._early[job.info.stream_id] = outcome

    def _take_early(self, stream_id: str) -> FinalOutcome | None:
        with self._cond:
            return self._early.pop(stream_id, None)

    def _still_valid(self, early: FinalOutcome, job: FinalJob, context: PromptContext) -> bool:
        """The early decode is the final's: the same audio, the same lean of an `auto`
        meeting's language detection (so the same preset), and the same prompt if its
        preset prompts."""
        valid = (
            isinstance(early.job, EarlyFinalJob)
            and early.job.matches(job)
            and (early.prompt is None or early.prompt == context.text)
            and (
                decode_language(job.info.language) is not None
                or early.spoken_last == language_of_text(context.text)
            )
        )
        self.metrics.early_finals.labels("used" if valid else "unused").inc()
        return valid

    def _outcome(
        self, job: FinalJob | EarlyFinalJob, context: str, started: datetime
    ) -> FinalOutcome:
        """Decode and judge an utterance's final (the stream's context is not touched)."""
        assert self._decoder is not None
        decoded: Decoded | None = None
        verdict: Verdict | None = None
        margin: float | None = None
        if self.degraded:
            margin = self.settings.overload.degraded_encoder_margin_s
        retract_only = isinstance(job, FinalJob) and job.retract_only
        audible = not retract_only and job.audio_dbfs >= self.settings.energy_gate_dbfs
        audio = to_float(job.audio)
        language = decode_language(job.info.language)
        spoken_last = language_of_text(context) if language is None else None
        if language is None and audible and self.settings.auto_languages:
            language = self._detect(audio, spoken_last, margin)
        preset = self._preset(job.info, language)
        if self.degraded:
            # Greedy on a shorter window: ~30 % less time on tiny.en (docs/overload.md). The
            # guards below still judge it; a suspicious decode is redone the exact way.
            overload = self.settings.overload
            preset = preset.model_copy(
                update={
                    "beam_size": overload.degraded_beam_size,
                    "patience": 1.0,
                    "temperatures": [0.0],
                }
            )
        prompt = context if preset.condition_on_previous_text else None
        if audible:
            decoded = decode_final(
                self._decoder,
                audio,
                DecodeRequest(
                    final=True,
                    language=language,
                    preset=preset,
                    prompt=prompt,
                    margin_s=margin,
                    vocabulary=self._vocabulary(job.info),
                ),
            )
            self._observe("final", decoded, len(job.audio) / SAMPLE_RATE)
            self.metrics.real_time_factor.labels(self.name).observe(
                decoded.seconds / max(len(job.audio) / SAMPLE_RATE, 0.01)
            )
            verdict = judge(
                self._stats(decoded, job.audio_dbfs),
                preset,
                decoded.language,
                gate_dbfs=self.settings.energy_gate_dbfs,
            )
            if verdict.keep:
                verdict = self._guard(job, decoded, verdict)
            if not verdict.keep:
                self.metrics.rejected.labels(verdict.reason or "unknown").inc()
        text = verdict.text if verdict is not None and verdict.keep else ""
        # Whose voice it is, told apart in stream order when the result is taken in.
        voice = load_voice_encoder().embed(job.audio) if text and job.info.room else None
        return FinalOutcome(
            job, decoded, verdict, prompt, voice, started, datetime.now(UTC), spoken_last
        )

    def _finish(self, work: Work, job: FinalJob, outcome: FinalOutcome) -> FinalResult:
        """The final of `job` from its decode; the stream's context moves on past it."""
        context = work.context.text
        verdict, decoded = outcome.verdict, outcome.decoded
        if verdict is not None and decoded is not None:
            context = next_context(
                context,
                verdict,
                max_chars=self.settings.max_context_chars,
                language=decoded.language,
            )
            work.context.text = context
        text = verdict.text if verdict is not None and verdict.keep else ""
        segment = None
        if text or job.had_partials:
            # An empty final replaces partials that turned out not to be speech.
            segment = final_segment(
                job,
                decoded if text else None,
                text,
                model=self.name,
                decode_started_at=outcome.started,
                decode_finished_at=outcome.finished,
            )
        return FinalResult(work, segment, context, verdict, outcome.voice)

    def _guard(self, job: FinalJob | EarlyFinalJob, decoded: Decoded, verdict: Verdict) -> Verdict:
        """Withdraw a kept final that evidence says nobody spoke (an empty final then)."""
        guard = self.settings.hallucination_guard
        if not guard.enabled:
            return verdict
        audio = audio_evidence(job.audio, aggressiveness=self.settings.vad_aggressiveness)
        judged: GuardVerdict = assess(
            Evidence(
                text=verdict.text,
                language=decoded.language,
                audio=audio,
                no_speech_prob=decoded.no_speech_prob,
                avg_logprob=decoded.avg_logprob,
                # Not the stream's learnt level: it is not in the commit checkpoint, so a
                # replay after a crash could decide a borderline final differently.
                stream_speech_dbfs=None,
            ),
            GuardThresholds(**guard.model_dump(exclude={"enabled"})),
        )
        if not judged.keep:
            log.info(
                "withdrew %r of %s as invented (%s)",
                verdict.text,
                job.info.stream_id,
                ", ".join(judged.votes),
            )
            return Verdict(False, "", "invented", usable_as_context=False)
        return verdict

    def _observe(self, kind: str, decoded: Decoded, audio_seconds: float = 0.0) -> None:
        self.metrics.decode_seconds.labels(kind, self.name).observe(decoded.seconds)
        with self._cond:
            self.scheduler.observe(kind, decoded.seconds, audio_seconds)

    def _detect(self, audio: FloatAudio, spoken_last: str | None, margin_s: float | None) -> str:
        """The language of an `auto` meeting's audio, among `auto_languages`, leaning to
        `spoken_last`: the one its previous text (replayed exactly after a restart) is
        written in.

        Detected on the window of the margin the decode in that language would use
        (`margin_s` under overload), so that the decode reuses the encoder pass."""
        assert self._decoder is not None
        t = self.settings
        if margin_s is None:
            preset = preset_for(t, spoken_last) if spoken_last else t.preset_auto
            margin_s = preset.encoder_margin_s or self._decoder.encoder_margin_s
        language = choose_language(
            self._decoder.language_probabilities(audio, margin_s),
            t.auto_languages,
            spoken_last,
            t.auto_language_stickiness,
        )
        self.metrics.detected_languages.labels(language).inc()
        return language

    def _preset(self, info: StreamInfo, detected: str | None) -> DecodingPreset:
        """The meeting language's preset; in an `auto` meeting, the detected language's."""
        return preset_for(self.settings, info.language, detected)

    def _vocabulary(self, info: StreamInfo) -> tuple[str, ...]:
        """The meeting's terms, where its language is one they are measured to help."""
        return info.vocabulary if info.language in self.settings.vocabulary_languages else ()

    @staticmethod
    def _stats(decoded: Decoded, audio_dbfs: float) -> DecodeStats:
        return DecodeStats(
            text=decoded.text,
            avg_logprob=decoded.avg_logprob,
            no_speech_prob=decoded.no_speech_prob,
            compression_ratio=decoded.compression_ratio,
            temperature=decoded.temperature,
            audio_dbfs=audio_dbfs,
            word_seconds=word_seconds(decoded),
        )
