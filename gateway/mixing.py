"""Mixing a meeting's streams on the meeting clock, pure: pieces of PCM placed at their
sample on the meeting clock, summed into one window, and that window as a WAV file."""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass

import numpy as np

from vori.audio import SAMPLE_RATE

_INT16 = np.iinfo(np.int16)


@dataclass(frozen=True)
class Piece:
    """PCM s16le mono whose first sample is sample `at` of the meeting clock."""

    at: int
    pcm: bytes


def mix(pieces: list[Piece], first: int, count: int) -> bytes:
    """Samples `[first, first + count)` of the meeting clock: every piece that overlaps the
    window summed (silence where none does), clipped to 16 bits. PCM s16le mono."""
    if count < 0:
        raise ValueError(f"a window of {count} samples")
    total = np.zeros(count, dtype=np.int32)
    for piece in pieces:
        samples = np.frombuffer(piece.pcm, dtype="<i2")
        low = max(first, piece.at)
        high = min(first + count, piece.at + len(samples))
        if low < high:
            total[low - first : high - first] += samples[low - piece.at : high - piece.at]
    return np.clip(total, _INT16.min, _INT16.max).astype("<i2").tobytes()


def wav(pcm: bytes, sample_rate: int = SAMPLE_RATE) -> bytes:
    """PCM s16le mono as a WAV file (every browser plays it)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(pcm)
    return buffer.getvalue()
