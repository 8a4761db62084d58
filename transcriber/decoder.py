"""faster-whisper decoding of one utterance, with a trimmed encoder window and bounded output.

Whisper pads every call to a 30 s window, and the encoder on that window is the fixed
cost of every decode. CTranslate2's encoder also accepts shorter inputs and costs less
on them; measured on the shared English clips, the utterance plus 8 s keeps the WER of
the padded window at about 2.4 times less compute, provided generation is bounded by the
audio's duration (a trimmed window without the bound loops). `encoder_margin_s=None`
keeps the padded 30 s window.
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

log = logging.getLogger(__name__)

HOP = 160  # samples per mel frame
FULL_WINDOW_FRAMES = 3000
# ctranslate2's random generator is process-wide: seeding and sampling happen under this lock.
_SEED_LOCK = threading.Lock()


class _WindowedWhisperModel(WhisperModel):  # type: ignore[misc]
    """WhisperModel whose encoder sees `window_frames` mel frames instead of 3000."""

    window_frames: int | None = None

    def encode(self, features: np.ndarray) -> ctranslate2.StorageView:
        if self.window_frames is not None and features.shape[-1] > self.window_frames:
            features = np.ascontiguousarray(features[..., : self.window_frames])
        return super().encode(features)


@dataclass(frozen=True)
class DecodeRequest:
    """How to decode one piece of audio."""

    final: bool
    language: str | None  # None: detect
    preset: DecodingPreset
    prompt: str | None = None
    prefix: str | None = None
    seed_key: str = ""
    full_window: bool = False  # the padded 30 s window, whatever the margin setting


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
    """One loaded faster-whisper model; `decode` is called from one thread at a time."""

    def __init__(
        self,
        model_path: str,
        name: str,
        *,
        device: str = "cpu",
        compute_type: str = "int8",
        cpu_threads: int = 2,
        encoder_margin_s: float | None = 8.0,
    ) -> None:
        self.name = name
        self.encoder_margin_s = encoder_margin_s
        started = time.perf_counter()
        self.model = _WindowedWhisperModel(
            model_path,
            device=device,
            compute_type=compute_type,
            cpu_threads=cpu_threads,
            local_files_only=True,
        )
        log.info("loaded %s from %s in %.1f s", name, model_path, time.perf_counter() - started)

    @property
    def multilingual(self) -> bool:
        return bool(self.model.model.is_multilingual)

    def _window(self, samples: int) -> int | None:
        if self.encoder_margin_s is None:
            return None
        frames = math.ceil(samples / HOP) + round(self.encoder_margin_s * SAMPLE_RATE / HOP)
        return min(FULL_WINDOW_FRAMES, frames + frames % 2)

    def decode(self, audio: FloatAudio, request: DecodeRequest) -> Decoded:
        """Transcribe one utterance (or the open part of one) in a single window."""
        duration = len(audio) / SAMPLE_RATE
        preset = request.preset
        # Speech runs at most ~4 tokens a second; the bound stops loops on trimmed windows.
        max_new_tokens = min(200, int(16 + 10 * duration))
        started = time.perf_counter()
        self.model.window_frames = None if request.full_window else self._window(len(audio))
        temperatures = list(preset.temperatures) if request.final else [0.0]
        with _SEED_LOCK:
            # Sampling fallbacks are seeded by the segment, so a replay decodes the same text.
            seed = int.from_bytes(hashlib.sha256(request.seed_key.encode()).digest()[:4], "big")
            ctranslate2.set_random_seed(seed)
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
                initial_prompt=request.prompt or None,
                prefix=request.prefix or None,
                without_timestamps=not request.final,
                word_timestamps=request.final,
                no_repeat_ngram_size=preset.no_repeat_ngram_size,
                max_new_tokens=max_new_tokens,
                vad_filter=False,
            )
            decoded = list(segments)
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
