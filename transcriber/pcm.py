"""PCM s16le helpers: bytes to samples, samples to floats, loudness."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from vori.audio import SAMPLE_RATE as SAMPLE_RATE  # re-exported for the transcriber

Samples = npt.NDArray[np.int16]
FloatAudio = npt.NDArray[np.float32]

_FULL_SCALE = 32768.0


def samples_of(pcm: bytes) -> Samples:
    """The little-endian 16-bit samples of a PCM buffer (a read-only view, no copy)."""
    return np.frombuffer(pcm, dtype="<i2").astype(np.int16, copy=False)


def to_float(samples: Samples) -> FloatAudio:
    """Samples scaled to [-1, 1) as Whisper expects."""
    return (samples.astype(np.float32) / _FULL_SCALE).astype(np.float32, copy=False)


def rms_dbfs(samples: Samples) -> float:
    """Root-mean-square level in dB relative to full scale (-inf for digital silence)."""
    if samples.size == 0:
        return -math.inf
    power = float(np.mean(np.square(samples.astype(np.float64))))
    if power <= 0.0:
        return -math.inf
    return 10.0 * math.log10(power / (_FULL_SCALE * _FULL_SCALE))


_LOUD_FRAME = 480  # 30 ms
_LOUD_FRAMES = 5  # 150 ms


def loudest_dbfs(samples: Samples) -> float:
    """The level (dBFS) of the loudest 150 ms: how loud an utterance's speech is, whatever
    the silence around it. The RMS of the whole utterance read a whispered sentence with
    its pauses at -55 dBFS, under the energy gate, though its words reach -47."""
    frames = len(samples) // _LOUD_FRAME
    if frames < _LOUD_FRAMES:
        return rms_dbfs(samples)
    power = np.mean(
        np.square(samples[: frames * _LOUD_FRAME].astype(np.float64)).reshape(frames, _LOUD_FRAME),
        axis=1,
    )
    windows = np.convolve(power, np.full(_LOUD_FRAMES, 1.0 / _LOUD_FRAMES), mode="valid")
    loudest = float(windows.max())
    if loudest <= 0.0:
        return -math.inf
    return 10.0 * math.log10(loudest / (_FULL_SCALE * _FULL_SCALE))
