"""Frame classifiers the segmenter asks "is this frame speech?": webrtcvad or Silero VAD.

A classifier sees the stream's frames in order and may adapt to them (webrtcvad's noise
model, Silero's recurrent state); `reset()` drops all of that, so that the segmenter's
checkpoints stay points from which a restart reproduces the uninterrupted run.

Silero VAD v6 is the ONNX file that faster-whisper ships in its `assets` folder (read from
the installed package, checked against a pinned hash, never downloaded). Streamed one
512-sample window at a time with the 64 samples before it as context and the LSTM state
carried over, it gives the probabilities faster-whisper's batched loader gives for the
same audio (tests/unit/test_segmenter_silero.py compares them).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np
import webrtcvad

from transcriber.pcm import SAMPLE_RATE, FloatAudio, Samples
from transcriber.pinned import read_pinned

# faster-whisper 1.2.1's bundled Silero VAD v6 (snakers4/silero-vad, MIT).
SILERO_FILE = "silero_vad_v6.onnx"
SILERO_SHA256 = "4cbf549b8326f60f80f2536d9eefeb450a9abe83365a098031c89719f1be17d2"
SILERO_WINDOW = 512  # samples at 16 kHz: the only window the model takes (32 ms)
SILERO_CONTEXT = 64  # samples of the previous window the model sees before each window
_STATE_SHAPE = (1, 1, 128)


class FrameClassifier(Protocol):
    """Speech or not, frame by frame, in stream order; `reset()` forgets all history."""

    def is_speech(self, frame: Samples) -> bool: ...

    def reset(self) -> None: ...


class VadUnavailableError(RuntimeError):
    """The Silero model file is missing, unreadable or not the pinned one."""


class WebrtcClassifier:
    """webrtcvad at one aggressiveness (0 keeps most audio, 3 drops most)."""

    def __init__(self, aggressiveness: int, sample_rate: int = SAMPLE_RATE) -> None:
        self._aggressiveness = aggressiveness
        self._sample_rate = sample_rate
        self._vad = webrtcvad.Vad(aggressiveness)

    def is_speech(self, frame: Samples) -> bool:
        return bool(self._vad.is_speech(frame.tobytes(), self._sample_rate))

    def reset(self) -> None:
        self._vad = webrtcvad.Vad(self._aggressiveness)


def silero_path() -> Path:
    """Where the installed faster-whisper keeps the model (its `get_assets_path()`),
    found without importing the package."""
    spec = importlib.util.find_spec("faster_whisper")
    if spec is None or spec.origin is None:
        raise VadUnavailableError("faster-whisper is not installed")
    return Path(spec.origin).parent / "assets" / SILERO_FILE


@cache
def _verified(path: Path) -> bytes:
    return read_pinned(path, SILERO_SHA256, VadUnavailableError)


class SileroModel:
    """The loaded ONNX session, shared by every stream's classifier (one thread per run;
    onnxruntime's `run` may be called from several threads)."""

    def __init__(self, path: Path | None = None) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.inter_op_num_threads = 1
        options.intra_op_num_threads = 1
        options.enable_cpu_mem_arena = False
        options.log_severity_level = 4
        self._session = onnxruntime.InferenceSession(
            _verified(path or silero_path()),
            providers=["CPUExecutionProvider"],
            sess_options=options,
        )

    def step(
        self, window: FloatAudio, h: FloatAudio, c: FloatAudio
    ) -> tuple[float, FloatAudio, FloatAudio]:
        """Speech probability of one context+window row, and the LSTM state after it."""
        out, h, c = self._session.run(None, {"input": window, "h": h, "c": c})
        return float(np.asarray(out).reshape(-1)[0]), h, c


class SileroClassifier:
    """Silero VAD over 512-sample frames: speech when its probability reaches `threshold`."""

    def __init__(self, model: SileroModel, threshold: float = 0.5) -> None:
        self._model = model
        self.threshold = threshold
        self._h: FloatAudio = np.zeros(_STATE_SHAPE, dtype=np.float32)
        self._c: FloatAudio = np.zeros(_STATE_SHAPE, dtype=np.float32)
        self._context: FloatAudio = np.zeros(SILERO_CONTEXT, dtype=np.float32)

    def probability(self, frame: Samples) -> float:
        if len(frame) != SILERO_WINDOW:
            raise ValueError(f"Silero frames are {SILERO_WINDOW} samples, not {len(frame)}")
        audio = frame.astype(np.float32) / 32768.0
        window = np.concatenate([self._context, audio])[None, :]
        p, self._h, self._c = self._model.step(window, self._h, self._c)
        self._context = audio[-SILERO_CONTEXT:]
        return p

    def is_speech(self, frame: Samples) -> bool:
        return self.probability(frame) >= self.threshold

    def reset(self) -> None:
        self._h = np.zeros(_STATE_SHAPE, dtype=np.float32)
        self._c = np.zeros(_STATE_SHAPE, dtype=np.float32)
        self._context = np.zeros(SILERO_CONTEXT, dtype=np.float32)


ClassifierFactory = Callable[[], FrameClassifier]


class VadChoice(Protocol):
    """What `classifier_factory` reads of a SegmenterConfig."""

    @property
    def vad_engine(self) -> str: ...

    @property
    def aggressiveness(self) -> int: ...

    @property
    def vad_threshold(self) -> float: ...

    @property
    def sample_rate(self) -> int: ...


def classifier_factory(config: VadChoice) -> ClassifierFactory:
    """A new classifier per stream, as `config` asks; Silero's model is loaded here, once."""
    if config.vad_engine == "silero":
        model = SileroModel()
        return lambda: SileroClassifier(model, config.vad_threshold)
    return lambda: WebrtcClassifier(config.aggressiveness, config.sample_rate)
