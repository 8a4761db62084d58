"""Carrying a member's transcript correction into the tasks drawn from the corrected line.

Pure functions: a task keeps its key (so its card is the same card); its evidence quote
becomes the corrected words, and a title that repeats the words the correction replaced
("Send the draft to Jon" when "Jon" became "John") gets the corrected ones.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from typing import Any

from summarizer.ledger import Ledger, Task

QUOTE_CHARS = 300  # as the extractors cut their quotes
_TOKEN = re.compile(r"\w[\w'-]*|[^\w\s]")


@dataclass(frozen=True)
class Correction:
    """A segment's text before and after a correction."""

    segment_id: str
    before: str
    after: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Correction | None:
        segment_id = data.get("segment_id")
        if not segment_id:
            return None  # a speaker rename: no text changed
        return cls(str(segment_id), str(data.get("before", "")), str(data.get("after", "")))


def replaced_phrases(before: str, after: str) -> list[tuple[str, str]]:
    """Runs of words the correction replaced, in order: [("Jon", "John")]."""
    old, new = _TOKEN.findall(before), _TOKEN.findall(after)
    matcher = SequenceMatcher(a=[t.casefold() for t in old], b=[t.casefold() for t in new])
    return [
        (" ".join(old[i1:i2]), " ".join(new[j1:j2]))
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag == "replace"
    ]


def corrected_title(title: str, phrases: list[tuple[str, str]]) -> str:
    """The title with every replaced phrase it repeats (as whole words) corrected."""
    for old, new in phrases:
        words = [re.escape(w) for w in old.split()]
        if not words:
            continue
        pattern = r"(?<!\w)" + r"\s*".join(words) + r"(?!\w)"
        title = re.sub(pattern, new.replace("\\", "\\\\"), title, flags=re.IGNORECASE)
    return title


def corrected_quote(quote: str, before: str, after: str) -> str:
    """The part of the corrected text that stands where the quote stood in the original."""
    start = before.find(quote)
    if start < 0:
        return corrected_title(quote, replaced_phrases(before, after))
    end = start + len(quote)
    opcodes = SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes()
    new_start, new_end = _map(opcodes, start, at_end=False), _map(opcodes, end, at_end=True)
    text = after[new_start:new_end].strip()
    return (text or after)[:QUOTE_CHARS]


def _map(opcodes: Sequence[tuple[str, int, int, int, int]], index: int, *, at_end: bool) -> int:
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal" and i1 <= index <= i2:
            return j1 + (index - i1)
        if i1 <= index < i2 or (at_end and index == i2):
            return j2 if at_end else j1
    return opcodes[-1][4] if opcodes else 0


def apply_corrections(ledger: Ledger, corrections: list[Correction]) -> set[str]:
    """Correct the evidence and titles of the tasks drawn from corrected segments, in
    order; returns the keys of the tasks that changed."""
    changed: set[str] = set()
    for correction in corrections:
        phrases = replaced_phrases(correction.before, correction.after)
        for key, task in list(ledger.tasks.items()):
            if all(e.segment_id != correction.segment_id for e in task.evidence):
                continue
            updated = _corrected_task(task, correction, phrases)
            if updated != task:
                ledger.tasks[key] = updated
                changed.add(key)
    return changed


def _corrected_task(task: Task, correction: Correction, phrases: list[tuple[str, str]]) -> Task:
    evidence = [
        e.model_copy(
            update={"quote": corrected_quote(e.quote, correction.before, correction.after)}
        )
        if e.segment_id == correction.segment_id
        else e
        for e in task.evidence
    ]
    return replace(task, title=corrected_title(task.title, phrases), evidence=evidence)
