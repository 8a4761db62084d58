"""The prose parts of a rules summary: overview, key points, decisions and open questions."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from summarizer.facts import Utterance
from summarizer.ledger import Ledger, content_words
from summarizer.rules import is_injection, sentences

_DECISION = re.compile(
    r"\b(?:we decided|decided to|let'?s go with|we'?ll go with|we'?re going wi"
    r"th|agreed|that'?s decided|"
    r"the decision is|final answer|let'?s (?:drop|not do|scrap|cancel|push|move))\b"
    r"|결정|하기로 했|확정|합의|취소하죠|취소합시다|안 하기로|(?:로|으로) 하죠",
    re.IGNORECASE,
)
_OPEN = re.compile(
    r"\b(?:open question|still open|not sure (?:yet|whether|if)|tbd|to be deci"
    r"ded|we still need to (?:decide|figure)|"
    r"haven'?t decided)\b|미정|아직 (?:모르|확정이 안|결정)|정해지지 않",
    re.IGNORECASE,
)
_SMALL_TALK = re.compile(
    r"\b(?:hear me|see my screen|see the slides|loud and clear|sorry I'?m late"
    r"|is my audio|recording on)\b|들리시나요|들려요",
    re.IGNORECASE,
)


_NOT_TOPICS = set(
    [
        "think",
        "okay",
        "yeah",
        "right",
        "going",
        "need",
        "good",
        "great",
        "thank",
        "thanks",
        "sure",
        "actually",
    ]
)


@dataclass
class Digest:
    overview: str = ""
    key_points: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    open_questions: list[str] = field(default_factory=list)


def digest(
    utterances: list[Utterance], ledger: Ledger, language: str, max_points: int = 6
) -> Digest:
    """Summarise a transcript extractively: the sentences that carry the meeting."""
    lines = [
        (u, s)
        for u in utterances
        if not is_injection(u.text)
        for s in sentences(u.text)
        if not _SMALL_TALK.search(s)
    ]
    result = Digest()
    evidence = {e.quote for t in ledger.tasks.values() for e in t.evidence}
    for _u, s in lines:
        if _DECISION.search(s) and len(s.split()) >= 3 and s not in result.decisions:
            result.decisions.append(s)
        elif (
            (s.endswith("?") or _OPEN.search(s))
            and len(s.split()) >= 4
            and s not in evidence
            and not re.match(r"(?i)(?:can|could|would) you\b", s)
        ):
            result.open_questions.append(s)
    frequency = Counter(w for _u, s in lines for w in content_words(s))
    scored = [
        (sum(frequency[w] for w in content_words(s)) / (len(content_words(s)) or 1) ** 0.5, i, s)
        for i, (_u, s) in enumerate(lines)
        if len(s.split()) >= 5 and s not in result.decisions and s not in result.open_questions
    ]
    top = sorted(scored, reverse=True)[:max_points]
    result.key_points = [s for _score, _i, s in sorted(top, key=lambda t: t[1])]
    result.overview = _overview(utterances, ledger, result, frequency, language)
    return result


def _overview(
    utterances: list[Utterance], ledger: Ledger, d: Digest, frequency: Counter[str], language: str
) -> str:
    speakers = sorted({u.speaker for u in utterances if u.speaker})
    topics = [
        w
        for w, _n in frequency.most_common(20)
        if len(w) > 3 and w.isalpha() and w not in _NOT_TOPICS and not w.endswith("까지")
    ][:3]
    tasks = len(ledger.open_tasks())
    if language == "ko":
        return (
            f"참석자 {len(speakers)}명이 {', '.join(topics) or '여러 안건'}에 대해 논의했습니다. "
            f"결정 {len(d.decisions)}건, 할 일 {tasks}건, 미해결 질문 {len(d.open_questions)}건."
        )
    return (
        f"{len(speakers)} participants discussed {', '.join(topics) or 'several topics'}. "
        f"{len(d.decisions)} decisions, {tasks} open action items, "
        f"{len(d.open_questions)} open questions."
    )
