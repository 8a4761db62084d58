"""Build what the model sees: narrowed to new speech, candidate moments and the task list."""

from __future__ import annotations

import json
from dataclasses import dataclass

from summarizer.facts import MeetingFacts, Utterance
from summarizer.ledger import Ledger
from summarizer.llm_schema import SYSTEM_PROMPT
from summarizer.rules import is_injection


@dataclass(frozen=True)
class Chunk:
    """New transcript lines shown to the model in one request, numbered from 1."""

    lines: tuple[Utterance, ...]
    candidates: frozenset[str]  # segment ids the rules found a moment in


def chunk_lines(utterances: list[Utterance], candidates: set[str], max_words: int) -> list[Chunk]:
    """Split new speech into requests of at most `max_words` words (a line is never split)."""
    chunks: list[Chunk] = []
    current: list[Utterance] = []
    words = 0
    for utterance in utterances:
        if current and words + utterance.words > max_words:
            chunks.append(Chunk(tuple(current), frozenset(candidates)))
            current, words = [], 0
        current.append(utterance)
        words += utterance.words
    if current:
        chunks.append(Chunk(tuple(current), frozenset(candidates)))
    return chunks


def messages(
    facts: MeetingFacts, chunk: Chunk, ledger: Ledger, previous_overview: str
) -> list[dict[str, str]]:
    """The chat messages of one request."""
    language = {"ko": "Korean", "en": "English"}.get(facts.language, facts.language)
    tasks = [
        {
            "task_key": t.key,
            "title": t.title,
            "owner": t.assignee,
            "due": t.due.isoformat() if t.due else None,
            "status": t.status,
        }
        for t in ledger.tasks.values()
    ]
    lines = []
    for number, utterance in enumerate(chunk.lines, start=1):
        mark = "*" if utterance.segment_id in chunk.candidates else " "
        text = utterance.text.replace("\n", " ")
        if is_injection(text):
            mark = "!"  # shown, so the summary stays faithful, but flagged as not a decision
        lines.append(f"{mark}[L{number}] {utterance.speaker or 'Unknown'}: {text}")
    user = "\n".join(
        [
            f"Meeting date: {facts.date.isoformat()} ({facts.date.strftime('%A')}), "
            f"time zone {facts.time_zone}.",
            "Participants: " + ", ".join(m.name for m in facts.members) + ".",
            "Current tasks: " + json.dumps(tasks, ensure_ascii=False),
            "Previous overview: " + (previous_overview or "(none yet)"),
            "New transcript lines:",
            *lines,
        ]
    )
    return [
        {"role": "system", "content": SYSTEM_PROMPT.replace("{language}", language)},
        {"role": "user", "content": user},
    ]
