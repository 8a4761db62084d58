"""The measures of meeting understanding named in issue 10, on real annotated meetings.

- Action items (AMI): a prediction matches a gold item when they share at least 2
  content-word stems and at least 30 % of the gold task's content stems; one-to-one,
  greedily by overlap. Owner right: the predicted owner is one of the gold owners
  ("ALL" is right for the whole group); counted only where the gold names an owner.
- ICSI: a proposal is right when its quoted evidence is within two utterances of a
  labelled one; coverage is the share of labelled utterances within two of a proposal.
- Overview: ROUGE-1/2/L F1 against the human abstract (rouge-score, with stemming).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from nltk.stem.porter import PorterStemmer

_STOP = set(
    [
        "a",
        "an",
        "the",
        "to",
        "of",
        "for",
        "and",
        "or",
        "on",
        "in",
        "at",
        "by",
        "with",
        "from",
        "into",
        "about",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "our",
        "we",
        "you",
        "i",
        "me",
        "my",
        "your",
        "their",
        "them",
        "they",
        "he",
        "she",
        "his",
        "her",
        "us",
        "up",
        "out",
        "over",
        "be",
        "is",
        "are",
        "was",
        "were",
        "been",
        "being",
        "will",
        "would",
        "can",
        "could",
        "should",
        "shall",
        "may",
        "might",
        "must",
        "do",
        "does",
        "did",
        "done",
        "have",
        "has",
        "had",
        "having",
        "get",
        "gets",
        "got",
        "go",
        "going",
        "gonna",
        "wanna",
        "also",
        "then",
        "just",
        "some",
        "any",
        "all",
        "new",
        "next",
        "first",
        "last",
        "not",
        "no",
        "so",
        "if",
        "as",
        "well",
        "what",
        "which",
        "who",
        "whom",
        "how",
        "when",
        "where",
        "why",
        "there",
        "here",
        "um",
        "uh",
        "mm",
        "hmm",
        "yeah",
        "okay",
        "ok",
        "oh",
        "right",
        "like",
        "know",
        "think",
        "mean",
        "sort",
        "kind",
        "really",
        "very",
        "lot",
        "bit",
        "thing",
        "things",
        "one",
        "maybe",
        "actually",
        "basically",
        "let",
        "let's",
        "i'll",
        "we'll",
        "you'll",
        "he'll",
        "she'll",
        "they'll",
        "it's",
        "that's",
        "i'm",
        "we're",
        "you're",
        "they're",
        "i've",
        "we've",
        "don't",
        "doesn't",
        "didn't",
        "won't",
        "can't",
        "isn't",
    ]
)
_stemmer = PorterStemmer()


@cache
def _stem(word: str) -> str:
    return str(_stemmer.stem(word))


_KO_PARTICLE = re.compile(
    r"(?:에서는|에서|에게|한테|까지|부터|으로|이랑|하고|처럼|보다|을|를|은|는|이|가|에|의|도|로"
    r"|와|과|랑|께)$"
)
_KO_STOP = set(
    [
        "그",
        "그거",
        "그럼",
        "이제",
        "좀",
        "네",
        "아",
        "어",
        "음",
        "저",
        "제가",
        "다들",
        "모두",
        "우리",
        "저희",
        "것",
        "거",
        "수",
        "때",
        "더",
        "잘",
    ]
)


def _ko_stem(word: str) -> str:
    """A Korean eojeol without its particle, cut to two syllables (만들어서, 만든다 → 만들/만든;
    결과표를 → 결과): crude, but the same for gold and prediction."""
    bare = _KO_PARTICLE.sub("", word) or word
    return bare[:2]


def content_stems(text: str) -> set[str]:
    folded = text.casefold()
    english = re.findall(r"[a-z][a-z']*", folded)
    korean = [w for w in re.findall(r"[가-힣]+", folded) if w not in _KO_STOP]
    stems = {_stem(w) for w in english if w not in _STOP and len(w) > 1}
    stems |= {_ko_stem(w) for w in korean if len(_ko_stem(w)) >= 2}
    return stems


def items_match(predicted: str, gold_task: str) -> bool:
    gold = content_stems(gold_task)
    shared = content_stems(predicted) & gold
    return len(shared) >= 2 and len(shared) >= 0.3 * len(gold)


@dataclass
class ItemScore:
    predicted: int = 0
    gold: int = 0
    matched: int = 0
    owner_checked: int = 0
    owner_right: int = 0
    meetings: int = 0
    pairs: list[tuple[str, str]] = field(default_factory=list)

    def add(self, other: ItemScore) -> None:
        self.predicted += other.predicted
        self.gold += other.gold
        self.matched += other.matched
        self.owner_checked += other.owner_checked
        self.owner_right += other.owner_right
        self.meetings += other.meetings

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else 0.0

    @property
    def owner_accuracy(self) -> float:
        return self.owner_right / self.owner_checked if self.owner_checked else 0.0


def score_items(
    predicted: Sequence[tuple[str, str | None]], gold: Sequence[dict[str, object]]
) -> ItemScore:
    """`predicted`: (title, owner name or "Everyone" or None); `gold`: the AMI items."""
    result = ItemScore(predicted=len(predicted), gold=len(gold), meetings=1)
    candidates = []
    for p, (title, _owner) in enumerate(predicted):
        for g, item in enumerate(gold):
            task = str(item.get("task") or item.get("text"))
            if items_match(title, task):
                overlap = len(content_stems(title) & content_stems(task))
                candidates.append((-overlap, p, g))
    used_p: set[int] = set()
    used_g: set[int] = set()
    for _neg, p, g in sorted(candidates):
        if p in used_p or g in used_g:
            continue
        used_p.add(p)
        used_g.add(g)
        result.matched += 1
        result.pairs.append((predicted[p][0], str(gold[g].get("text"))))
        owners = gold[g].get("owner")
        if isinstance(owners, list) and owners:
            result.owner_checked += 1
            said = predicted[p][1]
            if said is not None and (said in owners or (said == "Everyone" and owners == ["ALL"])):
                result.owner_right += 1
    return result


@dataclass
class TurnScore:
    proposals: int = 0
    proposals_right: int = 0
    labelled: int = 0
    labelled_covered: int = 0

    def add(self, other: TurnScore) -> None:
        self.proposals += other.proposals
        self.proposals_right += other.proposals_right
        self.labelled += other.labelled
        self.labelled_covered += other.labelled_covered

    @property
    def precision(self) -> float:
        return self.proposals_right / self.proposals if self.proposals else 0.0

    @property
    def coverage(self) -> float:
        return self.labelled_covered / self.labelled if self.labelled else 0.0


def score_turns(proposed: Sequence[int], labelled: Sequence[int], window: int = 2) -> TurnScore:
    """Proposals as the turn index of their evidence, against labelled turn indexes."""
    labels = set(labelled)
    right = sum(any(abs(p - t) <= window for t in labels) for p in proposed)
    covered = sum(any(abs(p - t) <= window for p in proposed) for t in labels)
    return TurnScore(len(proposed), right, len(labels), covered)


class _KoreanTokens:
    """rouge-score's default tokenizer keeps only [a-z0-9]: Korean needs its own."""

    def tokenize(self, text: str) -> list[str]:
        words = re.findall(r"[가-힣]+|[a-z0-9]+", text.casefold())
        return [_ko_stem(w) if "가" <= w[0] <= "힣" else w for w in words]


@cache
def _scorer(korean: bool):  # type: ignore[no-untyped-def]
    from rouge_score import rouge_scorer

    names = ["rouge1", "rouge2", "rougeL"]
    if korean:
        return rouge_scorer.RougeScorer(names, tokenizer=_KoreanTokens())
    return rouge_scorer.RougeScorer(names, use_stemmer=True)


def rouge(summary: str, reference: str) -> dict[str, float]:
    korean = bool(re.search(r"[가-힣]", reference))
    scores = _scorer(korean).score(reference, summary)
    return {name: float(s.fmeasure) for name, s in scores.items()}
