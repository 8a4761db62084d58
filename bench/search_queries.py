"""Search queries with known answers, drawn from the human annotations of real meetings.

A decision, action item or problem that an annotator wrote about a meeting paraphrases
something said in it: a user who remembers it searches for it, and the right answer is that
meeting, at the moment it was said. Each annotation gives two queries, as a user would type
them: `keywords` (its 2-3 rarest content words, by how many segments of the corpus hold
them) and `sentence` (the annotation itself). `phrase` queries are three consecutive words
of a transcript segment: the exact-phrase search the shipped full-text search is built for.
Pure: meetings in, queries out (bench/search_quality.py runs them).
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from bench.meeting_corpus import Meeting

_ENGLISH_WORD = re.compile(r"[a-z]+")
_HANGUL_WORD = re.compile(r"[\uac00-\ud7a3]{2,}")
# Korean particles and endings stripped from an eojeol, longest first ("크래시를" -> "크래시").
_PARTICLES = sorted(
    "으로 에서 까지 부터 에게 하기로 한다 하고 했다 을 를 이 가 은 는 에 의 로 와 과 도 만".split(),  # noqa: SIM905
    key=len,
    reverse=True,
)
# Crude English suffixes: stems only decide which segments count as "the moment".
_SUFFIXES = ("ations", "ation", "ings", "ing", "edly", "ed", "ers", "er", "es", "s", "ly")
SOURCES = {"decisions": "decision", "action_items": "action item", "problems": "problem"}


def split_of(meeting_id: str) -> str:
    """`tune` or `report`, by a hash of the meeting id: about half each."""
    digest = hashlib.sha256(f"search-quality:{meeting_id}".encode()).hexdigest()
    return "report" if int(digest[:8], 16) % 2 == 0 else "tune"


def korean_word(word: str) -> str:
    for particle in _PARTICLES:
        if word.endswith(particle) and len(word) - len(particle) >= 2:
            return word[: -len(particle)]
    return word


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_words(text: str, stop: set[str]) -> list[str]:
    """English words of 3+ letters that are not stop words, and Korean words without their
    particles, in order, each once."""
    words = [w for w in _ENGLISH_WORD.findall(text.lower()) if len(w) >= 3 and w not in stop]
    words += [korean_word(w) for w in _HANGUL_WORD.findall(text)]
    return list(dict.fromkeys(words))


def stems(text: str, stop: set[str]) -> set[str]:
    return {_stem(w) if w.isascii() else w for w in content_words(text, stop)}


def normalised(text: str) -> str:
    """Lowercase words separated by single spaces: what phrase containment is checked on."""
    return " ".join(re.findall(r"[a-z0-9']+|[\uac00-\ud7a3]+", text.lower()))


@dataclass(frozen=True)
class Segment:
    """A stored final segment of the corpus."""

    id: str
    meeting_id: str
    text: str


@dataclass
class Query:
    text: str
    form: str  # keywords, sentence or phrase
    source: str  # decision, action item, problem or transcript
    corpus: str  # ami, icsi or vori-ko
    meeting_id: str  # the meeting the query was drawn from
    split: str
    relevant_meetings: set[str]
    relevant_segments: set[str] = field(default_factory=set)


class Frequencies:
    """How many segments hold each word: English words whole, Korean ones as substrings."""

    def __init__(self, segments: Iterable[Segment]) -> None:
        self.english = Counter[str]()
        self.korean_texts: list[str] = []
        for segment in segments:
            self.english.update(set(_ENGLISH_WORD.findall(segment.text.lower())))
            if _HANGUL_WORD.search(segment.text):
                self.korean_texts.append(segment.text)
        self._korean: dict[str, int] = {}

    def of(self, word: str) -> int:
        if word.isascii():
            return self.english[word]
        if word not in self._korean:
            self._korean[word] = sum(word in text for text in self.korean_texts)
        return self._korean[word]


def keywords(text: str, stop: set[str], frequencies: Frequencies, most: int = 3) -> str | None:
    """The `most` rarest content words of the text that the corpus holds at all, in the
    text's order; None when fewer than two."""
    words = [w for w in content_words(text, stop) if frequencies.of(w) > 0]
    if len(words) < 2:
        return None
    rarest = set(sorted(words, key=lambda w: (frequencies.of(w), words.index(w)))[:most])
    return " ".join(w for w in words if w in rarest)


def moments(text: str, segments: list[Segment], stop: set[str], least: int = 2) -> set[str]:
    """The segments of a meeting that share at least `least` content stems with the text."""
    wanted = stems(text, stop)
    return {s.id for s in segments if len(wanted & stems(s.text, stop)) >= least}


def annotation_queries(
    meetings: list[Meeting],
    segments: dict[str, list[Segment]],
    stop: set[str],
    frequencies: Frequencies,
) -> list[Query]:
    """Two queries (keywords, sentence) per gold decision, action item and problem."""
    found: list[Query] = []
    for meeting in meetings:
        for key, source in SOURCES.items():
            for item in meeting.gold.get(key) or []:
                sentence = " ".join((item["text"] if isinstance(item, dict) else item).split())
                if not sentence:
                    continue
                relevant = moments(sentence, segments[meeting.id], stop)
                short = keywords(sentence, stop, frequencies)
                for form, text in (("keywords", short), ("sentence", sentence[:200])):
                    if text:
                        found.append(
                            Query(
                                text,
                                form,
                                source,
                                meeting.corpus,
                                meeting.id,
                                split_of(meeting.id),
                                {meeting.id},
                                relevant,
                            )
                        )
    return found


def phrase_queries(
    meetings: list[Meeting],
    segments: dict[str, list[Segment]],
    stop: set[str],
    per_split: int = 60,
    seed: int = 5,
) -> list[Query]:
    """Three consecutive words of a segment (two eojeol in Korean), at least two of them
    content words; relevant: every meeting and segment that holds the phrase."""
    rng = random.Random(seed)
    texts = {m.id: [normalised(s.text) for s in segments[m.id]] for m in meetings}
    # One string per meeting, segments apart, so that a phrase never spans two of them.
    joined = {m: " " + " | ".join(found) + " " for m, found in texts.items()}
    found: list[Query] = []
    for split in ("tune", "report"):
        for korean in (False, True):
            pool = [
                (m, s)
                for m in meetings
                if split_of(m.id) == split and (m.language == "ko") == korean
                for s in segments[m.id]
                if len(normalised(s.text).split()) >= 8
            ]
            rng.shuffle(pool)
            taken = 0
            for meeting, segment in pool:
                if taken == (per_split // 3 if korean else per_split):
                    break
                words = normalised(segment.text).split()
                size = 2 if korean else 3
                start = rng.randrange(len(words) - size)
                phrase = words[start : start + size]
                if len(content_words(" ".join(phrase), stop)) < 2:
                    continue
                text = " ".join(phrase)
                holders = {
                    m.id
                    for m in meetings
                    if split_of(m.id) == split and f" {text} " in joined[m.id]
                }
                said = {
                    s.id
                    for m in meetings
                    if m.id in holders
                    for s, t in zip(segments[m.id], texts[m.id], strict=True)
                    if f" {text} " in f" {t} "
                }
                found.append(
                    Query(
                        text,
                        "phrase",
                        "transcript",
                        meeting.corpus,
                        meeting.id,
                        split,
                        holders,
                        said,
                    )
                )
                taken += 1
    return found
