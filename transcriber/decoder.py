"""faster-whisper decoding of one utterance, with a trimmed encoder window and bounded output.

Whisper pads every call to a 30 s window, and the encoder on that window is the fixed
cost of every decode. CTranslate2's encoder also accepts shorter inputs and costs less
on them; measured on the shared English clips, the utterance plus 8 s keeps the WER of
the padded window at about 2.4 times less compute, provided generation is bounded by the
audio's duration (a trimmed window without the bound loops). `encoder_margin_s=None`
keeps the padded 30 s window.

Finals must be identical whenever an utterance is decoded again (a replay after a crash,
a rebalance), so they are decoded deterministically: beam search at temperature 0. A
temperature above 0 samples with CTranslate2's random generator, which is seeded once
per decode thread, not per call (`set_random_seed` does not reach a running thread:
measured, four calls with the same seed gave four texts), so sampled text cannot be
replayed; presets that ask for it lose the identical-replay guarantee.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from dataclasses import dataclass

import ctranslate2
import numpy as np
from faster_whisper import WhisperModel

from transcriber.pcm import SAMPLE_RATE, FloatAudio
from vori.events import Word
from vori.settings import DecodingPreset
from vori.vocabulary import build_prompt

log = logging.getLogger(__name__)

HOP = 160  # samples per mel frame
FULL_WINDOW_FRAMES = 3000


class _WindowedWhisperModel(WhisperModel):  # type: ignore[misc]
    """WhisperModel whose encoder sees the calling thread's `window_frames` mel frames."""

    _window = threading.local()

    @property
    def window_frames(self) -> int | None:
        return getattr(self._window, "frames", None)

    @window_frames.setter
    def window_frames(self, frames: int | None) -> None:
        self._window.frames = frames

    @property
    def detecting(self) -> bool:
        return getattr(self._window, "detecting", False)

    @detecting.setter
    def detecting(self, detecting: bool) -> None:
        self._window.detecting = detecting

    def encode(self, features: np.ndarray) -> ctranslate2.StorageView:
        window = self.window_frames
        if window is not None and features.shape[-1] > window:
            features = np.ascontiguousarray(features[..., :window])
        # A language detection and the decode after it encode the same window: the
        # detection's pass is kept, and the thread's next encode takes it if its input is
        # the same. Encodes of meetings that detect nothing hash nothing.
        kept = getattr(self._window, "kept", None)
        self._window.kept = None
        if kept is None and not self.detecting:
            return super().encode(features)
        key = (
            id(self),
            features.shape,
            hashlib.blake2b(features.tobytes(), digest_size=16).digest(),
        )
        if kept is not None and kept[0] == key:
            return kept[1]
        output = super().encode(features)
        if self.detecting:
            self._window.kept = (key, output)
        return output


@dataclass(frozen=True)
class DecodeRequest:
    """How to decode one piece of audio."""

    final: bool
    language: str | None  # None: detect
    preset: DecodingPreset
    prompt: str | None = None
    prefix: str | None = None
    full_window: bool = False  # the padded 30 s window, whatever the margin setting
    margin_s: float | None = None  # this encoder margin instead of the decoder's (overload)
    vocabulary: tuple[str, ...] = ()  # the meeting's terms, put in the prompt before `prompt`


@dataclass(frozen=True)
class Decoded:
    """A decode's text, words (seconds from the audio's start) and its own statistics."""

    text: str
    words: list[Word]
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float
    temperature: float
    language: str | None
    confidence: float | None
    seconds: float


class WhisperDecoder:
    """One loaded faster-whisper model; `decode` may run in up to `workers` threads at once."""

    def __init__(
        self,
        model_path: str,
        name: str,
        *,
        device: str = "cpu",
        compute_type: str = "int8",
        cpu_threads: int = 2,
        workers: int = 1,
        encoder_margin_s: float | None = 8.0,
        partial_margin_s: float | None = None,
    ) -> None:
        self.name = name
        self.encoder_margin_s = encoder_margin_s
        self.partial_margin_s = encoder_margin_s if partial_margin_s is None else partial_margin_s
        started = time.perf_counter()
        self.model = _WindowedWhisperModel(
            model_path,
            device=device,
            compute_type=compute_type,
            cpu_threads=cpu_threads,
            num_workers=workers,
            local_files_only=True,
        )
        log.info("loaded %s from %s in %.1f s", name, model_path, time.perf_counter() - started)

    @property
    def multilingual(self) -> bool:
        return bool(self.model.model.is_multilingual)

    def count_tokens(self, text: str) -> int:
        """How many tokens the model's tokenizer makes of `text` (the prompt's budget)."""
        return len(self.model.hf_tokenizer.encode(text, add_special_tokens=False).ids)

    def _window(self, samples: int, margin_s: float | None) -> int | None:
        if margin_s is None or self.encoder_margin_s is None:
            return None
        frames = math.ceil(samples / HOP) + round(margin_s * SAMPLE_RATE / HOP)
        return min(FULL_WINDOW_FRAMES, frames + frames % 2)

    def language_probabilities(self, audio: FloatAudio, margin_s: float | None) -> dict[str, float]:
        """Whisper's probability of each language for this audio, on the trimmed window of
        `margin_s`: a decode with the same margin that follows reuses its encoder pass."""
        if not self.multilingual:
            return {"en": 1.0}
        # The features `transcribe` encodes: its last frame is not content.
        features = self.model.feature_extractor(audio)[..., :-1]
        self.model.window_frames = self._window(len(audio), margin_s)
        self.model.detecting = True
        try:
            _, _, probabilities = self.model.detect_language(features=features)
        finally:
            self.model.window_frames = None
            self.model.detecting = False
        return dict(probabilities)

    def decode(self, audio: FloatAudio, request: DecodeRequest) -> Decoded:
        """Transcribe one utterance (or the open part of one) in a single window."""
        duration = len(audio) / SAMPLE_RATE
        preset = request.preset
        # Speech runs at most ~4 tokens a second; the bound stops loops on trimmed windows.
        max_new_tokens = min(200, int(16 + 10 * duration))
        started = time.perf_counter()
        margin = self.partial_margin_s
        if request.final:
            margin = preset.encoder_margin_s or self.encoder_margin_s
        if request.margin_s is not None:
            margin = request.margin_s
        self.model.window_frames = None if request.full_window else self._window(len(audio), margin)
        temperatures = list(preset.temperatures) if request.final else [0.0]
        prompt, hotwords = request.prompt or None, None
        if request.vocabulary:
            # Terms as hotwords; in the prompt where a prefix makes faster-whisper drop them.
            parts = build_prompt(request.vocabulary, prompt, self.count_tokens)
            prompt, hotwords = (
                (parts.joined(), None) if request.prefix else (parts.context, parts.glossary)
            )
        segments, info = self.model.transcribe(
            audio,
            language=request.language if self.multilingual else "en",
            beam_size=preset.beam_size if request.final else preset.partial_beam_size,
            best_of=preset.best_of,
            patience=preset.patience if request.final else 1.0,
            temperature=temperatures,
            compression_ratio_threshold=preset.compression_ratio_threshold,
            log_prob_threshold=preset.log_prob_threshold,
            no_speech_threshold=preset.no_speech_threshold,
            condition_on_previous_text=False,
            initial_prompt=prompt,
            prefix=request.prefix or None,
            hotwords=hotwords,
            without_timestamps=not request.final,
            word_timestamps=request.final,
            no_repeat_ngram_size=preset.no_repeat_ngram_size,
            max_new_tokens=max_new_tokens,
            vad_filter=False,
        )
        # A segment of punctuation alone (" . . ." after the last word, seen with hotwords
        # on the utterance's trailing silence) says nothing: dropped with its statistics.
        decoded = [s for s in segments if any(c.isalnum() for c in s.text)]
        self.model.window_frames = None
        text = "".join(s.text for s in decoded).strip()
        tokens = sum(max(len(s.tokens), 1) for s in decoded)
        avg_logprob = (
            sum(s.avg_logprob * max(len(s.tokens), 1) for s in decoded) / tokens
            if decoded
            else -math.inf
        )
        words = [
            Word(
                word=w.word, start=round(w.start, 3), end=round(w.end, 3), probability=w.probability
            )
            for s in decoded
            for w in (s.words or [])
        ]
        confidence = (
            float(np.mean([w.probability for w in words]))
            if words
            else (math.exp(avg_logprob) if decoded else None)
        )
        return Decoded(
            text=text,
            words=words,
            avg_logprob=avg_logprob,
            no_speech_prob=max((s.no_speech_prob for s in decoded), default=1.0),
            compression_ratio=max((s.compression_ratio for s in decoded), default=0.0),
            temperature=max((s.temperature or 0.0 for s in decoded), default=0.0),
            language=info.language,
            confidence=confidence,
            seconds=time.perf_counter() - started,
        )
