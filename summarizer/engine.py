"""One summarisation step of a meeting: rules always, the LLM when configured, then merge.

The rules run over the whole transcript (cheap, deterministic). The LLM sees only the new
speech, the rules' candidate moments and the current task list, and its answer is
contained: a new task must cite a candidate moment it was shown, an owner must be a member
who speaks or is named there, a date must be the one said there, a cancellation must be
said in the cited line, and at most `max_items` changes are taken from one answer
(summarizer/containment.py).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from summarizer.containment import apply_answer, bounded, whole_sentences
from summarizer.digest import Digest, digest
from summarizer.facts import MeetingFacts, Utterance
from summarizer.ledger import Ledger, Task
from summarizer.llm_client import LlmUnavailableError
from summarizer.llm_schema import LlmAnswer
from summarizer.prompt import chunk_lines, messages
from summarizer.reading import Thresholds, read_meeting
from summarizer.rules import Moment
from vori.settings import TaskSelection

log = logging.getLogger(__name__)


class Ask(Protocol):
    """One LLM request: the chat messages, and the seconds it may take at most."""

    def __call__(
        self, messages: list[dict[str, str]], /, *, timeout_s: float | None = None
    ) -> LlmAnswer: ...


@dataclass
class Outcome:
    """A summary of the meeting so far and its tasks after this step."""

    ledger: Ledger
    digest: Digest
    source: Literal["llm", "rules"]
    llm_error: str | None = None
    changed: list[Task] = field(default_factory=list)


class Summarizer:
    """Summarises a meeting from its facts, transcript and the tasks proposed so far."""

    def __init__(
        self,
        ask: Ask | None,
        *,
        thresholds: Thresholds | None = None,
        bars_for: Callable[[TaskSelection], Thresholds] | None = None,
        max_items: int = 8,
        max_prompt_words: int = 700,
        budget_s: float = 240.0,
        final_budget_s: float = 20.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ask = ask
        self.thresholds = thresholds  # the detector's bars by default; None: the rules alone
        self.bars_for = bars_for  # those of a meeting that chose its own selection
        self.max_items = max_items
        self.max_prompt_words = max_prompt_words
        self.budget_s = budget_s  # all chunks of one summary; past it the rules take over
        self.final_budget_s = final_budget_s  # the same for the summary after the meeting
        self.clock = clock

    def summarize(
        self,
        facts: MeetingFacts,
        utterances: list[Utterance],
        tasks: Ledger,
        new_ids: set[str],
        previous: Digest | None = None,
        *,
        final: bool = False,
    ) -> Outcome:
        """`new_ids`: the segments no summary has seen yet (all the LLM is shown);
        `previous`: the last summary's digest, which the LLM's answers extend; `final`: the
        meeting has ended, so the LLM gets the final budget and no more."""
        thresholds = self.thresholds
        if thresholds is not None and self.bars_for is not None and facts.tasks is not None:
            thresholds = self.bars_for(facts.tasks)
        rules_ledger, moments = read_meeting(facts, utterances, thresholds, ended=final)
        before = {t.key: t.to_json() for t in tasks.tasks.values()}
        ledger = Ledger.from_json(facts.meeting_id, tasks.to_json())
        outcome: Outcome
        new = [u for u in utterances if u.segment_id in new_ids]
        if self.ask is not None and new:
            try:
                summary = self._with_llm(
                    facts,
                    new,
                    ledger,
                    rules_ledger,
                    _candidates(utterances, moments, thresholds),
                    previous or Digest(),
                    self.final_budget_s if final else self.budget_s,
                )
                outcome = Outcome(ledger, summary, "llm")
            except LlmUnavailableError as exc:
                log.warning("meeting %s: LLM unavailable, rules instead: %s", facts.meeting_id, exc)
                ledger = Ledger.from_json(facts.meeting_id, tasks.to_json())
                merge(ledger, rules_ledger)
                outcome = Outcome(
                    ledger, digest(utterances, ledger, facts.language), "rules", str(exc)
                )
        else:
            merge(ledger, rules_ledger)
            outcome = Outcome(ledger, digest(utterances, ledger, facts.language), "rules")
        outcome.changed = [t for t in ledger.tasks.values() if before.get(t.key) != t.to_json()]
        return outcome

    def _with_llm(
        self,
        facts: MeetingFacts,
        new: list[Utterance],
        ledger: Ledger,
        rules_ledger: Ledger,
        candidates: set[str],
        previous: Digest,
        budget_s: float,
    ) -> Digest:
        # The model reads only the new speech: the points of the speech before it are the
        # previous summary's, kept (the newest when a list is full).
        result = Digest(
            previous.overview,
            list(previous.key_points),
            list(previous.decisions),
            list(previous.open_questions),
        )
        language = facts.language
        started = self.clock()
        for chunk in chunk_lines(new, candidates, self.max_prompt_words):
            remaining = budget_s - (self.clock() - started)
            if remaining <= 0:
                raise LlmUnavailableError(f"over the {budget_s:.0f} s budget of one summary")
            assert self.ask is not None
            answer = self.ask(messages(facts, chunk, ledger, result.overview), timeout_s=remaining)
            apply_answer(answer, chunk, facts, ledger, rules_ledger, self.max_items)
            result.overview = whole_sentences(answer.overview) or result.overview
            result.key_points = bounded(result.key_points + answer.key_points, 8, language)
            result.decisions = bounded(result.decisions + answer.decisions, 10, language)
            result.open_questions = bounded(
                result.open_questions + answer.open_questions, 8, language
            )
        return result


def _candidates(
    utterances: list[Utterance], moments: list[Moment], thresholds: Thresholds | None
) -> set[str]:
    """Segments the model may draw a new task from: the moments the rules and the
    detector found, and segments the detector rates at least a candidate."""
    found = {m.utterance.segment_id for m in moments}
    if thresholds is not None:
        found |= {
            u.segment_id
            for u in utterances
            if u.action_score is not None and u.action_score >= thresholds.candidate
        }
    return found


def merge(ledger: Ledger, found: Ledger) -> None:
    """Bring the rules' view of every task into the ledger, keeping keys already given."""
    # A moment that handed out several tasks is no sign that two of them are one.
    moments = Counter(e.segment_id for t in found.tasks.values() for e in t.evidence[:1])
    for task in found.tasks.values():
        shared = [e.segment_id for e in task.evidence if moments[e.segment_id] < 2]
        existing = ledger.get(task.key) or ledger.match(task.title, shared)
        if existing is None:
            ledger.tasks[task.key] = task
            continue
        assignee = (task.assignee_id or "", task.assignee) if task.assignee else None
        for evidence in task.evidence:
            ledger.update(existing, evidence=evidence)
            existing = ledger.tasks[existing.key]
        ledger.update(existing, assignee=assignee, due=task.due, status=task.status)
