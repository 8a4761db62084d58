"""Speaker embeddings (d-vectors) of utterances: Resemblyzer's GE2E voice encoder in numpy.

The weights are `resemblyzer/pretrained.pt` from the Resemblyzer 0.1.4 wheel (Apache-2.0),
installed without its dependencies (voice-requirements.lock: its own pull torch and
librosa), found without importing the package (that would import torch), checked against
a pinned hash and read by a small torch-free reader of torch's legacy serialisation.

The encoder follows Resemblyzer's `embed_utterance`: volume raised to -30 dBFS, 40-channel
mel power spectrogram (25 ms window, 10 ms hop), 1.6 s partial windows 1.3 times a
second, a 3-layer LSTM whose last hidden state goes through Linear+ReLU, and the
L2-normalised mean of the partials' unit vectors. Resemblyzer also cuts long silences
with webrtcvad first; our utterances are already cut by the segmenter's webrtcvad, so
they hold no long silence to cut.
"""

from __future__ import annotations

import collections
import importlib.util
import io
import pickle
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
from threadpoolctl import ThreadpoolController

from transcriber.pcm import SAMPLE_RATE, FloatAudio, Samples
from transcriber.pinned import read_pinned

# Resemblyzer 0.1.4's pretrained.pt (resemble-ai/Resemblyzer, Apache-2.0).
WEIGHTS_FILE = "pretrained.pt"
WEIGHTS_SHA256 = "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e"

MEL_WINDOW = 400  # samples: 25 ms
MEL_HOP = 160  # samples: 10 ms
MEL_CHANNELS = 40
PARTIAL_FRAMES = 160  # 1.6 s: the window the encoder was trained on
PARTIAL_RATE = 1.3  # partial windows per second of audio
MIN_COVERAGE = 0.75  # a last, zero-padded window is kept when this much of it is audio
TARGET_DBFS = -30.0
HIDDEN_SIZE = 256
EMBEDDING_SIZE = 256
LSTM_LAYERS = 3
# Below this an utterance gets no embedding (its voice is left to the caller): its one
# partial window would be mostly zero padding. Chosen in bench/diarization.py on the
# tuning speakers (docs/diarization.md): 0.5 and 0.75 s tied for the lowest DER (the
# segmenter makes few utterances that short), 1.0 s was 0.002 worse, 2.0 s 0.023.
MIN_VOICE_S = 0.75

Embedding = npt.NDArray[np.float32]
Weights = dict[str, npt.NDArray[np.float32]]

_FULL_SCALE = 32768.0
# Torch's legacy (pre-zip) format starts with this pickled number.
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_EXPECTED_SHAPES = {
    **{
        name: shape
        for layer in range(LSTM_LAYERS)
        for name, shape in (
            (
                f"lstm.weight_ih_l{layer}",
                (4 * HIDDEN_SIZE, MEL_CHANNELS if layer == 0 else HIDDEN_SIZE),
            ),
            (f"lstm.weight_hh_l{layer}", (4 * HIDDEN_SIZE, HIDDEN_SIZE)),
            (f"lstm.bias_ih_l{layer}", (4 * HIDDEN_SIZE,)),
            (f"lstm.bias_hh_l{layer}", (4 * HIDDEN_SIZE,)),
        )
    },
    "linear.weight": (EMBEDDING_SIZE, HIDDEN_SIZE),
    "linear.bias": (EMBEDDING_SIZE,),
}


class VoiceModelUnavailableError(RuntimeError):
    """The voice encoder's weights are missing, unreadable or not the pinned file."""


def weights_path() -> Path:
    """Where the installed Resemblyzer keeps its weights, found without importing it."""
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or spec.origin is None:
        raise VoiceModelUnavailableError(
            "Resemblyzer's weights are not installed (make installs voice-requirements.lock)"
        )
    return Path(spec.origin).parent / WEIGHTS_FILE


def _verified(path: Path) -> bytes:
    return read_pinned(path, WEIGHTS_SHA256, VoiceModelUnavailableError)


@dataclass(frozen=True)
class _StorageRef:
    key: str
    numel: int


@dataclass(frozen=True)
class _TensorRef:
    storage: _StorageRef
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]


def _tensor_ref(
    storage: _StorageRef,
    offset: int,
    size: tuple[int, ...],
    stride: tuple[int, ...],
    *_ignored: object,  # requires_grad, backward hooks, metadata: nothing inference needs
) -> _TensorRef:
    return _TensorRef(storage, offset, tuple(size), tuple(stride))


class _FloatStorageType:
    """Stands for `torch.FloatStorage` in persistent ids; only float32 storages are read."""


class _StateUnpickler(pickle.Unpickler):
    """Builds references instead of tensors, and refuses every global a state dict of
    float tensors does not need (a pickle can otherwise call anything)."""

    _ALLOWED: ClassVar[Mapping[tuple[str, str], Any]] = {
        ("torch._utils", "_rebuild_tensor_v2"): _tensor_ref,
        ("torch", "FloatStorage"): _FloatStorageType,
        ("collections", "OrderedDict"): collections.OrderedDict,
    }

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing {module}.{name} in a weights file") from None

    def persistent_load(self, pid: Any) -> _StorageRef:
        if (
            not isinstance(pid, tuple)
            or len(pid) < 5
            or pid[0] != "storage"
            or pid[1] is not _FloatStorageType
        ):
            raise pickle.UnpicklingError(f"unexpected storage reference {pid!r}")
        return _StorageRef(key=str(pid[2]), numel=int(pid[4]))


def read_legacy_state(data: bytes) -> Weights:
    """The float32 tensors of `model_state` in a legacy (non-zip) torch file."""
    stream = io.BytesIO(data)
    try:
        if _StateUnpickler(stream).load() != _LEGACY_MAGIC:
            raise VoiceModelUnavailableError("not a legacy torch file (magic number)")
        _StateUnpickler(stream).load()  # protocol version
        _StateUnpickler(stream).load()  # sys info: little endian, type sizes
        checkpoint = _StateUnpickler(stream).load()
        keys = _StateUnpickler(stream).load()
        storages: dict[str, npt.NDArray[np.float32]] = {}
        for key in keys:
            (numel,) = struct.unpack("<q", stream.read(8))
            raw = stream.read(4 * numel)
            if len(raw) != 4 * numel:
                raise VoiceModelUnavailableError(f"storage {key} is cut short")
            storages[str(key)] = np.frombuffer(raw, dtype="<f4")
        state = checkpoint["model_state"]
        return {
            name: _materialise(ref, storages)
            for name, ref in state.items()
            if isinstance(ref, _TensorRef)
        }
    except (pickle.UnpicklingError, EOFError, KeyError, TypeError, struct.error) as exc:
        raise VoiceModelUnavailableError(f"unreadable weights file: {exc!r}") from exc


def _materialise(ref: _TensorRef, storages: dict[str, npt.NDArray[np.float32]]) -> Any:
    flat = storages[ref.storage.key]
    last = ref.offset + sum((n - 1) * s for n, s in zip(ref.size, ref.stride, strict=True))
    if ref.offset < 0 or last >= len(flat):
        raise VoiceModelUnavailableError(f"tensor outside its storage {ref.storage.key}")
    view = np.lib.stride_tricks.as_strided(
        flat[ref.offset :], shape=ref.size, strides=tuple(4 * s for s in ref.stride)
    )
    return np.ascontiguousarray(view, dtype=np.float32)


@cache
def mel_filters() -> npt.NDArray[np.float32]:
    """librosa's default mel filter bank (Slaney scale and area norm), 0 to 8 kHz: (40, 201)."""

    def hz_to_mel(hz: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        linear = hz / (200.0 / 3)
        log_part = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
        return np.where(hz >= 1000.0, log_part, linear)

    def mel_to_hz(mel: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        linear = mel * (200.0 / 3)
        log_part = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0))
        return np.where(mel >= 15.0, log_part, linear)

    fft_hz = np.fft.rfftfreq(MEL_WINDOW, d=1.0 / SAMPLE_RATE)
    edges = np.array([0.0, SAMPLE_RATE / 2.0])
    mel_edges = hz_to_mel(edges)
    band_hz = mel_to_hz(np.linspace(mel_edges[0], mel_edges[1], MEL_CHANNELS + 2))
    widths = np.diff(band_hz)
    ramps = band_hz[:, None] - fft_hz[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    bank = np.maximum(0.0, np.minimum(rising, falling))
    bank *= (2.0 / (band_hz[2:] - band_hz[:-2]))[:, None]
    return bank.astype(np.float32)


def mel_spectrogram(wav: FloatAudio) -> FloatAudio:
    """(frames, 40) mel power spectrogram, not log, as `librosa.feature.melspectrogram`
    gives it: centred frames with zero padding (librosa >= 0.9, which Resemblyzer 0.1.4
    requires, pads with zeros), periodic Hann window, |STFT|^2."""
    half = MEL_WINDOW // 2
    padded = np.pad(wav.astype(np.float32), (half, half))
    n_frames = 1 + (len(padded) - MEL_WINDOW) // MEL_HOP
    frames = np.lib.stride_tricks.as_strided(
        padded, shape=(n_frames, MEL_WINDOW), strides=(MEL_HOP * 4, 4), writeable=False
    )
    window = (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(MEL_WINDOW) / MEL_WINDOW)).astype(
        np.float32
    )
    power = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2
    return (power.astype(np.float32) @ mel_filters().T).astype(np.float32)


def partial_starts(n_samples: int) -> list[int]:
    """First mel frame of each 160-frame partial window over `n_samples` of audio
    (Resemblyzer's `compute_partial_slices`): at least one window; a last one mostly past
    the end is dropped."""
    n_frames = -(-(n_samples + 1) // MEL_HOP)
    step = round((SAMPLE_RATE / PARTIAL_RATE) / MEL_HOP)  # 77 frames
    starts = list(range(0, max(1, n_frames - PARTIAL_FRAMES + step + 1), step))
    coverage = (n_samples - starts[-1] * MEL_HOP) / (PARTIAL_FRAMES * MEL_HOP)
    if coverage < MIN_COVERAGE and len(starts) > 1:
        starts.pop()
    return starts


def _sigmoid(x: FloatAudio) -> FloatAudio:
    # The tanh form never overflows, unlike 1 / (1 + exp(-x)).
    result: FloatAudio = np.float32(0.5) * (np.float32(1.0) + np.tanh(np.float32(0.5) * x))
    return result


class VoiceEncoder:
    """Utterance audio to a 256-d unit vector; same voice, nearby vectors."""

    def __init__(self, weights: Path | None = None) -> None:
        state = read_legacy_state(_verified(weights or weights_path()))
        wrong = {
            name: state[name].shape if name in state else None
            for name, shape in _EXPECTED_SHAPES.items()
            if name not in state or state[name].shape != shape
        }
        if wrong:
            raise VoiceModelUnavailableError(f"weights of unexpected shapes: {wrong}")
        # Transposed once, so that each step is a plain (batch, in) @ (in, 4*hidden).
        self._input_weights = [state[f"lstm.weight_ih_l{n}"].T.copy() for n in range(LSTM_LAYERS)]
        self._hidden_weights = [state[f"lstm.weight_hh_l{n}"].T.copy() for n in range(LSTM_LAYERS)]
        self._biases = [
            state[f"lstm.bias_ih_l{n}"] + state[f"lstm.bias_hh_l{n}"] for n in range(LSTM_LAYERS)
        ]
        self._linear_weight = state["linear.weight"].T.copy()
        self._linear_bias = state["linear.bias"]
        # One BLAS thread: the products are small, and more threads spin on the cores the
        # decoder needs (measured on 11 s of speech: 0.28 CPU-s for 0.14 s against 0.17 for
        # 0.17 on an idle 2-core machine; 2.5 s against 0.16 s on a loaded one); one thread
        # count also keeps every run's sums in the same order.
        self._blas = ThreadpoolController()

    def embed(self, audio: Samples) -> Embedding | None:
        """The voice of 16 kHz int16 utterance audio; None under MIN_VOICE_S seconds."""
        if len(audio) < MIN_VOICE_S * SAMPLE_RATE:
            return None
        return self.embed_any_length(audio)

    def embed_any_length(self, audio: Samples) -> Embedding:
        """As `embed`, without the minimum length (the benchmark measures that minimum)."""
        with self._blas.limit(limits=1, user_api="blas"):
            return self._embed(audio)

    def _embed(self, audio: Samples) -> Embedding:
        wav = audio.astype(np.float32) / np.float32(_FULL_SCALE)
        rms = float(np.sqrt(np.mean(np.square(wav, dtype=np.float64)))) if len(wav) else 0.0
        if rms > 0.0:
            gain_db = TARGET_DBFS - 20.0 * np.log10(rms)
            if gain_db > 0.0:  # louder only, as Resemblyzer does
                wav = (wav * np.float32(10.0 ** (gain_db / 20.0))).astype(np.float32)
        starts = partial_starts(len(wav))
        end = (starts[-1] + PARTIAL_FRAMES) * MEL_HOP
        if end >= len(wav):
            wav = np.pad(wav, (0, end - len(wav)))
        mel = mel_spectrogram(wav)
        partials = np.stack([mel[s : s + PARTIAL_FRAMES] for s in starts])
        vectors = self._forward(partials)
        mean = vectors.mean(axis=0)
        embedding: Embedding = (mean / np.linalg.norm(mean)).astype(np.float32)
        return embedding

    def _forward(self, mels: FloatAudio) -> FloatAudio:
        """Unit vectors of a batch of (batch, 160, 40) partial spectrograms: all partials
        in one pass, each LSTM step one matrix product for the whole batch."""
        batch, steps, _ = mels.shape
        sequence = mels
        hidden = np.zeros((batch, HIDDEN_SIZE), dtype=np.float32)
        for layer in range(LSTM_LAYERS):
            projected = sequence @ self._input_weights[layer] + self._biases[layer]
            recurrent = self._hidden_weights[layer]
            hidden = np.zeros((batch, HIDDEN_SIZE), dtype=np.float32)
            cell = np.zeros((batch, HIDDEN_SIZE), dtype=np.float32)
            outputs = np.empty((batch, steps, HIDDEN_SIZE), dtype=np.float32)
            for t in range(steps):
                gates = projected[:, t] + hidden @ recurrent
                # PyTorch's gate order: input, forget, cell candidate, output.
                i, f, g, o = np.split(gates, 4, axis=1)
                cell = _sigmoid(f) * cell + _sigmoid(i) * np.tanh(g)
                hidden = _sigmoid(o) * np.tanh(cell)
                outputs[:, t] = hidden
            sequence = outputs
        raw = np.maximum(hidden @ self._linear_weight + self._linear_bias, np.float32(0.0))
        norms = np.linalg.norm(raw, axis=1, keepdims=True)
        unit: FloatAudio = (raw / np.maximum(norms, np.float32(1e-12))).astype(np.float32)
        return unit


@cache
def load_voice_encoder() -> VoiceEncoder:
    """The process's one encoder (17 MB of weights, read and checked once)."""
    return VoiceEncoder()
