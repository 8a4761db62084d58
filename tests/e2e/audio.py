"""Fake-microphone WAV files made from the shared real speech, and checks on captured audio."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 16000


@dataclass(frozen=True)
class Clip:
    """One speech file placed in a fake-microphone recording."""

    path: Path
    reference: str
    offset_s: float
    duration_s: float


@dataclass(frozen=True)
class Recording:
    """A WAV for `--use-file-for-fake-audio-capture` and the clips in it."""

    path: Path
    clips: list[Clip]
    samples: np.ndarray  # int16, mono, 16 kHz

    @property
    def reference(self) -> str:
        return " ".join(clip.reference for clip in self.clips)


def fake_microphone(
    clips: list[Path], out: Path, lead_s: float = 1.5, gap_s: float = 1.2, tail_s: float = 1.0
) -> Recording:
    """Leading silence (Chromium starts playing before capture connects), the clips with
    pauses, and trailing digital silence (else the last buffer repeats as a buzz)."""
    parts: list[np.ndarray] = [np.zeros(int(lead_s * RATE), dtype=np.int16)]
    placed: list[Clip] = []
    at = lead_s
    for index, path in enumerate(clips):
        audio, rate = sf.read(path, dtype="int16", always_2d=True)
        assert rate == RATE, f"{path} is {rate} Hz; the shared speech is 16 kHz"
        mono = audio.mean(axis=1).astype(np.int16)
        if index:
            parts.append(np.zeros(int(gap_s * RATE), dtype=np.int16))
            at += gap_s
        parts.append(mono)
        reference = path.with_suffix(".txt").read_text().strip()
        placed.append(Clip(path, reference, at, len(mono) / RATE))
        at += len(mono) / RATE
    parts.append(np.zeros(int(tail_s * RATE), dtype=np.int16))
    samples = np.concatenate(parts)
    sf.write(out, samples, RATE, subtype="PCM_16")
    return Recording(out, placed, samples)


def rms_dbfs(pcm: bytes) -> float:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768
    if samples.size == 0:
        return -120.0
    return float(20 * np.log10(max(np.sqrt(np.mean(samples**2)), 1e-6)))


def best_correlation(captured: bytes, source: np.ndarray, max_lag_s: float = 4.0) -> float:
    """Normalised cross-correlation of captured audio with the source, at the best lag.

    The fake microphone starts before capture does, so the two are aligned by search,
    never by a fixed offset.
    """
    got = np.frombuffer(captured, dtype="<i2").astype(np.float64)
    ref = source.astype(np.float64)
    n = min(len(got), len(ref))
    if n < RATE:
        return 0.0
    size = 1 << int(np.ceil(np.log2(len(got) + len(ref))))
    spectrum = np.fft.rfft(got, size) * np.conj(np.fft.rfft(ref, size))
    xcorr = np.fft.irfft(spectrum, size)
    max_lag = int(max_lag_s * RATE)
    # xcorr[k] = sum(got[n + k] * ref[n]): a negative k means the capture started -k
    # samples into the file (it missed the beginning, as the fake microphone makes it).
    candidates = np.concatenate([xcorr[:max_lag], xcorr[-max_lag:]])
    lags = np.concatenate([np.arange(max_lag), np.arange(-max_lag, 0)])
    lag = int(lags[int(np.argmax(candidates))])
    a, b = (got[lag:], ref) if lag >= 0 else (got, ref[-lag:])
    m = min(len(a), len(b))
    a, b = a[:m], b[:m]
    denominator = np.sqrt(np.sum(a * a) * np.sum(b * b))
    return float(np.sum(a * b) / denominator) if denominator else 0.0
