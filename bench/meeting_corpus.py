"""The real annotated meetings in ../shared/data/meetings (AMI and ICSI), as benches use them.

Splits: AMI's own (QMSum train to tune, QMSum val to report); ICSI has one
"development" split, so its meetings are divided by a hash of their id (two thirds to
tune, one third to report): a fixed split that no tuning choice can move.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tests.helpers.speech_data import find_meetings_dir as _find

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / ".vori" / "cache"


def find_meetings_dir() -> Path:
    found = _find()
    if found is None:
        raise SystemExit("no meetings data: set VORI_MEETINGS_DIR to shared/data/meetings")
    return found


@dataclass
class Turn:
    index: int
    speaker: str
    text: str
    start: float | None = None
    action_item: bool = False


@dataclass
class Meeting:
    id: str
    corpus: str
    split: str  # "tune" or "report"
    language: str
    speakers: list[str]
    turns: list[Turn]
    gold: dict[str, Any] = field(default_factory=dict)
    date: str | None = None


def _icsi_split(meeting_id: str) -> str:
    bucket = int(hashlib.sha256(meeting_id.encode()).hexdigest()[:8], 16) % 3
    return "report" if bucket == 0 else "tune"


def load(corpus: str, split: str | None = None, root: Path | None = None) -> list[Meeting]:
    """`corpus`: ami, icsi, or a directory of files in the same format (e.g. Korean)."""
    folder = (root or find_meetings_dir()) / corpus if corpus in ("ami", "icsi") else Path(corpus)
    meetings = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text())
        if data.get("corpus") == "ami" or corpus == "ami":
            this_split = "report" if data["split"] == "QMSum val" else "tune"
        elif corpus == "icsi":
            this_split = _icsi_split(data["meeting_id"])
        else:
            this_split = "report"
        if split is not None and this_split != split:
            continue
        turns = [
            Turn(
                index=i,
                speaker=t["speaker"],
                text=t["text"],
                start=t.get("start"),
                action_item=bool(t.get("action_item", False)),
            )
            for i, t in enumerate(data["transcript"])
        ]
        meetings.append(
            Meeting(
                id=data["meeting_id"],
                corpus=corpus if corpus in ("ami", "icsi") else data.get("corpus", corpus),
                split=this_split,
                language=data.get("language", "en"),
                speakers=list(data["speakers"]),
                turns=turns,
                gold=data.get("gold", {}),
                date=data.get("date"),
            )
        )
    return meetings


def _key(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:16]


class EmbeddingCache:
    """Embeddings of texts, computed once and kept under .vori/cache (they take minutes)."""

    def __init__(
        self, name: str = "e5-small-q4", folder: Path = CACHE, passages: bool = False
    ) -> None:
        """`passages`: embed in e5's `passage:` form (search documents), else `query:`."""
        self.folder = folder
        self.path = folder / f"{name}.npz"
        self.passages = passages
        self.vectors: dict[str, np.ndarray] = {}
        if self.path.exists():
            data = np.load(self.path)
            self.vectors = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
        self._embedder: Any = None

    def get(self, texts: Sequence[str], threads: int = 2, batch: int = 256) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if _key(t) not in self.vectors))
        if missing:
            if self._embedder is None:
                from vori.embedding import Embedder

                self._embedder = Embedder(threads)
            for start in range(0, len(missing), batch):
                part = missing[start : start + batch]
                embed = self._embedder.embed_passages if self.passages else self._embedder.embed
                for text, vector in zip(part, embed(part), strict=True):
                    self.vectors[_key(text)] = vector.astype(np.float16)
                if (start // batch) % 20 == 19:
                    print(f"  embedded {start + len(part)}/{len(missing)}", flush=True)
                    self.save()
            self.save()
        return np.stack([self.vectors[_key(t)].astype(np.float32) for t in texts])

    def save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(self.vectors))
        # One temporary file per process: two benches may save the same cache at once.
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(tmp, keys=keys, vectors=np.stack(list(self.vectors.values())))
        tmp.replace(self.path)


def texts_of(meetings: Iterable[Meeting], min_words: int) -> list[str]:
    return [t.text for m in meetings for t in m.turns if len(t.text.split()) >= min_words]
