"""Which final segments carry an action item: a logistic model over sentence embeddings
and a few cue features, and for English also the segment's words and word pairs (TF-IDF),
trained on real meetings (ICSI's hand-labelled utterances and AMI's
action items) by `bench/train_detector.py`, its weights pinned by hash.

Pure: texts and their vectors in, probabilities out. The embedding itself is the
caller's (`vori.embedding`), so the worker computes it once per segment and keeps
the score.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from summarizer.facts import Utterance
from summarizer.reading import Thresholds
from vori.settings import TaskSelection

MODEL_PATH = Path(__file__).parent / "models" / "action_detector.json"
# sha256 of MODEL_PATH as written by bench/train_detector.py (reproducible from the data).
MODEL_SHA256 = "4fdda04a6308d46bf3f4a418afe656e56950fb9a67cdfaa9d68917cfa5a1339c"

_CUES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        (
            "self",
            r"\b(?:i'll|i will|i'm going to|i'm gonna|i am going to|let me|i can|i could"
            r"|i need to|i have to|i should)\b|제가|내가|할게|할께|하겠습니다|드릴게|볼게요",
        ),
        (
            "you",
            r"\b(?:can you|could you|would you|you'll|you will|you're going to|you're gonna"
            r"|you need to|you should|you have to|you could|if you could|your job)\b"
            r"|주세요|주실|주시겠|부탁",
        ),
        (
            "group",
            r"\b(?:we need to|we should|we'll|we will|we're going to|we're gonna|we have to"
            r"|we must|let's|everyone|everybody|each of you|all of you)\b"
            r"|해야|합시다|하죠|다들|모두",
        ),
        (
            "later",
            r"\b(?:next (?:meeting|week|time|session)|tomorrow|tonight|by (?:monday|tuesday"
            r"|wednesday|thursday|friday|the end|then)|before the|after the meeting|action items?"
            r"|follow[- ]up|deadline|due)\b|까지|다음 주|다음 회의|내일|마감",
        ),
        (
            "work",
            r"\b(?:send|email|e-mail|mail|write|prepare|look into|look at|check|find out|research"
            r"|work on|put together|set up|contact|ask|talk to|schedule|bring|draft|update|review"
            r"|fix|finish|implement|get back|circulate|share)\b"
            r"|보내|정리|확인|준비|작성|공유|검토|연락|수정|올리",
        ),
        (
            "past",
            r"\b(?:did|already|yesterday|last week|was|were|had)\b|었어요|았어요|했어요|했습니다",
        ),
        ("question", r"\?\s*$|까요\??$|나요\??$"),
        (
            "agenda",
            r"\b(?:agenda|today we|this meeting|first of all|next slide|presentation)\b|오늘은",
        ),
    )
)
FILLERS = re.compile(
    r"^(?:um+|uh+|mm+|hmm+|mm-hmm|uh-huh|yeah|yes|okay|ok|right|oh|so|and|음|어|네)$"
)
CUE_NAMES = (*(name for name, _ in _CUES), "log_words", "filler_share")

Vectors = npt.NDArray[np.float32]


def cue_features(text: str) -> npt.NDArray[np.float32]:
    """Cue phrases of commitment, request, duty, deadline and work (English and Korean)."""
    words = text.split()
    fillers = sum(bool(FILLERS.match(w.strip(",.!?").casefold())) for w in words)
    values = [1.0 if pattern.search(text) else 0.0 for _name, pattern in _CUES]
    values.append(math.log1p(len(words)) / 4.0)
    values.append(fillers / len(words) if words else 1.0)
    return np.asarray(values, dtype=np.float32)


# scikit-learn's default tokens (two or more word characters, lowercased), so that
# the weights trained there read the same terms here.
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def terms(text: str) -> list[str]:
    """The words of `text` and its pairs of adjacent words, as the n-gram part counts them."""
    words = _TOKEN.findall(text.lower())
    return words + [f"{a} {b}" for a, b in pairwise(words)]


@dataclass(frozen=True)
class TermModel:
    """The model for segments in the language of its training meetings: the same inputs
    and, besides, the segment's TF-IDF words and word pairs (sublinear counts,
    L2-normalised over the known terms, as scikit-learn's TfidfVectorizer makes them).
    It knows only the terms of English meetings, so a segment whose words are mostly
    unknown to it (Korean) is left to the embedding model, which is multilingual."""

    weights: Vectors  # over `features`
    bias: float
    idf: dict[str, float]
    weight: dict[str, float]
    min_known: float  # the share of a segment's words it must know

    def knows(self, text: str) -> bool:
        words = _TOKEN.findall(text.lower())
        return bool(words) and sum(w in self.idf for w in words) >= self.min_known * len(words)

    def term_logit(self, text: str) -> float:
        counts: dict[str, int] = {}
        for term in terms(text):
            if term in self.idf:
                counts[term] = counts.get(term, 0) + 1
        values = {t: (1.0 + math.log(n)) * self.idf[t] for t, n in counts.items()}
        norm = math.sqrt(sum(v * v for v in values.values()))
        return sum(v * self.weight[t] for t, v in values.items()) / norm if norm else 0.0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TermModel:
        table = data["table"]  # {term: [idf, weight]}
        return cls(
            weights=np.asarray(data["weights"], dtype=np.float32),
            bias=float(data["bias"]),
            idf={t: float(v[0]) for t, v in table.items()},
            weight={t: float(v[1]) for t, v in table.items()},
            min_known=float(data["min_known"]),
        )


def features(texts: Sequence[str], vectors: Vectors) -> Vectors:
    """The model's input rows: the embedding followed by the cue features."""
    cues = np.stack([cue_features(t) for t in texts]) if texts else np.zeros((0, len(CUE_NAMES)))
    return np.hstack([vectors, cues]).astype(np.float32)


def _optional(value: Any) -> float | None:
    return None if value is None else float(value)


class DetectorModelError(RuntimeError):
    """The model file is missing, or not the one whose hash is pinned."""


@dataclass(frozen=True)
class DetectorModel:
    """Logistic weights and the thresholds chosen on the tuning split."""

    weights: Vectors
    bias: float
    threshold: float  # a moment becomes a task on its own at or above this probability
    candidate_threshold: float  # a rules-flagged moment or an LLM candidate needs this much
    min_words: int  # shorter segments ("okay, I'll do it" is four) are never scored
    named_bonus: float = 0.0
    wrap_up_bonus: float = 0.0
    wrap_up_from: float = 0.8
    terms: TermModel | None = None  # `weights` and `bias` then serve the segments it does not know
    # The same two bars for meetings full of small commitments (`tasks = "thorough"`).
    thorough_threshold: float | None = None
    thorough_candidate: float | None = None

    @classmethod
    def load(cls, path: Path = MODEL_PATH, sha256: str | None = None) -> DetectorModel:
        pinned = MODEL_SHA256 if sha256 is None else sha256
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise DetectorModelError(f"cannot read {path}: {exc}") from exc
        if pinned and hashlib.sha256(raw).hexdigest() != pinned:
            raise DetectorModelError(f"{path} is not the pinned model (sha256 {pinned[:12]}…)")
        return cls.from_json(json.loads(raw))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DetectorModel:
        """The model from the contents of its file, as bench/train_detector.py writes it."""
        return cls(
            weights=np.asarray(data["weights"], dtype=np.float32),
            bias=float(data["bias"]),
            threshold=float(data["threshold"]),
            candidate_threshold=float(data["candidate_threshold"]),
            min_words=int(data["min_words"]),
            named_bonus=float(data.get("named_bonus", 0.0)),
            wrap_up_bonus=float(data.get("wrap_up_bonus", 0.0)),
            wrap_up_from=float(data.get("wrap_up_from", 0.8)),
            terms=TermModel.from_json(data["terms"]) if "terms" in data else None,
            thorough_threshold=_optional(data.get("thorough_threshold")),
            thorough_candidate=_optional(data.get("thorough_candidate")),
        )

    def thresholds(self, tasks: TaskSelection = "selective") -> Thresholds:
        """The bars of `tasks`: "selective" lists the work a meeting hands out; "thorough"
        also the small commitments a working meeting is full of (lower bars, more cards).
        A model file without thorough bars has the selective ones only."""
        task, candidate = self.threshold, self.candidate_threshold
        if tasks == "thorough" and self.thorough_threshold and self.thorough_candidate:
            task, candidate = self.thorough_threshold, self.thorough_candidate
        return Thresholds(
            task=task,
            candidate=candidate,
            named_bonus=self.named_bonus,
            wrap_up_bonus=self.wrap_up_bonus,
            wrap_up_from=self.wrap_up_from,
        )

    def probabilities(self, texts: Sequence[str], vectors: Vectors) -> list[float]:
        if not texts:
            return []
        rows = features(texts, vectors)
        logits = rows @ self.weights + self.bias
        if self.terms is not None:
            with_terms = rows @ self.terms.weights + self.terms.bias
            for i, text in enumerate(texts):
                if self.terms.knows(text):
                    logits[i] = with_terms[i] + self.terms.term_logit(text)
        probabilities = 1.0 / (1.0 + np.exp(-logits))
        return [
            float(p) if len(t.split()) >= self.min_words else 0.0
            for t, p in zip(texts, probabilities, strict=True)
        ]


Embed = Callable[[Sequence[str]], Vectors]


class ActionDetector:
    """Scores segments: the embedding (the costly part) only for those long enough."""

    def __init__(self, model: DetectorModel, embed: Embed) -> None:
        self.model = model
        self.embed = embed

    def score_unscored(self, utterances: Sequence[Utterance]) -> dict[str, float]:
        """Scores of the segments not scored yet, by segment id (each is scored once)."""
        todo = [u for u in utterances if u.action_score is None]
        return dict(
            zip((u.segment_id for u in todo), self.scores([u.text for u in todo]), strict=True)
        )

    def scores(self, texts: Sequence[str]) -> list[float]:
        long_enough = [i for i, t in enumerate(texts) if len(t.split()) >= self.model.min_words]
        result = [0.0] * len(texts)
        if long_enough:
            chosen = [texts[i] for i in long_enough]
            for i, p in zip(
                long_enough, self.model.probabilities(chosen, self.embed(chosen)), strict=True
            ):
                result[i] = p
        return result


def with_scores(utterances: list[Utterance], scores: dict[str, float]) -> list[Utterance]:
    """The utterances, those in `scores` carrying their new score."""
    return [
        replace(u, action_score=scores[u.segment_id]) if u.segment_id in scores else u
        for u in utterances
    ]
