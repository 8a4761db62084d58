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


def _best_lag(got: np.ndarray, ref: np.ndarray, max_lag: int) -> int:
    """Lag (in samples) at which the captured audio best matches the source."""
    size = 1 << int(np.ceil(np.log2(len(got) + len(ref))))
    spectrum = np.fft.rfft(got, size) * np.conj(np.fft.rfft(ref, size))
    xcorr = np.fft.irfft(spectrum, size)
    # xcorr[k] = sum(got[n + k] * ref[n]): a negative k means the capture started -k
    # samples into the file (it missed the beginning, as the fake microphone makes it).
    candidates = np.concatenate([xcorr[:max_lag], xcorr[-max_lag:]])
    lags = np.concatenate([np.arange(max_lag), np.arange(-max_lag, 0)])
    return int(lags[int(np.argmax(candidates))])


def best_correlation(
    captured: bytes,
    source: np.ndarray,
    max_lag_s: float = 4.0,
    window_s: float = 1.0,
    slack_s: float = 0.3,
) -> float:
    """Median normalised correlation of 1 s windows of the capture with the source.

    The fake microphone starts before capture does, so the two are aligned by search,
    never by a fixed offset. A loaded machine can make Chromium drop or repeat a 10 ms
    buffer, which shifts everything after it: each window is therefore matched within
    `slack_s` of the global alignment, and the median ignores the windows a glitch spans.
    """
    got = np.frombuffer(captured, dtype="<i2").astype(np.float64)
    ref = source.astype(np.float64)
    if min(len(got), len(ref)) < RATE:
        return 0.0
    lag = _best_lag(got, ref, int(max_lag_s * RATE))
    a, b = (got[lag:], ref) if lag >= 0 else (got, ref[-lag:])
    window, slack = int(window_s * RATE), int(slack_s * RATE)
    loud = 0.05 * float(np.max(np.abs(b))) if len(b) else 0.0
    scores = []
    for start in range(0, min(len(a), len(b)) - window, window):
        piece = a[start : start + window]
        if float(np.sqrt(np.mean(piece * piece))) < loud * 0.2:
            continue  # silence correlates with nothing; speech windows decide
        lo, hi = max(0, start - slack), min(len(b), start + window + slack)
        region = b[lo:hi]
        if len(region) < window:
            continue
        size = 1 << int(np.ceil(np.log2(len(region) + window)))
        dots = np.fft.irfft(np.fft.rfft(region, size) * np.conj(np.fft.rfft(piece, size)), size)
        dots = dots[: len(region) - window + 1]
        energy = np.convolve(region * region, np.ones(window), mode="valid")
        denominator = np.sqrt(energy * float(np.sum(piece * piece)))
        with np.errstate(divide="ignore", invalid="ignore"):
            normalised = np.where(denominator > 0, dots / denominator, 0.0)
        scores.append(float(np.max(normalised)))
    return float(np.median(scores)) if scores else 0.0
