"""One summarisation step of a meeting: rules always, the LLM when configured, then merge.

The rules run over the whole transcript (cheap, deterministic). The LLM sees only the new
speech, the rules' candidate moments and the current task list, and its answer is
contained: a new task must cite a candidate moment it was shown, an owner must be a member
who speaks or is named there, a date must be the one said there, a cancellation must be
said in the cited line, and at most `max_items` changes are taken from one answer.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol

from summarizer.dates import find_due, resolve_due
from summarizer.digest import Digest, digest
from summarizer.facts import MeetingFacts, Member, Utterance
from summarizer.ledger import Ledger, Task, content_words
from summarizer.llm_client import LlmUnavailableError
from summarizer.llm_schema import LlmAnswer, LlmTask
from summarizer.minutes import is_backchannel
from summarizer.people import People
from summarizer.prompt import Chunk, chunk_lines, messages
from summarizer.reading import Thresholds, read_meeting
from summarizer.rules import Moment, RulesExtractor, is_injection, sentences
from summarizer.titles import in_the_call, names_the_work
from vori.events import Evidence
from vori.settings import TaskSelection

log = logging.getLogger(__name__)

# "fe004: ", "Project Manager: ": a label a model copied from the transcript's lines.
_SPEAKER_LABEL = re.compile(r"^[^:.!?]{1,40}:\s*")
FIRST_PERSON = re.compile(r"\b(?:i'll|i will|i can|i'm going to|let me)\b|제가|내가", re.I)


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
            result.overview = answer.overview.strip() or result.overview
            result.key_points = _bounded(result.key_points + answer.key_points, 8, language)
            result.decisions = _bounded(result.decisions + answer.decisions, 10, language)
            result.open_questions = _bounded(
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


def apply_answer(
    answer: LlmAnswer,
    chunk: Chunk,
    facts: MeetingFacts,
    ledger: Ledger,
    rules_ledger: Ledger,
    max_items: int,
) -> int:
    """Apply what the model proposed, as far as it is backed by the transcript; returns count."""
    people = People(facts.members)
    applied = 0
    for proposed in answer.tasks:
        if applied >= max_items:
            log.warning(
                "meeting %s: LLM proposed more than %d changes", facts.meeting_id, max_items
            )
            break
        shown = [chunk.lines[n - 1] for n in proposed.lines if 1 <= n <= len(chunk.lines)]
        shown = [u for u in shown if not is_injection(u.text)]
        if not shown:
            continue  # no evidence the model was shown, or only an injection line
        if _apply_one(proposed, shown, chunk.candidates, facts, people, ledger, rules_ledger):
            applied += 1
    return applied


def _apply_one(
    proposed: LlmTask,
    shown: list[Utterance],
    candidates: frozenset[str],
    facts: MeetingFacts,
    people: People,
    ledger: Ledger,
    rules_ledger: Ledger,
) -> bool:
    known = ledger.get(proposed.task_key) if proposed.task_key else None
    if known is None:
        known = ledger.match(proposed.title, [u.segment_id for u in shown])
    if known is None and proposed.status == "open":
        if not _reads_as_work(proposed.title, facts.language):
            return False
        # A new task must come from a moment the rules flagged (commitment, request,
        # assignment) and say what was said there: measured, a 1.5B model otherwise turns
        # topics into "tasks" and pins them on any line nearby.
        words = content_words(proposed.title)
        shown = [u for u in shown if u.segment_id in candidates and words & content_words(u.text)]
        if not shown:
            return False
    member = people.by_name(proposed.owner)
    if member is not None and not _owner_grounded(member, shown, people):
        member = None  # an owner must speak or be named in the lines the model cited
    owner = (member.user_id, member.name) if member else None
    due = _due(proposed.due, facts.date)
    if due is not None and not _due_grounded(due, proposed.due or "", shown, facts):
        due = None
    evidence = Evidence(segment_id=shown[0].segment_id, quote=shown[0].text[:300], at=shown[0].at)
    if proposed.status == "cancelled":
        if known is None or not _says_cancel(shown, facts):
            return False  # only the meeting, in the lines shown, can drop a task
        ledger.update(known, status="cancelled", evidence=evidence)
        return True
    if known is not None:
        ledger.update(known, assignee=owner, due=due, status="open", evidence=evidence)
        return True
    same = rules_ledger.match(proposed.title, [u.segment_id for u in shown])
    if same is not None:
        # The rules read the same moment: let them fill what the model left out.
        owner = owner or ((same.assignee_id or "", same.assignee) if same.assignee else None)
        due = due or same.due
    task = ledger.add(proposed.title, assignee=owner, due=due, evidence=evidence)
    if same is not None and same.key not in ledger.tasks:
        # Same moment as the rules found: take the rules' key, so paths and replays agree.
        del ledger.tasks[task.key]
        task.key = same.key
        ledger.tasks[task.key] = task
        ledger.focus(task)
    return True


def _reads_as_work(title: str, language: str) -> bool:
    """A new task's title says the work, as the rules' titles must: not a line copied with
    its speaker ("Mn017: you know we'll do something where we", seen from the local model on
    ICSI) and, in English, led by the verb of work done after the call."""
    if _SPEAKER_LABEL.match(title.strip()):
        return False
    return language != "en" or (names_the_work(title) and not in_the_call(title))


def _owner_grounded(member: Member, shown: list[Utterance], people: People) -> bool:
    """Named in a cited line, or its speaker where no one else is named or they say "I"."""
    for utterance in shown:
        named = {found for _start, _end, found in people.find_in(utterance.text)}
        if member in named:
            return True
        speaker = people.speaker(utterance.speaker, utterance.participant_id)
        if speaker == member and (not named - {member} or FIRST_PERSON.search(utterance.text)):
            return True
    return False


def _due_grounded(due: date, spoken: str, shown: list[Utterance], facts: MeetingFacts) -> bool:
    for utterance in shown:
        if spoken and spoken.casefold() in utterance.text.casefold():
            return True
        for sentence in sentences(utterance.text):
            found = find_due(sentence, facts.date, facts.language)
            if found is not None and found.due == due:
                return True
    return False


def _says_cancel(shown: list[Utterance], facts: MeetingFacts) -> bool:
    extractor = RulesExtractor(facts)
    return any(
        (move := extractor.analyse(s, u)) is not None and move.kind == "cancel"
        for u in shown
        for s in sentences(u.text)
    )


def _due(spoken: str | None, meeting_date: date) -> date | None:
    if not spoken:
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", spoken.strip()):
        try:
            return date.fromisoformat(spoken.strip())
        except ValueError:
            return None
    return resolve_due(spoken, meeting_date)


def _bounded(items: list[str], limit: int, language: str) -> list[str]:
    """The model's points, decisions or questions, each once and none that says nothing: a
    small model copies a line with its speaker ("fe004: Hmm.", seen on ICSI meetings)."""
    unique = list(dict.fromkeys(i.strip() for i in items if _says_something(i, language)))
    return unique[-limit:]


def _says_something(item: str, language: str) -> bool:
    said = _SPEAKER_LABEL.sub("", item.strip())
    return bool(said) and not is_backchannel(said, language)
