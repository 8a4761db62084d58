"""One meeting's figures from its segments on the meeting clock: the pure core.

The Spark job (`analytics_spark.meetings`) groups segments by meeting and calls
`meeting_metrics` for each group; the unit tests call it on hand-made meetings. No I/O,
no clock reads. Definitions (and why) are in docs/analytics.md.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Bumped when a definition changes: it is part of every meeting's input fingerprint, so the
# next run recomputes all meetings with the new definitions.
METRICS_VERSION = 1

# B "interrupts" A when B starts while A speaks, A stops within this many seconds after
# B started, and B is still speaking when A stops.
INTERRUPT_YIELD_S = 2.0
# Overlaps shorter than this at the end of A's speech are a normal handover, not an
# interruption (people start answering on the last syllable).
HANDOVER_TOLERANCE_S = 0.3
# Efficiency: one decision or action item per this many minutes earns the full outcome part.
OUTCOME_EVERY_MIN = 15.0
# Efficiency: a speech share of this much or more counts as a fully used meeting.
FULL_SPEECH_SHARE = 0.75

# A question: a '?' (either width) or a Korean interrogative ending before final punctuation.
# The same pattern runs in Spark (Java regex) and here (Python re): keep to the common syntax.
QUESTION_PATTERN = r"[?\uff1f]|(까요|까|나요|습니까|ㅂ니까|냐|는지요|을래요)[\s.!。]*$"
_QUESTION = re.compile(QUESTION_PATTERN)


def is_question(text: str) -> bool:
    """Whether a segment asks something (see QUESTION_PATTERN)."""
    return _QUESTION.search(text.strip()) is not None


def count_words(text: str) -> int:
    """Whitespace-separated words (for Korean: eojeol, a word plus its particles)."""
    return len(text.split())


@dataclass(frozen=True)
class Segment:
    """A final segment placed on the meeting clock (seconds since the meeting started)."""

    participant: str
    start: float
    end: float
    words: int = 0
    question: bool = False


@dataclass(frozen=True)
class Attendee:
    """Someone present in the meeting, whether they spoke or not."""

    participant: str
    speaker: str
    user_id: str | None = None


@dataclass(frozen=True)
class SpeakerFigures:
    participant: str
    speaker: str
    user_id: str | None
    talk_s: float
    talk_share: float
    words: int
    wpm: float
    turns: int
    longest_monologue_s: float
    interruptions_made: int
    interrupted: int
    overlap_s: float
    questions: int


@dataclass(frozen=True)
class MeetingFigures:
    duration_s: float
    speech_s: float
    silence_share: float
    overlap_s: float
    interruptions: int
    questions: int
    decisions: int
    action_items: int
    speakers: int
    words: int
    gini: float
    efficiency: float
    per_speaker: tuple[SpeakerFigures, ...]


Interval = tuple[float, float]


def clean(segments: Iterable[Segment]) -> list[Segment]:
    """Segments with usable times: NaN/inf dropped, negatives clamped to 0, end >= start.

    A segment whose end is before its start keeps its words but takes no time.
    """
    kept = []
    for seg in segments:
        if not (math.isfinite(seg.start) and math.isfinite(seg.end)):
            continue
        start = max(0.0, seg.start)
        end = max(start, seg.end)
        kept.append(Segment(seg.participant, start, end, max(0, seg.words), seg.question))
    return sorted(kept, key=lambda s: (s.start, s.end, s.participant))


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """The union of intervals as sorted, disjoint intervals (zero-length ones vanish)."""
    merged: list[list[float]] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def coverage(speech: dict[str, list[Interval]], at_least: int) -> list[Interval]:
    """Where at least `at_least` of the speakers speak at once (a sweep over their intervals)."""
    events = sorted(
        [(a, 1) for spans in speech.values() for a, _ in spans]
        + [(b, -1) for spans in speech.values() for _, b in spans]
    )
    out: list[Interval] = []
    active = 0
    opened = 0.0
    for time, step in events:  # ends (-1) sort before starts (+1) at the same time
        before = active
        active += step
        if before < at_least <= active:
            opened = time
        elif active < at_least <= before and time > opened:
            out.append((opened, time))
    return merge(out)


def total(intervals: Iterable[Interval]) -> float:
    return sum(b - a for a, b in intervals)


def intersect(a: Sequence[Interval], b: Sequence[Interval]) -> float:
    """Length of the intersection of two sorted, disjoint interval lists."""
    i = j = 0
    length = 0.0
    while i < len(a) and j < len(b):
        low = max(a[i][0], b[j][0])
        high = min(a[i][1], b[j][1])
        if high > low:
            length += high - low
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return length


def gini(values: Sequence[float]) -> float:
    """Gini coefficient: 0 when everyone talks equally, towards 1 when one person talks."""
    n = len(values)
    mean = sum(values) / n if n else 0.0
    if n < 2 or mean <= 0:
        return 0.0
    spread = sum(abs(x - y) for x in values for y in values)
    return spread / (2 * n * n * mean)


def interruptions(speech: dict[str, list[Interval]]) -> list[tuple[str, str]]:
    """(interrupter, interrupted) pairs, one per interrupting stretch of speech.

    A sweep in start order: only the stretches still running when B starts can be cut off,
    and there are at most as many of those as speakers.
    """
    spans = sorted((start, end, who) for who, own in speech.items() for start, end in own)
    found = []
    running: list[tuple[float, float, str]] = []
    for b_start, b_end, b in spans:
        running = [span for span in running if span[1] > b_start]
        victims = [
            (a_end, a)
            for a_start, a_end, a in running
            if a != b
            and a_start < b_start < a_end - HANDOVER_TOLERANCE_S
            and a_end - b_start <= INTERRUPT_YIELD_S
            and b_end > a_end
        ]
        if victims:
            found.append((b, min(victims)[1]))
        running.append((b_start, b_end, b))
    return found


def turns(segments: Sequence[Segment]) -> list[tuple[str, float, float]]:
    """Runs of consecutive segments (in start order) by one speaker: (speaker, start, end)."""
    runs: list[tuple[str, float, float]] = []
    for seg in segments:
        if seg.end <= seg.start and seg.words == 0:
            continue
        if runs and runs[-1][0] == seg.participant:
            who, start, end = runs[-1]
            runs[-1] = (who, start, max(end, seg.end))
        else:
            runs.append((seg.participant, seg.start, seg.end))
    return runs


def efficiency(
    *,
    duration_s: float,
    speech_s: float,
    overlap_s: float,
    interruptions: int,
    turns: int,
    speakers: int,
    gini_value: float,
    outcomes: int,
) -> float:
    """0..100: outcomes 35 %, balance 25 %, use of time 20 %, flow 20 % (docs/analytics.md)."""
    if speech_s <= 0 or duration_s <= 0:
        return 0.0
    outcome = min(1.0, outcomes / max(1.0, duration_s / 60.0 / OUTCOME_EVERY_MIN))
    balance = 0.5 if speakers < 2 else 1.0 - gini_value
    use = min(1.0, speech_s / duration_s / FULL_SPEECH_SHARE)
    flow = max(0.0, 1.0 - 2.0 * interruptions / max(1, turns) - 2.0 * overlap_s / speech_s)
    return round(100.0 * (0.35 * outcome + 0.25 * balance + 0.20 * use + 0.20 * flow), 2)


def meeting_metrics(
    segments: Iterable[Segment],
    attendees: Iterable[Attendee] = (),
    *,
    duration_s: float = 0.0,
    decisions: int = 0,
    action_items: int = 0,
) -> MeetingFigures:
    """Every per-meeting figure; the duration is at least the end of the last segment."""
    segs = clean(segments)
    people = {a.participant: a for a in attendees}
    for seg in segs:
        people.setdefault(seg.participant, Attendee(seg.participant, seg.participant))
    speech = {p: merge((s.start, s.end) for s in segs if s.participant == p) for p in people}
    duration = max([duration_s if math.isfinite(duration_s) else 0.0] + [s.end for s in segs])
    speech_s = total(coverage(speech, 1))
    overlap = coverage(speech, 2)
    pairs = interruptions(speech)
    runs = turns(segs)
    talk = {p: total(spans) for p, spans in speech.items()}
    all_talk = sum(talk.values())
    per_speaker = []
    for p, who in sorted(people.items()):
        own = [s for s in segs if s.participant == p]
        words = sum(s.words for s in own)
        mine = [end - start for q, start, end in runs if q == p]
        per_speaker.append(
            SpeakerFigures(
                participant=p,
                speaker=who.speaker,
                user_id=who.user_id,
                talk_s=round(talk[p], 3),
                talk_share=round(talk[p] / all_talk, 4) if all_talk > 0 else 0.0,
                words=words,
                wpm=round(words / (talk[p] / 60.0), 2) if talk[p] > 0 else 0.0,
                turns=len(mine),
                longest_monologue_s=round(max(mine, default=0.0), 3),
                interruptions_made=sum(1 for b, _ in pairs if b == p),
                interrupted=sum(1 for _, a in pairs if a == p),
                overlap_s=round(intersect(speech[p], overlap), 3),
                questions=sum(1 for s in own if s.question),
            )
        )
    g = gini(list(talk.values()))
    return MeetingFigures(
        duration_s=round(duration, 3),
        speech_s=round(speech_s, 3),
        silence_share=round(1.0 - speech_s / duration, 4) if duration > 0 else 0.0,
        overlap_s=round(total(overlap), 3),
        interruptions=len(pairs),
        questions=sum(1 for s in segs if s.question),
        decisions=decisions,
        action_items=action_items,
        speakers=len(people),
        words=sum(s.words for s in segs),
        gini=round(g, 4),
        efficiency=efficiency(
            duration_s=duration,
            speech_s=speech_s,
            overlap_s=total(overlap),
            interruptions=len(pairs),
            turns=len(runs),
            speakers=len(people),
            gini_value=g,
            outcomes=decisions + action_items,
        ),
        per_speaker=tuple(per_speaker),
    )
